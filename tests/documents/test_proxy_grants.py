"""职位代理 windows: before, during, after; overlapping and circular refused; 签发 rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.db import Database
from core.messages import DomainError
from documents import proxy
from documents.proxy import GrantRequest
from tests.support.bureau import People, at

D1, D2 = date(2026, 12, 1), date(2026, 12, 5)
TODAY = date(2026, 11, 30)


def grant(s, principal: str, deputy: str, first=D1, last=D2, **kw):
    p = People(s)
    who = getattr(p, principal)
    return proxy.create(s, kw.pop("actor", who), GrantRequest(who, getattr(p, deputy), first, last, **kw), today=TODAY)


def test_window_before_during_after(db: Database) -> None:
    with db.session() as s:
        grant(s, "director", "deputy", kinds=["outgoing"], allow_sign=True)
    with db.session() as s:
        p = People(s)
        director, deputy = p.director, p.deputy
        assigned = at(D1, 9)
        kw = dict(kind="outgoing", step_kind="approve", assigned_at=assigned)
        assert proxy.acting_grant(s, deputy, director, now=at(D1 - timedelta(days=1), 23), **kw) is None  # before
        assert proxy.acting_grant(s, deputy, director, now=at(D1, 0), **kw) is not None  # first minute
        assert proxy.acting_grant(s, deputy, director, now=at(D2, 23), **kw) is not None  # last day
        assert proxy.acting_grant(s, deputy, director, now=at(D2 + timedelta(days=1), 0), **kw) is None  # after
        # Out of scope: a 收文 is not covered by an outgoing-only window; nor is someone else.
        assert proxy.acting_grant(s, deputy, director, now=at(D1), kind="incoming", assigned_at=assigned) is None
        assert proxy.acting_grant(s, p.office_head, director, now=at(D1), **kw) is None
        assert [g.proxy.username for g in proxy.active_for_principal(s, director.id, now=at(D1))] == ["deputy"]
        assert proxy.active_for_principal(s, director.id, now=at(TODAY)) == []


def test_existing_tasks_move_only_when_asked(db: Database) -> None:
    with db.session() as s:
        grant(s, "lz_head", "lz_staff")
        grant(s, "zl_head", "zl_staff", move_existing=True)
    with db.session() as s:
        p = People(s)
        before = at(D1 - timedelta(days=3))
        assert proxy.acting_grant(s, p.lz_staff, p.lz_head, kind="outgoing", assigned_at=before, now=at(D1)) is None
        assert proxy.acting_grant(s, p.lz_staff, p.lz_head, kind="outgoing", assigned_at=at(D1), now=at(D1))
        assert proxy.acting_grant(s, p.zl_staff, p.zl_head, kind="outgoing", assigned_at=before, now=at(D1))


def test_overlapping_and_circular_refused(db: Database) -> None:
    with db.session() as s:
        grant(s, "lz_head", "lz_staff")
    with db.session() as s:
        with pytest.raises(DomainError, match="时间重叠"):
            grant(s, "lz_head", "zl_head", D2, D2 + timedelta(days=3))
        with pytest.raises(DomainError, match="循环代理"):
            grant(s, "lz_staff", "lz_head", D1 + timedelta(days=1), D2)
        with pytest.raises(DomainError, match="本人也不在岗"):
            grant(s, "zl_head", "lz_head", D1, D1)
        with pytest.raises(DomainError, match="正在代理"):
            grant(s, "lz_staff", "zl_staff", D1, D1)
        # Adjacent windows and other scopes are fine.
        grant(s, "lz_head", "zl_head", D2 + timedelta(days=1), D2 + timedelta(days=3))
        with pytest.raises(DomainError) as info:
            grant(s, "lz_head", "lz_head", D2, D1)
        assert len(info.value.problems) == 2  # both problems at once (一次性告知)


def test_sign_delegation_rules(db: Database) -> None:
    with db.session() as s:
        with pytest.raises(DomainError, match="同样具有签发权限"):
            grant(s, "director", "office_head", allow_sign=True)
        with pytest.raises(DomainError, match="本人没有签发权限"):
            grant(s, "lz_head", "lz_staff", allow_sign=True)
        g = grant(s, "director", "deputy", allow_sign=True)
        plain = grant(s, "deputy", "office_head", D2 + timedelta(days=1), D2 + timedelta(days=2))
    with db.session() as s:
        p = People(s)
        kw = dict(kind="outgoing", step_kind="sign", assigned_at=at(D1), now=at(D1))
        assert proxy.acting_grant(s, p.deputy, p.director, classification=3, **kw).id == g.id
        # 绝密 is above the deputy's clearance (机密): that signature stays with the director.
        assert proxy.acting_grant(s, p.deputy, p.director, classification=4, **kw) is None
        assert "密级高于" in (proxy.sign_refusal(s, p.deputy, p.director, 4, now=at(D1)) or "")
        # Without allow_sign the proxy handles other steps but never signs.
        later = at(D2 + timedelta(days=1))
        kw2 = dict(kind="outgoing", assigned_at=later, now=later)
        assert proxy.acting_grant(s, p.office_head, p.deputy, step_kind="approve", **kw2).id == plain.id
        assert proxy.acting_grant(s, p.office_head, p.deputy, step_kind="sign", **kw2) is None


def test_only_self_or_admin_and_cancel(db: Database) -> None:
    with db.session() as s:
        p = People(s)
        with pytest.raises(DomainError, match="只能为自己"):
            grant(s, "lz_head", "lz_staff", actor=p.zl_staff)
        g = grant(s, "lz_head", "lz_staff", actor=p.admin)
        assert g.created_by_id == p.admin.id
        proxy.cancel(s, p.lz_head, g.id, now=at(D1, 12))
        assert proxy.state_of(g, at(D1, 13)) == "ended"
        assert proxy.acting_grant(s, p.lz_staff, p.lz_head, kind="outgoing", now=at(D1, 13)) is None
        assert proxy.acting_grant(s, p.lz_staff, p.lz_head, kind="outgoing", now=at(D1, 11))
        with pytest.raises(DomainError, match="已撤销"):
            proxy.cancel(s, p.lz_head, g.id, now=at(D1, 14))
        # Cancelled windows no longer block a new one.
        grant(s, "lz_head", "zl_head", D1 + timedelta(days=1), D2)
