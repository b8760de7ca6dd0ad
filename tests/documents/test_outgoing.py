"""The seeded 发文 route end to end, with returns, withdraw, 加签, 转办 and concurrent actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import org
from core.models.documents import DocumentAction, FilingRecord, NumberEntry, ReadReceipt
from core.permissions import Role
from documents import drafting, engine
from documents.errors import ConflictError, WorkflowError
from tests.support.bureau import FULL_PLAN, walk_to_number


def test_outgoing_end_to_end(flow, db, settings):
    doc_id = flow.draft(plan=FULL_PLAN)
    walk_to_number(flow, doc_id)
    assert flow.active(doc_id) == "编号"
    flow.approve(doc_id, "clerk", copies=30, distribution_departments=["LZC", "ZLC"])
    doc = flow.doc(doc_id)
    assert doc.doc_number and doc.doc_number.startswith("示林发〔") and doc.doc_number.endswith("〕1号")
    assert doc.frozen_hash and doc.signed_by_id is not None
    flow.approve(doc_id, "clerk")  # 分发
    flow.approve(doc_id, "clerk", retention="Y")  # 归档
    doc = flow.doc(doc_id)
    assert doc.state == "filed"
    assert doc.archive_number.startswith("J001-WS·") and doc.archive_number.endswith("-Y-LZC-0001")
    with db.session() as s:
        receipts = s.scalars(select(ReadReceipt).where(ReadReceipt.document_id == doc_id)).all()
        # everyone in LZC and ZLC (4 people), each cleared for 内部
        assert len(receipts) == 4
        record = s.scalar(select(FilingRecord).where(FilingRecord.document_id == doc_id))
        folder = settings.archive_dir / record.folder
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["发文稿纸.pdf", "正文-正文.pdf"]
        actions = [a.action for a in s.scalars(select(DocumentAction).where(DocumentAction.document_id == doc_id)
                                               .order_by(DocumentAction.id))]
        assert actions == ["create", "revise", "submit", "approve", "approve", "approve", "sign", "number",
                           "distribute", "file"]


def test_drafter_sees_every_problem_at_once(flow, db, settings):
    with db.session(write_lock=True) as s:
        actor = org.user_by_username(s, "lz_staff")
        doc = drafting.create_document(s, actor, kind="outgoing", fields=drafting.DraftFields(title="无正文"))
        doc.title = ""  # as if cleared by an edit
        with pytest.raises(WorkflowError) as err:
            drafting.submit(s, settings, doc.id, actor, expected_version=doc.version)
    assert len(err.value.problems) >= 2
    assert any("正文" in p for p in err.value.problems) and any("标题" in p for p in err.value.problems)


def test_return_during_countersign_lists_all_reasons(flow, db, settings):
    doc_id = flow.draft(plan={"departments": {"countersign": ["ZLC", "JHC"]}})
    with db.session(write_lock=True) as s:
        org.create_user(s, "jh_head", "计财处长", department_code="JHC", roles=[Role.DEPT_HEAD],
                        password="Forest-Desk-2026", clearance=2)
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "jh_head")  # one department agrees
    aid = flow.assignment(doc_id, "zl_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "zl_head"), aid,
                                 reasons=["造林面积数据与规划不符", "缺少资金来源说明", ""])
    doc = flow.doc(doc_id)
    assert doc.state == "returned"
    with db.session() as s:
        ret = s.scalar(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                    DocumentAction.action == "return"))
        assert ret.reasons == ["造林面积数据与规划不符", "缺少资金来源说明"]
    assert flow.assignment(doc_id, "jh_head") is None
    # Resubmitted, the route starts again: both departments countersign again.
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    assert flow.assignment(doc_id, "jh_head") and flow.assignment(doc_id, "zl_head")


def test_return_to_an_earlier_step(flow, db, settings):
    doc_id = flow.draft(plan=FULL_PLAN)
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "zl_head")
    target = flow.step_id(doc_id, "处室审核")
    aid = flow.assignment(doc_id, "office_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "office_head"), aid,
                                 reasons=["请处室再核"], target_step_id=target)
    assert flow.active(doc_id) == "处室审核"
    flow.approve(doc_id, "lz_head")
    assert flow.active(doc_id) == "会签"  # the steps after it run again
    flow.approve(doc_id, "zl_head")
    assert flow.active(doc_id) == "办公室核稿"


def test_withdraw_before_next_person_acts(flow, db, settings):
    doc_id = flow.draft()  # no countersign chosen: the optional step is left out
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    assert flow.active(doc_id) == "办公室核稿"
    with db.session(write_lock=True) as s:
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_head"), expected_version=flow.version(doc_id))
    assert flow.active(doc_id) == "处室审核"
    assert flow.assignment(doc_id, "lz_head") and not flow.assignment(doc_id, "office_head")
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "office_head")
    with db.session(write_lock=True) as s, pytest.raises(ConflictError):
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_head"), expected_version=flow.version(doc_id))


def test_drafter_withdraws_submission(flow, db):
    doc_id = flow.draft()
    flow.submit(doc_id)
    with db.session(write_lock=True) as s:
        engine.withdraw(s, doc_id, org.user_by_username(s, "lz_staff"), expected_version=flow.version(doc_id))
    assert flow.doc(doc_id).state == "draft"
    assert flow.assignment(doc_id, "lz_head") is None


def test_add_signer_and_transfer(flow, db, settings):
    doc_id = flow.draft()
    flow.submit(doc_id)
    aid = flow.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        engine.add_signer(s, doc_id, org.user_by_username(s, "lz_head"), aid, username="zl_head")
    flow.approve(doc_id, "lz_head")
    assert flow.active(doc_id) == "加签：杨海涛"
    aid = flow.assignment(doc_id, "zl_head")
    with db.session(write_lock=True) as s:
        engine.transfer(s, doc_id, org.user_by_username(s, "zl_head"), aid, username="zl_staff", opinion="请周静办理")
    assert flow.assignment(doc_id, "zl_head") is None
    flow.approve(doc_id, "zl_staff")
    assert flow.active(doc_id) == "办公室核稿"


def test_quorum_and_any_countersign(flow, db, settings):
    with db.session(write_lock=True) as s:
        for user, dept in (("jh_head", "JHC"), ("yb_head", "YBC")):
            org.create_user(s, user, user, department_code=dept, roles=[Role.DEPT_HEAD], password="Forest-Desk-2026")
        from documents.routes import SEED_TEMPLATES, save_template

        steps = [dict(step) for step in SEED_TEMPLATES[0]["steps"]]
        steps[1] = {**steps[1], "mode": "quorum", "quorum": 2}
        save_template(s, code="quorum", name="会签过半", kind="outgoing", steps=steps, active=True,
                      actor=org.user_by_username(s, "admin"))
    doc_id = flow.draft(template="quorum", plan={"departments": {"countersign": ["ZLC", "JHC", "YBC"]}})
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "zl_head")
    assert flow.active(doc_id) == "会签"
    flow.approve(doc_id, "jh_head")
    assert flow.active(doc_id) == "办公室核稿"
    assert flow.assignment(doc_id, "yb_head") is None  # the third department is no longer asked


def test_two_people_one_step_exactly_one_wins(flow, db, settings):
    with db.session(write_lock=True) as s:
        org.create_user(s, "office_head2", "副主任", department_code="BGS", roles=[Role.DEPT_HEAD],
                        password="Forest-Desk-2026", clearance=3)
    doc_id = flow.draft()
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    first = flow.assignment(doc_id, "office_head")
    second = flow.assignment(doc_id, "office_head2")
    assert first and second
    flow.approve(doc_id, "office_head")
    with db.session(write_lock=True) as s, pytest.raises(ConflictError) as err:
        engine.complete(s, settings, doc_id, org.user_by_username(s, "office_head2"), second)
    assert "王秀英" in str(err.value)
    # A double click: the same assignment sent twice.
    aid = flow.assignment(doc_id, "director")
    flow.approve(doc_id, "director")
    with db.session(write_lock=True) as s, pytest.raises(ConflictError, match="已处理过"):
        engine.complete(s, settings, doc_id, org.user_by_username(s, "director"), aid)
    with db.session() as s:
        signs = s.scalars(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                       DocumentAction.action == "sign")).all()
        assert len(signs) == 1


def test_stale_form_is_refused(flow, db, settings):
    doc_id = flow.draft()
    stale = flow.version(doc_id)
    flow.submit(doc_id)
    with db.session(write_lock=True) as s, pytest.raises(ConflictError):
        drafting.submit(s, settings, doc_id, org.user_by_username(s, "lz_staff"), expected_version=stale)


def test_number_reused_after_return_to_numbering(flow, db, settings):
    doc_id = flow.draft()
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "office_head")
    flow.approve(doc_id, "director")
    flow.approve(doc_id, "clerk")
    number = flow.doc(doc_id).doc_number
    aid = flow.assignment(doc_id, "clerk")  # 分发
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "clerk"), aid,
                                 reasons=["份数填错"], target_step_id=flow.step_id(doc_id, "编号"))
    flow.approve(doc_id, "clerk", copies=40)
    assert flow.doc(doc_id).doc_number == number
    with db.session() as s:
        assert len(s.scalars(select(NumberEntry).where(NumberEntry.document_id == doc_id)).all()) == 1


def test_an_edit_after_numbering_keeps_what_its_form_did_not_show(flow, db, settings, client, auth):
    """印发份数 and the 分发 list are set at 编号; the drafter's edit form shows neither and must keep both."""
    import re

    doc_id = flow.draft(plan=FULL_PLAN)
    walk_to_number(flow, doc_id)
    flow.approve(doc_id, "clerk", copies=30, distribution_departments=["LZC", "ZLC"])
    before = flow.doc(doc_id)
    assert before.copies == 30 and before.distribution.get("departments") == ["LZC", "ZLC"]
    auth.login("lz_staff")
    html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    if f"/documents/{doc_id}/edit" not in html:  # not editable now: nothing can be wiped through the page
        auth.login("clerk")
        html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    form = html[html.index(f'action="/documents/{doc_id}/edit"'):]
    form = form[:form.index("</form>")]
    posted = {name: value for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form)}
    for name in re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', form):
        posted.setdefault(name, "")
    posted["title"] = before.title + "（改）"
    posted["urgency"] = posted.get("urgency") or "normal"
    posted["classification"] = posted.get("classification") or "1"
    posted["retention"] = posted.get("retention") or "D30"
    client.post(f"/documents/{doc_id}/edit", data=posted)
    after = flow.doc(doc_id)
    assert after.title == before.title + "（改）"
    assert after.copies == 30 and after.distribution == before.distribution
    assert after.main_recipients == before.main_recipients and after.deadline == before.deadline
    assert after.doc_number == before.doc_number


def test_a_head_never_approves_their_own_draft(flow, db, settings):
    """lz_head drafts: 处室审核 goes to another head of 林政资源管理处, else the office head (王秀英)."""
    doc_id = flow.draft("lz_head", title="关于林地保护利用规划的请示")
    flow.submit(doc_id, "lz_head")
    assert flow.active(doc_id) == "处室审核"
    assert flow.assignment(doc_id, "lz_head") is None
    assert flow.assignment(doc_id, "office_head") is not None
    # A second head in the department takes it instead of the office.
    with db.session(write_lock=True) as s:
        org.create_user(s, "lz_head2", "林副处长", department_code="LZC", roles=[Role.DEPT_HEAD],
                        password="Forest-Desk-2026")
    doc2 = flow.draft("lz_head", title="关于林木采伐限额的请示")
    flow.submit(doc2, "lz_head")
    assert flow.assignment(doc2, "lz_head2") is not None
    assert flow.assignment(doc2, "lz_head") is None and flow.assignment(doc2, "office_head") is None


def test_self_approval_can_be_allowed_by_setting(db, settings):
    from dataclasses import replace

    from tests.support.bureau import Flow

    allowed = settings.replace(security=replace(settings.security, allow_self_approval=True))
    flow = Flow(db, allowed)
    doc_id = flow.draft("lz_head", title="关于允许自审的测试")
    flow.submit(doc_id, "lz_head")
    assert flow.assignment(doc_id, "lz_head") is not None


def test_a_distributed_document_stays_in_the_recipients_received_list(flow, db, settings, client, auth):
    """分发 to 林政资源管理处: after one opening it is 已阅 in 收件, not gone (issue 12 §1.2)."""
    doc_id = flow.draft(plan=FULL_PLAN, title="分发后仍可找到的通知")
    walk_to_number(flow, doc_id)
    flow.approve(doc_id, "clerk", copies=5, distribution_departments=["ZLC"])
    flow.approve(doc_id, "clerk")  # 分发
    auth.login("zl_staff")
    page = client.get("/circulation/").get_data(as_text=True)
    assert "分发后仍可找到的通知" in page and "待阅" in page
    client.get(f"/documents/{doc_id}")  # opened once
    assert "分发后仍可找到的通知" not in client.get("/circulation/").get_data(as_text=True)  # no longer 待阅
    everything = client.get("/circulation/?tab=all").get_data(as_text=True)
    assert "分发后仍可找到的通知" in everything and "已阅" in everything


def test_distribution_tells_each_recipient_and_refuses_an_empty_department(flow, db, settings):
    from core.models.supervision import Notification

    doc_id = flow.draft(plan=FULL_PLAN, title="分发通知测试")
    walk_to_number(flow, doc_id)
    flow.approve(doc_id, "clerk", copies=5, distribution_departments=["ZLC", "JHC"])  # 计划财务处 has nobody
    with pytest.raises(WorkflowError, match="计划财务处"):
        flow.approve(doc_id, "clerk")  # 分发
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        doc.distribution = {"departments": ["ZLC"]}
    flow.approve(doc_id, "clerk")
    with db.session() as s:
        told = {org.user_by_username(s, u).username for u in ("zl_head", "zl_staff")
                if s.scalar(select(Notification.id).where(
                    Notification.document_id == doc_id, Notification.title.like("收到公文%"),
                    Notification.user_id == org.user_by_username(s, u).id))}
        nobody_else = s.scalar(select(Notification.id).where(
            Notification.document_id == doc_id, Notification.title.like("收到公文%"),
            Notification.user_id.not_in([org.user_by_username(s, u).id for u in ("zl_head", "zl_staff")])))
    assert told == {"zl_head", "zl_staff"} and nobody_else is None


def test_a_route_can_ask_recipients_to_confirm_receipt(flow, db, settings, client, auth):
    """分发 with 签收 (template option `acknowledge`): opening does not count; the drafter sees who has signed."""
    from core.models.documents import RouteTemplate

    with db.session(write_lock=True) as s:
        template = s.scalar(select(RouteTemplate).where(RouteTemplate.code == "outgoing"))
        template.steps = [dict(step, acknowledge=True) if step["kind"] == "distribute" else step
                          for step in template.steps]
    doc_id = flow.draft(plan=FULL_PLAN, title="须签收的通知")
    walk_to_number(flow, doc_id)
    flow.approve(doc_id, "clerk", copies=5, distribution_departments=["ZLC"])
    flow.approve(doc_id, "clerk")  # 分发
    auth.login("zl_staff")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="acknowledge-button"' in page
    assert "须签收的通知" in client.get("/circulation/").get_data(as_text=True)  # opened, still 待阅
    client.post(f"/documents/{doc_id}/acknowledge", data={"csrf_token": auth.csrf(f"/documents/{doc_id}")})
    assert 'id="acknowledge-button"' not in client.get(f"/documents/{doc_id}").get_data(as_text=True)
    auth.logout()
    auth.login("lz_staff")  # the drafter sees who has signed and who has not
    receipts = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    receipts = receipts[receipts.index('id="receipts"'):]
    signed = receipts[receipts.index('data-user="zl_staff"'):][:400]
    pending = receipts[receipts.index('data-user="zl_head"'):][:400]
    assert "已签收" in signed and "未阅" in pending
