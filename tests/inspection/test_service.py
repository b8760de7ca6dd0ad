"""督查督办事项: default deadlines on the working-day calendar, report schedules, overdue feedback, 催办 and its
escalation, the 办结 judgement and confirmation, visibility, the quarterly 通报 and year_figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core import calendar, org
from core.models.base import utcnow
from core.models.inspection import InspectionItem, InspectionOverdueMark
from core.models.supervision import Notification
from inspection import demo, report, service
from inspection.report import year_figures
from inspection.service import Filters, InspectionError, ItemDraft


def _user(s, name):
    return org.user_by_username(s, name)


def _dept(s, code):
    return org.department_by_code(s, code)


def _draft(s, **kw) -> ItemDraft:
    base = dict(content="加快松材线虫病疫木除治", source_kind="instruction", source_text="局长批示",
                leader_id=_user(s, "director").id, lead_department_id=_dept(s, "LZC").id,
                co_department_ids=(_dept(s, "ZLC").id,), person_id=_user(s, "lz_staff").id)
    base.update(kw)
    return ItemDraft(**base)


def _register(s, settings, **kw):
    today = kw.pop("today", None)
    return service.register(s, settings, _user(s, "clerk"), _draft(s, **kw), today=today)


def test_default_deadlines_count_working_days_across_the_national_day_holiday(settings, db):
    with db.session(write_lock=True) as s:
        # 2026-09-28 (Monday): 国庆 1–7 October off, 10 October (Saturday) a 调休 working day.
        urgent = _register(s, settings, kind="urgent", registered_on=date(2026, 9, 28), today=date(2026, 9, 30))
        assert urgent.deadline == date(2026, 10, 10)  # 29, 30 Sep, 8, 9 Oct, then Saturday 10 Oct (调休)
        ordinary = _register(s, settings, content="另一项", registered_on=date(2026, 9, 28), today=date(2026, 9, 30))
        cal = calendar.load(s)
        assert ordinary.deadline == cal.add_workdays(date(2026, 9, 28), 22)
        assert cal.workdays_between(date(2026, 9, 28), ordinary.deadline) == 22
        assert (ordinary.deadline - date(2026, 9, 28)).days > 22 + 7  # the holiday pushed it well past a month
        by_hand = _register(s, settings, content="手工时限", deadline=date(2026, 10, 20), today=date(2026, 9, 30))
        assert by_hand.deadline == date(2026, 10, 20)
        plan = _register(s, settings, content="带节点", schedule="milestones", today=date(2026, 9, 30),
                         milestones=((date(2026, 11, 30), "完成初稿"), (date(2026, 12, 31), "印发")))
        assert plan.deadline == date(2026, 12, 31)


def test_register_refuses_bad_input_listing_every_problem_and_a_double_post(settings, db):
    with db.session(write_lock=True) as s:
        with pytest.raises(InspectionError) as many:
            service.register(s, settings, _user(s, "clerk"), ItemDraft(content="", person_id=_user(s, "zl_staff").id,
                                                                     lead_department_id=_dept(s, "LZC").id))
        text = " ".join(many.value.problems)
        assert "请填写督办事项内容" in text and "请选择分管领导" in text and "主办单位" in text
        with pytest.raises(InspectionError, match="办公室"):
            service.register(s, settings, _user(s, "lz_head"), _draft(s))
        _register(s, settings)
        with pytest.raises(InspectionError, match="已处理"):
            _register(s, settings)


def test_an_item_from_a_shouwen_links_it_and_takes_its_title(settings, db):
    from documents import drafting
    from documents.drafting import DraftFields

    with db.session(write_lock=True) as s:
        doc = drafting.create_document(s, _user(s, "clerk"), kind="incoming", fields=DraftFields(
            title="市政府关于加强松材线虫病防控的批示", source_organ="市人民政府办公室",
            source_number="市府办批〔2026〕12号"))
        item = _register(s, settings, content="", source_text="", document_id=doc.id)
        assert item.content == doc.title and item.document_id == doc.id
        assert "市府办批〔2026〕12号" in item.source_text


def test_meetings_and_plans_register_several_items_at_once_or_none(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        base = _draft(s, source_kind="meeting", source_text="第11次局长办公会议", content="")
        made = service.register_many(s, settings, clerk, base, "1. 编制绿化方案\n2. 储备苗木\n\n3. 拨付补助资金")
        assert [i.content for i in made] == ["编制绿化方案", "储备苗木", "拨付补助资金"]
        plan = _draft(s, source_kind="plan", source_text="2026年重点工作", content="")
        made = service.register_many(s, settings, clerk, plan, "规划修编｜2026-12-31 完成初稿；2027-03-31 通过评审",
                                     today=date(2026, 12, 1))
        assert made[0].schedule == "milestones" and [m.what for m in made[0].milestones] == ["完成初稿", "通过评审"]
        s.commit()
        before = s.scalar(select(func.count(InspectionItem.id)))
        with pytest.raises(InspectionError, match="第2行"):
            service.register_many(s, settings, clerk, plan, "甲｜2027-01-31 完成\n乙｜没有日期",
                                  today=date(2026, 12, 1))
        assert s.scalar(select(func.count(InspectionItem.id))) == before  # the lines are checked before any 立项


def test_schedules_produce_due_dates_on_working_days(settings, db):
    with db.session(write_lock=True) as s:
        cal = calendar.load(s)
        weekly = _register(s, settings, schedule="weekly", registered_on=date(2026, 9, 14),
                           deadline=date(2026, 10, 20), today=date(2026, 9, 14))
        # Last working day of each week: 20 Sep (调休 Sunday), 24 Sep (中秋 25–27 off), 30 Sep (国庆 1–7 Oct
        # off), 10 Oct (调休 Saturday), 16 Oct.
        assert service.due_dates(cal, weekly) == [date(2026, 9, 20), date(2026, 9, 24), date(2026, 9, 30),
                                                  date(2026, 10, 10), date(2026, 10, 16)]
        monthly = _register(s, settings, content="按月", schedule="monthly", registered_on=date(2026, 9, 25),
                            deadline=date(2026, 12, 15), today=date(2026, 9, 25))
        assert service.due_dates(cal, monthly) == [date(2026, 10, 30), date(2026, 11, 30)]  # Sep: too close
        quarterly = _register(s, settings, content="按季", schedule="quarterly", registered_on=date(2026, 1, 5),
                              deadline=date(2026, 12, 20), today=date(2026, 1, 5))
        assert service.due_dates(cal, quarterly) == [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
        milestones = _register(s, settings, content="按节点", schedule="milestones", registered_on=date(2026, 1, 5),
                               milestones=((date(2026, 3, 1), "初稿"), (date(2026, 6, 1), "定稿")),
                               deadline=date(2026, 7, 1), today=date(2026, 1, 5))
        assert service.due_dates(cal, milestones) == [date(2026, 3, 1), date(2026, 6, 1)]


def test_a_missing_report_is_overdue_listed_counted_and_the_worker_tells_once(settings, db):
    with db.session(write_lock=True) as s:
        today = calendar.local_today()
        item = _register(s, settings, schedule="weekly", registered_on=today - timedelta(days=16),
                         deadline=today + timedelta(days=30), today=today)
        cal = calendar.load(s)
        st = service.status(settings, cal, item, today)
        assert st.overdue and st.report_overdue_since is not None and not st.deadline_overdue
        clerk, staff = _user(s, "clerk"), _user(s, "lz_staff")
        assert item.id in [r.item.id for r in service.items_for(s, settings, clerk, Filters(overdue=True))]
        assert item.id in [r.item.id for r in service.due_items(s, settings, staff)]
        assert service.mark_overdue(s, settings, today=today) == 1
        assert service.mark_overdue(s, settings, today=today) == 0  # idempotent: one bell per due date
        told = s.scalars(select(Notification).where(Notification.user_id == staff.id, Notification.kind == "overdue"))
        assert len(list(told)) == 1
        service.submit_feedback(s, settings, staff, item.id, "已完成普查。")
        assert not service.status(settings, cal, item, today).overdue  # a late report clears it
        late = [r for r in service.report_schedule(cal, item, today) if r.state == "late"]
        assert late and late[-1].reported_on == today
        assert s.scalar(select(func.count(InspectionOverdueMark.id))) == 1


def test_chasing_escalates_after_n_reminders_and_not_twice_within_the_interval(settings, db):
    with db.session(write_lock=True) as s:
        item = _register(s, settings)
        clerk, staff, head = _user(s, "clerk"), _user(s, "lz_staff"), _user(s, "lz_head")
        now = utcnow()
        first = service.remind(s, settings, clerk, item.id, note="请尽快报送", now=now)
        assert first.count == 1 and not first.escalated_to
        with pytest.raises(InspectionError, match="分钟后再催"):
            service.remind(s, settings, clerk, item.id, now=now + timedelta(minutes=5))
        step = timedelta(minutes=settings.supervision.reminder_interval_minutes + 1)
        outcome = first
        for n in range(2, settings.supervision.escalate_after_reminders + 1):
            outcome = service.remind(s, settings, clerk, item.id, now=now + step * n)
        assert outcome.count == settings.supervision.escalate_after_reminders
        assert head in outcome.escalated_to
        kinds = {n.kind for n in s.scalars(select(Notification).where(Notification.user_id.in_([staff.id, head.id])))}
        assert {"reminder", "escalation"} <= kinds
        with pytest.raises(InspectionError, match="办公室"):
            service.remind(s, settings, head, item.id, now=now + step * 10)


def test_an_inactive_person_is_not_chased_the_message_says_who_holds_it_and_the_office_reassigns(settings, db):
    with db.session(write_lock=True) as s:
        item = _register(s, settings)
        _user(s, "lz_staff").active = False
        with pytest.raises(InspectionError) as refused:
            service.remind(s, settings, _user(s, "clerk"), item.id)
        assert "已停用" in str(refused.value) and _user(s, "lz_head").display_name in str(refused.value)
        with pytest.raises(InspectionError, match="主办单位"):
            service.reassign(s, settings, _user(s, "clerk"), item.id, _user(s, "zl_staff").id)
        service.reassign(s, settings, _user(s, "clerk"), item.id, _user(s, "lz_head").id)
        assert service.remind(s, settings, _user(s, "clerk"), item.id).reminder.target == _user(s, "lz_head")


def test_the_closing_report_is_judged_returned_with_reasons_accepted_and_confirmed(settings, db):
    with db.session(write_lock=True) as s:
        item = _register(s, settings)
        clerk, staff, director = _user(s, "clerk"), _user(s, "lz_staff"), _user(s, "director")
        with pytest.raises(InspectionError, match="主办单位"):
            service.submit_closing(s, settings, _user(s, "zl_staff"), item.id, "协办单位不能报办结")
        service.submit_closing(s, settings, staff, item.id, "已完成除治。")
        assert item.state == "reported"
        with pytest.raises(InspectionError, match="理由"):
            service.judge(s, settings, clerk, item.id, accept=False)
        service.judge(s, settings, clerk, item.id, accept=False, reason="请补充除治数量和照片。")
        assert item.state == "in_progress" and "照片" in item.return_reason
        with pytest.raises(InspectionError, match="已处理"):
            service.judge(s, settings, clerk, item.id, accept=True)
        service.submit_closing(s, settings, staff, item.id, "已完成除治1260株，附照片。")
        with pytest.raises(InspectionError, match="办公室"):
            service.judge(s, settings, staff, item.id, accept=True)
        service.judge(s, settings, clerk, item.id, accept=True)
        assert item.state == "accepted" and item.completed_on == calendar.local_today()
        with pytest.raises(InspectionError, match="分管领导"):
            service.confirm(s, settings, _user(s, "deputy"), item.id)
        service.confirm(s, settings, director, item.id)
        assert item.state == "closed" and item.confirmed_by_id == director.id
        with pytest.raises(InspectionError, match="已处理"):
            service.confirm(s, settings, director, item.id)
        # 归档: the office writes the record into its archive folder, once.
        with pytest.raises(InspectionError, match="办公室"):
            service.file_to_archive(s, settings, staff, item.id)
        relpath = service.file_to_archive(s, settings, clerk, item.id)
        text = (settings.archive_dir / relpath).read_text(encoding="utf-8")
        assert relpath.startswith(f"BGS/{item.registered_on.year}/督查督办-")
        assert "已完成除治1260株" in text and director.display_name in text
        with pytest.raises(InspectionError, match="已处理"):
            service.file_to_archive(s, settings, clerk, item.id)


def test_an_open_item_is_not_filed(settings, db):
    with db.session(write_lock=True) as s:
        item = _register(s, settings)
        with pytest.raises(InspectionError, match="确认办结后"):
            service.file_to_archive(s, settings, _user(s, "clerk"), item.id)


def test_visibility_office_and_leaders_all_units_their_items_person_theirs(settings, db):
    with db.session(write_lock=True) as s:
        item = _register(s, settings, co_department_ids=())
        for name in ("clerk", "office_head", "director", "deputy", "lz_head", "lz_staff"):
            assert service.get(s, settings, _user(s, name), item.id) is item
        for name in ("zl_staff", "archivist"):
            with pytest.raises(InspectionError, match="无权查看"):
                service.get(s, settings, _user(s, name), item.id)
        co = _register(s, settings, content="协办事项", co_department_ids=(_dept(s, "ZLC").id,))
        assert co.id in [r.item.id for r in service.items_for(s, settings, _user(s, "zl_staff"))]
        assert item.id not in [r.item.id for r in service.items_for(s, settings, _user(s, "zl_staff"))]
        with pytest.raises(InspectionError, match="无权查看"):
            service.submit_feedback(s, settings, _user(s, "archivist"), co.id, "x")
        with pytest.raises(InspectionError, match="进展反馈由"):
            service.submit_feedback(s, settings, _user(s, "director"), co.id, "领导不报送进展")


def _closed(s, settings, registered: date, reported: date, deadline: date):
    item = _register(s, settings, content=f"事项{registered}{deadline}", schedule="none", registered_on=registered,
                     deadline=deadline, today=registered)
    service.submit_closing(s, settings, _user(s, "lz_staff"), item.id, "完成", now=calendar.day_start(reported)
                           + timedelta(hours=10))
    service.judge(s, settings, _user(s, "clerk"), item.id, accept=True)
    return item


def test_quarterly_bulletin_counts_per_unit_and_year_figures(settings, db):
    with db.session(write_lock=True) as s:
        lz = _dept(s, "LZC").id
        _closed(s, settings, date(2026, 1, 5), date(2026, 2, 10), date(2026, 2, 27))  # Q1: on time
        _closed(s, settings, date(2026, 1, 5), date(2026, 4, 10), date(2026, 3, 20))  # overdue Q1, closed late Q2
        _register(s, settings, content="未办结", schedule="none", registered_on=date(2026, 2, 2),
                  deadline=date(2026, 3, 10), today=date(2026, 2, 2))  # overdue in Q1, still open
        _register(s, settings, content="按周反馈", schedule="weekly", registered_on=date(2026, 3, 2),
                  deadline=date(2026, 3, 31), today=date(2026, 3, 2))  # its weekly reports never came
        q1 = report.figures(s, settings, *report.quarter_bounds(2026, 1), today=date(2026, 6, 1))[lz]
        assert (q1.items, q1.on_time, q1.overdue, q1.closed) == (4, 1, 3, 1)
        assert q1.missed_reports == 4  # 6, 13, 20, 27 March
        q2 = report.figures(s, settings, *report.quarter_bounds(2026, 2), today=date(2026, 6, 1))[lz]
        assert (q2.items, q2.on_time, q2.overdue, q2.closed) == (3, 0, 0, 1)
        year = year_figures(s, settings, 2026)
        assert year[lz]["items"] == 4 and year[lz]["closed"] == 2 and year[lz]["on_time"] == 1
        assert year[lz]["overdue"] == 3
        assert year[_dept(s, "ZLC").id] == {"items": 0, "on_time": 0, "overdue": 0, "closed": 0}
        rows = report.lines(s, settings, 2026, 1, today=date(2026, 6, 1))
        xlsx = report.to_xlsx(rows, 2026, 1, ["单位", "督办事项", "按期办结", "逾期", "办结", "逾期未反馈", "率"])
        assert xlsx[:2] == b"PK"
        docx = report.to_docx(rows, 2026, 1, office_name="办公室", today=date(2026, 4, 2))
        from io import BytesIO

        from docx import Document as WordDocument

        text = "\n".join(p.text for p in WordDocument(BytesIO(docx)).paragraphs)
        assert "2026年第1季度督查督办事项办理情况的通报" in text and "林政资源管理处" in text


def test_the_demo_is_believable_and_idempotent(settings, db):
    with db.session(write_lock=True) as s:
        assert demo.seed(s, settings) == 10
        assert demo.seed(s, settings) == 0
        items = list(s.scalars(select(InspectionItem)))
        states = {i.state for i in items}
        assert {"in_progress", "closed"} <= states
        office = _user(s, "clerk")
        assert any(r.overdue for r in service.items_for(s, settings, office))
        assert {i.source_kind for i in items} == {"instruction", "meeting", "plan", "manual"}
        assert len({i.lead_department_id for i in items}) >= 5  # more than two units in the 通报


def test_the_worker_job_marks_overdue_reports_once(settings, db):
    from intranet.worker import default_jobs

    with db.session(write_lock=True) as s:
        today = calendar.local_today()
        _register(s, settings, schedule="weekly", registered_on=today - timedelta(days=16),
                  deadline=today + timedelta(days=30), today=today)
        s.commit()
    jobs, _services = default_jobs(settings, db)
    job = next(j for j in jobs if j.name == "inspection")
    assert job.run() == 1 and job.run() == 0
    with db.session() as s:
        assert s.scalar(select(func.count(InspectionOverdueMark.id))) == 1
