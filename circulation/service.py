"""传阅: send a document or an archive file to people and whole departments for reading.

Each recipient has a receipt: 待阅 until they open the item, then 已阅 with the time. The sender sees
who holds it and who has not read it, can chase (催办), add recipients and recall unread receipts.
A recipient may pass it on to colleagues of their own department when the sender allowed it.
A circulated document also gets the routing module's read receipt (source "circulate"), which is what
lets the recipient open the document page; recalling removes it again while unread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, delete, exists, func, select, update
from sqlalchemy.orm import Session

from circulation.errors import CirculationError, NotFound
from core import org
from core.clearance import cleared
from core.db import changed_rows
from core.messages import msg
from core.models import Department, User
from core.models.base import utcnow
from core.models.documents import CIRCULATED_RECEIPT, Document, ReadReceipt
from core.models.files import ArchiveFile
from core.models.supervision import Circulation, CirculationReceipt, Reminder
from notifications import notify

MAX_NOTE = 2000
MAX_RECIPIENTS = 500
CIRCULATE_SOURCE = CIRCULATED_RECEIPT


@dataclass
class Recipients:
    usernames: Sequence[str] = ()
    department_codes: Sequence[str] = ()


@dataclass
class Status:
    """The sender's view: who has read, who still holds it, whose receipt was recalled."""

    read: list[CirculationReceipt] = field(default_factory=list)
    unread: list[CirculationReceipt] = field(default_factory=list)
    recalled: list[CirculationReceipt] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.read) + len(self.unread)


def link_for(circulation_id: int) -> str:
    """Return the intranet path of a circulation item (for notifications)."""
    return f"/circulation/{circulation_id}"


def _resolve(session: Session, recipients: Recipients) -> tuple[list[tuple[User, Department | None]], list[str]]:
    """Expand names and departments into (user, via department); return them and the problems found."""
    problems: list[str] = []
    people: dict[int, tuple[User, Department | None]] = {}
    for code in dict.fromkeys(c.strip() for c in recipients.department_codes if c and c.strip()):
        dept = org.department_by_code(session, code)
        if dept is None or not dept.active:
            problems.append(msg("部门「%(code)s」不存在。", code=code))
            continue
        members = session.scalars(select(User).where(User.department_id == dept.id, User.active.is_(True)))
        for user in members:
            people.setdefault(user.id, (user, dept))
    for name in dict.fromkeys(n.strip() for n in recipients.usernames if n and n.strip()):
        named = org.user_by_username(session, name)
        if named is None or not named.active:
            problems.append(msg("没有在岗的用户「%(name)s」。", name=name))
            continue
        people[named.id] = (named, None)
    return list(people.values()), problems


def _check_cleared(people: Iterable[tuple[User, Department | None]], classification: int) -> list[str]:
    low = [u.display_name for u, _ in people if not cleared(u, classification)]
    if low:
        return [msg("以下人员的涉密等级低于该文件密级，不能传阅给他们：%(value)s", value='、'.join(low))]
    return []


def send(
    session: Session, sender: User, *, recipients: Recipients, document: Document | None = None,
    archive_file: ArchiveFile | None = None, note: str = "", allow_pass_on: bool = True,
) -> Circulation:
    """Start a circulation of a document or archive file the sender may see; every problem is listed at once.

    The caller checks that the sender may see the item (routing's can_view, the indexer's scope).
    """
    if (document is None) == (archive_file is None):
        raise CirculationError(msg("请选择要传阅的一份公文或一个档案文件。"))
    problems: list[str] = []
    people, unknown = _resolve(session, recipients)
    problems += unknown
    people = [(u, d) for u, d in people if u.id != sender.id]
    if not people and not unknown:
        problems.append(msg("请至少选择一位传阅对象（人员或部门）。"))
    if len(people) > MAX_RECIPIENTS:
        problems.append(msg("一次传阅不能超过%(MAX_RECIPIENTS)s人。", MAX_RECIPIENTS=MAX_RECIPIENTS))
    if document is not None:
        title, classification = document.title, document.classification
    else:
        assert archive_file is not None
        title, classification = archive_file.title or archive_file.name, archive_file.classification
    problems += _check_cleared(people, classification)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        problems.append(msg("传阅说明不能超过%(MAX_NOTE)s个字符。", MAX_NOTE=MAX_NOTE))
    if problems:
        raise CirculationError("\n".join(problems), problems=problems)
    circ = Circulation(
        document_id=document.id if document else None, archive_file_id=archive_file.id if archive_file else None,
        title=title[:300], classification=classification, note=note, sender_id=sender.id,
        allow_pass_on=allow_pass_on, created_at=utcnow(),
    )
    session.add(circ)
    session.flush()
    _add_receipts(session, circ, sender, people)
    return circ


def _add_receipts(
    session: Session, circ: Circulation, actor: User, people: list[tuple[User, Department | None]]
) -> list[CirculationReceipt]:
    existing = {r.user_id: r for r in session.scalars(
        select(CirculationReceipt).where(CirculationReceipt.circulation_id == circ.id))}
    made: list[CirculationReceipt] = []
    for user, dept in people:
        old = existing.get(user.id)
        if old is not None:
            if old.recalled_at is None:
                continue
            # Sending again to someone whose receipt was recalled: a fresh 待阅.
            old.recalled_at = old.recalled_by_id = old.read_at = None
            old.added_by_id, old.created_at = actor.id, utcnow()
            receipt = old
        else:
            receipt = CirculationReceipt(circulation_id=circ.id, user_id=user.id, added_by_id=actor.id,
                                         via_department_id=dept.id if dept else None, created_at=utcnow())
            session.add(receipt)
        made.append(receipt)
        if circ.document_id is not None:
            _grant_document(session, circ.document_id, user, actor)
        notify.notify(session, user, "circulation", msg("传阅：%(title)s", title=circ.title),
                      body=msg(
                          "%(display_name)s 请您阅知：%(title)s",
                          display_name=actor.display_name, title=circ.title,
                      ) + (f"\n{circ.note}" if circ.note else ""),
                      link=link_for(circ.id), document_id=circ.document_id)
    session.flush()
    return made


def _grant_document(session: Session, document_id: int, user: User, actor: User) -> None:
    has = session.scalar(select(exists().where(ReadReceipt.document_id == document_id, ReadReceipt.user_id == user.id)))
    if not has:
        session.add(ReadReceipt(document_id=document_id, user_id=user.id, source=CIRCULATE_SOURCE,
                                created_by_id=actor.id, created_at=utcnow()))


def get_for(session: Session, user: User, circulation_id: int) -> tuple[Circulation, CirculationReceipt | None]:
    """Return the circulation and the user's live receipt; the sender gets (circulation, None)."""
    circ = session.get(Circulation, circulation_id)
    if circ is None:
        raise NotFound(msg("该传阅不存在，或您不在传阅范围内。"))
    receipt = session.scalar(select(CirculationReceipt).where(
        CirculationReceipt.circulation_id == circ.id, CirculationReceipt.user_id == user.id,
        CirculationReceipt.recalled_at.is_(None)))
    if receipt is None and circ.sender_id != user.id:
        raise NotFound(msg("该传阅不存在，或您不在传阅范围内（可能已被发送人收回）。"))
    return circ, receipt


def mark_read(session: Session, user: User, circulation_id: int) -> bool:
    """Mark the user's receipt 已阅 (once); return True when it changed now."""
    result = session.execute(
        update(CirculationReceipt)
        .where(CirculationReceipt.circulation_id == circulation_id, CirculationReceipt.user_id == user.id,
               CirculationReceipt.read_at.is_(None), CirculationReceipt.recalled_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    changed = bool(changed_rows(result))
    if changed:
        circ = session.get(Circulation, circulation_id)
        if circ is not None and circ.document_id is not None:
            session.execute(
                update(ReadReceipt)
                .where(ReadReceipt.document_id == circ.document_id, ReadReceipt.user_id == user.id,
                       ReadReceipt.read_at.is_(None))
                .values(read_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        session.expire_all()
    return changed


def mark_document_read(session: Session, user: User, document_id: int) -> int:
    """Mark every live receipt of the user for circulations of this document 已阅 (they opened it)."""
    ids = select(Circulation.id).where(Circulation.document_id == document_id).scalar_subquery()
    result = session.execute(
        update(CirculationReceipt)
        .where(CirculationReceipt.circulation_id.in_(ids), CirculationReceipt.user_id == user.id,
               CirculationReceipt.read_at.is_(None), CirculationReceipt.recalled_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return changed_rows(result)


def _as_sender(session: Session, actor: User, circulation_id: int) -> Circulation:
    circ = session.get(Circulation, circulation_id)
    # The same answer for a missing circulation and someone else's: ids reveal nothing to outsiders.
    if circ is None or circ.sender_id != actor.id:
        raise NotFound(msg("该传阅不存在，或您不是它的发起人。"))
    return circ


def add_recipients(
    session: Session, actor: User, circulation_id: int, recipients: Recipients
) -> list[CirculationReceipt]:
    """Add people or departments to a circulation (the sender)."""
    circ = _as_sender(session, actor, circulation_id)
    people, problems = _resolve(session, recipients)
    people = [(u, d) for u, d in people if u.id != actor.id]
    problems += _check_cleared(people, circ.classification)
    if not people and not problems:
        problems.append(msg("请至少选择一位要增加的传阅对象。"))
    if problems:
        raise CirculationError("\n".join(problems), problems=problems)
    made = _add_receipts(session, circ, actor, people)
    if not made:
        raise CirculationError(msg("所选人员都已在传阅范围内。"))
    return made


def pass_on(session: Session, actor: User, circulation_id: int, usernames: Sequence[str]) -> list[CirculationReceipt]:
    """A recipient passes the item on to colleagues of their own department (when the sender allowed it)."""
    circ, receipt = get_for(session, actor, circulation_id)
    if receipt is None:
        raise CirculationError(msg("只有传阅对象可以转给本部门同事。"))
    if not circ.allow_pass_on:
        raise CirculationError(msg("发起人未允许转传此件。如需扩大传阅范围，请联系发起人。"))
    people, problems = _resolve(session, Recipients(usernames=usernames))
    others = [u.display_name for u, _ in people if u.department_id != actor.department_id]
    if others:
        problems.append(msg("只能转给本部门同事，以下人员不在本部门：%(value)s", value='、'.join(others)))
    people = [(u, d) for u, d in people if u.id not in (actor.id, circ.sender_id)]
    problems += _check_cleared(people, circ.classification)
    if not people and not problems:
        problems.append(msg("请选择要转给的本部门同事。"))
    if problems:
        raise CirculationError("\n".join(problems), problems=problems)
    made = _add_receipts(session, circ, actor, people)
    if not made:
        raise CirculationError(msg("所选同事都已在传阅范围内。"))
    return made


def recall(session: Session, actor: User, circulation_id: int, receipt_ids: Sequence[int] | None = None) -> int:
    """Recall unread receipts (all unread ones when none are named); read ones stay. Return how many."""
    circ = _as_sender(session, actor, circulation_id)
    stmt = select(CirculationReceipt).where(
        CirculationReceipt.circulation_id == circ.id, CirculationReceipt.recalled_at.is_(None))
    if receipt_ids is not None:
        stmt = stmt.where(CirculationReceipt.id.in_(list(receipt_ids)))
    targets = list(session.scalars(stmt))
    unread = [r for r in targets if r.read_at is None]
    if not unread:
        if targets:
            raise CirculationError(msg("所选人员均已阅读，已阅的不能收回。"))
        raise CirculationError(msg("没有可收回的未阅传阅。"))
    now = utcnow()
    count = 0
    for r in unread:
        # Conditional: a receipt read a moment ago stays read and is not recalled.
        result = session.execute(
            update(CirculationReceipt)
            .where(CirculationReceipt.id == r.id, CirculationReceipt.read_at.is_(None),
                   CirculationReceipt.recalled_at.is_(None))
            .values(recalled_at=now, recalled_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if changed_rows(result):
            count += 1
            if circ.document_id is not None:
                _revoke_document(session, circ.document_id, r.user_id)
    session.expire_all()
    return count


def _revoke_document(session: Session, document_id: int, user_id: int) -> None:
    still = session.scalar(select(exists().where(
        CirculationReceipt.user_id == user_id, CirculationReceipt.recalled_at.is_(None),
        CirculationReceipt.circulation_id.in_(select(Circulation.id).where(Circulation.document_id == document_id)))))
    if not still:
        session.execute(delete(ReadReceipt).where(
            ReadReceipt.document_id == document_id, ReadReceipt.user_id == user_id,
            ReadReceipt.source == CIRCULATE_SOURCE, ReadReceipt.read_at.is_(None)))


def remind_unread(session: Session, actor: User, circulation_id: int, note: str = "") -> int:
    """催办: remind everyone who has not read it yet; return how many were reminded."""
    circ = _as_sender(session, actor, circulation_id)
    unread = list(session.scalars(select(CirculationReceipt).where(
        CirculationReceipt.circulation_id == circ.id, CirculationReceipt.read_at.is_(None),
        CirculationReceipt.recalled_at.is_(None))))
    if not unread:
        raise CirculationError(msg("所有人都已阅读，无需催办。"))
    note = (note or "").strip()[:MAX_NOTE]
    for r in unread:
        session.add(Reminder(circulation_id=circ.id, target_id=r.user_id, by_id=actor.id, at=utcnow(), note=note))
        notify.notify(session, r.user, "reminder", msg("催阅：%(title)s", title=circ.title),
                      body=msg(
                          "%(display_name)s 提醒您尽快阅知：%(title)s",
                          display_name=actor.display_name, title=circ.title,
                      ) + (f"\n{note}" if note else ""),
                      link=link_for(circ.id), document_id=circ.document_id)
    session.flush()
    return len(unread)


def status(session: Session, circ: Circulation) -> Status:
    """Return the receipts of a circulation grouped for the sender."""
    out = Status()
    for r in session.scalars(select(CirculationReceipt).where(CirculationReceipt.circulation_id == circ.id)
                             .order_by(CirculationReceipt.read_at.is_(None).desc(), CirculationReceipt.id)):
        (out.recalled if r.recalled_at else out.read if r.read_at else out.unread).append(r)
    return out


def inbox(session: Session, user: User, *, unread_only: bool = False, limit: int = 200
          ) -> list[tuple[Circulation, CirculationReceipt]]:
    """Return the user's live receipts, 待阅 first then newest."""
    stmt = (select(Circulation, CirculationReceipt)
            .join(CirculationReceipt, CirculationReceipt.circulation_id == Circulation.id)
            .where(CirculationReceipt.user_id == user.id, CirculationReceipt.recalled_at.is_(None)))
    if unread_only:
        stmt = stmt.where(CirculationReceipt.read_at.is_(None))
    stmt = stmt.order_by(CirculationReceipt.read_at.is_not(None), CirculationReceipt.created_at.desc()).limit(limit)
    return [(c, r) for c, r in session.execute(stmt).all()]


def unread_count(session: Session, user: User) -> int:
    """Return the user's 待阅 count."""
    return int(session.scalar(select(func.count(CirculationReceipt.id)).where(
        CirculationReceipt.user_id == user.id, CirculationReceipt.read_at.is_(None),
        CirculationReceipt.recalled_at.is_(None))) or 0)


@dataclass
class SentRow:
    circulation: Circulation
    total: int
    read: int

    @property
    def unread(self) -> int:
        return self.total - self.read


def sent(session: Session, user: User, *, limit: int = 200) -> list[SentRow]:
    """Return the circulations the user started, newest first, with read counts."""
    live = and_(CirculationReceipt.circulation_id == Circulation.id, CirculationReceipt.recalled_at.is_(None))
    stmt = (select(Circulation, func.count(CirculationReceipt.id),
                   func.sum(case((CirculationReceipt.read_at.is_not(None), 1), else_=0)))
            .outerjoin(CirculationReceipt, live)
            .where(Circulation.sender_id == user.id)
            .group_by(Circulation.id)
            .order_by(Circulation.created_at.desc(), Circulation.id.desc())
            .limit(limit))
    return [SentRow(c, int(total or 0), int(read or 0)) for c, total, read in session.execute(stmt).all()]


def for_document(session: Session, document_id: int) -> list[Circulation]:
    """Return the circulations of one document, newest first."""
    return list(session.scalars(select(Circulation).where(Circulation.document_id == document_id)
                                .order_by(Circulation.id.desc())))


def colleagues(session: Session, user: User) -> list[User]:
    """Return the active people of the user's department (candidates for passing on)."""
    if user.department_id is None:
        return []
    return list(session.scalars(select(User).where(User.department_id == user.department_id, User.active.is_(True),
                                                   User.id != user.id).order_by(User.username)))


def read_at_of(receipt: CirculationReceipt | None) -> datetime | None:
    """Return when the receipt was read (None: not yet, or no receipt)."""
    return receipt.read_at if receipt else None
