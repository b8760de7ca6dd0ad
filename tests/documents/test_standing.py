"""Authority follows the person's standing at the moment of acting (issue 17): role and department
changes, ended proxy windows, one voice per step, repeated posts, inactive holders, withdrawn notices,
the year boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import org
from core.calendar import local_today
from core.messages import DomainError
from core.models.documents import Document, DocumentAction, NumberEntry, StepAssignment
from core.models.supervision import Notification
from documents import engine, lists, proxy, standing
from documents.errors import ConflictError, WorkflowError
from documents.proxy import GrantRequest
from supervision import deadlines
from tests.support.bureau import People, countersigned_by_two_units, to_sign


def _notices(db, username: str, doc_id: int, kind: str = "task") -> list[Notification]:
    with db.session() as s:
        user = org.user_by_username(s, username)
        return list(s.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.document_id == doc_id,
                                                         Notification.kind == kind)))


def test_a_leader_whose_role_was_removed_can_no_longer_sign_and_the_task_moves(docs, db, settings, client, auth):
    doc_id = to_sign(docs, title="关于林区道路建设的请示")
    assert set(docs.pending(doc_id)) >= {"director"}
    aid = docs.assignment(doc_id, "director")
    with db.session(write_lock=True) as s:
        director = org.user_by_username(s, "director")
        org.set_roles(s, director, ["staff"])  # the admin takes the leader role away
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="不再具备"):
        engine.complete(s, settings, doc_id, org.user_by_username(s, "director"), aid, opinion="同意")
    with db.session(write_lock=True) as s:
        moved = standing.reassign_lost(s, settings)
    assert [m.former for m in moved] == ["张建国"] and "director" not in docs.pending(doc_id)
    assert "deputy" in docs.pending(doc_id)
    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "改派记录" in page and "张建国" in page
    auth.logout()
    auth.login("director")
    assert "关于林区道路建设的请示" not in client.get("/documents/inbox").get_data(as_text=True)


def test_a_head_moved_to_another_department_cannot_decide_the_old_one(docs, db, settings):
    doc_id = docs.to_head(title="关于林地征占用的审核")
    aid = docs.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        head = org.user_by_username(s, "lz_head")
        head.department = org.department_by_code(s, "ZLC")  # the directory moved him
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="角色或部门"):
        engine.complete(s, settings, doc_id, org.user_by_username(s, "lz_head"), aid, opinion="同意")
    with db.session(write_lock=True) as s:
        moved = standing.reassign_lost(s, settings, user_ids=[org.user_by_username(s, "lz_head").id])
    assert len(moved) == 1 and docs.pending(doc_id) == ["office_head"]  # nobody else heads 林政: the office
    assert _notices(db, "office_head", doc_id)


def test_a_proxy_cannot_withdraw_after_the_window_and_withdraws_as_proxy_within_it(docs, db, settings):
    today = local_today()
    with db.session(write_lock=True) as s:
        p = People(s)
        grant = proxy.create(s, p.lz_head, GrantRequest(p.lz_head, p.lz_staff, today, today + timedelta(days=1),
                                                        move_existing=True))
        grant_id = grant.id
    doc_id = docs.to_head(title="代理撤回测试", )
    docs.approve(doc_id, "lz_staff", on_behalf_of="lz_head")
    with db.session(write_lock=True) as s:
        doc = s.get(Document, doc_id)
        action = engine.withdraw(s, doc_id, org.user_by_username(s, "lz_staff"), expected_version=doc.version)
        assert action.on_behalf_of_id == org.user_by_username(s, "lz_head").id  # recorded as 代
    docs.approve(doc_id, "lz_staff", on_behalf_of="lz_head")
    with db.session(write_lock=True) as s:
        proxy.cancel(s, org.user_by_username(s, "lz_head"), grant_id)
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="授权已结束"):
        doc = s.get(Document, doc_id)
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_staff"), expected_version=doc.version)


def test_one_person_one_voice_in_a_countersignature(docs, db, settings):
    doc_id = docs.draft(title="两处会签测试", )
    countersigned_by_two_units(db, doc_id)
    docs.submit(doc_id)
    docs.approve(doc_id, "lz_head")
    assert set(docs.pending(doc_id)) == {"zl_head", "yb_head"}
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="同一人不能"):
        engine.transfer(s, doc_id, org.user_by_username(s, "yb_head"), docs.assignment(doc_id, "yb_head"),
                          username="zl_head")
    today = local_today()
    with db.session(write_lock=True) as s:
        p = People(s)
        proxy.create(s, p.yb_head, GrantRequest(p.yb_head, p.zl_head, today, today, move_existing=True))
    with db.session(write_lock=True) as s, pytest.raises(WorkflowError, match="一人只能代表一方"):
        engine.complete(s, settings, doc_id, org.user_by_username(s, "zl_head"), docs.assignment(doc_id, "yb_head"),
                          opinion="同意", on_behalf_of=org.user_by_username(s, "yb_head"))
    with db.session() as s:  # the proxy sees the step once, as their own task
        rows = [r for r in lists.inbox(s, org.user_by_username(s, "zl_head")).rows if r[0].id == doc_id]
        assert len(rows) == 1


def test_a_proxy_who_also_holds_the_step_gets_one_notice(docs, db, settings):
    today = local_today()
    with db.session(write_lock=True) as s:
        p = People(s)
        proxy.create(s, p.director, GrantRequest(p.director, p.deputy, today, today + timedelta(days=1),
                                                 allow_sign=True, move_existing=True))
    doc_id = to_sign(docs, title="代签一次通知测试")
    assert {"director", "deputy"} <= set(docs.pending(doc_id))
    assert len(_notices(db, "deputy", doc_id)) == 1
    with db.session() as s:
        rows = [r for r in lists.inbox(s, org.user_by_username(s, "deputy")).rows if r[0].id == doc_id]
        assert len(rows) == 1


def test_the_same_action_form_posted_twice_is_refused(docs, db, settings, client, auth):
    doc_id = docs.to_head(title="加签两次测试")
    auth.login("lz_head")
    html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    aid = docs.assignment(doc_id, "lz_head")
    form = {"csrf_token": auth.csrf(f"/documents/{doc_id}"), "op": "add_signer", "assignment_id": str(aid),
            "username": "zl_staff", "version": version, "opinion": ""}
    client.post(f"/documents/{doc_id}/act", data=form)
    second = client.post(f"/documents/{doc_id}/act", data=form, follow_redirects=True)
    assert "已处理" in second.get_data(as_text=True)
    with db.session() as s:
        added = s.scalars(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                       DocumentAction.action == "add_signer")).all()
        assert len(added) == 1


def test_a_deactivated_holder_is_not_chased_and_the_task_moves(docs, db, settings):
    doc_id = docs.to_head(title="停用人员催办测试", deadline=local_today() - timedelta(days=10))
    with db.session(write_lock=True) as s:
        head = org.user_by_username(s, "lz_head")
        org.update_user(s, head, display_name=head.display_name, department_code="LZC", active=False,
                        roles=sorted(head.role_codes), clearance=head.clearance)
    with db.session(write_lock=True) as s, pytest.raises(DomainError, match="已停用"):
        deadlines.remind(s, settings.supervision, org.user_by_username(s, "clerk"), doc_id,
                         org.user_by_username(s, "lz_head").id)
    with db.session(write_lock=True) as s:
        standing.reassign_lost(s, settings)
        note = Notification  # nothing new is sent to the inactive account
        head_id = org.user_by_username(s, "lz_head").id
        before = len(list(s.scalars(select(note).where(note.user_id == head_id))))
    assert docs.pending(doc_id) == ["office_head"]
    with db.session() as s:
        assert len(list(s.scalars(select(Notification).where(Notification.user_id == head_id)))) == before


def test_a_withdrawal_clears_the_next_holders_notice_and_tells_them(docs, db, settings):
    doc_id = docs.to_head(title="撤回通知测试")
    docs.approve(doc_id, "lz_head")
    assert [n.read_at for n in _notices(db, "office_head", doc_id)] == [None]
    with db.session(write_lock=True) as s:
        doc = s.get(Document, doc_id)
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_head"), expected_version=doc.version)
    assert all(n.read_at is not None for n in _notices(db, "office_head", doc_id))
    told = _notices(db, "office_head", doc_id, kind="info")
    assert told and "已撤回" in told[0].title
    # A completed task clears its own notice too.
    docs.approve(doc_id, "lz_head")
    assert all(n.read_at is not None for n in _notices(db, "lz_head", doc_id))


def test_numbering_across_the_year_end_asks_keep_or_renew(docs, db, settings, monkeypatch):
    from documents import ledger

    doc_id = to_sign(docs, title="跨年编号测试")
    docs.approve(doc_id, "director")
    with db.session(write_lock=True) as s:
        entry = NumberEntry(code="示林发", year=2026, serial=1, number="示林发〔2026〕1号", document_id=doc_id,
                            issued_by_id=org.user_by_username(s, "clerk").id,
                            issued_at=datetime(2026, 12, 30, tzinfo=UTC))
        s.add(entry)
    monkeypatch.setattr(ledger, "local_year", lambda moment=None: 2027)
    with pytest.raises(WorkflowError, match="2026 年的文号"):
        docs.approve(doc_id, "clerk", copies=3)
    with pytest.raises(WorkflowError, match="须填写原因"):
        docs.approve(doc_id, "clerk", copies=3, number_year="renew")
    docs.approve(doc_id, "clerk", copies=3, number_year="renew", void_reason="跨年重新签发，改用2027年文号")
    with db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc.doc_number == "示林发〔2027〕1号"
        old = s.scalar(select(NumberEntry).where(NumberEntry.number == "示林发〔2026〕1号"))
        assert old.voided_at is not None and "跨年" in old.void_reason


def test_the_incoming_date_defaults_to_the_bureau_date(client, auth, monkeypatch):
    from core import calendar

    # 07:00 on 1 January in Beijing is still 31 December on the server (UTC).
    monkeypatch.setattr(calendar, "utcnow", lambda: datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    auth.login("clerk")
    page = client.get("/documents/new?kind=incoming").get_data(as_text=True)
    assert 'value="2027-01-01"' in page


def test_conflict_is_said_as_already_done():
    assert "已处理" in str(ConflictError("已处理：x")) and StepAssignment is not None
