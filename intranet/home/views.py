"""The home page: who I am, my department and roles."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from archive import audit
from archive.models import User
from archive.permissions import ROLE_NAMES, Permission, Role
from archive.supervision import circulation, notify
from archive.workflow import services as workflow
from intranet.access import requires
from intranet.context import db_session, signed_in_user

bp = Blueprint("home", __name__)


@bp.get("/")
@requires(Permission.PORTAL)
def index():  # type: ignore[no-untyped-def]
    user = signed_in_user()
    roles = sorted(
        ((a.role.code, a.role.name, a.source) for a in user.role_assignments),
        key=lambda r: list(ROLE_NAMES).index(Role(r[0])) if r[0] in ROLE_NAMES else 99,
    )
    previous = audit.previous_sign_in(db_session(), user)
    return render_template("home/index.html", user=user, roles=roles, work=_work_counts(user), previous=previous)


def _work_counts(user: User) -> dict[str, int]:
    """The numbers on the home page's 我的工作 card: what waits for this person."""
    dbs = db_session()
    counts = workflow.counts(dbs, user) if Permission.DOCUMENTS in g.permissions else {}
    return {
        "inbox": counts.get("inbox", 0),
        "mine": counts.get("mine", 0),
        "to_read": counts.get("to_read", 0) + circulation.unread_count(dbs, user),
        "notifications": notify.unread_count(dbs, user),
    }
