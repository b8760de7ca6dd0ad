"""传阅: receipts 待阅 / 已阅, adding recipients, passing on, recall, reminders, clearance."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from circulation import service as circulation
from circulation.errors import CirculationError, NotFound
from circulation.service import Recipients
from core.db import Database
from core.models.documents import ReadReceipt
from core.models.files import ArchiveFile
from core.models.supervision import Notification, Reminder
from documents import visibility
from tests.support.bureau import Docs, People


def test_receipts_read_and_recall(db: Database, docs: Docs) -> None:
    doc_id = docs.draft("lz_head", title="关于加强林地保护的通知")
    with db.session() as s:
        p = People(s)
        doc = visibility.get_document(s, doc_id, p.lz_head)
        circ = circulation.send(s, p.lz_head, document=doc, note="请各位阅知",
                                recipients=Recipients(usernames=["zl_head"], department_codes=["LZC"]))
        cid = circ.id
    with db.session() as s:
        p = People(s)
        st = circulation.status(s, circulation.get_for(s, p.lz_head, cid)[0])
        assert sorted(r.user.username for r in st.unread) == ["lz_staff", "zl_head"]  # the sender is left out
        assert circulation.unread_count(s, p.lz_staff) == 1
        # The recipient may now open the document page (routing's visibility reads the read receipt).
        assert visibility.can_view(s, visibility.get_document(s, doc_id, p.lz_head), p.lz_staff)
        # Notified in-app.
        note = s.scalar(select(Notification).where(Notification.user_id == p.lz_staff.id))
        assert note is not None and note.kind == "circulation" and note.link == f"/circulation/{cid}"
        # Nobody else sees it.
        with pytest.raises(NotFound):
            circulation.get_for(s, p.zl_staff, cid)
        assert circulation.mark_read(s, p.lz_staff, cid) is True
        assert circulation.mark_read(s, p.lz_staff, cid) is False  # once
    with db.session() as s:
        p = People(s)
        st = circulation.status(s, circulation.get_for(s, p.lz_head, cid)[0])
        assert [r.user.username for r in st.read] == ["lz_staff"] and st.read[0].read_at is not None
        assert s.scalar(select(ReadReceipt.read_at).where(ReadReceipt.document_id == doc_id,
                                                          ReadReceipt.user_id == p.lz_staff.id)) is not None
        # Recall: the unread one goes, the read one stays.
        assert circulation.recall(s, p.lz_head, cid) == 1
        with pytest.raises(CirculationError, match="已阅的不能收回"):
            circulation.recall(s, p.lz_head, cid)
        with pytest.raises(NotFound):
            circulation.get_for(s, p.zl_head, cid)
        assert not visibility.can_view(s, visibility.get_document(s, doc_id, p.lz_head), p.zl_head)
        st = circulation.status(s, circulation.get_for(s, p.lz_head, cid)[0])
        assert [r.user.username for r in st.recalled] == ["zl_head"] and len(st.read) == 1
        rows = circulation.sent(s, p.lz_head)
        assert (rows[0].total, rows[0].read) == (1, 1)


def test_add_recipients_pass_on_and_remind(db: Database, docs: Docs) -> None:
    doc_id = docs.draft("office_head", title="关于节假日值班安排的通知")
    with db.session() as s:
        p = People(s)
        doc = visibility.get_document(s, doc_id, p.office_head)
        cid = circulation.send(s, p.office_head, document=doc, recipients=Recipients(usernames=["lz_head"])).id
        circulation.add_recipients(s, p.office_head, cid, Recipients(usernames=["zl_head"]))
        with pytest.raises(CirculationError, match="都已在传阅范围内"):
            circulation.add_recipients(s, p.office_head, cid, Recipients(usernames=["zl_head"]))
        with pytest.raises(NotFound, match="不是它的发起人"):  # the same answer as for a missing id
            circulation.add_recipients(s, p.lz_head, cid, Recipients(usernames=["clerk"]))
        # Passing on: only within one's own department.
        with pytest.raises(CirculationError, match="不在本部门"):
            circulation.pass_on(s, p.lz_head, cid, ["zl_staff"])
        made = circulation.pass_on(s, p.lz_head, cid, ["lz_staff"])
        assert [r.added_by.username for r in made] == ["lz_head"]
        assert circulation.remind_unread(s, p.office_head, cid, "今天下班前阅知") == 3
        assert s.scalar(select(Reminder).where(Reminder.circulation_id == cid,
                                               Reminder.target_id == p.lz_staff.id)).by_id == p.office_head.id
        reminded = s.scalars(select(Notification).where(Notification.kind == "reminder")).all()
        assert {n.user_id for n in reminded} == {p.lz_head.id, p.zl_head.id, p.lz_staff.id}


def test_pass_on_not_allowed_and_clearance(db: Database, docs: Docs) -> None:
    doc_id = docs.draft("lz_head", title="涉密：林权改革方案", classification=2)
    with db.session() as s:
        p = People(s)
        doc = visibility.get_document(s, doc_id, p.lz_head)
        with pytest.raises(CirculationError, match="涉密等级低于") as info:
            circulation.send(s, p.lz_head, document=doc, recipients=Recipients(usernames=["lz_staff", "nobody"]))
        assert len(info.value.problems) == 2  # every problem at once
        cid = circulation.send(s, p.lz_head, document=doc, allow_pass_on=False,
                               recipients=Recipients(usernames=["zl_head"])).id
        with pytest.raises(CirculationError, match="未允许转传"):
            circulation.pass_on(s, p.zl_head, cid, ["zl_staff"])


def test_archive_file_circulation(db: Database) -> None:
    with db.session() as s:
        p = People(s)
        f = ArchiveFile(relpath="BGS/2024/值班表.txt", name="值班表.txt", title="2024年值班表", kind="txt",
                        department_id=p.office_head.department_id, classification=0)
        s.add(f)
        s.flush()
        cid = circulation.send(s, p.office_head, archive_file=f, recipients=Recipients(department_codes=["ZLC"])).id
    with db.session() as s:
        p = People(s)
        circ, receipt = circulation.get_for(s, p.zl_staff, cid)
        assert circ.archive_file_id is not None and circ.title == "2024年值班表"
        assert receipt is not None and receipt.via_department is not None and receipt.via_department.code == "ZLC"
        assert [c.id for c, _r in circulation.inbox(s, p.zl_staff, unread_only=True)] == [cid]
