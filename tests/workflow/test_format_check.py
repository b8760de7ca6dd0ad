"""The GB/T 9704 format check at 核稿 and 签发: every problem at once with its source; the rules named
in [supervision] format_blocking refuse the step, the others are shown as warnings."""

from __future__ import annotations

import pytest

from archive import org
from archive.workflow import format_check, routes
from archive.workflow.errors import WorkflowError
from tests.workflow.test_pages import page


@pytest.mark.parametrize(("number", "ok"), [
    ("示林发〔2026〕12号", True), ("示林函〔2026〕1号", True), ("示林发[2026]12号", False),
    ("示林发〔2026〕012号", False), ("示林发〔2026〕第12号", False), ("示林发（2026）12号", False),
])
def test_document_number_form(number, ok):
    assert bool(format_check.NUMBER.match(number)) is ok


def test_document_kind_from_the_title():
    assert format_check.document_kind("关于购置防火无人机的请示") == "请示"
    assert format_check.document_kind("关于召开工作会议的通知（代拟稿）") == "通知"
    assert format_check.document_kind("关于印发实施方案的函") == "函"
    assert format_check.document_kind("森林防火工作安排") is None


def test_an_upward_document_without_a_signer_is_refused_at_the_office_check(flow, db, settings, client, auth):
    with db.session(write_lock=True) as s:  # a route without 签发
        steps = [step for step in routes.SEED_TEMPLATES[0]["steps"] if step["kind"] != "sign"]
        routes.save_template(s, code="nosign", name="发文（无签发）", kind="outgoing", steps=steps, active=True,
                             actor=org.user_by_username(s, "admin"))
        s.commit()
    doc_id = flow.draft(title="关于申请森林防火专项经费的请示", template="nosign", cc_recipients="各区县林业局")
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    with pytest.raises(WorkflowError) as refused:
        flow.approve(doc_id, "office_head")
    reasons = " ".join(str(p) for p in refused.value.problems)
    assert "上行文，须标注签发人" in reasons and "7.2.5" in reasons
    assert "同时出现在主送和抄送中" in reasons  # every blocking problem at once
    auth.login("office_head")
    check = page(client, doc_id)
    assert 'id="format-check"' in check and "【须修改】" in check and "GB/T 9704-2012 7.2.5" in check


def test_warnings_do_not_block(flow, client, auth):
    doc_id = flow.draft(title="森林防火工作安排")  # no 文种 at the end: a warning by default
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    auth.login("office_head")
    check = page(client, doc_id)
    assert "【提示】" in check and "标题应以文种结尾" in check
    flow.approve(doc_id, "office_head")  # not refused
    assert flow.active(doc_id) == "局领导签发"


def test_attachments_without_an_attachment_note_are_named(flow, db, settings):
    from archive.workflow import services
    from tests.indexer.realfiles import docx_bytes
    from tests.support import make_pdf

    doc_id = flow.draft(title="关于报送统计报表的通知")
    with db.session(write_lock=True) as s:
        drafter = org.user_by_username(s, "lz_staff")
        services.add_file(s, settings.files_dir, doc_id, drafter, role="main", filename="正文.docx",
                          data=docx_bytes("各区县林业局：请按时报送统计报表。"))
        services.add_file(s, settings.files_dir, doc_id, drafter, role="attachment", filename="报表.pdf",
                          data=make_pdf("table"))
        s.commit()
        problems = services.format_problems(s, settings, s.get(services.Document, doc_id))
    assert [p.rule for p in problems] == ["attachments"] and "1个附件" in problems[0].message
