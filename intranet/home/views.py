"""The home page: who I am, my department and roles."""

from __future__ import annotations

from flask import Blueprint, render_template

from archive.permissions import ROLE_NAMES, Permission, Role
from intranet.access import requires
from intranet.context import current_user

bp = Blueprint("home", __name__)


@bp.get("/")
@requires(Permission.PORTAL)
def index():  # type: ignore[no-untyped-def]
    user = current_user()
    assert user is not None
    roles = sorted(
        ((a.role.code, a.role.name, a.source) for a in user.role_assignments),
        key=lambda r: list(ROLE_NAMES).index(Role(r[0])) if r[0] in ROLE_NAMES else 99,
    )
    return render_template("home/index.html", user=user, roles=roles)
