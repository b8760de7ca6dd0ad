"""The 套红 version is made by the worker after 编号 (never in the request), offered on the document
page once it exists, remade when the frozen content changes, and a failure says why with 重试."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from documents import formal
from tests.support.bureau import numbered_document, page

pytestmark = pytest.mark.slow


def test_numbering_queues_the_formal_version_and_the_worker_makes_it(flow, db, settings, client, auth):
    doc_id = numbered_document(flow, db, settings, word=True)
    number = flow.doc(doc_id).doc_number
    assert (formal.folder(settings.files_dir) / "queue" / str(doc_id)).exists()
    auth.login("lz_staff")
    assert "正在按 GB/T 9704 排版" in page(client, doc_id)
    assert client.get(f"/documents/{doc_id}/formal.pdf").status_code == 404
    assert formal.generate_pending(settings, db) == 1  # the worker's job
    html = page(client, doc_id)
    assert f"/documents/{doc_id}/formal.pdf" in html and f"/documents/{doc_id}/formal.docx" in html
    pdf = client.get(f"/documents/{doc_id}/formal.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(pdf.data)).pages)
    assert "示范市林业局文件" in text and number.replace(" ", "") in text.replace(" ", "") and "古树名木普查" in text
    pdf.close()
    docx = client.get(f"/documents/{doc_id}/formal.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    docx.close()


def test_a_pdf_main_text_fails_with_the_reason_and_retry_asks_again(flow, db, settings, client, auth):
    doc_id = numbered_document(flow, db, settings, word=False)
    formal.generate_pending(settings, db)
    auth.login("lz_staff")
    html = page(client, doc_id)
    assert "生成失败" in html and "正文不是 Word 文件" in html
    resp = client.post(f"/documents/{doc_id}/formal/retry", data={"csrf_token": auth.csrf(f"/documents/{doc_id}")},
                       follow_redirects=True)
    assert "已重新排队" in resp.get_data(as_text=True)
    assert (formal.folder(settings.files_dir) / "queue" / str(doc_id)).exists()


def test_the_formal_version_is_printed_and_filed(flow, db, settings, client, auth):
    from sqlalchemy import select

    from core.models.documents import FilingRecord
    from core.models.printing import PrintJob

    doc_id = numbered_document(flow, db, settings, word=True)
    auth.login("lz_staff")
    assert client.get(f"/documents/{doc_id}/files/0/print").status_code == 404  # not made yet
    formal.generate_pending(settings, db)
    assert 'id="print-formal"' in page(client, doc_id)
    estimate = client.get(f"/documents/{doc_id}/files/0/print").get_data(as_text=True)
    assert 'id="print-destination"' in estimate
    url = f"/documents/{doc_id}/files/0/print"
    resp = client.post(url, data={"csrf_token": auth.csrf(url), "copies": "2"}, follow_redirects=True)
    assert "已提交打印" in resp.get_data(as_text=True)
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.copies == 2 and job.source_kind == "document"
    flow.approve(doc_id, "clerk")  # 分发
    flow.approve(doc_id, "clerk", retention="D30")  # 归档
    with db.session() as s:
        folder = settings.archive_dir / s.scalar(select(FilingRecord.folder).where(FilingRecord.document_id == doc_id))
    names = sorted(p.name for p in folder.iterdir())
    assert any(n.startswith("正本-示林发〔") and n.endswith(".pdf") for n in names), names
