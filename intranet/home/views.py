"""The home page: who I am, my department and roles."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask.typing import ResponseReturnValue

from circulation import service as circulation
from core import audit, calendar, org
from core.models import User
from core.permissions import ROLE_NAMES, Permission, Role
from documents import lists
from inspection import service as inspection
from intranet.access import requires
from intranet.context import db_session, settings, signed_in_user
from notices import service as notices
from notifications import notify
from reporting import service as reporting
from supervision import deadlines

bp = Blueprint("home", __name__)


@bp.get("/")
@requires(Permission.PORTAL)
def index() -> ResponseReturnValue:
    user = signed_in_user()
    roles = sorted(
        ((a.role.code, a.role.name, a.source) for a in user.role_assignments),
        key=lambda r: list(ROLE_NAMES).index(Role(r[0])) if r[0] in ROLE_NAMES else 99,
    )
    dbs, cfg = db_session(), settings()
    previous = audit.previous_sign_in(dbs, user)
    # The notices a person sees, read once: the front page's list and its unread count come from it.
    visible = notices.for_user(dbs, cfg, user) if Permission.NOTICES in g.permissions else []
    read = notices.read_ids(dbs, user, [n.id for n in visible])
    work = _work_counts(user) | {"notices": len(visible) - len(read)}
    return render_template("home/index.html", user=user, roles=roles, work=work, previous=previous,
                           notices=visible[:8], notices_read=read, deadlines=_my_deadlines(user),
                           inspection_due=_my_inspection_items(user), office_work=_office_work(user))


def _office_work(user: User) -> dict[str, int]:
    """What waits for the office (its 文书 and 处室负责人): 信息 to review, 办结 reports to judge."""
    cfg = settings()
    if not org.is_office(cfg, user) or (Permission.ADMIN in g.permissions and not user.department):
        return {}
    dbs = db_session()
    return {"reporting": reporting.waiting_review(dbs), "inspection": inspection.waiting_judgement(dbs)}


def _my_inspection_items(user: User) -> list[inspection.ItemStatus]:
    """My 督查督办 items that are overdue or due soon (I report on them, lead them or answer for them)."""
    if Permission.INSPECTION not in g.permissions:
        return []
    return inspection.due_items(db_session(), settings(), user)[:8]


def _my_deadlines(user: User) -> dict[str, int]:
    """My overdue and due-soon items (what I hold or drafted), for the front page."""
    if Permission.DOCUMENTS not in g.permissions:
        return {}
    dbs, cfg = db_session(), settings().supervision
    items = deadlines.open_items(dbs, cfg, calendar.load(dbs), holder=user, viewer=user, drafted=True)
    return {"overdue": len(deadlines.overdue(items)), "due_soon": len(deadlines.due_soon(items, cfg))}


def _work_counts(user: User) -> dict[str, int]:
    """The numbers on the home page's 我的工作 card: what waits for this person."""
    dbs = db_session()
    counts = lists.counts(dbs, user) if Permission.DOCUMENTS in g.permissions else {}
    return {
        "inbox": counts.get("inbox", 0),
        "mine": counts.get("mine", 0),
        "to_read": counts.get("to_read", 0) + circulation.unread_count(dbs, user),
        "notifications": notify.unread_count(dbs, user),
    }
