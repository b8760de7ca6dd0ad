"""Default deadlines from urgency, overdue / due-soon lists, 催办 and escalation to the head."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from config import Settings
from core import calendar, org
from core.db import Database
from core.models.documents import Document
from core.models.supervision import Notification, Reminder
from documents import engine
from documents.due import default_deadline
from supervision import deadlines
from supervision.errors import NotFound, SupervisionError
from tests.support.bureau import Docs, People, at


def test_default_deadline_by_urgency(db: Database, settings: Settings) -> None:
    cfg = settings.supervision
    with db.session() as s:
        cal = calendar.load(s)
    assert default_deadline(cfg, cal, "very_urgent", date(2026, 9, 30)) == date(2026, 10, 8)
    assert default_deadline(cfg, cal, "urgent", date(2026, 10, 9)) == date(2026, 10, 13)
    assert default_deadline(cfg, cal, "normal", date(2026, 9, 18)) == date(2026, 10, 9)


def _returned_to_drafter(db: Database, settings: Settings, docs: Docs, **fields) -> int:
    doc_id = docs.to_head(**fields)
    aid = docs.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, People(s).lz_head, aid, reasons=["请补充依据"])
    return doc_id


def test_overdue_and_due_soon_lists(db: Database, settings: Settings, docs: Docs) -> None:
    cfg = settings.supervision
    late = docs.to_head(title="逾期的文件", deadline=date(2026, 11, 2))
    soon = docs.to_head(title="即将到期的文件", deadline=date(2026, 11, 27))
    fine = docs.to_head(title="期限宽裕的文件", deadline=date(2026, 12, 31))
    today = date(2026, 11, 25)
    with db.session() as s:
        cal = calendar.load(s)
        items = deadlines.open_items(s, cfg, cal, today=today)
        by_id = {i.document.id: i for i in items}
        assert by_id[late].overdue and by_id[late].overdue_days == cal.workdays_between(date(2026, 11, 2), today)
        assert [i.document.id for i in deadlines.overdue(items)] == [late]
        assert [i.document.id for i in deadlines.due_soon(items, cfg)] == [soon]
        assert not by_id[fine].overdue
        assert [u.username for u in by_id[late].holders] == ["lz_head"]
        p = People(s)
        mine = deadlines.open_items(s, cfg, cal, today=today, holder=p.lz_head)
        assert {i.document.id for i in mine} == {late, soon, fine}
        assert deadlines.open_items(s, cfg, cal, today=today, holder=p.zl_head) == []
        lzc = p.lz_head.department_id
        assert len(deadlines.open_items(s, cfg, cal, today=today, department_id=lzc)) == 3


def test_default_deadline_applies_without_one(db: Database, settings: Settings, docs: Docs) -> None:
    doc_id = docs.to_head(title="特急件", urgency="very_urgent")
    with db.session() as s:
        cal = calendar.load(s)
        doc = s.get(Document, doc_id)
        sub = deadlines.submitted_at(s, [doc_id])[doc_id]
        due = deadlines.effective_deadline(settings.supervision, cal, doc, sub)
        assert due == cal.add_workdays(calendar.local_date(sub), 1)


def test_reminders_escalate_to_the_head(db: Database, settings: Settings, docs: Docs) -> None:
    cfg = settings.supervision
    assert cfg.escalate_after_reminders == 3
    doc_id = _returned_to_drafter(db, settings, docs, deadline=date(2026, 11, 2))
    t0 = at(date(2026, 11, 25), 9)
    with db.session() as s:
        p = People(s)
        with pytest.raises(NotFound):
            deadlines.remind(s, cfg, p.zl_staff, doc_id, p.lz_staff.id, now=t0)  # not theirs to chase
        with pytest.raises(SupervisionError, match="没有待办理"):
            deadlines.remind(s, cfg, p.clerk, doc_id, p.lz_head.id, now=t0)
        first = deadlines.remind(s, cfg, p.clerk, doc_id, p.lz_staff.id, note="请今天改完", now=t0)
        assert (first.count, first.escalated_to) == (1, [])
        with pytest.raises(SupervisionError, match="分钟后再催"):
            deadlines.remind(s, cfg, p.clerk, doc_id, p.lz_staff.id, now=t0 + timedelta(minutes=5))
        deadlines.remind(s, cfg, p.clerk, doc_id, p.lz_staff.id, now=t0 + timedelta(hours=1))
        third = deadlines.remind(s, cfg, p.clerk, doc_id, p.lz_staff.id, now=t0 + timedelta(hours=2))
        assert third.count == 3 and [u.username for u in third.escalated_to] == ["lz_head"]
    with db.session() as s:
        p = People(s)
        record = deadlines.reminders_of(s, doc_id)
        assert [(r.by.username, r.target.username) for r in record] == [("clerk", "lz_staff")] * 3
        assert record[2].escalated_to_id == p.lz_head.id and record[0].note == "请今天改完"
        kinds = [(n.kind, n.user_id) for n in s.scalars(select(Notification).where(
            Notification.document_id == doc_id, Notification.kind.in_(["reminder", "escalation"])))]
        assert kinds.count(("reminder", p.lz_staff.id)) == 3
        assert kinds.count(("escalation", p.lz_head.id)) == 1
        items = deadlines.open_items(s, cfg, calendar.load(s), today=date(2026, 11, 25))
        assert next(i for i in items if i.document.id == doc_id).reminders == 3
        assert s.scalar(select(Reminder.id).where(Reminder.document_id == doc_id, Reminder.escalated_to_id.is_(None)))


def test_head_without_head_escalates_to_leaders(db: Database) -> None:
    with db.session() as s:
        p = People(s)
        assert sorted(u.username for u in org.heads_of(s, p.lz_head)) == ["deputy", "director"]
        assert [u.username for u in org.heads_of(s, p.zl_staff)] == ["zl_head"]
