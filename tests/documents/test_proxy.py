"""职位代理 through routing: the proxy sees the principal's task and acts on their behalf (issue 6's grants)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import calendar, org
from core.models.documents import DocumentAction
from documents import engine, lists, proxy, visibility
from documents.errors import WorkflowError
from documents.proxy import GrantRequest


def test_proxy_acts_on_behalf_of_the_head(flow, db, settings):
    doc_id = flow.draft()
    flow.submit(doc_id)
    today = calendar.local_today()
    with db.session() as s:
        head, zl_head = org.user_by_username(s, "lz_head"), org.user_by_username(s, "zl_head")
        proxy.create(s, head, GrantRequest(head, zl_head, today - timedelta(days=1), today + timedelta(days=1),
                                           move_existing=True))
    aid = flow.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        zl_head, head = org.user_by_username(s, "zl_head"), org.user_by_username(s, "lz_head")
        assert [row[0].id for row in lists.inbox(s, zl_head).rows] == [doc_id]
        offer = engine.offer(s, visibility.get_document(s, doc_id, head), zl_head)
        assert offer.assignment.id == aid and offer.on_behalf_of.id == head.id
        with pytest.raises(WorkflowError):  # someone without a grant may not
            engine.complete(s, settings, doc_id, org.user_by_username(s, "zl_staff"), aid,
                              on_behalf_of=head)
    with db.session(write_lock=True) as s:
        engine.complete(s, settings, doc_id, org.user_by_username(s, "zl_head"), aid, opinion="代为审核",
                          on_behalf_of=org.user_by_username(s, "lz_head"))
    with db.session() as s:
        act = s.scalar(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                    DocumentAction.action == "approve"))
        assert act.actor.username == "zl_head" and act.on_behalf_of.username == "lz_head"
    assert flow.active(doc_id) == "办公室核稿"
