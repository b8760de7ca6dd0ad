"""One visibility rule for a classified document (issue 16 §5), walked over HTTP: a 机密 document on its route,
overdue, numbered, registered, filed, printed and notified, and every list, count, notification, export and
page that could show its title is fetched by people below its 密级 (a staff member, the office clerk, a
department head standing in as proxy, the 文印室 operator): none of them gets the title. People cleared for
it see it (so the walk is not vacuous)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from core.models import PrintJob
from core.models.base import utcnow
from core.models.documents import Document, FilingRecord, NumberEntry
from documents import drafting, ledger, proxy
from documents.drafting import DraftFields
from documents.proxy import GrantRequest
from supervision import jobs
from tests.support.bureau import Docs, People

TITLE = "关于边境林区机密部署的请示"
INCOMING = "省厅关于机密防火部署的来文"


def _setup(db, settings) -> int:
    docs = Docs(db, settings)
    today = date.today()
    with db.session(write_lock=True) as s:
        p = People(s)  # office_head (机密) goes on leave; lz_head (秘密) stands in for her
        proxy.create(s, p.office_head, GrantRequest(p.office_head, p.lz_head, today - timedelta(days=1),
                                                    today + timedelta(days=2), move_existing=True))
    doc_id = docs.draft("deputy", title=TITLE, classification=3, deadline=today - timedelta(days=20))
    docs.submit(doc_id, "deputy")
    year = ledger.local_year()
    with db.session(write_lock=True) as s:
        p = People(s)
        incoming = drafting.create_document(s, p.clerk, kind="incoming", fields=DraftFields(
            title=INCOMING, classification=2, source_organ="省林业厅", source_number="川林密〔2026〕3号",
            received_on=today))
        incoming.classification = 3  # the 来文 bears 机密: above the clerk who registered it
        s.add(NumberEntry(code="示林发", year=year, serial=901, number=f"示林发〔{year}〕901号", document_id=doc_id,
                          issued_by_id=p.clerk.id, issued_at=datetime.now(UTC)))
        s.add(FilingRecord(document_id=incoming.id, archive_number=f"J001-WS·{year}-D30-BGS-0901", fonds="J001",
                           category="WS", year=year, retention="D30", department_code="BGS", piece=901,
                           title=INCOMING, responsible="省林业厅", classification=3, folder="BGS/x",
                           filed_by_id=p.clerk.id))
        s.add(PrintJob(uuid="walk-job", user_id=p.deputy.id, username="deputy", department_id=p.deputy.department_id,
                       title=TITLE, source_kind="document", source_ref="x", original_path="x", classification=3,
                       media="A4", color=False, quality="normal", copies=1, page_ranges="", prefer_central=False,
                       state="held", attempts=0, held=True, tier="central", queue="wys-room-1", created_at=utcnow()))
        jobs.overdue_digest(s, settings)  # the 督办 digest, as the worker sends it
    return doc_id


def _pages(year: int, doc_id: int) -> list[str]:
    q = "机密部署"
    return [
        "/", "/documents/", "/documents/handled", "/documents/mine", f"/documents/?q={q}", f"/documents/mine?q={q}",
        "/notifications/", "/supervision/", "/supervision/overdue", "/supervision/mine", "/supervision/export.csv",
        f"/documents/register?year={year}", f"/documents/register?year={year}&format=csv",
        f"/documents/register?year={year}&format=xlsx", f"/documents/register/incoming?year={year}",
        f"/documents/register/incoming?year={year}&format=csv", f"/documents/register/incoming?year={year}&format=xlsx",
        f"/documents/catalogue?year={year}", f"/documents/catalogue?year={year}&format=csv",
        f"/documents/catalogue?year={year}&format=xlsx", "/printing/", "/printing/jobs", "/printing/console",
        "/circulation/", "/circulation/new", f"/search/?q={q}", "/proxy/", f"/documents/{doc_id}",
        f"/documents/{doc_id}/sheet.pdf",
    ]


def _shown(client, url: str) -> tuple[int, bool]:
    resp = client.get(url)
    body = resp.get_data()
    resp.close()
    if url.endswith("xlsx"):
        import io
        import zipfile

        if body[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(body)) as book:
                body = b"".join(book.read(n) for n in book.namelist())
    return resp.status_code, any(t.encode() in body for t in (TITLE, INCOMING))


def test_no_list_count_notification_export_or_page_shows_a_classified_title_below_its_level(
        db, settings, client, auth):
    doc_id = _setup(db, settings)
    year = ledger.local_year()
    leaks = []
    for username in ("lz_staff", "clerk", "lz_head", "printroom"):
        auth.login(username)
        for url in _pages(year, doc_id):
            status, shown = _shown(client, url)
            assert status < 500, (username, url, status)
            if shown:
                leaks.append((username, url))
        auth.logout()
    assert leaks == [], "\n".join(map(str, leaks))
    # Not vacuous: the person cleared for it, who holds it, sees it where she looks.
    auth.login("office_head")
    assert _shown(client, "/supervision/mine")[1] and _shown(client, "/notifications/")[1]
    with db.session() as s:
        assert s.get(Document, doc_id).classification == 3
        assert s.scalar(select(PrintJob.title).where(PrintJob.uuid == "walk-job")) == TITLE
