"""One visibility rule for a classified document (issue 16 §5): lists, 催办, proxies, notices and the 文印室
console never carry a title above the person's clearance."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.models import PrintJob
from core.models.base import utcnow
from core.models.supervision import Notification
from documents import lists, proxy
from documents.proxy import GrantRequest
from printing import service as printing
from tests.support.bureau import People

SECRET_TITLE = "关于边境林区机密部署的请示"


def _secret_overdue(docs, db) -> int:
    """A 机密 签报 by the deputy (clearance 3), waiting at 王秀英 (office_head, clearance 3), past its deadline."""
    doc_id = docs.draft("deputy", title=SECRET_TITLE, classification=3, deadline=date.today() - timedelta(days=20))
    docs.submit(doc_id, "deputy")
    assert docs.pending(doc_id) == ["office_head"]
    return doc_id


def test_classified_titles_stay_within_clearance(docs, db, settings, client, auth):
    today = date.today()
    with db.session(write_lock=True) as s:
        p = People(s)
        # office_head goes on leave; lz_head (clearance 2) stands in for her.
        proxy.create(s, p.office_head, GrantRequest(p.office_head, p.lz_head, today - timedelta(days=1),
                                                    today + timedelta(days=2), move_existing=True))
    doc_id = _secret_overdue(docs, db)
    with db.session() as s:
        p = People(s)
        # The proxy below its level never sees it in 待办, and was not told about it.
        assert all(row[0].id != doc_id for row in lists.inbox(s, p.lz_head).rows)
        assert s.scalar(select(Notification).where(Notification.user_id == p.lz_head.id,
                                                   Notification.document_id == doc_id)) is None
        assert s.scalar(select(Notification).where(Notification.user_id == p.office_head.id,
                                                   Notification.document_id == doc_id)) is not None
    # 督办 lists: the clerk (clearance 2) does not see the title; 王秀英's own list does.
    auth.login("clerk")
    assert SECRET_TITLE not in client.get("/supervision/overdue").get_data(as_text=True)
    token = auth.csrf("/supervision/overdue")
    with db.session() as s:
        target = People(s).office_head.id
    resp = client.post("/supervision/remind", data={"csrf_token": token, "document_id": str(doc_id),
                                                    "target_id": str(target), "note": ""}, follow_redirects=True)
    assert SECRET_TITLE not in resp.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(Notification).where(Notification.kind == "reminder",
                                                   Notification.document_id == doc_id)) is None
    auth.logout()
    auth.login("office_head")
    assert SECRET_TITLE in client.get("/supervision/mine").get_data(as_text=True)


def test_print_room_operator_below_the_level_neither_sees_nor_releases(db, settings, client, auth):
    with db.session(write_lock=True) as s:
        p = People(s)
        job = PrintJob(uuid="secret-job", user_id=p.deputy.id, username="deputy", department_id=p.deputy.department_id,
                       title=SECRET_TITLE, source_kind="document", source_ref="x", original_path="x",
                       classification=3, media="A4", color=False, quality="normal", copies=1, page_ranges="",
                       prefer_central=False, state="held", attempts=0, held=True, tier="central",
                       queue="wys-room-1", created_at=utcnow())
        s.add(job)
        s.flush()
        job_id = job.id
    auth.login("printroom")  # clearance 2
    assert SECRET_TITLE not in client.get("/printing/console").get_data(as_text=True)
    with db.session(write_lock=True) as s:
        try:
            printing.release(s, People(s).printroom, job_id)
            raise AssertionError("an operator below the level released a 机密 job")
        except printing.PrintError as exc:
            assert "没有这个打印作业" in str(exc)
        assert s.get(PrintJob, job_id).held is True


def test_registers_and_exports_hide_titles_above_clearance(docs, db, client, auth):
    from datetime import UTC, datetime

    from core.models.documents import NumberEntry
    from documents import ledger

    doc_id = _secret_overdue(docs, db)
    year = ledger.local_year()
    with db.session(write_lock=True) as s:
        s.add(NumberEntry(code="示林发", year=year, serial=900, number=f"示林发〔{year}〕900号", document_id=doc_id,
                          issued_by_id=People(s).clerk.id, issued_at=datetime.now(UTC)))
    auth.login("clerk")  # clearance 2: keeps the register, may not read a 机密 title
    page = client.get(f"/documents/register?year={year}").get_data(as_text=True)
    assert f"示林发〔{year}〕900号" in page and SECRET_TITLE not in page
    for fmt in ("csv", "xlsx"):
        resp = client.get(f"/documents/register?year={year}&format={fmt}")
        assert resp.status_code == 200 and SECRET_TITLE.encode() not in resp.data
        if fmt == "csv":
            assert f"示林发〔{year}〕900号" in resp.data.decode("utf-8-sig")


def test_due_marks_on_lists_and_page_and_a_reminder_from_the_page(docs, db, client, auth):
    """逾期 in words on 待办 and the document page; 催办 from the page; the drafter's 我的期限 counts it."""
    from datetime import date, timedelta

    from core.models.supervision import Reminder

    doc_id = docs.to_head(title="期限标记测试", deadline=date.today() - timedelta(days=15))
    auth.login("lz_head")
    listing = client.get("/documents/").get_data(as_text=True)
    row = listing[listing.index("期限标记测试"):][:600]
    assert 'data-due="overdue"' in row and "逾期" in row
    auth.logout()
    auth.login("lz_staff")  # the drafter
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="doc-due"' in page and "逾期" in page and "催办 刘志强" in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with db.session() as s:
        target = People(s).lz_head.id
    client.post("/supervision/remind", data={"csrf_token": token, "document_id": str(doc_id),
                                             "target_id": str(target), "back": f"/documents/{doc_id}"})
    with db.session() as s:
        assert s.scalar(select(Reminder).where(Reminder.document_id == doc_id)) is not None
    mine = client.get("/supervision/mine").get_data(as_text=True)
    assert "期限标记测试" in mine  # drafted by lz_staff, held by someone else: still in 我的期限
