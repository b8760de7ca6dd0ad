"""Every action on a document: draft, submit, approve, return, withdraw, 加签, 转办, comment, 签发 with
freeze and 复核, 编号, 分发, 归档; who may see a document; the 待办 / 已办 / 我发起的 lists.

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
from datetime import date
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import False_

from archive import org, storage
from archive.clearance import cleared, cleared_clause
from archive.db import begin_write as _begin_write
from archive.db import changed_rows
from archive.messages import msg
from archive.models import Department, User
from archive.models.base import utcnow
from archive.models.documents import (
    CIRCULATED_RECEIPT,
    Document,
    DocumentAction,
    DocumentFile,
    NumberEntry,
    ReadReceipt,
    RouteStep,
    RouteTemplate,
    StepAssignment,
)
from archive.permissions import Permission, Role
from documents import freeze, hooks, ledger, routes
from documents.errors import ConflictError, NotFound, WorkflowError
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    CLASSIFICATION_NAMES,
    COMPLETING_ACTION,
    COMPLETING_ACTIONS,
    FINAL_STEP_KINDS,
    PARALLEL_KINDS,
    RETENTION_NAMES,
    URGENCY_NAMES,
    Action,
    AssignmentState,
    Kind,
    State,
    StepKind,
    StepState,
    Who,
    is_classified,
    transition,
)

MAX_TITLE = 300
# 待办 order: 特急 first, then 加急, then 平件 (StepAssignment.priority).
PRIORITY = {"very_urgent": 0, "urgent": 1, "normal": 2}
MAX_OPINION = 4000
# Actions that move a document (a later one of these blocks a withdraw of an earlier one).
_MOVING = COMPLETING_ACTIONS | {
    Action.SUBMIT, Action.RETURN, Action.SEND_BACK, Action.WITHDRAW, Action.TRANSFER, Action.ADD_SIGNER,
    Action.REVIEW, Action.CANCEL,
}


# ---- transactions and locking ---------------------------------------------------------------------


def begin_write(session: Session) -> None:
    """Start a write transaction holding the SQLite write lock (see archive.db.begin_write)."""
    _begin_write(session)


def _lock(session: Session, document_id: int) -> Document:
    doc = session.scalar(
        select(Document)
        .where(Document.id == document_id)
        .with_for_update(of=Document)  # PostgreSQL refuses FOR UPDATE on the outer-joined relations
        .execution_options(populate_existing=True)
    )
    if doc is None:
        raise NotFound(msg("文件不存在，或您没有查看权限。"))
    return doc


def _bump(session: Session, doc: Document, expected_version: int | None) -> None:
    seen = doc.version if expected_version is None else expected_version
    result = session.execute(
        update(Document)
        .where(Document.id == doc.id, Document.version == seen)
        .values(version=Document.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed_rows(result) != 1:
        raise ConflictError(ALREADY_DONE)
    set_committed_value(doc, "version", seen + 1)


# The answer to a form posted again (or acted on by someone else since the page was shown).
ALREADY_DONE = msg("已处理：该文件刚刚已被他人处理（或此页面已提交过），本次操作未重复执行。请刷新页面查看最新状态。")


def record_action(
    session: Session, doc: Document, action: Action, actor: User, *, step: RouteStep | None = None,
    assignment: StepAssignment | None = None, opinion: str | None = None, reasons: list[str] | None = None,
    data: dict[str, Any] | None = None, on_behalf_of: User | None = None,
) -> DocumentAction:
    record = DocumentAction(
        document_id=doc.id, step_id=step.id if step else None, assignment_id=assignment.id if assignment else None,
        step_name=step.name if step else None, action=action, actor_id=actor.id,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None, opinion=opinion, reasons=reasons, data=data,
        at=utcnow(),
    )
    session.add(record)
    session.flush()
    hooks.clear_stale_task_notices(session, doc)  # a task done, withdrawn or moved: its notice is no longer news
    return record


# ---- visibility -----------------------------------------------------------------------------------


def on_route(session: Session, doc: Document, user: User) -> bool:
    """Return True for the drafter and everyone assigned, acting or on the distribution of the document."""
    if doc.drafter_id == user.id:
        return True
    checks = [
        exists().where(StepAssignment.document_id == doc.id, StepAssignment.user_id == user.id),
        exists().where(
            DocumentAction.document_id == doc.id,
            or_(DocumentAction.actor_id == user.id, DocumentAction.on_behalf_of_id == user.id),
        ),
        exists().where(ReadReceipt.document_id == doc.id, ReadReceipt.user_id == user.id),
    ]
    return bool(session.scalar(select(or_(*checks))))


def can_view(session: Session, doc: Document, user: User) -> bool:
    """Return True when the user may see the document (drafter, department heads, route, leaders, archivists)."""
    if not user.active:
        return False
    if doc.state == State.CANCELLED:
        return doc.drafter_id == user.id
    roles = user.role_codes
    by_role = (
        Role.LEADER in roles
        or (Role.DEPT_HEAD in roles and user.department_id == doc.department_id)
        or (Role.ARCHIVIST in roles and doc.state == State.FILED)
    )
    if is_classified(doc.classification):
        # 秘密 and above: only people on the route and cleared roles, and only with enough clearance.
        return cleared(user, doc.classification) and (by_role or on_route(session, doc, user))
    return by_role or on_route(session, doc, user)


def get_document(session: Session, document_id: int, user: User) -> Document:
    """Return the document when the user may see it; otherwise raise NotFound (same for absent ones)."""
    doc = session.get(Document, document_id)
    if doc is None or not can_view(session, doc, user):
        raise NotFound(msg("文件不存在，或您没有查看权限。"))
    return doc


# ---- drafting -------------------------------------------------------------------------------------


@dataclass
class DraftFields:
    title: str
    urgency: str = "normal"
    classification: int = 1
    main_recipients: str = ""
    cc_recipients: str = ""
    deadline: date | None = None
    source_organ: str | None = None
    source_number: str | None = None
    received_on: date | None = None
    retention: str = "D30"
    upward: bool = False  # 上行文 (GB/T 9704-2012 §7.2.5: 签发人 beside the 发文字号)
    secrecy_period: str = ""  # 保密期限 of a classified document (§7.2.2), e.g. 1年, 10年, 长期
    # Set at 编号/分发, not by the drafting form: None keeps what the document has (an edit never clears
    # a field its form did not show).
    copies: int | None = None
    distribution: dict[str, list[str]] | None = None
    # The names of the fields the form showed and posted; None: every field is meant. A field the form did
    # not show keeps the document's value (an edit never clears what it did not show).
    given: frozenset[str] | None = None

    def shows(self, name: str) -> bool:
        return self.given is None or name in self.given


def _check_fields(fields: DraftFields, actor: User, kind: str) -> list[str]:
    problems: list[str] = []
    if not fields.title.strip():
        problems.append(msg("请填写标题。"))
    if len(fields.title) > MAX_TITLE:
        problems.append(msg("标题不能超过%(MAX_TITLE)s个字符。", MAX_TITLE=MAX_TITLE))
    if fields.urgency not in URGENCY_NAMES:
        problems.append(msg("请选择紧急程度（平件、加急或特急）。"))
    if fields.classification not in CLASSIFICATION_NAMES:
        problems.append(msg("请选择密级。"))
    elif not cleared(actor, fields.classification):
        problems.append(msg("您的涉密等级低于所选密级，不能起草该密级的文件。"))
    if fields.retention not in RETENTION_NAMES:
        problems.append(msg("保管期限须为永久、定期30年或定期10年。"))
    if kind == Kind.INCOMING and not (fields.source_organ or "").strip():
        problems.append(msg("收文请填写来文机关。"))
    if len(fields.secrecy_period.strip()) > MAX_SECRECY_PERIOD:
        problems.append(msg("保密期限不能超过%(n)d个字，例如：1年、10年、长期。", n=MAX_SECRECY_PERIOD))
    return problems


MAX_SECRECY_PERIOD = 20


def create_document(
    session: Session, actor: User, *, kind: str, fields: DraftFields, template_code: str | None = None
) -> Document:
    """Create a draft (收文: the 签收登记 by the clerk) in the actor's department."""
    if kind not in Kind.__members__.values():
        raise WorkflowError(msg("请选择公文种类。"))
    if actor.department_id is None:
        raise WorkflowError(msg("您的账户没有所属部门，不能起草文件。请联系系统管理员。"))
    if kind == Kind.INCOMING and Permission.DOCUMENTS_NUMBER not in org.permissions_of(actor):
        raise WorkflowError(msg("收文由办公室文书签收登记。请将来文交办公室登记。"))
    stmt = select(RouteTemplate).where(RouteTemplate.kind == kind, RouteTemplate.active.is_(True))
    if template_code:
        stmt = stmt.where(RouteTemplate.code == template_code)
    template = session.scalars(stmt.order_by(RouteTemplate.id)).first()
    if template is None:
        raise WorkflowError(msg("没有可用的路由模板，请联系系统管理员设置。"))
    problems = _check_fields(fields, actor, kind)
    if problems:
        raise WorkflowError("\n".join(problems), problems=problems)
    doc = Document(kind=kind, template_id=template.id, department_id=actor.department_id, drafter_id=actor.id,
                   state=State.DRAFT, route_plan={}, co_departments=[], version=1)
    _apply_fields(doc, fields)
    session.add(doc)
    session.flush()
    record_action(session, doc, Action.CREATE, actor)
    return doc


def _apply_fields(doc: Document, fields: DraftFields) -> None:
    doc.title = fields.title.strip()
    doc.urgency, doc.classification = fields.urgency, fields.classification
    if fields.shows("main_recipients") or doc.main_recipients is None:
        doc.main_recipients = fields.main_recipients.strip()
    if fields.shows("cc_recipients") or doc.cc_recipients is None:
        doc.cc_recipients = fields.cc_recipients.strip()
    if fields.shows("deadline"):
        doc.deadline = fields.deadline
    doc.retention = fields.retention
    if fields.copies is not None:
        doc.copies = fields.copies
    if fields.distribution is not None:
        doc.distribution = {k: list(v) for k, v in fields.distribution.items()}
    elif doc.distribution is None:
        doc.distribution = {}
    if fields.shows("source_organ"):
        doc.source_organ = (fields.source_organ or "").strip() or None
    if fields.shows("source_number"):
        doc.source_number = (fields.source_number or "").strip() or None
    if fields.shows("received_on"):
        doc.received_on = fields.received_on
    if fields.shows("upward"):
        doc.upward = bool(fields.upward) and doc.kind != Kind.INCOMING
    if fields.shows("secrecy_period"):
        doc.secrecy_period = fields.secrecy_period.strip() or None


def files_of(session: Session, doc: Document, *, current_only: bool = True) -> list[DocumentFile]:
    """Return the document's files (正文 first), optionally with every earlier version."""
    stmt = select(DocumentFile).where(DocumentFile.document_id == doc.id)
    if current_only:
        stmt = stmt.where(DocumentFile.current.is_(True))
    return list(session.scalars(stmt.order_by(DocumentFile.role != "main", DocumentFile.slot, DocumentFile.version_no)))


def _check_editor(session: Session, doc: Document, actor: User, action: Action = Action.REVISE) -> None:
    rule = transition(doc.state, action)
    if rule is None:
        raise WorkflowError(msg("文件当前状态下不能修改内容。"))
    if rule.who == Who.DRAFTER and actor.id != doc.drafter_id:
        raise WorkflowError(msg("只有拟稿人可以修改草稿。"))
    if rule.who == Who.EDITOR and actor.id != doc.drafter_id and _my_assignment(session, doc, actor) is None:
        raise WorkflowError(msg("只有拟稿人或当前步骤的办理人可以修改文件内容。"))


def update_fields(
    session: Session, doc_id: int, actor: User, fields: DraftFields, *, expected_version: int
) -> Document:
    """Change the document's fields; after 签发 a change of key fields sends it back to the signer (复核)."""
    doc = _lock(session, doc_id)
    _check_editor(session, doc, actor)
    problems = _check_fields(fields, actor, doc.kind)
    if problems:
        raise WorkflowError("\n".join(problems), problems=problems)
    _bump(session, doc, expected_version)
    before = freeze.snapshot(doc, files_of(session, doc))
    _apply_fields(doc, fields)
    session.execute(
        update(StepAssignment)
        .where(StepAssignment.document_id == doc.id, StepAssignment.state == AssignmentState.PENDING)
        .values(priority=PRIORITY.get(doc.urgency, 2))
        .execution_options(synchronize_session="evaluate")
    )
    after = freeze.snapshot(doc, files_of(session, doc))
    changed = freeze.changes(before, after)
    if changed:
        record_action(session, doc, Action.REVISE, actor, step=_active_step(session, doc),
                      data=freeze.as_data(changed))
        _review_if_changed(session, doc, actor)
    return doc


def add_file(
    session: Session, files_dir: Any, doc_id: int, actor: User, *, role: str, filename: str = "", data: bytes = b"",
    slot: str | None = None, expected_version: int | None = None, stored: storage.Stored | None = None,
) -> DocumentFile:
    """Store a new file or a new version of one (`slot`); after 签发 this sends it back for 复核.

    `stored` is an upload already hashed and written by `storage.store` (a web view does that before its
    write transaction starts, so no lock is held during the file I/O); else `filename` and `data` are stored here.
    """
    import uuid

    if role not in ("main", "attachment"):
        raise WorkflowError(msg("文件类别须为正文或附件。"))
    if stored is None:  # hash and write first (content-addressed, idempotent)
        stored = storage.store(files_dir, filename, data, role=role)
    doc = _lock(session, doc_id)
    _check_editor(session, doc, actor)
    _bump(session, doc, expected_version)
    current = files_of(session, doc)
    before = freeze.snapshot(doc, current)
    if role == "main" and slot is None:
        slot = next((f.slot for f in current if f.role == "main"), None)  # one 正文: a new upload is a new version
    previous = next((f for f in current if f.slot == slot), None) if slot else None
    if slot and previous is None:
        raise WorkflowError(msg("要更新的文件不存在。"))
    if previous is not None:
        previous.current = False
    new = DocumentFile(
        document_id=doc.id, slot=slot or str(uuid.uuid4()), role=previous.role if previous else role,
        version_no=(previous.version_no + 1) if previous else 1, filename=stored.filename, sha256=stored.sha256,
        size=stored.size, content_type=stored.content_type, current=True, uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    session.add(new)
    session.flush()
    after = freeze.snapshot(doc, files_of(session, doc))
    record_action(session, doc, Action.REVISE, actor, step=_active_step(session, doc),
            data={**freeze.as_data(freeze.changes(before, after)), "file_id": new.id})
    _review_if_changed(session, doc, actor)
    return new


def remove_file(session: Session, doc_id: int, actor: User, slot: str, *, expected_version: int) -> None:
    """Take an attachment off the document (its versions stay stored for the record)."""
    doc = _lock(session, doc_id)
    _check_editor(session, doc, actor)
    _bump(session, doc, expected_version)
    current = files_of(session, doc)
    target = next((f for f in current if f.slot == slot), None)
    if target is None:
        raise WorkflowError(msg("要删除的附件不存在。"))
    if target.role == "main":
        raise WorkflowError(msg("正文不能删除，请上传新版本替换。"))
    before = freeze.snapshot(doc, current)
    target.current = False
    session.flush()
    after = freeze.snapshot(doc, files_of(session, doc))
    record_action(session, doc, Action.REVISE, actor, step=_active_step(session, doc),
            data=freeze.as_data(freeze.changes(before, after)))
    _review_if_changed(session, doc, actor)


def set_plan(session: Session, doc_id: int, actor: User, plan: dict[str, Any], *, expected_version: int) -> Document:
    """Adjust the route of a draft within what its template allows (optional steps, 会签 departments)."""
    doc = _lock(session, doc_id)
    if doc.drafter_id != actor.id or transition(doc.state, Action.SUBMIT) is None:
        raise WorkflowError(msg("只有拟稿人可以在提交前调整路由。"))
    routes.plan_steps(session, doc.template, plan)
    _bump(session, doc, expected_version)
    doc.route_plan = plan
    return doc


def cancel(session: Session, doc_id: int, actor: User, *, expected_version: int, reason: str = "") -> Document:
    """作废 a draft or a returned document (the drafter only)."""
    doc = _lock(session, doc_id)
    _require(session, doc, Action.CANCEL, actor)
    _bump(session, doc, expected_version)
    doc.state = State.CANCELLED
    doc.completed_at = utcnow()
    record_action(session, doc, Action.CANCEL, actor, opinion=reason.strip() or None)
    return doc


def submit(session: Session, settings: Any, doc_id: int, actor: User, *, expected_version: int) -> Document:
    """Send a draft (or a returned document) along its route; every missing item is listed at once."""
    doc = _lock(session, doc_id)
    _require(session, doc, Action.SUBMIT, actor)
    problems: list[str] = []
    if not any(f.role == "main" for f in files_of(session, doc)):
        problems.append(
            msg("请上传正文（.docx 或 .pdf）。") if doc.kind != Kind.INCOMING
            else msg("请上传来文扫描件或电子件作为正文。")
        )
    problems += _check_fields(_fields_of(doc), actor, doc.kind)
    try:
        planned = routes.plan_steps(session, doc.template, doc.route_plan or {})
    except WorkflowError as exc:
        problems += exc.problems
        planned = []
    if problems:
        raise WorkflowError(msg("提交前请处理以下问题：\n") + "\n".join(problems), problems=problems)
    _bump(session, doc, expected_version)
    doc.route_round += 1
    for position, spec in enumerate(planned, start=1):
        session.add(RouteStep(
            document_id=doc.id, route_round=doc.route_round, position=position, key=spec["key"], name=spec["name"],
            kind=spec["kind"], mode=spec.get("mode", "one"), quorum=spec.get("quorum"), spec=spec,
            state=StepState.WAITING, round=0,
        ))
    session.flush()
    doc.state = State.ACTIVE
    record_action(session, doc, Action.SUBMIT, actor, data={"route_round": doc.route_round})
    hooks.submitted(session, settings, doc)
    _advance(session, settings, doc, actor)
    return doc


def _fields_of(doc: Document) -> DraftFields:
    return DraftFields(
        title=doc.title, urgency=doc.urgency, classification=doc.classification,
        main_recipients=doc.main_recipients, cc_recipients=doc.cc_recipients, deadline=doc.deadline,
        source_organ=doc.source_organ, source_number=doc.source_number, received_on=doc.received_on,
        retention=doc.retention, copies=doc.copies, distribution=doc.distribution or {},
    )


# ---- the route ------------------------------------------------------------------------------------


def steps_of(session: Session, doc: Document) -> list[RouteStep]:
    """Return the steps of the document's current route, in order."""
    return list(session.scalars(
        select(RouteStep)
        .where(RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round)
        .order_by(RouteStep.position)
    ))


def _active_step(session: Session, doc: Document) -> RouteStep | None:
    return session.scalar(
        select(RouteStep).where(
            RouteStep.document_id == doc.id, RouteStep.route_round == doc.route_round,
            RouteStep.state == StepState.ACTIVE,
        )
    )


def _my_assignment(session: Session, doc: Document, user: User) -> StepAssignment | None:
    step = _active_step(session, doc)
    if step is None:
        return None
    return session.scalar(
        select(StepAssignment).where(
            StepAssignment.step_id == step.id, StepAssignment.user_id == user.id,
            StepAssignment.state == AssignmentState.PENDING,
        )
    )


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


def _advance(session: Session, settings: Any, doc: Document, actor: User) -> None:
    """Activate the next waiting step; end the route when none is left."""
    while True:
        if _active_step(session, doc) is not None:
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


def _number_code(settings: Any, step: RouteStep) -> str:
    return str(step.spec.get("code", "{organ}发")).replace("{organ}", settings.organ_code)


def _require(session: Session, doc: Document, action: Action, actor: User) -> None:
    rule = transition(doc.state, action)
    if rule is None:
        raise ConflictError(msg("文件当前状态下不能进行此操作（可能已被他人处理）。请刷新页面查看最新状态。"))
    if rule.who == Who.DRAFTER and actor.id != doc.drafter_id:
        raise WorkflowError(msg("只有拟稿人可以进行此操作。"))


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
    doc = _lock(session, doc_id)
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
    _bump(session, doc, expected_version)
    if kind == StepKind.NUMBER:
        if params.copies is not None:
            doc.copies = params.copies
        _set_distribution(session, doc, params)
        data.update(_year_choice(session, doc, actor, params))
        entry = ledger.issue_number(session, doc, _number_code(settings, step), actor)
        _ask_formal(settings, doc)
        data["number"] = entry.number
    if kind == StepKind.DISTRIBUTE:
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
        _advance(session, settings, doc, actor)
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
        user = org.user_by_username(session, username)
        if user is not None and user.active:
            people[user.id] = user
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
    doc = _lock(session, doc_id)
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
    _bump(session, doc, expected_version)
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
    doc = _lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.SEND_BACK, on_behalf_of)
    reasons = [r.strip()[:1000] for r in reasons if r and r.strip()]
    if not reasons:
        raise WorkflowError(msg("退回来文须写明理由。"))
    _bump(session, doc, expected_version)
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
    doc = _lock(session, doc_id)
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
    _bump(session, doc, expected_version)
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
    doc = _lock(session, doc_id)
    step, assignment = _take_assignment(session, doc, actor, assignment_id, Action.ADD_SIGNER, on_behalf_of)
    signer = _eligible_user(session, doc, username, StepKind.APPROVE)
    _bump(session, doc, expected_version)
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
    doc = _lock(session, doc_id)
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
    _bump(session, doc, expected_version)
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
    doc = _lock(session, doc_id) if form_key else session.get(Document, doc_id)
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
    return record_action(session, doc, Action.COMMENT, actor, step=_active_step(session, doc),
                         opinion=opinion[:MAX_OPINION], data={"form_key": form_key} if form_key else None)


def _review_if_changed(session: Session, doc: Document, actor: User) -> None:
    """The 复核 rule: once signed, a content change sends the document back to the signer first."""
    if not doc.frozen_hash or doc.state != State.ACTIVE:
        return
    current = freeze.snapshot(doc, files_of(session, doc))
    if freeze.fingerprint(current) == doc.frozen_hash:
        return
    active = _active_step(session, doc)
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


# ---- what the viewer may do -----------------------------------------------------------------------


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
    assignment = _my_assignment(session, doc, user) if state == State.ACTIVE else None
    if assignment is None and state == State.ACTIVE:
        # 职位代理: a proxy is offered the principal's task, acted on with on_behalf_of = the principal.
        delegated = hooks.delegated_assignment(session, doc, user, _active_step(session, doc))
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


# ---- lists ----------------------------------------------------------------------------------------


@dataclass
class ListFilter:
    kind: str | None = None
    state: str | None = None
    q: str | None = None
    page: int = 1
    per_page: int = 30


@dataclass
class Listing:
    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(stmt: Any, flt: ListFilter) -> Any:
    if flt.kind:
        stmt = stmt.where(Document.kind == flt.kind)
    if flt.state:
        stmt = stmt.where(Document.state == flt.state)
    if flt.q and flt.q.strip():
        needle = "%" + flt.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Document.title.like(needle, escape="\\"), Document.doc_number.like(needle, escape="\\")))
    return stmt


def _page(session: Session, stmt: Any, count_stmt: Any, flt: ListFilter) -> Listing:
    page = max(1, flt.page)
    total = int(session.scalar(count_stmt) or 0)
    rows = session.execute(stmt.limit(flt.per_page).offset((page - 1) * flt.per_page)).all()
    return Listing(rows=list(rows), total=total, page=page, per_page=flt.per_page)


def inbox(session: Session, user: User, flt: ListFilter | None = None, *, rows: bool = True) -> Listing:
    """待办: the steps waiting for the user, most urgent and oldest first; rows are (document, step, assignment)."""
    flt = flt or ListFilter()
    # 职位代理: the principal's tasks an active proxy window covers are listed too.
    delegated = hooks.delegated_clause(session, user)
    plain = isinstance(delegated, False_)
    mine = StepAssignment.user_id == user.id if plain else or_(StepAssignment.user_id == user.id, delegated)
    pending = StepAssignment.state == AssignmentState.PENDING
    if plain and not (flt.kind or flt.state or flt.q):
        count = select(func.count(StepAssignment.id)).where(mine, pending)  # the index alone answers
    else:
        count = _filtered(
            select(func.count(StepAssignment.id)).join(Document, Document.id == StepAssignment.document_id)
            .join(RouteStep, RouteStep.id == StepAssignment.step_id).where(mine, pending), flt)
    if not rows:
        return Listing(rows=[], total=int(session.scalar(count) or 0), page=1, per_page=flt.per_page)
    base = _filtered(
        select(Document, RouteStep, StepAssignment)
        .join(StepAssignment, StepAssignment.document_id == Document.id)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .where(mine, pending), flt)
    order = (StepAssignment.priority, StepAssignment.created_at, StepAssignment.id)
    return _page(session, base.order_by(*order), count, flt)


def handled(session: Session, user: User, flt: ListFilter | None = None) -> Listing:
    """已办: documents the user acted on (other than drafting them), latest first; rows are (document,)."""
    flt = flt or ListFilter()
    acted = (
        select(DocumentAction.document_id)
        .where(or_(DocumentAction.actor_id == user.id, DocumentAction.on_behalf_of_id == user.id),
               DocumentAction.action.in_([str(a) for a in COMPLETING_ACTIONS | {Action.RETURN, Action.SEND_BACK,
                                                                               Action.TRANSFER}]))
    )
    stmt = _filtered(select(Document).where(Document.id.in_(acted)), flt)
    count = _filtered(select(func.count(Document.id)).where(Document.id.in_(acted)), flt)
    return _page(session, stmt.order_by(Document.updated_at.desc(), Document.id.desc()), count, flt)


def mine(session: Session, user: User, flt: ListFilter | None = None) -> Listing:
    """我发起的: documents the user drafted, newest first; rows are (document,)."""
    flt = flt or ListFilter()
    own = (Document.drafter_id == user.id, cleared_clause(user, Document.classification))  # 密级 raised since: hidden
    stmt = _filtered(select(Document).where(*own), flt)
    count = _filtered(select(func.count(Document.id)).where(*own), flt)
    return _page(session, stmt.order_by(Document.created_at.desc(), Document.id.desc()), count, flt)


def received(session: Session, user: User, *, unread_only: bool = False,
             limit: int = 200) -> list[tuple[Document, ReadReceipt]]:
    """收件: every document distributed (分发) or passed (传阅) to the user, 待阅 first then newest.

    Read ones stay (已阅): nothing a reader received disappears after one opening.
    """
    stmt = (select(Document, ReadReceipt).join(ReadReceipt, ReadReceipt.document_id == Document.id)
            .where(ReadReceipt.user_id == user.id, cleared_clause(user, Document.classification),
                   ReadReceipt.source != CIRCULATED_RECEIPT))  # 传阅 are listed (and counted) by their circulation
    if unread_only:
        stmt = stmt.where(ReadReceipt.read_at.is_(None))
    stmt = stmt.order_by(ReadReceipt.read_at.is_not(None), ReadReceipt.created_at.desc()).limit(limit)
    return [(d, r) for d, r in session.execute(stmt).all()]


def to_read(session: Session, user: User) -> list[tuple[Document, ReadReceipt]]:
    """待阅: documents distributed to the user and not read yet."""
    rows = session.execute(
        select(Document, ReadReceipt).join(ReadReceipt, ReadReceipt.document_id == Document.id)
        .where(ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None),
               cleared_clause(user, Document.classification))
        .order_by(ReadReceipt.created_at.desc()).limit(100)
    ).all()
    return [(d, r) for d, r in rows]


def counts(session: Session, user: User, *, inbox_total: int | None = None) -> dict[str, int]:
    """Return the numbers shown on the list tabs (pass the 待办 total when it is already known)."""
    # 已办 is not counted here: on a busy account it means reading every action the person took; its own
    # page shows its total.
    return {
        "inbox": inbox(session, user, rows=False).total if inbox_total is None else inbox_total,
        "mine": int(session.scalar(select(func.count(Document.id)).where(Document.drafter_id == user.id)) or 0),
        "to_read": int(session.scalar(select(func.count(ReadReceipt.id)).where(
            ReadReceipt.user_id == user.id, ReadReceipt.read_at.is_(None),
            ReadReceipt.source != CIRCULATED_RECEIPT)) or 0),
    }


def step_people(session: Session, steps: list[RouteStep]) -> dict[int, list[StepAssignment]]:
    """Return, per step id, the assignments of its latest round (for the route progress)."""
    if not steps:
        return {}
    rounds = {s.id: s.round for s in steps}
    out: dict[int, list[StepAssignment]] = {s.id: [] for s in steps}
    for a in session.scalars(select(StepAssignment).where(StepAssignment.step_id.in_(list(rounds)))
                             .order_by(StepAssignment.id)):
        if a.round == rounds[a.step_id]:
            out[a.step_id].append(a)
    return out


def departments_for_choice(session: Session) -> list[Department]:
    """Return the departments a drafter or leader may pick (countersign, 主办/协办, distribution)."""
    return org.departments(session)

