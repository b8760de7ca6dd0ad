"""Deny-by-default access: each view declares a permission or `public`; one hook checks them all."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import joinedload, selectinload

from core.models import RoleAssignment, User
from core.org import permissions_of
from core.permissions import Permission
from intranet.context import close_session, db_session

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"


def requires(permission: Permission) -> Callable[[F], F]:
    """Declare the permission a view needs."""

    def mark(view: F) -> F:
        view.required_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anonymous visitors (login, health)."""
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view


def required_permission(endpoint: str | None) -> str | None:
    """Return what the endpoint declared, or None when it declared nothing (then it is refused)."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "required_permission", None)


def can(permission: Permission | str) -> bool:
    """Return True when the signed-in user holds `permission` (for templates and views)."""
    return permission in g.get("permissions", frozenset())


def init_app(app: Flask) -> None:
    app.before_request(_load_user)
    app.before_request(_enforce)
    app.teardown_appcontext(close_session)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["Permission"] = Permission


def _load_user() -> None:
    g.user = None
    g.permissions = frozenset()
    user_id = session.get("uid")
    if user_id is None:
        return
    user = db_session().get(
        User, user_id, options=[selectinload(User.role_assignments).joinedload(RoleAssignment.role),
                                joinedload(User.department)]
    )
    # A deactivated account, a logout, a password or role change ends the session (a new account token).
    if user is None or not user.active or not hmac.compare_digest(str(session.get("ver", "")),
                                                                   session_version(user)):
        session.clear()
        return
    g.user = user
    g.permissions = permissions_of(user)
    # End the transaction that loaded the user: on a form post it holds SQLite's write lock, and the
    # view may do slow work (an upload written to disk) before its first write. The view's next query
    # starts a new transaction (the user object stays loaded).
    db_session().commit()


def _enforce() -> Any:
    needed = required_permission(request.endpoint)
    if needed == PUBLIC:
        return None
    if request.endpoint is None:
        return None  # 404 / 405 handled by Flask
    if g.user is None:
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if needed is None:
        current_app.logger.error("view %s declares no permission: refused", request.endpoint)
        abort(403)
    if needed not in g.permissions:
        abort(403)
    return None


def session_version(user: User) -> str:
    """Return the value a session of `user` must carry: the account's random session token.

    Unique per account and kept only in the database, so knowing the secret key is not enough to
    forge a session; replaced by core.org.end_sessions on logout, password change, deactivation and
    a real change of roles.
    """
    return user.session_token


__all__ = ["PUBLIC", "Permission", "can", "public", "requires"]
