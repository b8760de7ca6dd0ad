"""The 文号 ledger and the 件号 counters: gap-free, duplicate-free serials per scope.

A serial is taken with one conditional `UPDATE ... SET last_value = last_value + 1 RETURNING` on the
scope's counter row, inside the caller's transaction. On PostgreSQL the UPDATE holds the row lock until
commit, so concurrent issuers queue behind each other; on SQLite the caller's transaction holds the
write lock (BEGIN IMMEDIATE). Either way, a rolled-back transaction rolls back its serial too: numbers
are never skipped, and the unique constraints on the entries make a duplicate impossible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.messages import msg
from core.models import User
from core.models.base import BUREAU_ZONE, utcnow
from core.models.documents import Document, DocumentAction, NumberEntry, SequenceCounter
from documents.errors import WorkflowError
from documents.states import Action

# The bureau's calendar: the year of a 文号 or 档号 is the local year, not the UTC one.
LOCAL_TZ = BUREAU_ZONE  # one definition: core.models.base


def local_year(moment: datetime | None = None) -> int:
    """Return the bureau's current year (or the year of `moment`)."""
    return (moment or utcnow()).astimezone(LOCAL_TZ).year


def next_value(session: Session, scope: str) -> int:
    """Take the next serial of `scope` (1, 2, 3, ...) in the caller's transaction."""
    bump = (
        update(SequenceCounter)
        .where(SequenceCounter.scope == scope)
        .values(last_value=SequenceCounter.last_value + 1)
        .returning(SequenceCounter.last_value)
        .execution_options(synchronize_session=False)
    )
    value = session.execute(bump).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        # A savepoint: when another transaction created the row first, only this insert is undone.
        with session.begin_nested():
            session.add(SequenceCounter(scope=scope, last_value=1))
        return 1
    except IntegrityError:
        return int(session.execute(bump).scalar_one())


def format_number(code: str, year: int, serial: int) -> str:
    """Return a 发文字号 like 示林发〔2026〕12号 (hexagonal brackets, no leading zeros, no 第)."""
    return f"{code}〔{year}〕{serial}号"


def issue_number(session: Session, doc: Document, code: str, actor: User, *, year: int | None = None) -> NumberEntry:
    """Give the document its 文号, reusing the one it already holds (a return to 编号 never takes a new one)."""
    held = session.scalar(
        select(NumberEntry).where(NumberEntry.document_id == doc.id, NumberEntry.voided_at.is_(None))
    )
    if held is not None:
        doc.doc_number = held.number
        return held
    code = code.strip()
    if not code:
        raise WorkflowError(msg("编号步骤没有设置文号代字，请联系管理员检查路由模板。"))
    year = year or local_year()
    serial = next_value(session, f"wh:{code}:{year}")
    entry = NumberEntry(
        code=code, year=year, serial=serial, number=format_number(code, year, serial),
        document_id=doc.id, issued_by_id=actor.id, issued_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    doc.doc_number = entry.number
    return entry


def void_number(session: Session, entry: NumberEntry, actor: User, reason: str) -> NumberEntry:
    """Void an issued 文号 with a reason; the entry and its serial stay in the ledger for good."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(msg("作废文号必须填写原因。"))
    if entry.voided_at is not None:
        raise WorkflowError(msg("文号 %(number)s 已于此前作废，无需重复操作。", number=entry.number))
    entry.voided_at, entry.voided_by_id, entry.void_reason = utcnow(), actor.id, reason[:1000]
    doc = session.get(Document, entry.document_id)
    if doc is not None and doc.doc_number == entry.number:
        doc.doc_number = None
    session.add(DocumentAction(
        document_id=entry.document_id, action=Action.VOID_NUMBER, actor_id=actor.id, opinion=reason,
        data={"number": entry.number}, at=utcnow(),
    ))
    session.flush()
    return entry


def entries(session: Session, *, year: int, code: str | None = None) -> list[NumberEntry]:
    """Return the 发文登记簿 of a year, in serial order (voided entries included)."""
    stmt = select(NumberEntry).where(NumberEntry.year == year).order_by(NumberEntry.code, NumberEntry.serial)
    if code:
        stmt = stmt.where(NumberEntry.code == code)
    return list(session.scalars(stmt))


def peek_number(session: Session, code: str, year: int | None = None) -> str:
    """Return the 文号 the next issue under `code` would get this year, taking nothing (a preview).

    `code` may hold ``{organ}`` already replaced by the caller. Read-only: the serial is taken only
    by `issue_number`, so two previews never reserve a number.
    """
    year = year or local_year()
    scope = f"wh:{code.strip()}:{year}"
    last = session.scalar(select(SequenceCounter.last_value).where(SequenceCounter.scope == scope))
    return format_number(code.strip(), year, int(last or 0) + 1)
