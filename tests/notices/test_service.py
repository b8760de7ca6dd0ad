"""通知公告 and 公示: who publishes to whom, who sees what, receipts, objections only in the period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import calendar, org
from core.models.supervision import Notification
from notices import service
from notices.service import Audience, NoticeDraft, NoticeError


def _user(s, name):
    return org.user_by_username(s, name)


def test_the_office_publishes_to_everyone_and_everyone_is_told(settings, db):
    with db.session(write_lock=True) as s:
        notice = service.publish(s, settings, _user(s, "clerk"), NoticeDraft(
            title="关于2026年元旦放假的通知", body="元旦放假1天。", pinned=True))
        s.commit()
        everyone = [u for u in s.scalars(select(org.User).where(org.User.active.is_(True)))]
        for person in everyone:
            assert notice in service.for_user(s, settings, person)
        told = set(s.scalars(select(Notification.user_id).where(Notification.kind == "notice")))
        assert told == {u.id for u in everyone} - {_user(s, "clerk").id}


def test_a_department_head_publishes_to_their_own_department_only(settings, db):
    with db.session(write_lock=True) as s:
        head = _user(s, "lz_head")
        own = service.publish(s, settings, head, NoticeDraft(title="处室例会", audience=Audience(departments=("LZC",))))
        assert own in service.for_user(s, settings, _user(s, "lz_staff"))
        assert own not in service.for_user(s, settings, _user(s, "zl_staff"))
        with pytest.raises(NoticeError) as refused:
            service.publish(s, settings, head, NoticeDraft(title="全局通知"))
        assert "交办公室发布" in str(refused.value)
        with pytest.raises(NoticeError, match="没有发布通知的权限"):
            service.publish(s, settings, _user(s, "lz_staff"), NoticeDraft(title="我的通知"))
        leaders = service.publish(s, settings, _user(s, "office_head"), NoticeDraft(
            title="局领导碰头会", audience=Audience(roles=("leader",))))
        assert leaders in service.for_user(s, settings, _user(s, "director"))
        assert leaders not in service.for_user(s, settings, _user(s, "lz_staff"))
        with pytest.raises(NoticeError) as many:
            service.publish(s, settings, _user(s, "clerk"), NoticeDraft(title="", audience=Audience()))
        assert len(many.value.problems) == 2  # every problem at once: the title and the audience


def test_scheduled_and_expired_notices_are_not_listed(settings, db):
    now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    with db.session(write_lock=True) as s:
        clerk, staff = _user(s, "clerk"), _user(s, "lz_staff")
        later = service.publish(s, settings, clerk, NoticeDraft(title="下周的通知", publish_at=now + timedelta(days=3)),
                                now=now)
        old = service.publish(s, settings, clerk, NoticeDraft(title="过期的通知", publish_at=now - timedelta(days=9),
                                                               expire_at=now - timedelta(days=1)), now=now)
        listed = service.for_user(s, settings, staff, now=now)
        assert later not in listed and old not in listed
        assert later in service.for_user(s, settings, staff, now=now + timedelta(days=4))
        assert service.can_see(settings, later, clerk, now=now)  # the publisher always sees it
        assert service.for_user(s, settings, staff, query="下周", now=now + timedelta(days=4)) == [later]


def test_receipts_and_reminding_those_who_have_not_read(settings, db):
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        notice = service.publish(s, settings, clerk,
                                 NoticeDraft(title="林政处通知", audience=Audience(departments=("LZC",))))
        assert service.mark_read(s, notice, _user(s, "lz_staff")) is True
        assert service.mark_read(s, notice, _user(s, "lz_staff")) is False
        who = service.readers(s, notice)
        assert [u.username for u, _at in who.read] == ["lz_staff"]
        assert "lz_head" in [u.username for u in who.unread]
        before = s.scalar(select(Notification.id).order_by(Notification.id.desc()))
        assert service.remind_unread(s, settings, clerk, notice.id) == len(who.unread)
        reminded = set(s.scalars(select(Notification.user_id).where(Notification.id > before)))
        assert reminded == {u.id for u in who.unread}
        with pytest.raises(NoticeError, match="只有发布人或办公室"):
            service.remind_unread(s, settings, _user(s, "lz_head"), notice.id)


def test_a_publicity_period_runs_on_working_days_and_takes_objections_only_inside_it(settings, db):
    # Published on Wednesday 30 September 2026: the National Day holiday (1-7 October) is not counted,
    # Saturday 10 October is a 调休 working day. Five working days: 30/9, 8/10, 9/10, 10/10, 12/10.
    published = datetime(2026, 9, 30, 1, 0, tzinfo=UTC)
    with db.session(write_lock=True) as s:
        notice = service.publish(s, settings, _user(s, "office_head"), NoticeDraft(
            title="关于拟推荐优秀公务员人选的公示", kind="publicity", period_workdays=5, publish_at=published),
            now=published)
        assert (notice.period_start, notice.period_end) == (date(2026, 9, 30), date(2026, 10, 12))
        staff = _user(s, "lz_staff")
        service.send_objection(s, settings, staff, notice.id, "有不同意见", anonymous=True, today=date(2026, 10, 12))
        with pytest.raises(NoticeError, match="已于 2026-10-12 结束"):
            service.send_objection(s, settings, staff, notice.id, "太晚了", today=date(2026, 10, 13))
        # Anonymous to the publisher's peers and other staff; named to the office.
        seen_by_office = service.objections(s, settings, notice, _user(s, "clerk"))
        assert [v.sender.username for v in seen_by_office] == ["lz_staff"]
        assert service.objections(s, settings, notice, _user(s, "zl_staff")) == []
        with pytest.raises(NoticeError, match="期满后"):
            service.close(s, settings, _user(s, "clerk"), notice.id, "无异议", today=date(2026, 10, 12))
        service.handle_objection(s, settings, _user(s, "clerk"), seen_by_office[0].objection.id, "已核实，情况属实。")
        service.close(s, settings, _user(s, "clerk"), notice.id, "公示期满，无影响推荐的问题。",
                      today=date(2026, 10, 13))
        relpath = service.file_to_archive(s, settings, _user(s, "clerk"), notice.id)
        text = (settings.archive_dir / relpath).read_text(encoding="utf-8")
        assert relpath.startswith("BGS/2026/公示-") and "（匿名）" in text and "已核实" in text and "无影响推荐" in text
        with pytest.raises(NoticeError, match="已归档"):
            service.file_to_archive(s, settings, _user(s, "clerk"), notice.id)


def test_a_publicity_published_on_a_holiday_starts_on_the_next_working_day():
    cal = calendar.WorkCalendar(exceptions={date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True})
    assert service.period(cal, date(2026, 10, 3), 3) == (date(2026, 10, 8), date(2026, 10, 10))


def test_a_scheduled_notice_is_announced_when_its_time_comes(settings, db):
    now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    with db.session(write_lock=True) as s:
        notice = service.publish(s, settings, _user(s, "clerk"), NoticeDraft(
            title="下周一的停电通知", publish_at=now + timedelta(days=2)), now=now)
        s.commit()
        assert not s.scalars(select(Notification).where(Notification.kind == "notice")).all()
        assert service.announce_due(s, now=now + timedelta(days=1)) == 0
        assert service.announce_due(s, now=now + timedelta(days=2, minutes=1)) == 1
        told = s.scalars(select(Notification).where(Notification.kind == "notice")).all()
        assert told and all("下周一的停电通知" in n.title for n in told) and notice.announced_at is not None
        assert service.announce_due(s, now=now + timedelta(days=3)) == 0  # once
