"""The calls document routing makes into supervision: proxies on real routed documents, task notifications."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from config import Settings
from core import calendar
from core.db import Database
from core.models.documents import Document, RouteStep, StepAssignment
from core.models.supervision import Notification
from documents import hooks, lists, proxy
from documents.proxy import GrantRequest
from tests.support.bureau import Docs, People, to_sign


def active_step(s, doc_id: int) -> RouteStep:
    doc = s.get(Document, doc_id)
    return s.scalar(select(RouteStep).where(RouteStep.document_id == doc_id, RouteStep.route_round == doc.route_round,
                                            RouteStep.state == "active"))


def test_proxy_may_sign_for_the_director(db: Database, docs: Docs) -> None:
    today = calendar.local_today()
    with db.session() as s:
        p = People(s)
        proxy.create(s, p.director, GrantRequest(p.director, p.deputy, today - timedelta(days=1),
                                                 today + timedelta(days=2), allow_sign=True, move_existing=True))
    doc_id = to_sign(docs, title="关于印发森林防火预案的通知")
    with db.session() as s:
        p = People(s)
        doc = s.get(Document, doc_id)
        step = active_step(s, doc_id)
        assert step.kind == "sign"
        found = hooks.delegated_assignment(s, doc, p.deputy, step)
        assert found is not None and found[1].username == "director"
        assert hooks.may_act(s, p.deputy, p.director, doc, step, found[0])
        assert not hooks.may_act(s, p.office_head, p.director, doc, step, found[0])
        # The deputy holds her own part of this 签发 too: her 待办 shows the step once, as her own task,
        # not a second time through the clause routing adds for the director's.
        rows = s.execute(select(StepAssignment.id).join(Document, Document.id == StepAssignment.document_id)
                         .join(RouteStep, RouteStep.id == StepAssignment.step_id)
                         .where(StepAssignment.state == "pending", hooks.delegated_clause(s, p.deputy))).all()
        assert rows == []
        assert [r[0].id for r in lists.inbox(s, p.deputy).rows].count(doc_id) == 1
        assert s.execute(select(StepAssignment.id).join(Document, Document.id == StepAssignment.document_id)
                         .join(RouteStep, RouteStep.id == StepAssignment.step_id)
                         .where(hooks.delegated_clause(s, p.lz_staff))).all() == []


def test_no_sign_without_allow_sign(db: Database, docs: Docs) -> None:
    today = calendar.local_today()
    with db.session() as s:
        p = People(s)
        proxy.create(s, p.director, GrantRequest(p.director, p.deputy, today, today, move_existing=True))
    doc_id = to_sign(docs, title="不得代签的文件")
    with db.session() as s:
        p = People(s)
        doc = s.get(Document, doc_id)
        step = active_step(s, doc_id)
        assert hooks.delegated_assignment(s, doc, p.deputy, step) is None
        rows = s.execute(select(StepAssignment.id).join(Document, Document.id == StepAssignment.document_id)
                         .join(RouteStep, RouteStep.id == StepAssignment.step_id)
                         .where(StepAssignment.state == "pending", hooks.delegated_clause(s, p.deputy))).all()
        assert rows == []


def test_task_and_return_notifications(db: Database, docs: Docs, settings: Settings) -> None:
    today = calendar.local_today()
    with db.session() as s:
        p = People(s)
        proxy.create(s, p.lz_head, GrantRequest(p.lz_head, p.lz_staff, today, today))
    doc_id = docs.to_head(title="通知测试")
    with db.session() as s:
        p = People(s)
        s.execute(delete(Notification))  # routing may already have notified: count only the calls below
        doc = s.get(Document, doc_id)
        step = active_step(s, doc_id)
        made = s.scalars(select(StepAssignment).where(StepAssignment.step_id == step.id)).all()
        assert hooks.tasks_created(s, doc, step, made) == 2  # lz_head, and lz_staff acting for them
        hooks.returned(s, doc, p.lz_head, ["缺少依据", "格式不对"])
        hooks.submitted(s, settings, doc)
        assert doc.deadline is not None and doc.deadline > today - timedelta(days=1)
        notes = s.scalars(select(Notification).order_by(Notification.id)).all()
        assert [(n.kind, n.user_id) for n in notes] == [
            ("task", p.lz_head.id), ("task", p.lz_staff.id), ("returned", p.lz_staff.id)]
        assert notes[1].title.startswith("代刘志强") and "2. 格式不对" in notes[2].body
        assert notes[0].link == f"/documents/{doc_id}"
