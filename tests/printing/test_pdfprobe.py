"""Page counting of uploaded PDFs in a limited child process: facts, damaged, encrypted, too slow."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from core.models import PrintJob
from intranet import create_app
from printing import pdfprobe
from printing.documents import DocumentError
from printing.service import jobs_dir
from tests.printing.jobs import A3_SIZE, make_pdf, post_print
from tests.support.app import AuthActions


def test_probe_reads_pages_and_the_largest_paper(tmp_path):
    path = tmp_path / "图纸.pdf"
    writer = PdfWriter()
    for data in (make_pdf(2), make_pdf(1, A3_SIZE)):
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    writer.write(path)
    info = pdfprobe.probe(path, timeout=30, memory_mb=768)
    assert info.pages == 3 and info.media == "A3" and info.sizes_mm[0] == (210.0, 297.0)


def test_probe_explains_damaged_and_encrypted_files(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    with pytest.raises(DocumentError, match="无法读取该 PDF 文件"):
        pdfprobe.probe(broken, timeout=30, memory_mb=768)
    locked = tmp_path / "locked.pdf"
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt("secret-open-password")
    writer.write(locked)
    with pytest.raises(DocumentError, match="设有打开密码"):
        pdfprobe.probe(locked, timeout=30, memory_mb=768)


def test_a_pdf_too_slow_to_read_is_refused_in_the_page_and_nothing_is_queued(settings, db):
    slow = dataclasses.replace(settings, printing=dataclasses.replace(settings.printing,
                                                                      pdf_probe_timeout_seconds=0.001))
    app = create_app(slow, db=db)
    app.config.update(TESTING=True)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("lz_staff")
    html = post_print(client, auth, make_pdf(1)).get_data(as_text=True)
    assert "读取超过 0.001 秒仍未完成" in html and "请重新导出 PDF 后再试" in html
    with db.session() as s:
        assert s.scalar(select(func.count(PrintJob.id))) == 0
    assert not any(path.is_file() for path in jobs_dir(slow).rglob("*"))  # the upload is not left behind
