"""套红 outside the worker process (issue 16 §3): the 正文 is checked as a zip before anything inflates it, and
the compose runs in a limited child; an inflating 正文 is a failed formal version with its reason and 重试."""

from __future__ import annotations

import resource

import pytest

from core import org
from documents import drafting, formal
from tests.support import inflating_docx
from tests.support.bureau import page

pytestmark = pytest.mark.slow


def test_an_inflating_main_text_fails_the_formal_version_with_its_reason(flow, db, settings, client, auth):
    doc_id = flow.draft(title="关于炸弹正文的通知")
    with db.session(write_lock=True) as s:
        drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="main",
                          filename="正文.docx", data=inflating_docx(300))
    flow.submit(doc_id)
    for username in ("lz_head", "office_head", "director"):
        flow.approve(doc_id, username)
    flow.approve(doc_id, "clerk", copies=20)  # 编号 asks the worker for the 套红 version
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert formal.generate_pending(settings, db) == 1
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grew_mb < 100, grew_mb  # the 300 MB part was never inflated in this (the worker's) process
    assert not (formal.folder(settings.files_dir) / f"{doc_id}.pdf").exists()
    auth.login("lz_staff")
    html = page(client, doc_id)
    assert "生成失败" in html and "压缩炸弹" in html and "重试" in html
