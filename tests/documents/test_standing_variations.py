"""Issue 17, more variations of each kind: whoever acts (or takes back) must hold the standing then;
one person, one voice also across proxies; inactive people are neither chased nor told, their heads
or the leaders are; a task nobody may take is shown to the admin; repeated posts; the year boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core import org
from core.calendar import local_today
from core.messages import DomainError
from core.models.documents import Document, DocumentAction, NumberEntry
from core.models.supervision import Notification
from documents import drafting, engine, exports, proxy, standing
from documents.errors import WorkflowError
from documents.proxy import GrantRequest
from documents.states import Kind
from supervision import jobs
from tests.support.bureau import People, countersigned_by_two_units, to_sign


def _titles(db, username: str, kind: str | None = None) -> list[str]:
    with db.session() as s:
        user = org.user_by_username(s, username)
        stmt = select(Notification.title).where(Notification.user_id == user.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(s.scalars(stmt))


def test_a_head_moved_away_cannot_take_back_his_approval(docs, db, settings):
    """撤回 takes the task back: the directory moved 刘志强 to 造林绿化处 after he approved."""
    doc_id = docs.to_head(title="调岗后撤回测试")
    docs.approve(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        org.user_by_username(s, "lz_head").department = org.department_by_code(s, "ZLC")
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="不能撤回"):
        doc = s.get(Document, doc_id)
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_head"), expected_version=doc.version)
    assert docs.pending(doc_id) == ["office_head"]  # nothing moved back to him


def test_a_deactivated_drafter_cannot_take_back_the_submission(docs, db, settings):
    doc_id = docs.to_head(title="停用后撤回提交测试")
    with db.session(write_lock=True) as s:
        org.user_by_username(s, "lz_staff").active = False
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="已停用"):
        doc = s.get(Document, doc_id)
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_staff"), expected_version=doc.version)


def test_one_proxy_for_two_units_has_one_voice_in_a_countersignature(docs, db, settings):
    """王秀英 acts for both 造林 and 野保 heads: she completes one part as 代, never the second."""
    doc_id = docs.draft(title="一人代理两处会签测试")
    countersigned_by_two_units(db, doc_id)
    today = local_today()
    with db.session(write_lock=True) as s:
        p = People(s)
        for principal in (p.zl_head, p.yb_head):
            proxy.create(s, principal, GrantRequest(principal, p.office_head, today, today, move_existing=True))
    docs.submit(doc_id)
    docs.approve(doc_id, "lz_head")
    docs.approve(doc_id, "office_head", on_behalf_of="zl_head")
    with pytest.raises(WorkflowError, match="一人只能代表一方"):
        docs.approve(doc_id, "office_head", on_behalf_of="yb_head")
    assert "yb_head" in docs.pending(doc_id)  # the 野保 part waits for its own voice
    docs.approve(doc_id, "yb_head")


def test_a_task_moved_away_tells_the_drafter(docs, db, settings):
    docs.to_head(title="改派告知拟稿人测试")
    with db.session(write_lock=True) as s:
        head = org.user_by_username(s, "lz_head")
        org.update_user(s, head, display_name=head.display_name, department_code="LZC", active=False,
                        roles=sorted(head.role_codes), clearance=head.clearance)
        standing.reassign_lost(s, settings)
    assert any("已改派" in t for t in _titles(db, "lz_staff", "info"))


def test_chasing_an_inactive_holder_names_who_holds_the_task_now(docs, db, settings):
    doc_id = docs.to_head(title="停用后催办测试", deadline=local_today() - timedelta(days=5))
    with db.session(write_lock=True) as s:
        org.user_by_username(s, "lz_head").active = False  # the directory sync; the sweep has not run yet
    with db.session(write_lock=True) as s, pytest.raises(DomainError) as refused:
        deadlines_remind(s, settings, doc_id, "lz_head")
    assert "已停用" in str(refused.value) and "王秀英" in str(refused.value)
    assert docs.pending(doc_id) == ["office_head"]  # moved on the spot, not left with him
    before = len(_titles(db, "lz_head"))
    with db.session(write_lock=True) as s, pytest.raises(DomainError, match="已停用"):
        deadlines_remind(s, settings, doc_id, "lz_head")  # asked again after the move: the same answer
    assert len(_titles(db, "lz_head")) == before


def deadlines_remind(s, settings, doc_id: int, target: str):
    from supervision import deadlines

    return deadlines.remind(s, settings.supervision, org.user_by_username(s, "clerk"), doc_id,
                            org.user_by_username(s, target).id)


def test_the_overdue_digest_skips_an_inactive_holder_and_goes_to_the_leaders(docs, db, settings):
    doc_id = docs.to_head(title="逾期摘要升级测试", deadline=local_today() - timedelta(days=20))
    with db.session(write_lock=True) as s:
        org.user_by_username(s, "lz_head").active = False  # the only 林政 head; his task has not moved yet
    before = len(_titles(db, "lz_head"))
    with db.session(write_lock=True) as s:
        sent = jobs.overdue_digest(s, settings, today=local_today())
    assert sent >= 1 and docs.pending(doc_id) == ["lz_head"]
    assert len(_titles(db, "lz_head")) == before  # nothing to the inactive account
    leader_digest = [t for t in _titles(db, "director", "overdue") if "督促" in t]
    assert leader_digest, "with no active head of 林政资源管理处, the leaders are told"


def test_a_sign_task_nobody_may_take_is_listed_for_the_admin(docs, db, settings, client, auth):
    doc_id = to_sign(docs, title="无人可签发测试")
    with db.session(write_lock=True) as s:
        for name in ("director", "deputy"):
            org.set_roles(s, org.user_by_username(s, name), ["staff"])
        moved = standing.reassign_lost(s, settings)
    assert moved == [] and set(docs.pending(doc_id)) <= {"director", "deputy"}  # stays, never dropped
    with db.session() as s:
        stuck = standing.unmovable(s)
    assert {t.document_id for t in stuck} == {doc_id}
    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "无人可接办的待办" in page and "签发" in page
    with db.session(write_lock=True) as s:  # a new leader is appointed: the sweep moves the task to her
        org.set_roles(s, org.user_by_username(s, "office_head"), ["dept_head", "leader"])
        standing.reassign_lost(s, settings)
    assert "office_head" in docs.pending(doc_id)
    with db.session() as s:
        assert standing.unmovable(s) == []


def test_every_document_action_form_posted_twice_acts_once(docs, db, settings, client, auth):
    """The same form posted twice (a double click, a resent request) is refused as 「已处理」."""
    doc_id = docs.to_head(title="重复提交测试")
    auth.login("lz_head")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    csrf = auth.csrf(f"/documents/{doc_id}")
    comment = {"csrf_token": csrf, "opinion": "请补充附件", "form_key": key}
    client.post(f"/documents/{doc_id}/comment", data=comment)
    again = client.post(f"/documents/{doc_id}/comment", data=comment, follow_redirects=True)
    assert "已处理" in again.get_data(as_text=True)
    aid = docs.assignment(doc_id, "lz_head")
    forms = [
        {"op": "transfer", "assignment_id": str(aid), "username": "office_head", "opinion": ""},
    ]
    for form in forms:
        data = {"csrf_token": csrf, "version": version, **form}
        client.post(f"/documents/{doc_id}/act", data=data)
        second = client.post(f"/documents/{doc_id}/act", data=data, follow_redirects=True)
        assert "已处理" in second.get_data(as_text=True), form["op"]
    # Without the version the page showed, nothing acts.
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    stale = client.post(f"/documents/{doc_id}/act", data={"csrf_token": csrf, "op": "complete",
                                                           "assignment_id": str(aid), "opinion": "同意"},
                        follow_redirects=True)
    assert "页面已过期" in stale.get_data(as_text=True)
    with db.session() as s:
        counted = {a: len(s.scalars(select(DocumentAction).where(
            DocumentAction.document_id == doc_id, DocumentAction.action == a)).all())
            for a in ("comment", "transfer")}
    assert counted == {"comment": 1, "transfer": 1}
    assert page  # the page still opens after the refusals


def test_each_route_action_posted_twice_acts_once(docs, db, settings, client, auth):
    """complete, return, add_signer, withdraw: the second identical post is 「已处理」."""
    def version_of(doc_id: int) -> str:
        html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        return html.split('name="version" value="', 1)[1].split('"', 1)[0]

    auth.login("lz_head")
    csrf = auth.csrf("/documents/inbox")
    cases = [
        ("approve", {"opinion": "同意"}),
        ("return", {"reasons": "请补充依据", "opinion": ""}),
        ("add_signer", {"username": "zl_staff", "opinion": ""}),
    ]
    for action, extra in cases:
        op = "complete" if action == "approve" else action
        doc_id = docs.to_head(title=f"两次提交：{op}")
        data = {"csrf_token": csrf, "op": op, "assignment_id": str(docs.assignment(doc_id, "lz_head")),
                "version": version_of(doc_id), **extra}
        client.post(f"/documents/{doc_id}/act", data=data)
        second = client.post(f"/documents/{doc_id}/act", data=data, follow_redirects=True)
        assert "已处理" in second.get_data(as_text=True), op
        with db.session() as s:
            assert len(s.scalars(select(DocumentAction).where(
                DocumentAction.document_id == doc_id, DocumentAction.action == action)).all()) == 1, op
    doc_id = docs.to_head(title="两次提交：withdraw")
    docs.approve(doc_id, "lz_head")
    data = {"csrf_token": csrf, "version": version_of(doc_id)}
    client.post(f"/documents/{doc_id}/withdraw", data=data)
    second = client.post(f"/documents/{doc_id}/withdraw", data=data, follow_redirects=True)
    assert "已处理" in second.get_data(as_text=True)
    with db.session() as s:
        assert len(s.scalars(select(DocumentAction).where(
            DocumentAction.document_id == doc_id, DocumentAction.action == "withdraw")).all()) == 1


def test_numbering_across_the_year_end_may_keep_the_number(docs, db, settings, monkeypatch):
    from documents import ledger

    doc_id = to_sign(docs, title="跨年保留文号测试")
    docs.approve(doc_id, "director")
    with db.session(write_lock=True) as s:
        s.add(NumberEntry(code="示林发", year=2026, serial=5, number="示林发〔2026〕5号", document_id=doc_id,
                          issued_by_id=org.user_by_username(s, "clerk").id,
                          issued_at=datetime(2026, 12, 30, tzinfo=UTC)))
    monkeypatch.setattr(ledger, "local_year", lambda moment=None: 2027)
    docs.approve(doc_id, "clerk", copies=3, number_year="keep")
    with db.session() as s:
        assert s.get(Document, doc_id).doc_number == "示林发〔2026〕5号"
        numbered = s.scalar(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                         DocumentAction.action == "number"))
        assert numbered is not None and numbered.data.get("kept_number") == "示林发〔2026〕5号"  # the choice recorded
        assert s.scalar(select(NumberEntry).where(NumberEntry.number == "示林发〔2026〕5号")).voided_at is None


def test_the_incoming_register_uses_the_bureau_date_when_no_receipt_date(db, settings):
    """Registered at 07:00 on 1 January in Beijing (23:00 on 31 December UTC): the new year's register."""
    with db.session(write_lock=True) as s:
        clerk = org.user_by_username(s, "clerk")
        doc = drafting.create_document(s, clerk, kind=Kind.INCOMING, fields=drafting.DraftFields(
            title="省林业局关于冬季森林防火的通知", source_organ="省林业局"))
        doc.received_on = None
        doc.created_at = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
        doc_id = doc.id
    with db.session() as s:
        assert doc_id in [d.id for d in exports.incoming(s, 2027)]
        assert doc_id not in [d.id for d in exports.incoming(s, 2026)]
    assert date(2027, 1, 1).year == 2027
