"""Authority follows the person's standing now: pending tasks of people who lost it move on.

A person loses the standing for a task when their account is deactivated, their role or department
changes (by an admin, or by the directory at sign-in or sync), or their clearance drops below the
document's 密级. Their pending assignments then move to whoever holds the step now (another 处室负责人
of the department, else the office head, as routes.resolve_assignees decides), everyone concerned is
told, and the move is recorded as 改派 (Action.REASSIGN) with the reason, which the admin page lists.

`reassign_lost` runs in the worker every ten minutes (so directory syncs and ended proxy windows are
caught) and right after an admin edits a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import org
from core.clearance import cleared
from core.messages import msg, to_data
from core.models import User
from core.models.base import utcnow
from core.models.documents import Document, DocumentAction, RouteStep, StepAssignment
from core.permissions import Role
from documents import hooks, routes
from documents.common import record_action
from documents.engine import assignment_rules, standing_problem
from documents.errors import WorkflowError
from documents.states import Action, AssignmentState, StepKind, StepState
from notifications import notify

log = logging.getLogger("eoffice.documents")


@dataclass(frozen=True)
class Moved:
    """One task that moved: the document, the step, from whom, to whom, why."""

    document_id: int
    title: str
    step: str
    former: str
    holders: tuple[str, ...]
    reason: str


def reassign_lost(session: Session, settings: Any, *, user_ids: list[int] | None = None) -> list[Moved]:
    """Move every pending task whose holder lost the standing (optionally of some people only); the caller commits.

    A task nobody can take now stays where it is (and is listed by the caller's logs), never dropped.
    """
    stmt = (select(StepAssignment, RouteStep, Document)
            .join(RouteStep, RouteStep.id == StepAssignment.step_id)
            .join(Document, Document.id == StepAssignment.document_id)
            .where(StepAssignment.state == AssignmentState.PENDING, RouteStep.state == StepState.ACTIVE))
    if user_ids is not None:
        stmt = stmt.where(StepAssignment.user_id.in_(user_ids))
    moved: list[Moved] = []
    for assignment, step, doc in session.execute(stmt).all():
        holder = session.get(User, assignment.user_id)
        if holder is None or step.spec.get("assignee", {}).get("who") in ("person", "drafter"):
            continue
        problem = standing_problem(session, doc, step, assignment, holder, holder)
        if problem is None:
            continue
        try:
            eligible = routes.resolve_assignees(session, doc, step, **assignment_rules(settings))
        except WorkflowError:
            eligible = []
        taken = set(session.scalars(select(StepAssignment.user_id).where(
            StepAssignment.step_id == step.id, StepAssignment.round == step.round,
            StepAssignment.state.in_([AssignmentState.PENDING, AssignmentState.DONE]))))
        unit = assignment.department_id
        in_unit = [u for u, d, _lead in eligible if (d.id if d else None) == unit and u.id != holder.id]
        new_holders = [u for u in in_unit if u.id not in taken]
        if not new_holders and in_unit:
            # Others of the unit hold the step already: the lost part is simply withdrawn from the holder.
            assignment.state, assignment.acted_at = AssignmentState.CANCELLED, utcnow()
            names = tuple(u.display_name for u in in_unit)
            _tell(session, doc, step, assignment, holder, names, problem)
            moved.append(Moved(doc.id, doc.title, step.name, holder.display_name, names, problem))
            continue
        if not new_holders and step.kind != StepKind.SIGN:
            # Nobody left in the unit: the office's 处室负责人 takes it (as for a head's own draft).
            rules = assignment_rules(settings)
            office = org.department_by_code(session, rules["office_department"])
            new_holders = [u for u in org.users_with_role(session, Role.DEPT_HEAD, office.id if office else -1)
                           if u.active and cleared(u, doc.classification) and u.id not in taken
                           and u.id != holder.id]
        if not new_holders:
            log.warning("task of %s on document %s has nobody to move to: %s", holder.username, doc.id, problem)
            continue
        assignment.state, assignment.acted_at = AssignmentState.TRANSFERRED, utcnow()
        made = [StepAssignment(step_id=step.id, document_id=doc.id, user_id=u.id, department_id=unit,
                               lead=assignment.lead, round=step.round, state=AssignmentState.PENDING,
                               priority=assignment.priority) for u in new_holders]
        session.add_all(made)
        session.flush()
        hooks.tasks_created(session, doc, step, made)
        names = tuple(u.display_name for u in new_holders)
        _tell(session, doc, step, assignment, holder, names, problem)
        moved.append(Moved(doc.id, doc.title, step.name, holder.display_name, names, problem))
    return moved


def _tell(session: Session, doc: Document, step: RouteStep, assignment: StepAssignment, holder: User,
          names: tuple[str, ...], problem: str) -> None:
    """Record the 改派 on the document and tell the former holder and the drafter where the task went."""
    record_action(session, doc, Action.REASSIGN, holder, step=step, assignment=assignment,
                  data={"system": True, "from": holder.display_name, "to": list(names), "reason": to_data(problem)})
    body = msg("%(problem)s\n此事项由%(value)s办理。", problem=problem, value='、'.join(names))
    title = msg("已改派：%(title)s（%(name)s）", title=doc.title, name=step.name)
    told = {holder.id}
    notify.notify(session, holder, "info", title, body=body, link=hooks.document_link(doc.id), document_id=doc.id)
    if doc.drafter_id not in told:  # the drafter follows the document: they learn who holds it now
        notify.notify(session, doc.drafter_id, "info", title, body=body, link=hooks.document_link(doc.id),
                      document_id=doc.id)


@dataclass(frozen=True)
class Stuck:
    """A pending task whose holder lost the standing and that nobody may take now."""

    document_id: int
    title: str
    classification: int
    step: str
    holder: str
    reason: str


def unmovable(session: Session) -> list[Stuck]:
    """Return the pending tasks whose holder lost the standing but that nobody else may take (e.g. a
    签发 when no other 局领导 is active): the admin page lists them so someone is given the role.

    Cost: one standing check per pending task of an inactive or changed holder (the admin page only).
    """
    out: list[Stuck] = []
    rows = session.execute(
        select(StepAssignment, RouteStep, Document)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .join(Document, Document.id == StepAssignment.document_id)
        .where(StepAssignment.state == AssignmentState.PENDING, RouteStep.state == StepState.ACTIVE)
        .order_by(StepAssignment.id)
    ).all()
    for assignment, step, doc in rows:
        holder = session.get(User, assignment.user_id)
        if holder is None or step.spec.get("assignee", {}).get("who") in ("person", "drafter"):
            continue
        problem = standing_problem(session, doc, step, assignment, holder, holder)
        if problem is not None:
            out.append(Stuck(doc.id, doc.title, doc.classification, step.name, holder.display_name, problem))
    return out


def recent_moves(session: Session, *, limit: int = 50) -> list[DocumentAction]:
    """Return the latest 改派 records, newest first (the admin page's list)."""
    return list(session.scalars(select(DocumentAction).where(DocumentAction.action == Action.REASSIGN)
                                .order_by(DocumentAction.id.desc()).limit(limit)))
