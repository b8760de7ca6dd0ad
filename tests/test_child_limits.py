"""Outside programs in limited children (issue 16 §3): a timed-out LibreOffice leaves nothing running, the
page counts of 归档 are read in one child within the request's 2 s, a .txt is typeset in a child."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from fileformats import office, probe, subproc
from tests.library.realfiles import docx_bytes
from tests.support import inflating_docx, make_pdf


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_a_timed_out_libreoffice_conversion_leaves_no_process_of_its_group_alive(tmp_path, monkeypatch):
    if office.soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # its profile and input live under tmp_path
    source = tmp_path / "长文.docx"
    source.write_bytes(docx_bytes("森林防火。" * 2000))
    with pytest.raises(office.ConversionFailed) as failed:
        office.convert(source, "pdf", tmp_path / "out.pdf", input_suffix=".docx", timeout=0.8)
    assert failed.value.timed_out
    deadline = time.monotonic() + 3
    while _processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_mentioning(str(tmp_path)) == []  # soffice, oosplash and soffice.bin all gone


def test_page_counts_are_read_in_one_child_within_the_request_budget(tmp_path):
    pdf, bomb, text = tmp_path / "a.pdf", tmp_path / "b.docx", tmp_path / "c.txt"
    pdf.write_bytes(make_pdf("一页"))
    bomb.write_bytes(inflating_docx(200, part="docProps/app.xml"))
    text.write_text("文本", encoding="utf-8")
    started = time.monotonic()
    counts = probe.page_counts([(pdf, "a.pdf"), (bomb, "b.docx"), (text, "c.txt")],
                               timeout=subproc.IN_REQUEST_SECONDS)
    assert counts == [1, None, None]  # the inflating app.xml is refused unread
    assert time.monotonic() - started < subproc.IN_REQUEST_SECONDS + 0.5


def test_a_text_file_is_typeset_in_a_limited_child(tmp_path):
    from printing.documents import DocumentError, TimedOut, text_to_pdf_limited

    source = tmp_path / "通知.txt"
    source.write_bytes(("关于森林防火的通知\n" * 50).encode("gb18030"))
    text_to_pdf_limited(source, tmp_path / "out.pdf", timeout=30)
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(TimedOut):
        text_to_pdf_limited(source, tmp_path / "slow.pdf", timeout=0.05)
    broken = tmp_path / "乱码.txt"
    broken.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DocumentError):
        text_to_pdf_limited(broken, tmp_path / "broken.pdf", timeout=30)


def test_any_file_to_print_is_capped_by_the_print_limit(settings, db, tmp_path):
    """Not only uploads: a 公文 or archive file to print is refused past the `print` limit, before typesetting."""
    from dataclasses import replace

    from core import org
    from printing import service

    small = settings.replace(web=replace(settings.web, upload_limits_mb={**settings.web.upload_limits_mb, "print": 1}))
    big = tmp_path / "长文.txt"
    big.write_bytes("森林防火。\n".encode() * 120_000)  # about 1.9 MB of text
    with db.session() as s:
        user = org.user_by_username(s, "clerk")
        with pytest.raises(service.PrintError, match="超过 1 MB"):
            service.request_print(s, small, user, service.DocumentSource(big, "长文", 1), service.PrintOptions())
    assert not any(p.is_file() for p in service.jobs_dir(small).rglob("*"))  # nothing left behind
