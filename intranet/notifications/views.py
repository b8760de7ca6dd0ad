"""Notifications: the bell in the top bar (with the 职位代理 banner) and the list page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core.permissions import Permission
from documents import proxy
from intranet.access import requires
from intranet.context import current_user, db_session, signed_in_user
from notifications import notify

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 50


def safe_link(link: str) -> str | None:
    """Return an in-site path, or None for anything that could leave the site."""
    if link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return None


@bp.app_context_processor
def topbar() -> dict[str, Any]:
    return {"topbar_state": _topbar_state}


def _topbar_state() -> dict[str, Any]:
    """Unread count and the 职位代理 banners for the signed-in user (two small queries)."""
    user = current_user()
    if user is None:
        return {"unread": 0, "away": [], "acting": []}
    dbs = db_session()
    return {
        "unread": notify.unread_count(dbs, user),
        "away": proxy.active_for_principal(dbs, user.id),
        "acting": proxy.active_for_proxy(dbs, user.id),
    }


@bp.get("/")
@requires(Permission.PORTAL)
def index() -> ResponseReturnValue:
    user = signed_in_user()
    before = request.args.get("before", type=int)
    unread_only = request.args.get("unread") == "1"
    rows = notify.latest(db_session(), user, limit=PER_PAGE, unread_only=unread_only, before_id=before)
    return render_template("notifications/index.html", rows=rows, kinds=notify.KIND_NAMES,
                           unread_only=unread_only, more=len(rows) == PER_PAGE)


@bp.get("/<int:notification_id>/go")
@requires(Permission.PORTAL)
def go(notification_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    dbs = db_session()
    note = notify.get(dbs, user, notification_id)
    if note is None:
        abort(404)
    notify.mark_read(dbs, user, note.id)
    dbs.commit()
    target = safe_link(note.link)
    return redirect(target or url_for("notifications.index", _anchor=f"n{note.id}"))


@bp.post("/read")
@requires(Permission.PORTAL)
def read_all() -> ResponseReturnValue:
    user = signed_in_user()
    dbs = db_session()
    count = notify.mark_read(dbs, user)
    dbs.commit()
    flash(_("已将%(n)d条通知标为已读。", n=count), "success")
    return redirect(url_for("notifications.index"))

