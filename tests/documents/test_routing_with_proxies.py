"""Routing with supervision hooked in: a proxy's 待办, signing as 代, notifications, default deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from circulation import service as circulation
from config import Settings
from core import calendar
from core.db import Database
from core.models.documents import Document, DocumentAction
from core.models.supervision import Notification
from documents import engine, lists, proxy, visibility
from documents.errors import WorkflowError
from documents.proxy import GrantRequest
from tests.support.app import AuthActions
from tests.support.bureau import Docs, People

SIGN_BY_DIRECTOR = {"who": "person", "username": "director"}


def director_signs(db: Database) -> None:
    """The bureau's 发文 are signed by the director (a common setup, and what makes 代签 meaningful)."""
    from documents import routes

    with db.session(write_lock=True) as s:
        template = next(t for t in routes.templates(s, kind="outgoing"))
        steps = [dict(st) for st in template.steps]
        for st in steps:
            if st["kind"] == "sign":
                st["assignee"] = SIGN_BY_DIRECTOR
        routes.save_template(s, code=template.code, name=template.name, kind=template.kind, steps=steps,
                             active=True, actor=People(s).admin)


def window(db: Database, principal: str, deputy: str, **kw) -> None:
    today = calendar.local_today()
    with db.session(write_lock=True) as s:
        p = People(s)
        proxy.create(s, getattr(p, principal), GrantRequest(getattr(p, principal), getattr(p, deputy),
                                                            today, today + timedelta(days=2), **kw))


def to_sign(docs: Docs, **fields) -> int:
    doc_id = docs.to_head(**fields)
    docs.approve(doc_id, "lz_head")
    docs.approve(doc_id, "office_head")
    return doc_id


def test_deputy_signs_as_proxy(db: Database, docs: Docs) -> None:
    director_signs(db)
    window(db, "director", "deputy", allow_sign=True)
    doc_id = to_sign(docs, title="关于印发森林防火预案的通知")
    assert docs.pending(doc_id) == ["director"]
    with db.session() as s:
        p = People(s)
        rows = lists.inbox(s, p.deputy).rows
        assert [d.id for d, _step, _a in rows] == [doc_id]
        assert lists.counts(s, p.deputy)["inbox"] == 1
        offer = engine.offer(s, s.get(Document, doc_id), p.deputy)
        assert offer.assignment is not None and offer.on_behalf_of.username == "director"
        # The deputy was told, as proxy.
        assert s.scalar(select(Notification.title).where(Notification.user_id == p.deputy.id,
                                                         Notification.kind == "task")).startswith("代张建国")
    docs.approve(doc_id, "deputy", on_behalf_of="director", opinion="同意印发")
    with db.session() as s:
        p = People(s)
        sign = s.scalar(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                     DocumentAction.action == "sign"))
        assert (sign.actor_id, sign.on_behalf_of_id) == (p.deputy.id, p.director.id)
        doc = s.get(Document, doc_id)
        assert doc.signed_by_id == p.director.id and doc.deadline is not None  # default deadline at submission


def test_sign_not_delegated_is_refused(db: Database, docs: Docs) -> None:
    director_signs(db)
    window(db, "director", "deputy")  # no 签发
    doc_id = to_sign(docs, title="不得代签的文件")
    with db.session() as s:
        p = People(s)
        assert lists.inbox(s, p.deputy).rows == []
        assert engine.offer(s, s.get(Document, doc_id), p.deputy).assignment is None
    with pytest.raises(WorkflowError, match="代理授权"):
        docs.approve(doc_id, "deputy", on_behalf_of="director")


def test_proxy_approves_for_the_head_and_return_notifies(db: Database, docs: Docs, settings: Settings) -> None:
    window(db, "lz_head", "lz_staff")
    doc_id = docs.to_head(title="林政处的文件")
    docs.approve(doc_id, "lz_staff", on_behalf_of="lz_head", opinion="代为审核同意")
    assert docs.pending(doc_id) == ["office_head"]
    aid = docs.assignment(doc_id, "office_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, People(s).office_head, aid, reasons=["缺少依据", "请附会议纪要"])
    with db.session() as s:
        p = People(s)
        note = s.scalar(select(Notification).where(Notification.kind == "returned"))
        assert note.user_id == p.lz_staff.id and "2. 请附会议纪要" in note.body


def test_opening_the_document_reads_the_circulation(client: FlaskClient, auth: AuthActions, db: Database,
                                                    docs: Docs) -> None:
    doc_id = docs.draft("lz_head", title="传阅后直接打开公文")
    with db.session() as s:
        p = People(s)
        cid = circulation.send(s, p.lz_head, document=visibility.get_document(s, doc_id, p.lz_head),
                               recipients=circulation.Recipients(usernames=["lz_staff"])).id
    auth.login("lz_staff")
    assert client.get(f"/documents/{doc_id}").status_code == 200  # straight to the document, not via 传阅
    with db.session() as s:
        st = circulation.status(s, circulation.get_for(s, People(s).lz_head, cid)[0])
        assert [r.user.username for r in st.read] == ["lz_staff"]


def test_document_page_offers_acting_for(client: FlaskClient, auth: AuthActions, db: Database, docs: Docs) -> None:
    director_signs(db)
    window(db, "director", "deputy", allow_sign=True)
    doc_id = to_sign(docs, title="页面代签")
    auth.login("deputy")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="proxy-note"' in page and "张建国" in page
    aid = docs.assignment(doc_id, "director")
    token = auth.csrf(f"/documents/{doc_id}")
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    resp = client.post(f"/documents/{doc_id}/act", data={"csrf_token": token, "op": "complete", "assignment_id": aid,
                                                        "version": version, "opinion": "同意"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "代 张建国" in html and 'id="circulate-link"' in html
