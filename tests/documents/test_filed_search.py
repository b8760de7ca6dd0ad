"""A filed 公文 in 档案检索: one hit for its 件 (正文, 附件, 处理单), linked to the document page; filters by
文号, 档号, date and outcome (issue 11 §4)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import org
from core.models.base import BUREAU_ZONE, utcnow
from core.models.documents import FilingRecord
from documents import engine, filing
from library import search, service
from library.records import attach_record_metadata
from tests.library import corpus


def test_a_filed_document_is_one_hit_with_filters(flow, db, settings):
    doc_id = flow.draft(title="关于松材线虫病疫情防控的报告")
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        doc.doc_number = "示林发〔2026〕7号"
        record = filing.file_document(s, settings, doc, org.user_by_username(s, "clerk"), retention="D30",
                                      attach=attach_record_metadata)
        number, folder = record.archive_number, record.folder
        s.commit()
    corpus.write_txt(settings.archive_dir / "LZC" / "2026" / "松材线虫病普查表.txt", "松材线虫病疫情防控普查")
    service.rebuild(settings, db)
    with db.session() as s:
        user = org.user_by_username(s, "archivist")
        result = search.search(s, settings, user, "松材线虫病疫情防控")
        filed = [h for h in result.hits if h.document_id == doc_id]
        assert len(filed) == 1, [(h.file.relpath, h.document_id) for h in result.hits]
        assert filed[0].doc_number == "示林发〔2026〕7号" and filed[0].related  # 处理单 and 正文 folded into it
        assert {f.archive_number for f in [filed[0].file, *filed[0].related]} == {number}
        others = [h for h in result.hits if h.document_id is None]
        assert [h.file.name for h in others] == ["松材线虫病普查表.txt"]
        assert result.total == 2 and result.pages == 1  # the 件 counts once, before paging
        one_per_page = search.search(s, settings, user, "松材线虫病疫情防控", per_page=1)
        assert one_per_page.total == 2 and one_per_page.pages == 2 and len(one_per_page.hits) == 1
        second = search.search(s, settings, user, "松材线虫病疫情防控", per_page=1, page=2)
        assert {h.document_id for h in [*one_per_page.hits, *second.hits]} == {doc_id, None}  # not split over pages

        by_number = search.search(s, settings, user, "松材线虫病", filters=search.Filters(doc_number="〔2026〕7"))
        assert [h.document_id for h in by_number.hits] == [doc_id]
        by_archive = search.search(s, settings, user, "松材线虫病", filters=search.Filters(archive_number=number[-8:]))
        assert [h.document_id for h in by_archive.hits] == [doc_id]
        txt_only = search.search(s, settings, user, "松材线虫病", filters=search.Filters(kind="txt"))
        assert [h.file.name for h in txt_only.hits] == ["松材线虫病普查表.txt"]
        today = utcnow().astimezone(BUREAU_ZONE).date()
        assert search.search(s, settings, user, "松材线虫病",
                             filters=search.Filters(date_to=today - timedelta(days=400))).total == 0
        assert search.search(s, settings, user, "松材线虫病",
                             filters=search.Filters(date_from=today - timedelta(days=1), date_to=today)).total == 2
        assert search.search(s, settings, user, "松材线虫病",
                             filters=search.Filters(outcome="damaged")).total == 0
        assert s.scalar(select(FilingRecord.folder).where(FilingRecord.document_id == doc_id)) == folder


def test_search_page_filters_and_document_link(flow, db, settings, client, auth):
    doc_id = flow.draft(title="关于湿地公园建设的请示")
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        filing.file_document(s, settings, doc, org.user_by_username(s, "clerk"), retention="D10",
                             attach=attach_record_metadata)
        s.commit()
    service.rebuild(settings, db)
    auth.login("archivist")
    page = client.get("/search/?q=湿地公园建设&wh=&dh=&from=&to=&outcome=").get_data(as_text=True)
    assert f'/documents/{doc_id}"' in page and "归档公文" in page
    assert client.get("/search/?q=湿地&from=not-a-date&outcome=<script>").status_code == 200


def test_a_recipient_in_another_department_opens_searches_and_prints_the_filed_copy(flow, db, settings, client, auth):
    """Issue 12 §1: distributed to 造林绿化处, filed under 林政资源管理处's folder, still theirs to read."""
    from core.models.documents import ReadReceipt
    from core.models.files import ArchiveFile
    from core.models.printing import PrintJob

    doc_id = flow.draft(title="关于古树名木保护的通知")
    other_id = flow.draft(title="关于古树名木普查的内部请示")  # filed too, but never sent to 造林绿化处
    with db.session(write_lock=True) as s:
        clerk = org.user_by_username(s, "clerk")
        for did in (doc_id, other_id):
            filing.file_document(s, settings, s.get(engine.Document, did), clerk, retention="D30",
                                 attach=attach_record_metadata)
        s.add(ReadReceipt(document_id=doc_id, user_id=org.user_by_username(s, "zl_staff").id, source="distribute"))
        s.commit()
    service.rebuild(settings, db)
    with db.session() as s:
        zl_staff = org.user_by_username(s, "zl_staff")
        hits = search.search(s, settings, zl_staff, "古树名木").hits
        assert [h.document_id for h in hits] == [doc_id]  # the received one only
        filed = s.scalars(select(ArchiveFile).where(ArchiveFile.title.like("%古树名木保护%"))).all()
        assert filed and all(f.department_id != zl_staff.department_id for f in filed)
        other = s.scalars(select(ArchiveFile).where(ArchiveFile.title.like("%普查%"))).first()
        one = filed[0]
    auth.login("zl_staff")
    assert client.get(f"/search/files/{one.id}").status_code == 200
    assert client.get(f"/search/files/{other.id}").status_code == 404  # not received: not visible
    resp = client.post("/printing/", data={"csrf_token": auth.csrf("/printing/"), "archive_file": str(one.id),
                                           "copies": "1", "media": "auto", "quality": "normal"})
    assert resp.status_code == 302
    with db.session() as s:
        job = s.scalar(select(PrintJob).where(PrintJob.username == "zl_staff"))
        assert job is not None and "古树名木保护" in job.title
