"""Every kind of problem file ends in the right, visible outcome, and never stops the indexer."""

from __future__ import annotations

import dataclasses
import os
import random
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from core.models.files import ArchiveFile
from library import service
from library.sandbox import ExtractorPool
from tests.library import corpus
from tests.library.searching import hits

TEXT = "关于加强森林防火工作的通知\n各处室：为切实做好今冬明春森林防火工作，现将有关事项通知如下。"


def _encrypted_pdf(path: Path, password: str) -> None:
    corpus.write_pdf(path, TEXT)
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-256")
    with path.open("wb") as fh:
        writer.write(fh)


def _scanned_pdf(path: Path) -> None:
    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(50, 50, 400, 600, fill=1)  # an "image" only: no text layer
    c.showPage()
    c.save()


def test_problem_files_get_outcomes(isettings, db):
    settings = isettings.replace(indexer=dataclasses.replace(isettings.indexer, max_file_mb=1))
    root = settings.archive_dir / "BGS" / "2024"
    root.mkdir(parents=True)
    corpus.write_docx(root / "正常.docx", TEXT)
    corpus.write_pdf(root / "正常.pdf", TEXT)
    _encrypted_pdf(root / "加密.pdf", "secret")
    _encrypted_pdf(root / "仅限制打印.pdf", "")  # empty user password: readable
    (root / "加密.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4000))
    _scanned_pdf(root / "扫描件.pdf")
    good = (root / "正常.docx").read_bytes()
    (root / "截断.docx").write_bytes(good[: len(good) // 2])
    pdf = (root / "正常.pdf").read_bytes()
    (root / "截断.pdf").write_bytes(pdf[: len(pdf) // 3])
    corpus.write_docx(root / "空白.docx", "")
    (root / "零字节.txt").write_bytes(b"")
    (root / "零字节.pdf").write_bytes(b"")
    corpus.write_txt(root / "巨大.txt", TEXT * 9000)  # > 1 MB with max_file_mb = 1
    corpus.write_txt(root / "国标编码.txt", TEXT, "gb18030")
    corpus.write_txt(root / "繁体.txt", "關於加強森林資源保護與林業執法檢查的說明，請各處室認真落實。" * 5, "big5")
    (root / "UTF16.txt").write_bytes(TEXT.encode("utf-16"))
    (root / "乱码.txt").write_bytes(random.Random(1).randbytes(6000))
    (root / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))

    service.rebuild(settings, db)
    with db.session() as session:
        got = {f.name: (f.outcome, f.error) for f in session.scalars(select(ArchiveFile))}
    expected = {
        "正常.docx": "indexed", "正常.pdf": "indexed", "加密.pdf": "encrypted", "仅限制打印.pdf": "indexed",
        "加密.docx": "encrypted", "扫描件.pdf": "no_text", "截断.docx": "damaged", "截断.pdf": "damaged",
        "空白.docx": "empty", "零字节.txt": "empty", "零字节.pdf": "empty", "巨大.txt": "too_large",
        "国标编码.txt": "indexed", "繁体.txt": "indexed", "UTF16.txt": "indexed", "乱码.txt": "damaged",
        "照片.jpg": "damaged",  # a JPEG header and noise: OCR cannot read it
    }
    assert {k: v[0] for k, v in got.items()} == expected, got
    for name, (outcome, error) in got.items():
        if outcome in ("encrypted", "no_text", "damaged", "too_large"):
            assert error, f"{name} has no reason"
    # Content search finds the readable ones; names still find the others.
    assert hits(settings, "森林防火工作的通知") == {
        f"BGS/2024/{n}" for n in ("正常.docx", "正常.pdf", "仅限制打印.pdf", "国标编码.txt", "UTF16.txt")}
    assert hits(settings, "森林資源保護與林業執法") == {"BGS/2024/繁体.txt"}
    # Traditional and simplified fold alike (character level): 關於加強 finds the simplified files too.
    assert hits(settings, "關於加強") == hits(settings, "关于加强") >= {"BGS/2024/繁体.txt", "BGS/2024/正常.docx"}
    assert hits(settings, "森林资源保护与林业执法") == {"BGS/2024/繁体.txt"}
    assert hits(settings, "照片") == {"BGS/2024/照片.jpg"}
    assert hits(settings, "filename:扫描件") == {"BGS/2024/扫描件.pdf"}

    # The retry button queues failed files again; they end in the same outcome, nothing breaks.
    with db.session() as session:
        assert service.retry(session) == 8  # 4 damaged (one a corrupt JPEG), 2 encrypted, 1 too large, 1 empty scan
    service.rebuild(settings, db)
    with db.session() as session:
        st = service.status(session, settings)
    assert st.queue == 0 and st.outcomes["damaged"] == 4 and len(st.failed) == 8


def test_sandbox_survives_timeouts_and_crashes(tmp_path):
    path = tmp_path / "a.pdf"
    corpus.write_pdf(path, TEXT)
    slow = ExtractorPool(1, timeout=0.01, memory_mb=768, max_chars=10**6)
    try:
        result = slow.extract_many([(1, path)])[1]
        assert result.outcome == "damaged" and "超时" in (result.error or "")
    finally:
        slow.close()
    big = tmp_path / "big.txt"
    big.write_bytes(("林业" * 1000 + "\n").encode() * 2000)  # 12 MB of text, far more in memory
    tight = ExtractorPool(1, timeout=20, memory_mb=48, max_chars=10**8)
    try:
        results = tight.extract_many([(1, big), (2, path)])
        assert results[1].outcome == "damaged" and "内存" in (results[1].error or "")
        assert results[2].outcome == "indexed"  # a fresh child took the next file
    finally:
        tight.close()


def test_pdf_line_breaks_inside_chinese_words_are_joined(tmp_path):
    path = tmp_path / "x.pdf"
    corpus.write_pdf(path, "规范化服务型政府建设工作自查报告", width=5)  # breaks every 5 characters
    from library.extract import extract_file

    assert "规范化服务型政府建设工作自查报告" in extract_file(path, max_chars=10**6).text
