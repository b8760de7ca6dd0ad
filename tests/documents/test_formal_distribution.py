"""分发 sends the formal version (issue 13 §2): a numbered document with a Word 正文 whose 套红 version
could not be made is not distributed (the office is told why and what to do), nothing is half done, and
once the version is made 分发 goes through; a PDF 正文 is distributed as it is."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models.documents import ReadReceipt
from documents import formal
from documents.errors import WorkflowError
from tests.support.bureau import numbered_document

pytestmark = pytest.mark.slow
TO = ["LZC", "ZLC"]  # 分发 to two departments: four people, each cleared


def _receipts(db, doc_id: int) -> int:
    with db.session() as s:
        return s.scalar(select(func.count(ReadReceipt.id)).where(ReadReceipt.document_id == doc_id)) or 0


def test_distribution_waits_for_a_formal_version_that_failed_and_goes_once_it_is_made(flow, db, settings):
    doc_id = numbered_document(flow, db, settings, word=True)
    assert flow.active(doc_id) == "分发"
    # The worker tried and failed (as it does for a 正文 it cannot compose); the office is told why.
    failed = formal.folder(settings.files_dir) / f"{doc_id}.failed"
    failed.parent.mkdir(parents=True, exist_ok=True)
    failed.write_text("LibreOffice 未能在限定时间内完成排版。", encoding="utf-8")
    version = flow.doc(doc_id).version
    with pytest.raises(WorkflowError) as refused:
        flow.approve(doc_id, "clerk", distribution_departments=TO)  # 分发
    text = str(refused.value)
    assert "套红正式文件生成失败" in text and "LibreOffice 未能在限定时间内完成排版" in text and "重试" in text
    assert _receipts(db, doc_id) == 0 and flow.active(doc_id) == "分发" and flow.doc(doc_id).version == version
    # A failure of an earlier content (another 文号, a 正文 changed and re-signed since) is not this one's:
    # the page asks for the formal version again instead of showing the old reason.
    stale = formal.folder(settings.files_dir) / f"{doc_id}.failed-stamp"
    stale.write_text("示林发〔2026〕99号|an older fingerprint|", encoding="utf-8")
    with db.session() as s:
        assert formal.state(settings.files_dir, s.get(type(flow.doc(doc_id)), doc_id)).status == "pending"
    assert not failed.exists() and not stale.exists()

    formal.request(settings.files_dir, doc_id)  # 重试
    assert formal.generate_pending(settings, db) == 1  # the worker's job, with LibreOffice
    with db.session() as s:
        assert formal.state(settings.files_dir, s.get(type(flow.doc(doc_id)), doc_id)).status == "ready"
    flow.approve(doc_id, "clerk", distribution_departments=TO)  # 分发
    assert flow.active(doc_id) == "归档" and _receipts(db, doc_id) == 4  # LZC and ZLC, each cleared


def test_distribution_does_not_wait_while_the_version_is_being_made(flow, db, settings):
    doc_id = numbered_document(flow, db, settings, word=True)
    assert flow.active(doc_id) == "分发"
    with db.session() as s:
        assert formal.state(settings.files_dir, s.get(type(flow.doc(doc_id)), doc_id)).status == "pending"
    flow.approve(doc_id, "clerk", distribution_departments=TO)  # recipients open it once the worker has made it
    assert _receipts(db, doc_id) == 4
