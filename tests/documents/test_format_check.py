"""The GB/T 9704 format check at 核稿 and 签发: every problem at once with its source; the rules named
in [supervision] format_blocking refuse the step, the others are shown as warnings."""

from __future__ import annotations

import pytest

from core import org
from documents import format_check, routes
from documents.errors import WorkflowError
from tests.support.bureau import page


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
    from documents import drafting, engine
    from tests.library.realfiles import docx_bytes
    from tests.support import make_pdf

    doc_id = flow.draft(title="关于报送统计报表的通知")
    with db.session(write_lock=True) as s:
        drafter = org.user_by_username(s, "lz_staff")
        drafting.add_file(s, settings.files_dir, doc_id, drafter, role="main", filename="正文.docx",
                          data=docx_bytes("各区县林业局：请按时报送统计报表。"))
        drafting.add_file(s, settings.files_dir, doc_id, drafter, role="attachment", filename="报表.pdf",
                          data=make_pdf("table"))
        s.commit()
        problems = engine.format_problems(s, settings, s.get(engine.Document, doc_id))
    assert [p.rule for p in problems] == ["attachments"] and "1个附件" in problems[0].message


def test_the_marks_are_document_fields_checked_and_carried_into_the_formal_version(flow, db, settings, client, auth):
    """上行文 marked on the document (a 函 to a higher organ is upward too) needs its 签发人; a classified
    document needs its 保密期限; both reach the 套红 facts; an edit on the page sets and clears them."""
    from documents import common, engine, formal, freeze

    doc_id = flow.draft("lz_head", title="关于商请支持林区道路建设的函", upward=True, classification=2)
    with db.session() as s:
        doc = s.get(engine.Document, doc_id)
        found = {p.rule: str(p.message) for p in format_check.check(s, doc, blocking=())}
        assert "classified_marks" in found and "保密期限" in found["classified_marks"]
        assert "函是上行文" in found["upward_signer"]  # the mark, not only the 文种, makes it upward (no route yet)
        facts = formal.facts_for(s, settings, doc)
        assert facts.upward and facts.classification == "秘密" and facts.secrecy_period == ""
    auth.login("lz_head")
    html = page(client, doc_id)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    resp = client.post(f"/documents/{doc_id}/edit", data={
        "csrf_token": auth.csrf(f"/documents/{doc_id}"), "version": version, "title": "关于商请支持林区道路建设的函",
        "urgency": "normal", "classification": "2", "retention": "D30", "main_recipients": "省林业局",
        "cc_recipients": "", "secrecy_period": "1年", "upward_shown": "1", "upward": "y"}, follow_redirects=True)
    assert 'id="doc-secrecy">1年<' in resp.get_data(as_text=True) and 'id="doc-upward"' in resp.get_data(as_text=True)
    with db.session() as s:
        doc = s.get(engine.Document, doc_id)
        assert doc.secrecy_period == "1年" and doc.upward
        assert "classified_marks" not in {p.rule for p in format_check.check(s, doc, blocking=())}
        assert formal.facts_for(s, settings, doc).secrecy_period == "1年"
        snap = freeze.snapshot(doc, common.files_of(s, doc))
        assert snap["fields"]["secrecy_period"] == "1年"
    html = page(client, doc_id)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    client.post(f"/documents/{doc_id}/edit", data={  # the box unticked: the form said it was shown
        "csrf_token": auth.csrf(f"/documents/{doc_id}"), "version": version, "title": "关于商请支持林区道路建设的函",
        "urgency": "normal", "classification": "2", "retention": "D30", "main_recipients": "省林业局",
        "cc_recipients": "", "secrecy_period": "1年", "upward_shown": "1"})
    with db.session() as s:
        assert not s.get(engine.Document, doc_id).upward


def test_documents_signed_before_the_marks_existed_keep_their_fingerprint(flow, db):
    from documents import common, engine, freeze

    doc_id = flow.draft(title="关于开展春季造林绿化工作的通知")
    with db.session() as s:
        doc = s.get(engine.Document, doc_id)
        snap = freeze.snapshot(doc, common.files_of(s, doc))
    assert set(snap["fields"]) == set(freeze.KEY_FIELDS)  # unset marks add nothing: old hashes still match
