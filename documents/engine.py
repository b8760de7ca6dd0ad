"""The step engine: activating steps, taking and completing assignments (审核, 会签, 签发 with freeze and
复核, 批办, 承办, 编号, 分发, 归档), return, send back, withdraw, 加签, 转办, comment, and what the viewer may
do on a page (`offer`). Drafting is `drafting.py`, who may see a document `visibility.py`, the lists
`lists.py`, what they share `common.py`.

Concurrency: each action locks the document row (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
caller's write-locked session: web form posts get one, see intranet.context.db_session), then changes the
acted-on assignment with a conditional UPDATE (... WHERE state = 'pending') and bumps Document.version
with a conditional UPDATE. Whoever comes second finds the assignment no longer pending, or the version
moved on, and gets ConflictError: nothing is changed twice, whether by two people or by one double click.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core import org
from core.clearance import cleared
from core.db import changed_rows
from core.messages import msg
from core.models import Department, User
from core.models.base import utcnow
from core.models.documents import (
    CIRCULATED_RECEIPT,
    Document,
    DocumentAction,
    NumberEntry,
    ReadReceipt,
    RouteStep,
    StepAssignment,
)
from core.permissions import Permission
from documents import freeze, hooks, ledger, routes
from documents.common import PRIORITY, active_step, bump, files_of, lock, my_assignment, record_action, steps_of
from documents.errors import ConflictError, NotFound, WorkflowError
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    COMPLETING_ACTION,
    COMPLETING_ACTIONS,
    FINAL_STEP_KINDS,
    PARALLEL_KINDS,
    Action,
    AssignmentState,
    State,
    StepKind,
    StepState,
    Who,
    transition,
)
from documents.visibility import can_view

MAX_OPINION = 4000


# Actions that move a document (a later one of these blocks a withdraw of an earlier one).
_MOVING = COMPLETING_ACTIONS | {
    Action.SUBMIT, Action.RETURN, Action.SEND_BACK, Action.WITHDRAW, Action.TRANSFER, Action.ADD_SIGNER,
    Action.REVIEW, Action.CANCEL,
}


def assignment_rules(settings: Any) -> dict[str, Any]:
    """The settings resolve_assignees follows (defaults when a caller has no full Settings)."""
    security, supervision = getattr(settings, "security", None), getattr(settings, "supervision", None)
    return {"allow_self_approval": bool(getattr(security, "allow_self_approval", False)),
            "office_department": str(getattr(supervision, "office_department", "BGS"))}


def _activate(session: Session, settings: Any, doc: Document, step: RouteStep, actor: User) -> None:
    step.round += 1
    step.state = StepState.ACTIVE
    step.started_at, step.finished_at = utcnow(), None
    made = [
        StepAssignment(step_id=step.id, document_id=doc.id, user_id=user.id, department_id=dept.id if dept else None,
                       lead=lead, round=step.round, state=AssignmentState.PENDING,
                       priority=PRIORITY.get(doc.urgency, 2))
        for user, dept, lead in routes.resolve_assignees(session, doc, step, **assignment_rules(settings))
    ]
    session.add_all(made)
    session.flush()
    if not (step.kind == StepKind.NUMBER and step.spec.get("auto")):
        hooks.tasks_created(session, doc, step, made)  # new-task notices to the holders and their proxies
    if step.kind == StepKind.NUMBER and step.spec.get("auto"):
        # 签发即编号: the system numbers in the same transaction as the step before it.
        entry = ledger.issue_number(session, doc, _number_code(settings, step), actor)
        _ask_formal(settings, doc)
        record_action(session, doc, Action.NUMBER, actor, step=step, data={"number": entry.number, "auto": True})
        session.execute(
            update(StepAssignment)
            .where(StepAssignment.step_id == step.id, StepAssignment.state == AssignmentState.PENDING)
            .values(state=AssignmentState.SUPERSEDED)
            .execution_options(synchronize_session="evaluate")
        )
        step.state, step.finished_at = StepState.DONE, utcnow()


def advance(session: Session, settings: Any, doc: Document, actor: User) -> None:
    """Activate the next waiting step; end the route when none is left."""
    while True:
        if active_step(session, doc) is not None:
            return
        nxt = session.scalar(
            select(RouteStep)
            .where(RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round,
                   RouteStep.state == StepState.WAITING)
            .order_by(RouteStep.position)
            .limit(1)
        )
        if nxt is None:
            filed = any(s.kind == StepKind.FILE and s.state == StepState.DONE for s in steps_of(session, doc))
            doc.state = State.FILED if filed else State.COMPLETED
            doc.completed_at = utcnow()
            return
        _activate(session, settings, doc, nxt, actor)


def is_format_checkpoint(step: RouteStep) -> bool:
    """核稿 (the office's review) and 签发 run the GB/T 9704 format check (documents.format_check)."""
    return step.kind == StepKind.SIGN or (step.kind == StepKind.APPROVE and step.key == "office_review")


def format_problems(session: Session, settings: Any, doc: Document, *, signing: bool = False) -> list[Any]:
    """The format check's findings for the document, marked blocking per `[supervision] format_blocking`."""
    from documents import format_check

    supervision = getattr(settings, "supervision", None)
    blocking = tuple(getattr(supervision, "format_blocking", ()))  # settings without the section: warnings only
    return format_check.check(session, doc, blocking=blocking, files_dir=getattr(settings, "files_dir", None),
                              signer_known=signing)


def _ask_formal(settings: Any, doc: Document) -> None:
    """编号 never waits for LibreOffice: the worker makes the 套红 version (documents.formal)."""
    files_dir = getattr(settings, "files_dir", None)
    if files_dir is not None:
        from documents import formal

        formal.request(files_dir, doc.id)


def _formal_refusal(session: Session, settings: Any, doc: Document) -> str | None:
    """Why 分发 must wait for the formal version, or None.

    A numbered document whose 正文 is a Word file is distributed as its 套红 version (GB/T 9704): when the
    worker failed to make it, 分发 is refused with the reason (recipients would get no formal document);
    while it is still being made, 分发 goes ahead and recipients open it once ready (the notice links to it).
    A 正文 that is not Word (a PDF already formatted, a scan) is distributed as it is.
    """
    from documents import formal

    files_dir = getattr(settings, "files_dir", None)
    main = [f for f in files_of(session, doc) if f.role == "main"]
    if files_dir is None or not doc.doc_number or not main or not formal.composable(main[0].filename):
        return None
    state = formal.state(files_dir, doc)
    if state.status != "failed":
        return None
    return msg("套红正式文件生成失败：%(reason)s 收文单位将收不到正式文件，暂不能分发。请在文件页面「正式文件」处点"
               "「重试」，或更正正文后再分发。", reason=state.reason.rstrip("。") + "。")


def _number_code(settings: Any, step: RouteStep) -> str:
    return str(step.spec.get("code", "{organ}发")).replace("{organ}", settings.organ_code)


def _take_assignment(
    session: Session, doc: Document, actor: User, assignment_id: int, action: Action,
    on_behalf_of: User | None,
) -> tuple[RouteStep, StepAssignment]:
    rule = transition(doc.state, action)
    assignment = session.get(StepAssignment, assignment_id, populate_existing=True)
    if rule is None:
        if assignment is not None and assignment.document_id == doc.id and assignment.state != AssignmentState.PENDING:
            raise ConflictError(_why_not_pending(session, assignment))  # 已处理 (a repeat, or someone was first)
        raise ConflictError(msg("文件当前状态下不能进行此操作（可能已被他人处理）。请刷新页面查看最新状态。"))
    if assignment is None or assignment.document_id != doc.id:
        raise NotFound(msg("该办理事项不存在。"))
    holder = on_behalf_of or actor
    step = session.get(RouteStep, assignment.step_id, populate_existing=True)
    assert step is not None
    if assignment.user_id != holder.id or (
        on_behalf_of is not None and not hooks.may_act(session, actor, on_behalf_of, doc, step, assignment)
    ):
        raise WorkflowError(msg("您不是此步骤的办理人（或代理授权已不在有效期内）。"))
    if assignment.state != AssignmentState.PENDING or step.state != StepState.ACTIVE:
        raise ConflictError(_why_not_pending(session, assignment))
    if rule.step_kinds and StepKind(step.kind) not in rule.step_kinds:
        raise WorkflowError(msg("此步骤不能进行该操作。"))
    if on_behalf_of is not None and step.kind in PARALLEL_KINDS and _holds_part(
            session, step, actor.id, besides=assignment.id):
        raise WorkflowError(msg(
            "您本人已是本步骤另一单位的办理人，不能再代理他人办理同一步骤的另一部分（一人只能代表一方）。",
        ))
    if step.kind in PARALLEL_KINDS and _acted_on_other_part(session, step, actor.id, besides=assignment.id):
        # One person, one voice: whoever already completed one unit's part (for themself or as 代)
        # cannot complete another unit's part of the same round.
        raise WorkflowError(msg(
            "您已办理过本步骤另一单位的部分（本人或代理），不能再办理同一步骤的另一部分（一人只能代表一方）。",
        ))
    standing = standing_problem(session, doc, step, assignment, holder, actor)
    if standing:
        raise WorkflowError(standing)
    return step, assignment


def standing_problem(session: Session, doc: Document, step: RouteStep, assignment: StepAssignment, holder: User,
                      actor: User) -> str | None:
    """Return why the holder (or the acting proxy) lacks the standing for this step now, or None.

    Authority is checked when the action is taken, not when the task was handed out: the person must
    be active, still hold the step's role and permission in the step's department, and be cleared for
    the document's 密级 (the acting proxy too).
    """
    for person in {holder.id: holder, actor.id: actor}.values():
        if not person.active:
            return msg("%(display_name)s 的账户已停用，不能办理。", display_name=person.display_name)
        if not cleared(person, doc.classification):
            return msg("%(display_name)s 的涉密等级低于该文件的密级，不能办理。", display_name=person.display_name)
    spec = step.spec.get("assignee", {})
    if spec.get("who") in ("person", "drafter"):
        return None
    transfers = session.scalars(select(DocumentAction.data).where(
        DocumentAction.step_id == step.id, DocumentAction.action == Action.TRANSFER))
    if any((data or {}).get("user_id") == holder.id for data in transfers):
        # Handed over by 转办 to a chosen colleague: the step's permission is what they must keep.
        needed = routes.KIND_PERMISSION.get(StepKind(step.kind))
        if needed is not None and needed not in org.permissions_of(holder):
            return msg(
                "%(display_name)s 已不再具备办理「%(name)s」的权限，不能办理。",
                display_name=holder.display_name, name=step.name,
            )
        return None
    eligible: list[tuple[User, Department | None, bool]] = []
    for allow in (False, True):  # handed out with or without the self-approval rule: either way counts
        with contextlib.suppress(WorkflowError):  # a unit with nobody left: the holder is not in it either
            eligible += routes.resolve_assignees(session, doc, step, allow_self_approval=allow)
    if not any(u.id == holder.id and (d.id if d else None) == assignment.department_id for u, d, _lead in eligible):
        return (msg(
            "%(display_name)s 已不再具备办理「%(name)s」的角色或部门（职务或部门已变更），该事项将转给现任办理人；请"
            "刷新页面。",
            display_name=holder.display_name, name=step.name,
        ))
    return None


def _holds_part(session: Session, step: RouteStep, user_id: int, *, besides: int) -> bool:
    """Return True when `user_id` holds (pending) or completed another part of this round of `step`."""
    return session.scalar(select(exists().where(
        StepAssignment.step_id == step.id, StepAssignment.round == step.round, StepAssignment.user_id == user_id,
        StepAssignment.id != besides,
        StepAssignment.state.in_([AssignmentState.PENDING, AssignmentState.DONE])))) or False


def _acted_on_other_part(session: Session, step: RouteStep, actor_id: int, *, besides: int) -> bool:
    """Return True when `actor_id` completed another assignment of this round of `step` (own or as 代)."""
    return session.scalar(select(exists().where(
        DocumentAction.step_id == step.id, DocumentAction.actor_id == actor_id,
        DocumentAction.action.in_([str(a) for a in COMPLETING_ACTIONS]),
        DocumentAction.assignment_id != besides,
        DocumentAction.assignment_id.in_(select(StepAssignment.id).where(
            StepAssignment.step_id == step.id, StepAssignment.round == step.round,
            StepAssignment.state == AssignmentState.DONE)),
    ))) or False


def _why_not_pending(session: Session, assignment: StepAssignment) -> str:
    if assignment.state == AssignmentState.DONE:
        return msg("已处理：您已处理过此步骤，无需重复提交。")
    if assignment.state == AssignmentState.SUPERSEDED:
        other = session.scalar(
            select(DocumentAction)
            .where(DocumentAction.step_id == assignment.step_id, DocumentAction.action.in_(list(COMPLETING_ACTIONS)))
            .order_by(DocumentAction.id.desc())
            .limit(1)
        )
        who = other.actor.display_name if other else msg("他人")
        return msg("已处理：此步骤已由%(who)s处理，无需重复操作。请刷新页面查看最新状态。", who=who)
    if assignment.state == AssignmentState.TRANSFERRED:
        return msg("已处理：此事项已转办他人。")
    return msg("已处理：此步骤已不在您这里（可能已被退回、撤回或已由他人处理）。请刷新页面查看最新状态。")


def _finish_assignment(session: Session, assignment: StepAssignment) -> None:
    result = session.execute(
        update(StepAssignment)
        .where(StepAssignment.id == assignment.id, StepAssignment.state == AssignmentState.PENDING)
        .values(state=AssignmentState.DONE, acted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise ConflictError(msg("此步骤刚刚已被处理，本次操作未执行。请刷新页面查看最新状态。"))
    session.refresh(assignment)


def _step_complete(session: Session, step: RouteStep) -> bool:
    rows = session.execute(
        select(StepAssignment.department_id, StepAssignment.state)
        .where(StepAssignment.step_id == step.id, StepAssignment.round == step.round)
    ).all()
    if StepKind(step.kind) not in PARALLEL_KINDS:
        return any(state == AssignmentState.DONE for _, state in rows)
    units: dict[int | None, bool] = {}
    for dept, state in rows:
        if state in (AssignmentState.CANCELLED, AssignmentState.TRANSFERRED):
            units.setdefault(dept, False)
            continue
        units[dept] = units.get(dept, False) or state == AssignmentState.DONE
    done = sum(units.values())
    if step.mode == "any":
        return done >= 1
    if step.mode == "quorum":
        return done >= int(step.quorum or 1)
    return done == len(units)


def _supersede(
    session: Session, step: RouteStep, *, department_id: int | None = None, whole_step: bool = False
) -> None:
    stmt = update(StepAssignment).where(
        StepAssignment.step_id == step.id, StepAssignment.state == AssignmentState.PENDING
    )
    if not whole_step:
        stmt = stmt.where(StepAssignment.department_id.is_(None) if department_id is None
                          else StepAssignment.department_id == department_id)
    session.execute(stmt.values(state=AssignmentState.SUPERSEDED).execution_options(synchronize_session="evaluate"))


def _cancel_pending(session: Session, step: RouteStep) -> None:
    session.execute(
        update(StepAssignment)
        .where(StepAssignment.step_id == step.id, StepAssignment.state == AssignmentState.PENDING)
        .values(state=AssignmentState.CANCELLED)
        .execution_options(synchronize_session="evaluate")
    )


@dataclass
class StepInput:
    """What an action on a step may carry besides the opinion."""

    lead_department: str | None = None  # 批办: 主办 department code
    co_departments: Sequence[str] = ()  # 批办: 协办 department codes
    retention: str | None = None  # 归档
    copies: int | None = None  # 编号: 印发份数
    distribution_departments: Sequence[str] | None = None  # 编号/分发: departments receiving it
    distribution_users: Sequence[str] | None = None
    # 编号 in a new year of a document that holds last year's 文号: "keep" it, or "renew" (void it with
    # `void_reason` and take this year's next number). Asked for only then.
    number_year: str | None = None
    void_reason: str = ""


def complete(
    session: Session, settings: Any, doc_id: int, actor: User, assignment_id: int, *, opinion: str = "",
    params: StepInput | None = None, on_behalf_of: User | None = None, attach: Any = None,
    expected_version: int | None = None,
) -> DocumentAction:
    """Complete one's part of the active step: 同意 / 签发 / 批办 / 编号 / 分发 / 归档, by step kind.

    `expected_version` (the version the form showed) makes a repeated post a ConflictError (「已处理」).
    """
    params = params or StepInput()
    doc = lock(session, doc_id)
    step = session.get(RouteStep, session.scalar(
        select(StepAssignment.step_id).where(StepAssignment.id == assignment_id)) or 0)
    if step is None:
        raise NotFound(msg("该办理事项不存在。"))
    action = COMPLETING_ACTION[StepKind(step.kind)]
    step, assignment = _take_assignment(session, doc, actor, assignment_id, action, on_behalf_of)
    opinion = (opinion or "").strip()[:MAX_OPINION]
    kind = StepKind(step.kind)
    data: dict[str, Any] = {}
    if is_format_checkpoint(step):
        blocking = [p.message for p in format_problems(session, settings, doc, signing=kind == StepKind.SIGN)
                    if p.blocking]
        if blocking:
            raise WorkflowError(msg("公文格式有以下问题，请修改后再办理："), problems=blocking)
    if kind == StepKind.SIGN and not opinion:
        opinion = msg("同意")
    if kind == StepKind.INSTRUCT:
        data.update(_apply_instruction(session, doc, params))
    if kind in FINAL_STEP_KINDS and doc.frozen_hash and _current_hash(session, doc) != doc.frozen_hash:
        raise WorkflowError(msg("文件内容在签发后已变更，须经签发人复核后才能继续。"))
    _finish_assignment(session, assignment)
    bump(session, doc, expected_version)
    if kind == StepKind.NUMBER:
        if params.copies is not None:
            doc.copies = params.copies
        _set_distribution(session, doc, params)
        data.update(_year_choice(session, doc, actor, params))
        entry = ledger.issue_number(session, doc, _number_code(settings, step), actor)
        _ask_formal(settings, doc)
        data["number"] = entry.number
    if kind == StepKind.DISTRIBUTE:
        refused = _formal_refusal(session, settings, doc)
        if refused:
            raise WorkflowError(refused)
        _set_distribution(session, doc, params)
        data["receipts"] = distribute(session, doc, actor)
    if kind == StepKind.SIGN:
        snap = freeze.snapshot(doc, files_of(session, doc))
        doc.frozen_snapshot, doc.frozen_hash = snap, freeze.fingerprint(snap)
        doc.signed_by_id, doc.signed_at = (on_behalf_of or actor).id, utcnow()
        data["fingerprint"] = doc.frozen_hash
    record = record_action(session, doc, action, actor, step=step, assignment=assignment, opinion=opinion or None,
                     data=data or None, on_behalf_of=on_behalf_of)
    _supersede(session, step, department_id=assignment.department_id)
    if kind == StepKind.FILE:
        from documents import filing

        filing.file_document(session, settings, doc, actor, retention=params.retention or doc.retention,
                             fonds=str(step.spec.get("fonds", "J001")), category=str(step.spec.get("category", "WS")),
                             attach=attach)
    if _step_complete(session, step):
        _supersede(session, step, whole_step=True)
        step.state, step.finished_at = StepState.DONE, utcnow()
        session.flush()
        advance(session, settings, doc, actor)
    return record


def held_number_from_another_year(session: Session, doc: Document) -> NumberEntry | None:
    """Return the 文号 the document holds when its year is not this 编号's year (bureau time), else None."""
    held = session.scalar(select(NumberEntry).where(NumberEntry.document_id == doc.id,
                                                    NumberEntry.voided_at.is_(None)))
    return held if held is not None and held.year != ledger.local_year() else None


def _year_choice(session: Session, doc: Document, actor: User, params: StepInput) -> dict[str, Any]:
    """At 编号 across a year end, the clerk keeps the old 文号 or voids it for this year's: never silently."""
    held = held_number_from_another_year(session, doc)
    if held is None:
        return {}
    year = ledger.local_year()
    if params.number_year == "keep":
        return {"kept_number": held.number, "kept_year": held.year}
    if params.number_year == "renew":
        if not params.void_reason.strip():
            raise WorkflowError(msg("作废原文号 %(number)s 须填写原因。", number=held.number))
        ledger.void_number(session, held, actor, params.void_reason)
        return {"voided_number": held.number}
    raise WorkflowError(msg(
        "该文已有 %(year)s 年的文号 %(number)s，本次编号在 %(year2)s 年：请选择保留原文号，或作废原文号（填写原因）后"
        "取 %(year2)s 年的新文号。",
        year=held.year, number=held.number, year2=year,
    ))


def _current_hash(session: Session, doc: Document) -> str:
    return freeze.fingerprint(freeze.snapshot(doc, files_of(session, doc)))


def _apply_instruction(session: Session, doc: Document, params: StepInput) -> dict[str, Any]:
    if not params.lead_department:
        raise WorkflowError(msg("批办须指定主办部门。"))
    lead = org.department_by_code(session, params.lead_department)
    if lead is None:
        raise WorkflowError(msg("主办部门「%(lead_department)s」不存在。", lead_department=params.lead_department))
    co = []
    for code in params.co_departments:
        dept = org.department_by_code(session, code)
        if dept is None:
            raise WorkflowError(msg("协办部门「%(code)s」不存在。", code=code))
        if dept.id != lead.id and dept.code not in co:
            co.append(dept.code)
    doc.lead_department_id, doc.co_departments = lead.id, co
    session.flush()
    session.refresh(doc, ["lead_department"])
    return {"lead": lead.code, "co": co}


def _set_distribution(session: Session, doc: Document, params: StepInput) -> None:
    if params.distribution_departments is None and params.distribution_users is None:
        return
    dist = dict(doc.distribution or {})
    if params.distribution_departments is not None:
        bad = [c for c in params.distribution_departments if org.department_by_code(session, c) is None]
        if bad:
            raise WorkflowError(msg("分发部门不存在：%(value)s", value=', '.join(bad)))
        dist["departments"] = list(dict.fromkeys(params.distribution_departments))
    if params.distribution_users is not None:
        bad = [u for u in params.distribution_users if org.user_by_username(session, u) is None]
        if bad:
            raise WorkflowError(msg("分发人员不存在：%(value)s", value=', '.join(bad)))
        dist["users"] = list(dict.fromkeys(params.distribution_users))
    doc.distribution = dist


def distribute(session: Session, doc: Document, actor: User) -> int:
    """Create 待阅 receipts for everyone on the distribution list who is cleared for the document, and tell them.

    A department on the list with nobody active and cleared for the 密级 is refused by name (WorkflowError):
    a 分发 that reaches nobody there must not pass as done.
    """
    dist = doc.distribution or {}
    people: dict[int, User] = {}
    empty: list[str] = []
    for code in dist.get("departments", []):
        dept = org.department_by_code(session, code)
        if dept is not None:
            staff = [u for u in session.scalars(select(User).where(User.department_id == dept.id,
                                                                   User.active.is_(True)))
                     if cleared(u, doc.classification)]
            if not staff:
                empty.append(dept.name)
            for user in staff:
                people[user.id] = user
    if empty:
        raise WorkflowError(msg(
            "分发部门「%(value)s」没有在岗且涉密等级足够的人员，文件送不到；请调整分发范围，或请管理员为该部门配置人"
            "员。",
            value='、'.join(empty),
        ))
    for username in dist.get("users", []):
        named = org.user_by_username(session, username)
        if named is not None and named.active:
            people[named.id] = named
    existing = set(session.scalars(select(ReadReceipt.user_id).where(ReadReceipt.document_id == doc.id)))
    made = 0
    for user in people.values():
        if user.id in existing or not cleared(user, doc.classification):
            continue
        session.add(ReadReceipt(document_id=doc.id, user_id=user.id, source="distribute", created_by_id=actor.id))
        hooks.distributed(session, doc, user, actor)
        made += 1
    session.flush()
    return made


def needs_acknowledgement(session: Session, doc: Document) -> bool:
    """Return True when the document's 分发 step asks recipients to confirm receipt (签收) instead of
    opening counting as read (route template option `acknowledge`)."""
    specs = session.scalars(select(RouteStep.spec).where(RouteStep.document_id == doc.id,
                                                         RouteStep.kind == StepKind.DISTRIBUTE))
    return any(bool((spec or {}).get("acknowledge")) for spec in specs)


def may_see_receipts(doc: Document, user: User) -> bool:
    """Who sees the 签收 list of a distributed document: its drafter and whoever numbers and distributes."""
    return user.id == doc.drafter_id or Permission.DOCUMENTS_NUMBER in org.permissions_of(user)


def receipts(session: Session, doc: Document) -> list[tuple[ReadReceipt, User]]:
    """Return who received the document by 分发 and whether they have read (签收) it, by department and name."""
    rows = session.execute(select(ReadReceipt, User).join(User, User.id == ReadReceipt.user_id).where(
        ReadReceipt.document_id == doc.id, ReadReceipt.source != CIRCULATED_RECEIPT)
        .order_by(User.department_id, User.display_name)).all()
    return [(r, u) for r, u in rows]


def unread(session: Session, doc: Document, user: User) -> bool:
    """Return True when the user has a 待阅 receipt for the document."""
    return bool(session.scalar(select(exists().where(
        ReadReceipt.document_id == doc.id, ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None)))))


def mark_read(session: Session, doc: Document, user: User) -> bool:
    """Mark the user's receipt for the document as read (已阅); return True when it changed."""
    result = session.execute(
        update(ReadReceipt)
        .where(ReadReceipt.document_id == doc.id, ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return changed_rows(result) > 0


def return_document(
    session: Session, settings: Any, doc_id: int, actor: User, assignment_id: int, *, reasons: list[str],
    target_step_id: int | None = None, opinion: str = "", on_behalf_of: User | None = None,
    expected_version: int | None = None,
) -> DocumentAction:
    """退回 to the drafter (target None) or to an earlier step, listing every reason at once (一次性告知)."""
    doc = lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.RETURN, on_behalf_of)
    reasons = [r.strip()[:1000] for r in reasons if r and r.strip()]
    if not reasons:
        raise WorkflowError(msg("退回须写明理由（可写多条，一次性告知所有问题）。"))
    target = None
    if target_step_id is not None:
        target = session.get(RouteStep, target_step_id)
        if (target is None or target.document_id != doc.id or target.route_round != doc.route_round
                or target.position >= step.position or target.state != StepState.DONE):
            raise WorkflowError(msg("只能退回到已经办理过的前面步骤。"))
    bump(session, doc, expected_version)
    record = record_action(session, doc, Action.RETURN, actor, step=step, assignment=assignment,
                     opinion=opinion.strip() or None, reasons=reasons, on_behalf_of=on_behalf_of,
                     data={"to": target.name if target else msg(
                         "拟稿人",
                     ), "to_step_id": target.id if target else None})
    if target is None:
        for s in steps_of(session, doc):
            _cancel_pending(session, s)
            if s.state in (StepState.ACTIVE, StepState.WAITING):
                s.state = StepState.CANCELLED
        doc.state = State.RETURNED
        _unfreeze_if_unsigned(session, doc)
        hooks.returned(session, doc, actor, reasons)
        return record
    for s in steps_of(session, doc):
        if target.position <= s.position <= step.position:
            _cancel_pending(session, s)
            s.state, s.finished_at = StepState.WAITING, None
    session.flush()
    _unfreeze_if_unsigned(session, doc)
    _activate(session, settings, doc, target, actor)
    return record


def _unfreeze_if_unsigned(session: Session, doc: Document) -> None:
    # A return to before 签发 means the signer signs again anyway: the old fingerprint no longer applies.
    if doc.frozen_hash and not any(
        StepKind(s.kind) == StepKind.SIGN and s.state == StepState.DONE for s in steps_of(session, doc)
    ):
        doc.frozen_hash = doc.frozen_snapshot = doc.signed_by_id = doc.signed_at = None


def send_back(
    session: Session, doc_id: int, actor: User, assignment_id: int, *, reasons: list[str],
    on_behalf_of: User | None = None, expected_version: int | None = None,
) -> DocumentAction:
    """退回来文: an incoming document is not ours or not well-formed; the reasons go back to the sender."""
    doc = lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.SEND_BACK, on_behalf_of)
    reasons = [r.strip()[:1000] for r in reasons if r and r.strip()]
    if not reasons:
        raise WorkflowError(msg("退回来文须写明理由。"))
    bump(session, doc, expected_version)
    record = record_action(session, doc, Action.SEND_BACK, actor, step=step, assignment=assignment, reasons=reasons,
                     on_behalf_of=on_behalf_of)
    for s in steps_of(session, doc):
        _cancel_pending(session, s)
        if s.state in (StepState.ACTIVE, StepState.WAITING):
            s.state = StepState.CANCELLED
    doc.state, doc.completed_at = State.SENT_BACK, utcnow()
    return record


def withdrawable(session: Session, doc: Document, user: User) -> DocumentAction | None:
    """Return the user's action that may still be withdrawn (no one has moved the document since)."""
    if transition(doc.state, Action.WITHDRAW) is None:
        return None
    own = session.scalar(
        select(DocumentAction)
        .where(DocumentAction.document_id == doc.id, DocumentAction.actor_id == user.id,
               DocumentAction.action.in_([str(a) for a in COMPLETING_ACTIONS | {Action.SUBMIT}]))
        .order_by(DocumentAction.id.desc())
        .limit(1)
    )
    if own is None or own.action in (Action.NUMBER, Action.DISTRIBUTE, Action.FILE):
        return None
    later = session.scalars(
        select(DocumentAction).where(DocumentAction.document_id == doc.id, DocumentAction.id > own.id,
                                     DocumentAction.action.in_([str(a) for a in _MOVING]))
    ).all()
    if own.action == Action.SUBMIT:
        return None if later else own
    step = session.get(RouteStep, own.step_id) if own.step_id else None
    if step is None or step.route_round != doc.route_round:
        return None
    # Parallel 会签 / 承办: later approvals by other departments of the same step do not block.
    parallel = StepKind(step.kind) in PARALLEL_KINDS
    if any(not (parallel and a.step_id == own.step_id and a.action in COMPLETING_ACTIONS) for a in later):
        return None
    assignment = session.get(StepAssignment, own.assignment_id) if own.assignment_id else None
    if assignment is None or assignment.round != step.round or assignment.state != AssignmentState.DONE:
        return None
    return own


def withdraw(session: Session, doc_id: int, actor: User, *, expected_version: int) -> DocumentAction:
    """撤回 one's latest action while the next person has not acted yet."""
    doc = lock(session, doc_id)
    own = withdrawable(session, doc, actor)
    if own is None or doc.state != State.ACTIVE:
        raise ConflictError(msg("已无法撤回：下一位办理人已经处理，或您没有可撤回的操作。"))
    principal = session.get(User, own.on_behalf_of_id) if own.on_behalf_of_id else None
    own_step = session.get(RouteStep, own.step_id) if own.step_id else None
    own_assignment = session.get(StepAssignment, own.assignment_id) if own.assignment_id else None
    if principal is not None and (
        all(g.principal_id != principal.id for g in hooks.proxy.active_for_proxy(session, actor.id))
        or (own_step is not None and own_assignment is not None
            and not hooks.may_act(session, actor, principal, doc, own_step, own_assignment))
    ):
        # The action was taken as 代: undoing it needs the same authority (window and scope), in force now.
        raise WorkflowError(msg(
            "您代理%(display_name)s的授权已结束，不能再撤回以代理身份办理的操作；请联系%(display_name)s。",
            display_name=principal.display_name,
        ))
    if own_step is not None and own_assignment is not None:
        # 撤回 takes the task back: only someone who may still decide the step may take it back.
        standing = standing_problem(session, doc, own_step, own_assignment, principal or actor, actor)
        if standing:
            raise WorkflowError(msg("不能撤回：%(why)s", why=standing))
    elif not actor.active:
        raise WorkflowError(msg("%(display_name)s 的账户已停用，不能办理。", display_name=actor.display_name))
    bump(session, doc, expected_version)
    withdrawn = _pending_holders(session, doc)
    if own.action == Action.SUBMIT:
        for s in steps_of(session, doc):
            _cancel_pending(session, s)
            s.state = StepState.CANCELLED
        doc.state = State.DRAFT
        hooks.withdrawn(session, doc, withdrawn, actor)
        return record_action(session, doc, Action.WITHDRAW, actor, data={"action_id": own.id}, on_behalf_of=principal)
    step = session.get(RouteStep, own.step_id)
    assignment = session.get(StepAssignment, own.assignment_id)
    assert step is not None and assignment is not None
    if step.state == StepState.DONE:
        for s in steps_of(session, doc):
            if s.state == StepState.ACTIVE:
                _cancel_pending(session, s)
                s.state = StepState.WAITING
        step.state, step.finished_at = StepState.ACTIVE, None
        done_units = set(session.scalars(select(StepAssignment.department_id).where(
            StepAssignment.step_id == step.id, StepAssignment.round == step.round,
            StepAssignment.state == AssignmentState.DONE, StepAssignment.id != assignment.id)))
        # Units that had not acted were superseded by the completion: give them their turn back.
        for a in session.scalars(select(StepAssignment).where(
                StepAssignment.step_id == step.id, StepAssignment.round == step.round,
                StepAssignment.state == AssignmentState.SUPERSEDED)):
            if a.department_id not in done_units or a.department_id == assignment.department_id:
                a.state = AssignmentState.PENDING
    else:
        for a in session.scalars(select(StepAssignment).where(
                StepAssignment.step_id == step.id, StepAssignment.round == step.round,
                StepAssignment.state == AssignmentState.SUPERSEDED,
                StepAssignment.department_id.is_(None) if assignment.department_id is None
                else StepAssignment.department_id == assignment.department_id)):
            a.state = AssignmentState.PENDING
    assignment.state, assignment.acted_at = AssignmentState.PENDING, None
    if own.action == Action.SIGN:
        doc.frozen_hash = doc.frozen_snapshot = doc.signed_by_id = doc.signed_at = None
    if own.action == Action.INSTRUCT:
        doc.lead_department_id, doc.co_departments = None, []
    session.flush()
    still = {u.id for u in _pending_holders(session, doc)}
    hooks.withdrawn(session, doc, [u for u in withdrawn if u.id not in still], actor)
    return record_action(session, doc, Action.WITHDRAW, actor, step=step, data={"action_id": own.id},
                   on_behalf_of=principal)


def _pending_holders(session: Session, doc: Document) -> list[User]:
    """Return everyone holding a pending task on the document now."""
    return list(session.scalars(select(User).join(StepAssignment, StepAssignment.user_id == User.id).where(
        StepAssignment.document_id == doc.id, StepAssignment.state == AssignmentState.PENDING).distinct()))


def _eligible_user(session: Session, doc: Document, username: str, step_kind: StepKind) -> User:
    user = org.user_by_username(session, username)
    if user is None or not user.active:
        raise WorkflowError(msg("没有在岗的用户「%(username)s」。", username=username))
    if not cleared(user, doc.classification):
        raise WorkflowError(msg("%(display_name)s 的涉密等级不足，不能办理此文件。", display_name=user.display_name))
    needed = routes.KIND_PERMISSION.get(step_kind)
    if needed is not None and needed not in org.permissions_of(user):
        raise WorkflowError(msg(
            "%(display_name)s 没有办理「%(step_kind)s」步骤的权限。",
            display_name=user.display_name, step_kind=step_kind,
        ))
    return user


def add_signer(
    session: Session, doc_id: int, actor: User, assignment_id: int, *, username: str, opinion: str = "",
    on_behalf_of: User | None = None, expected_version: int | None = None,
) -> RouteStep:
    """加签: add a reviewer right after the current step (a repeated post of the same form: ConflictError)."""
    doc = lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.ADD_SIGNER, on_behalf_of)
    signer = _eligible_user(session, doc, username, StepKind.APPROVE)
    bump(session, doc, expected_version)
    session.execute(
        update(RouteStep)
        .where(RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round,
               RouteStep.position > step.position)
        .values(position=RouteStep.position + 1)
        .execution_options(synchronize_session="evaluate")
    )
    added = RouteStep(
        document_id=doc.id, route_round=doc.route_round, position=step.position + 1, key="added",
        name=msg("加签：%(display_name)s", display_name=signer.display_name), kind=StepKind.APPROVE, mode="one",
        spec={"key": "added", "kind": "approve", "assignee": {"who": "person", "user_id": signer.id}},
        state=StepState.WAITING, round=0, added_by_id=actor.id,
    )
    session.add(added)
    session.flush()
    record_action(session, doc, Action.ADD_SIGNER, actor, step=step, assignment=assignment,
                  opinion=opinion.strip() or None, data={"user_id": signer.id, "name": signer.display_name},
                  on_behalf_of=on_behalf_of)
    return added


def transfer(
    session: Session, doc_id: int, actor: User, assignment_id: int, *, username: str, opinion: str = "",
    on_behalf_of: User | None = None, expected_version: int | None = None,
) -> StepAssignment:
    """转办: pass one's part of the step on to someone else (never to someone holding another part of it)."""
    doc = lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.TRANSFER, on_behalf_of)
    target = _eligible_user(session, doc, username, StepKind(step.kind))
    if target.id == assignment.user_id:
        raise WorkflowError(msg("不能转办给自己。"))
    if _holds_part(session, step, target.id, besides=assignment.id):
        # One person, one voice: a 会签 of two units must not end in one person's hands.
        raise WorkflowError(msg(
            "%(display_name)s 已是本步骤的办理人（另一单位的部分），同一人不能在一个步骤中代表两方；请转给其他人员。",
            display_name=target.display_name,
        ))
    bump(session, doc, expected_version)
    result = session.execute(
        update(StepAssignment)
        .where(StepAssignment.id == assignment.id, StepAssignment.state == AssignmentState.PENDING)
        .values(state=AssignmentState.TRANSFERRED, acted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise ConflictError(msg("此步骤刚刚已被处理，本次操作未执行。"))
    new = StepAssignment(step_id=step.id, document_id=doc.id, user_id=target.id,
                         department_id=assignment.department_id, lead=assignment.lead, round=step.round,
                         state=AssignmentState.PENDING, priority=assignment.priority)
    session.add(new)
    session.flush()
    hooks.tasks_created(session, doc, step, [new])
    record_action(session, doc, Action.TRANSFER, actor, step=step, assignment=assignment,
                  opinion=opinion.strip() or None, data={"user_id": target.id, "name": target.display_name},
                  on_behalf_of=on_behalf_of)
    return new


def comment(session: Session, doc_id: int, actor: User, opinion: str, *, form_key: str = "") -> DocumentAction:
    """Add an opinion to the record without moving the document.

    A comment does not change the document's version (others' open pages stay valid); instead the
    form carries a key of its own (`form_key`, one per rendered form) and a repeat of the same key by
    the same person is refused as 「已处理」 (ConflictError).
    """
    doc = lock(session, doc_id) if form_key else session.get(Document, doc_id)
    if doc is None or not can_view(session, doc, actor):
        raise NotFound(msg("文件不存在，或您没有查看权限。"))
    if transition(doc.state, Action.COMMENT) is None:
        raise WorkflowError(msg("文件当前状态下不能添加意见。"))
    opinion = (opinion or "").strip()
    if not opinion:
        raise WorkflowError(msg("请填写意见内容。"))
    if form_key and any((data or {}).get("form_key") == form_key for data in session.scalars(
            select(DocumentAction.data).where(DocumentAction.document_id == doc.id, DocumentAction.actor_id == actor.id,
                                              DocumentAction.action == Action.COMMENT))):
        raise ConflictError(msg("已处理：这条意见已经记录，本次提交未重复执行。"))
    return record_action(session, doc, Action.COMMENT, actor, step=active_step(session, doc),
                         opinion=opinion[:MAX_OPINION], data={"form_key": form_key} if form_key else None)


def review_if_changed(session: Session, doc: Document, actor: User) -> None:
    """The 复核 rule: once signed, a content change sends the document back to the signer first."""
    if not doc.frozen_hash or doc.state != State.ACTIVE:
        return
    current = freeze.snapshot(doc, files_of(session, doc))
    if freeze.fingerprint(current) == doc.frozen_hash:
        return
    active = active_step(session, doc)
    if active is not None and StepKind(active.kind) == StepKind.SIGN:
        return  # the signer already has it
    changed = freeze.changes(doc.frozen_snapshot or current, current)
    position = active.position if active else 1 + max((s.position for s in steps_of(session, doc)), default=0)
    if active is not None:
        _cancel_pending(session, active)
        active.state = StepState.WAITING
    session.execute(
        update(RouteStep)
        .where(RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round,
               RouteStep.position >= position)
        .values(position=RouteStep.position + 1)
        .execution_options(synchronize_session="evaluate")
    )
    review = RouteStep(
        document_id=doc.id, route_round=doc.route_round, position=position, key="review",
        name=msg("复核（签发后内容变更）"), kind=StepKind.SIGN, mode="one",
        spec={"key": "review", "kind": "sign", "review": True,
              "assignee": {"who": "person", "user_id": doc.signed_by_id}},
        state=StepState.WAITING, round=0, added_by_id=actor.id,
    )
    session.add(review)
    session.flush()
    record_action(session, doc, Action.REVIEW, actor, step=review, data=freeze.as_data(changed))
    _activate(session, None, doc, review, actor)


@dataclass
class Offer:
    """The actions offered to one person on one document page."""

    assignment: StepAssignment | None = None
    step: RouteStep | None = None
    complete_action: Action | None = None
    can_return: bool = False
    return_targets: list[RouteStep] = field(default_factory=list)
    can_send_back: bool = False
    can_add_signer: bool = False
    can_transfer: bool = False
    can_edit: bool = False
    can_submit: bool = False
    can_cancel: bool = False
    withdraw: DocumentAction | None = None
    can_comment: bool = False
    on_behalf_of: User | None = None  # the principal when the viewer acts as their 职位代理


def offer(session: Session, doc: Document, user: User) -> Offer:
    """Return what `user` may do on `doc` now, read from the state table."""
    out = Offer()
    state = doc.state
    out.can_comment = transition(state, Action.COMMENT) is not None
    out.can_submit = transition(state, Action.SUBMIT) is not None and user.id == doc.drafter_id
    out.can_cancel = transition(state, Action.CANCEL) is not None and user.id == doc.drafter_id
    assignment = my_assignment(session, doc, user) if state == State.ACTIVE else None
    if assignment is None and state == State.ACTIVE:
        # 职位代理: a proxy is offered the principal's task, acted on with on_behalf_of = the principal.
        delegated = hooks.delegated_assignment(session, doc, user, active_step(session, doc))
        if delegated is not None:
            assignment, out.on_behalf_of = delegated
    revise = transition(state, Action.REVISE)
    out.can_edit = revise is not None and (
        user.id == doc.drafter_id or (revise.who == Who.EDITOR and assignment is not None and out.on_behalf_of is None)
    )
    if assignment is not None:
        step = assignment.step
        kind = StepKind(step.kind)
        out.assignment, out.step = assignment, step
        out.complete_action = COMPLETING_ACTION[kind]
        for action, attr in ((Action.RETURN, "can_return"), (Action.SEND_BACK, "can_send_back"),
                             (Action.ADD_SIGNER, "can_add_signer"), (Action.TRANSFER, "can_transfer")):
            rule = transition(state, action)
            setattr(out, attr, rule is not None and kind in rule.step_kinds)
        if out.can_return:
            out.return_targets = [s for s in steps_of(session, doc)
                                  if s.position < step.position and s.state == StepState.DONE]
    if state == State.ACTIVE:
        out.withdraw = withdrawable(session, doc, user)
    return out
