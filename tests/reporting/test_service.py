"""政务信息报送 rules against the real database: the 4-hour clock, return-with-reasons, adoption by level,
issue numbering, 约稿 replies, on-behalf entry, quota reminders, the 通报 ranking and year_scores."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import calendar, org
from core.models.base import BUREAU_ZONE
from core.models.reporting import Adoption, Item, QuotaReminder
from core.models.supervision import Notification
from reporting import ranking, service
from reporting.ranking import Period, competition_ranks, marks, year_scores
from reporting.service import ItemDraft, ReportingError


def _user(s, name):
    return org.user_by_username(s, name)


def _local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUREAU_ZONE)


def _item(s, settings, who, title, *, when, category="work", event_at=None, unit_key=None):
    return service.submit(s, settings, _user(s, who), ItemDraft(title=title, body="正文。", category=category,
                                                                event_at=event_at), unit_key=unit_key, now=when)


def test_the_four_hour_clock_is_wall_clock_across_midnight_and_a_holiday(settings, db):
    with db.session(write_lock=True) as s:
        cal = calendar.load(s)
        assert not cal.is_workday(date(2026, 10, 1))  # 国庆节: the clock runs all the same
        event = _local(2026, 9, 30, 22, 30)
        on_time = _item(s, settings, "lz_staff", "林场山火（按时）", category="emergency", event_at=event,
                        when=_local(2026, 10, 1, 2, 30))
        late = _item(s, settings, "zl_staff", "林场山火（迟报）", category="emergency", event_at=event,
                     when=_local(2026, 10, 1, 2, 31))
        holiday = _item(s, settings, "lz_staff", "国庆节期间野生动物救助", category="emergency",
                        event_at=_local(2026, 10, 3, 9, 0), when=_local(2026, 10, 3, 13, 30))
        assert not on_time.late and late.late and holiday.late
        assert service.is_late(event, _local(2026, 10, 1, 2, 30, 1), 4)
        assert not service.is_late(event, _local(2026, 10, 1, 2, 30), 4)
        # Ordinary items carry no clock; a 突发事件 needs its event time, not in the future.
        with pytest.raises(ReportingError, match="事件发生时间"):
            _item(s, settings, "lz_staff", "无时间的突发事件", category="emergency", when=_local(2026, 10, 4, 9, 0))
        with pytest.raises(ReportingError, match="不能晚于现在"):
            _item(s, settings, "lz_staff", "未来的突发事件", category="emergency",
                  event_at=_local(2026, 10, 5, 9, 0), when=_local(2026, 10, 4, 9, 0))
        # The late reports count in the quarter's 通报.
        result = ranking.bulletin(s, settings, Period(2026, 4), today=date(2026, 12, 31))
        by_name = {r.unit.name: r for r in result.rows}
        assert by_name["造林绿化处"].late_urgent == 1 and by_name["林政资源管理处"].late_urgent == 1


def test_a_returned_item_carries_every_reason_and_is_resubmitted_by_its_unit(settings, db):
    with db.session(write_lock=True) as s:
        item = _item(s, settings, "lz_staff", "春季造林进展", when=_local(2026, 3, 10, 9, 0))
        clerk = _user(s, "clerk")
        with pytest.raises(ReportingError, match="办公室"):
            service.return_item(s, settings, _user(s, "lz_head"), item.id, ["不行"])
        with pytest.raises(ReportingError, match="退回理由"):
            service.return_item(s, settings, clerk, item.id, ["  ", ""])
        service.return_item(s, settings, clerk, item.id, ["补充造林面积数据", "", "标题过长，请精简"])
        assert item.status == "returned" and item.return_reasons == ["补充造林面积数据", "标题过长，请精简"]
        with pytest.raises(ReportingError, match="已处理"):
            service.return_item(s, settings, clerk, item.id, ["再次退回"])
        with pytest.raises(ReportingError, match="退回修改"):
            service.adopt(s, settings, clerk, item.id, "new:信息专报")
        told = s.scalar(select(Notification).where(Notification.user_id == _user(s, "lz_head").id,
                                                   Notification.link == service.link_for(item.id)))
        assert told is not None and "标题过长" in told.body
        with pytest.raises(ReportingError, match="不属于您的单位"):
            service.update(s, settings, _user(s, "zl_staff"), item.id, ItemDraft(title="改", body="改"))
        service.update(s, settings, _user(s, "lz_staff"), item.id,
                       ItemDraft(title="春季造林进展顺利", body="已完成造林1.2万亩。"), now=_local(2026, 3, 11, 9, 0))
        assert item.status == "submitted" and item.resubmitted_at is not None
        assert item.submitted_at == _local(2026, 3, 10, 9, 0)  # the first submission still counts
        assert item.times_returned == 1


def test_adoption_counts_once_per_level_and_issues_are_numbered_per_year(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        first = _item(s, settings, "lz_staff", "林长制工作经验", category="practice", when=_local(2026, 2, 2, 9, 0))
        second = _item(s, settings, "lz_staff", "森林督查发现问题整改", when=_local(2026, 2, 3, 9, 0))
        third = _item(s, settings, "zl_staff", "义务植树活动", when=_local(2026, 12, 28, 9, 0))
        a1 = service.adopt(s, settings, clerk, first.id, "new:信息专报", adopted_on=date(2026, 2, 4))
        assert a1.issue.label == "信息专报 2026年第1期"
        service.adopt(s, settings, clerk, second.id, f"i:{a1.issue_id}", adopted_on=date(2026, 2, 4))
        with pytest.raises(ReportingError, match="已处理"):
            service.adopt(s, settings, clerk, second.id, "new:信息专报")
        a3 = service.adopt(s, settings, clerk, third.id, "new:信息专报", adopted_on=date(2026, 12, 29))
        assert a3.issue.label == "信息专报 2026年第2期"
        nxt = service.new_issue(s, settings, clerk, "信息专报", year=2027)
        assert nxt.label == "信息专报 2027年第1期"  # the numbering starts again each year
        with pytest.raises(ReportingError, match="已处理"):  # a double post of 新建一期
            service.new_issue(s, settings, clerk, "信息专报", year=2027)
        assert service.new_issue(s, settings, clerk, "工作简报", year=2027).number == 1
        with pytest.raises(ReportingError, match="信息刊物"):
            service.new_issue(s, settings, clerk, "不存在的刊物")
        assert [i.id for i in service.issue_items(s, a1.issue_id)] == [first.id, second.id]
        service.record_higher(s, settings, clerk, first.id, "province", date(2026, 3, 1), "省林业局《林业信息》",
                              today=date(2026, 12, 31))
        service.record_higher(s, settings, clerk, first.id, "national", date(2026, 4, 2), today=date(2026, 12, 31))
        with pytest.raises(ReportingError, match="已处理"):
            service.record_higher(s, settings, clerk, first.id, "province", date(2026, 3, 2), today=date(2026, 12, 31))
        with pytest.raises(ReportingError, match="不能晚于今天"):
            service.record_higher(s, settings, clerk, second.id, "department", date(2027, 1, 5),
                                  today=date(2026, 12, 31))
        with pytest.raises(ReportingError, match="办公室"):
            service.record_higher(s, settings, _user(s, "lz_head"), second.id, "department", date(2026, 3, 1))
        assert s.scalar(select(func.count(Adoption.id)).where(Adoption.item_id == first.id)) == 3
        year = ranking.bulletin(s, settings, Period(2026), today=date(2026, 12, 31))
        lz = next(r for r in year.rows if r.unit.name == "林政资源管理处")
        assert lz.adopted == {"office": 2, "department": 0, "province": 1, "national": 1}
        q1 = ranking.bulletin(s, settings, Period(2026, 1), today=date(2026, 12, 31))
        lz_q1 = next(r for r in q1.rows if r.unit.name == "林政资源管理处")
        assert lz_q1.adopted == {"office": 2, "department": 0, "province": 1, "national": 0}  # national: April
        w = settings.reporting.score_weights
        assert lz.score == pytest.approx(2 * w["submitted"] + 2 * w["adopted_office"] + w["adopted_province"]
                                         + w["adopted_national"] + lz.weeks_missed * w["missed_week"])


def test_the_office_enters_an_item_for_an_outside_unit_and_staff_cannot(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        farm = service.save_outside_unit(s, settings, clerk, "示范市国有林场")
        item = _item(s, settings, "clerk", "林场冬季防火检查", unit_key=f"u:{farm.id}",
                     when=_local(2026, 11, 2, 10, 0))
        assert item.on_behalf and item.entered_by_id == clerk.id and item.outside_unit_id == farm.id
        own = _item(s, settings, "clerk", "办公室信息", when=_local(2026, 11, 2, 10, 0))
        assert not own.on_behalf and own.department_id == clerk.department_id
        with pytest.raises(ReportingError, match="只有办公室"):
            _item(s, settings, "lz_staff", "代报", unit_key=f"u:{farm.id}", when=_local(2026, 11, 2, 10, 0))
        with pytest.raises(ReportingError, match="办公室"):
            service.save_outside_unit(s, settings, _user(s, "lz_head"), "另一个单位")
        with pytest.raises(ReportingError, match="已有名为"):
            service.save_outside_unit(s, settings, clerk, "示范市国有林场")
        # An account attached to the outside unit submits for it and sees its items, not its department's.
        service.attach_account(s, settings, clerk, "zl_staff", farm.id)
        mine = _item(s, settings, "zl_staff", "林场苗圃育苗", when=_local(2026, 11, 3, 10, 0))
        assert mine.outside_unit_id == farm.id and not mine.on_behalf
        seen = service.list_items(s, settings, _user(s, "zl_staff"))
        assert {i.id for i in seen} == {item.id, mine.id}
        assert service.list_items(s, settings, _user(s, "lz_staff")) == []
        assert "林场" not in " ".join(i.title for i in service.list_items(s, settings, _user(s, "zl_head")))
        with pytest.raises(ReportingError, match="已处理"):  # a double post
            _item(s, settings, "zl_staff", "林场苗圃育苗", when=_local(2026, 11, 3, 10, 1))
        # Renamed and deactivated: no longer a unit, its items keep their name.
        service.save_outside_unit(s, settings, clerk, "示范市国有林场（改）", unit_id=farm.id, active=False)
        assert f"u:{farm.id}" not in {u.key for u in service.units(s)}
        assert service.unit_of_item(item).name == "示范市国有林场（改）"


def test_a_call_lists_its_replies_and_who_has_not_replied(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        lz, zl, fh = (org.department_by_code(s, c) for c in ("LZC", "ZLC", "FHB"))
        call = service.publish_call(s, settings, clerk, "冬春森林防火工作信息", "请报送防火工作动态。",
                                    date(2099, 1, 10), [f"d:{lz.id}", f"d:{zl.id}", f"d:{fh.id}"])
        with pytest.raises(ReportingError, match="已处理"):
            service.publish_call(s, settings, clerk, "冬春森林防火工作信息", "", date(2099, 1, 10), [f"d:{lz.id}"])
        with pytest.raises(ReportingError, match="办公室"):
            service.publish_call(s, settings, _user(s, "lz_head"), "主题", "", date(2099, 1, 10), [f"d:{lz.id}"])
        told = s.scalar(select(func.count(Notification.id)).where(Notification.link == f"/reporting/calls/{call.id}"))
        assert told >= 2  # the heads of the chosen departments
        reply = service.submit(s, settings, _user(s, "lz_staff"), ItemDraft(
            title="林政处开展防火宣传", body="正文", call_id=call.id))
        with pytest.raises(ReportingError, match="未向本单位约稿"):
            service.submit(s, settings, _user(s, "archivist"), ItemDraft(title="档案室", body="正文", call_id=call.id))
        replies = service.call_replies(s, call)
        assert [i.id for i in replies.replies] == [reply.id]
        assert [u.name for u in replies.replied] == ["林政资源管理处"]
        assert {u.name for u in replies.missing} == {"造林绿化处", "森林防火办公室"}
        assert call in service.calls_for(s, settings, _user(s, "zl_staff"))
        assert call not in service.calls_for(s, settings, _user(s, "archivist"))


def test_units_that_missed_last_week_are_reminded_once_on_monday(settings, db):
    monday = date(2026, 11, 16)
    with db.session(write_lock=True) as s:
        for dept in org.departments(s):
            if dept.code != "LZC":  # every unit but 林政资源管理处 reported last week
                head = org.users_with_role(s, "dept_head", dept.id)
                person = head[0] if head else s.scalar(select(org.User).where(org.User.department_id == dept.id))
                if person is None:
                    continue
                service.submit(s, settings, person, ItemDraft(title=f"{dept.name}周信息", body="正文"),
                               now=_local(2026, 11, 12, 10, 0))
        empty = [d for d in org.departments(s) if d.code != "LZC" and not service.unit_people(
            s, service.Unit(f"d:{d.id}", d.name, department_id=d.id))]
        reminded = service.remind_missed(s, settings, today=monday)
        assert reminded == 1 + len(empty)
        lz_head = _user(s, "lz_head")
        notes = list(s.scalars(select(Notification).where(Notification.user_id == lz_head.id,
                                                          Notification.kind == "reminder")))
        assert len(notes) == 1 and "2026-11-09" in notes[0].title
        assert service.remind_missed(s, settings, today=monday) == 0  # once per unit and week
        assert service.remind_missed(s, settings, today=monday + timedelta(days=1)) == 0
        assert s.scalar(select(func.count(QuotaReminder.id))) == reminded
        assert not s.scalar(select(Notification.id).where(Notification.user_id == _user(s, "zl_head").id,
                                                          Notification.kind == "reminder"))


def test_ranking_ties_share_a_rank_and_are_all_marked(settings, db):
    assert competition_ranks([5, 3, 5, 1, 3, 0]) == [1, 3, 1, 5, 3, 6]
    assert marks([9, 8, 8, 8, 5, 1, 1], 2) == ["top", "top", "top", "top", "", "bottom", "bottom"]
    assert marks([3, 2, 1, 1], 1) == ["top", "", "bottom", "bottom"]
    assert marks([1, 1, 1], 3) == ["top", "top", "top"]  # a unit never carries both marks
    cfg = dataclasses.replace(settings, reporting=dataclasses.replace(settings.reporting, marked_places=1))
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        for who, n in (("lz_staff", 2), ("zl_staff", 2), ("clerk", 1)):
            for i in range(n):
                _item(s, cfg, who, f"{who}信息{i}", when=_local(2026, 1, 5 + i, 9, 0))
        result = ranking.bulletin(s, cfg, Period(2026, 1), today=date(2026, 1, 12))
        assert result.weeks == 1  # 5-11 January (the week of 29 December belongs to 2025)
        rows = {r.unit.name: r for r in result.rows}
        assert rows["林政资源管理处"].rank == rows["造林绿化处"].rank == 1
        assert rows["林政资源管理处"].mark == rows["造林绿化处"].mark == "top"
        assert rows["办公室"].rank == 3 and rows["办公室"].mark == ""
        missed = [r for r in result.rows if r.submitted == 0]
        assert missed and all(r.mark == "bottom" and r.weeks_missed == 1 and r.rank == missed[0].rank
                              for r in missed)
        assert result.rows[0].score >= result.rows[-1].score
        service.adopt(s, cfg, clerk, s.scalar(select(Item.id).where(Item.title == "clerk信息0")), "new:工作简报",
                      adopted_on=date(2026, 1, 7))
        again = {r.unit.name: r for r in ranking.bulletin(s, cfg, Period(2026, 1), today=date(2026, 1, 12)).rows}
        assert again["办公室"].rank == 1 and again["办公室"].mark == "top" and again["林政资源管理处"].rank == 2


def test_year_scores_gives_each_department_its_yearly_score(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        farm = service.save_outside_unit(s, settings, clerk, "示范市森林公园管理处")
        _item(s, settings, "clerk", "公园游客服务", unit_key=f"u:{farm.id}", when=_local(2026, 5, 6, 9, 0))
        item = _item(s, settings, "lz_staff", "林政执法专项行动", when=_local(2026, 5, 6, 9, 0))
        service.adopt(s, settings, clerk, item.id, "new:信息专报", adopted_on=date(2026, 5, 8))
        s.commit()
        scores = year_scores(s, settings, 2026)
        lz, zl = org.department_by_code(s, "LZC"), org.department_by_code(s, "ZLC")
        assert set(scores) == {d.id for d in org.departments(s)}  # departments only
        w = settings.reporting.score_weights  # LZC: one item, adopted, and one week fewer missed than ZLC
        assert scores[lz.id] - scores[zl.id] == pytest.approx(w["submitted"] + w["adopted_office"] - w["missed_week"])
        assert all(isinstance(v, float) for v in scores.values())


def test_period_labels_and_bounds():
    q1 = Period(2026, 1)
    assert (q1.first, q1.last, str(q1.label)) == (date(2026, 1, 1), date(2026, 3, 31), "2026年第一季度")
    assert Period(2026, 4).last == date(2026, 12, 31) and str(Period(2026).label) == "2026年度"
    assert Period(2026, 2).key == "2026-q2"
    assert service.week_start(date(2026, 11, 22)) == date(2026, 11, 16)


def test_a_week_of_holidays_owes_no_item(settings, db):
    """A week without a working day on the bureau's calendar is neither reminded nor counted as missed."""
    with db.session(write_lock=True) as s:
        admin = _user(s, "admin")
        calendar.set_block(s, admin, date(2026, 11, 9), date(2026, 11, 13), name="测试假期")
        assert service.remind_missed(s, settings, today=date(2026, 11, 16)) == 0
        assert s.scalar(select(func.count(QuotaReminder.id))) == 0
        result = ranking.bulletin(s, settings, Period(2026, 4), today=date(2026, 11, 30))
        weeks_in_q4 = len([m for m in (date(2026, 10, 5) + timedelta(days=7 * i) for i in range(8))
                           if m + timedelta(days=6) < date(2026, 11, 30)])
        assert result.weeks == weeks_in_q4 - 1  # the holiday week is not owed
