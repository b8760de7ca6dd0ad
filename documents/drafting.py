"""拟稿: creating a document, its fields and files, the route plan, cancelling and submitting it.

Errors: WorkflowError listing every problem at once (一次性告知), ConflictError for a stale page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import org, storage
from core.clearance import cleared
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.documents import (
    Document,
    DocumentFile,
    RouteStep,
    RouteTemplate,
    StepAssignment,
)
from core.permissions import Permission
from documents import freeze, hooks, routes
from documents.common import (
    MAX_TITLE,
    PRIORITY,
    active_step,
    bump,
    files_of,
    lock,
    my_assignment,
    record_action,
    require,
)
from documents.engine import advance, review_if_changed
from documents.errors import WorkflowError
from documents.history import timeline  # noqa: F401  (part of this module's API)
from documents.states import (
    CLASSIFICATION_NAMES,
    RETENTION_NAMES,
    URGENCY_NAMES,
    Action,
    AssignmentState,
    Kind,
    State,
    StepState,
    Who,
    transition,
)


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


def _check_editor(session: Session, doc: Document, actor: User, action: Action = Action.REVISE) -> None:
    rule = transition(doc.state, action)
    if rule is None:
        raise WorkflowError(msg("文件当前状态下不能修改内容。"))
    if rule.who == Who.DRAFTER and actor.id != doc.drafter_id:
        raise WorkflowError(msg("只有拟稿人可以修改草稿。"))
    if rule.who == Who.EDITOR and actor.id != doc.drafter_id and my_assignment(session, doc, actor) is None:
        raise WorkflowError(msg("只有拟稿人或当前步骤的办理人可以修改文件内容。"))


def update_fields(
    session: Session, doc_id: int, actor: User, fields: DraftFields, *, expected_version: int
) -> Document:
    """Change the document's fields; after 签发 a change of key fields sends it back to the signer (复核)."""
    doc = lock(session, doc_id)
    _check_editor(session, doc, actor)
    problems = _check_fields(fields, actor, doc.kind)
    if problems:
        raise WorkflowError("\n".join(problems), problems=problems)
    bump(session, doc, expected_version)
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
        record_action(session, doc, Action.REVISE, actor, step=active_step(session, doc),
                      data=freeze.as_data(changed))
        review_if_changed(session, doc, actor)
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
    doc = lock(session, doc_id)
    _check_editor(session, doc, actor)
    bump(session, doc, expected_version)
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
    record_action(session, doc, Action.REVISE, actor, step=active_step(session, doc),
            data={**freeze.as_data(freeze.changes(before, after)), "file_id": new.id})
    review_if_changed(session, doc, actor)
    return new


def remove_file(session: Session, doc_id: int, actor: User, slot: str, *, expected_version: int) -> None:
    """Take an attachment off the document (its versions stay stored for the record)."""
    doc = lock(session, doc_id)
    _check_editor(session, doc, actor)
    bump(session, doc, expected_version)
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
    record_action(session, doc, Action.REVISE, actor, step=active_step(session, doc),
            data=freeze.as_data(freeze.changes(before, after)))
    review_if_changed(session, doc, actor)


def set_plan(session: Session, doc_id: int, actor: User, plan: dict[str, Any], *, expected_version: int) -> Document:
    """Adjust the route of a draft within what its template allows (optional steps, 会签 departments)."""
    doc = lock(session, doc_id)
    if doc.drafter_id != actor.id or transition(doc.state, Action.SUBMIT) is None:
        raise WorkflowError(msg("只有拟稿人可以在提交前调整路由。"))
    routes.plan_steps(session, doc.template, plan)
    bump(session, doc, expected_version)
    doc.route_plan = plan
    return doc


def cancel(session: Session, doc_id: int, actor: User, *, expected_version: int, reason: str = "") -> Document:
    """作废 a draft or a returned document (the drafter only)."""
    doc = lock(session, doc_id)
    require(session, doc, Action.CANCEL, actor)
    bump(session, doc, expected_version)
    doc.state = State.CANCELLED
    doc.completed_at = utcnow()
    record_action(session, doc, Action.CANCEL, actor, opinion=reason.strip() or None)
    return doc


def submit(session: Session, settings: Any, doc_id: int, actor: User, *, expected_version: int) -> Document:
    """Send a draft (or a returned document) along its route; every missing item is listed at once."""
    doc = lock(session, doc_id)
    require(session, doc, Action.SUBMIT, actor)
    problems: list[str] = []
    if not any(f.role == "main" for f in files_of(session, doc)):
        problems.append(
            msg("请上传正文（.docx 或 .pdf）。") if doc.kind != Kind.INCOMING
            else msg("请上传来文扫描件或电子件作为正文。")
        )
    problems += _check_fields(fields_of(doc), actor, doc.kind)
    try:
        planned = routes.plan_steps(session, doc.template, doc.route_plan or {})
    except WorkflowError as exc:
        problems += exc.problems
        planned = []
    if problems:
        raise WorkflowError(msg("提交前请处理以下问题：\n") + "\n".join(problems), problems=problems)
    bump(session, doc, expected_version)
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
    advance(session, settings, doc, actor)
    return doc


def fields_of(doc: Document) -> DraftFields:
    return DraftFields(
        title=doc.title, urgency=doc.urgency, classification=doc.classification,
        main_recipients=doc.main_recipients, cc_recipients=doc.cc_recipients, deadline=doc.deadline,
        source_organ=doc.source_organ, source_number=doc.source_number, received_on=doc.received_on,
        retention=doc.retention, copies=doc.copies, distribution=doc.distribution or {},
    )
