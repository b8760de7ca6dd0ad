"""通知公告 and 公示: who may publish to whom, who sees what, read receipts, objections in the period.

Rules (issue 14 §1, ../shared/docs/domain.md "通知公示"):
- The office (the settings' office department, its 文书 and 处室负责人) and administrators publish to
  anyone: all staff, chosen departments, chosen roles. A 处室负责人 publishes to their own department.
- A person sees a notice when it is published (`publish_at` passed), not withdrawn, not expired, and
  they are in its audience; its author and the office always see it.
- Opening a notice records a read receipt; the author and the office see who has not read it and may
  remind them (a bell notification each).
- A 公示 runs for a number of working days on the bureau's calendar, starting on its first working day
  on or after publication; objections (意见反馈) are taken only inside that period (local dates,
  inclusive), optionally anonymous to everyone but the office; the office records the handling of
  each, closes the 公示 with its outcome after the period, and may file it to the archive.

Every refusal is a NoticeError (a DomainError) naming what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org, storage
from core.messages import N_, DomainError, msg
from core.models import User
from core.models.base import BUREAU_ZONE, utcnow
from core.models.notices import Notice, NoticeAttachment, NoticeReceipt, Objection
from core.permissions import Role
from notifications import notify

KIND_NOTICE = "notice"
KIND_PUBLICITY = "publicity"
KIND_NAMES = {KIND_NOTICE: N_("通知公告"), KIND_PUBLICITY: N_("公示")}
MAX_TITLE = 200
MAX_BODY = 20000
MAX_OBJECTION = 2000
DEFAULT_PERIOD_WORKDAYS = 5  # a common internal 公示 period (5 working days)
MAX_PERIOD_WORKDAYS = 30


class NoticeError(DomainError):
    """A notice action was refused; the message says why and what to do."""


@dataclass(frozen=True)
class Audience:
    """Who a notice is for: everyone, or people of the listed departments or holding the listed roles."""

    everyone: bool = False
    departments: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"all": self.everyone, "departments": list(self.departments), "roles": list(self.roles)}

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Audience:
        data = data or {}
        departments: list[Any] = data.get("departments") or []
        roles: list[Any] = data.get("roles") or []
        return cls(bool(data.get("all")), tuple(str(d) for d in departments if isinstance(d, str)),
                   tuple(str(r) for r in roles if isinstance(r, str)))

    def includes(self, user: User) -> bool:
        """Return True when `user` is in the audience."""
        if self.everyone:
            return True
        if user.department is not None and user.department.code in self.departments:
            return True
        return bool(set(self.roles) & user.role_codes)


@dataclass
class NoticeDraft:
    """What a publisher fills in. Times are aware datetimes (None: now / never)."""

    title: str
    body: str = ""
    kind: str = KIND_NOTICE
    audience: Audience = field(default_factory=lambda: Audience(everyone=True))
    pinned: bool = False
    publish_at: datetime | None = None
    expire_at: datetime | None = None
    period_workdays: int | None = None  # 公示 only


office_code = org.office_code
is_office = org.is_office


def may_publish(settings: Settings, user: User) -> bool:
    """Return True when `user` may publish at all (the office, or a 处室负责人 for their department)."""
    if not user.active:
        return False
    if is_office(settings, user):
        return True
    return user.department is not None and Role.DEPT_HEAD in user.role_codes


def _audience_problems(settings: Settings, session: Session, actor: User, audience: Audience) -> list[str]:
    problems: list[str] = []
    if not (audience.everyone or audience.departments or audience.roles):
        problems.append(msg("请选择发布范围：全体人员、部门或角色。"))
    known = {d.code for d in org.departments(session)}
    unknown = [c for c in audience.departments if c not in known]
    if unknown:
        problems.append(msg("部门不存在：%(codes)s", codes="、".join(unknown)))
    bad_roles = [r for r in audience.roles if r not in Role.__members__.values()]
    if bad_roles:
        problems.append(msg("角色不存在：%(codes)s", codes="、".join(bad_roles)))
    if is_office(settings, actor):
        return problems
    own = actor.department.code if actor.department is not None else None
    if audience.everyone or audience.roles or set(audience.departments) - {own}:
        problems.append(msg("处室只能向本处室发布通知；面向全局或其他部门的通知请交办公室发布。"))
    return problems


def publish(session: Session, settings: Settings, actor: User, draft: NoticeDraft, *,
            now: datetime | None = None) -> Notice:
    """Publish a notice or 公示 (the caller commits); raise NoticeError listing every problem.

    The audience is told at once (bell and mail) when the notice is already visible; a notice
    scheduled for later is listed from its `publish_at` on.
    """
    now = now or utcnow()
    problems: list[str] = []
    if not may_publish(settings, actor):
        raise NoticeError(msg("您没有发布通知的权限：通知由办公室发布，处室负责人可向本处室发布。"))
    title, body = draft.title.strip(), draft.body.strip()
    if not title:
        problems.append(msg("请填写标题。"))
    elif len(title) > MAX_TITLE:
        problems.append(msg("标题不能超过%(n)d个字。", n=MAX_TITLE))
    if len(body) > MAX_BODY:
        problems.append(msg("正文不能超过%(n)d个字。", n=MAX_BODY))
    if draft.kind not in KIND_NAMES:
        problems.append(msg("请选择通知公告或公示。"))
    problems += _audience_problems(settings, session, actor, draft.audience)
    publish_at = draft.publish_at or now
    if draft.expire_at is not None and draft.expire_at <= publish_at:
        problems.append(msg("截止时间须晚于发布时间。"))
    workdays = draft.period_workdays
    if draft.kind == KIND_PUBLICITY:
        workdays = workdays or DEFAULT_PERIOD_WORKDAYS
        if not 1 <= workdays <= MAX_PERIOD_WORKDAYS:
            problems.append(msg("公示期须为1至%(n)d个工作日。", n=MAX_PERIOD_WORKDAYS))
    if problems:
        raise NoticeError(problems[0], problems=problems)
    notice = Notice(
        kind=draft.kind, title=title, body=body, author_id=actor.id, department_id=actor.department_id,
        audience=draft.audience.as_json(), pinned=draft.pinned, publish_at=publish_at, expire_at=draft.expire_at,
        created_at=now, updated_at=now, outcome="",
    )
    if draft.kind == KIND_PUBLICITY and workdays:
        notice.period_start, notice.period_end = period(calendar.load(session), calendar.local_date(publish_at),
                                                        workdays)
        notice.period_workdays = workdays
    session.add(notice)
    session.flush()
    session.add(NoticeReceipt(notice_id=notice.id, user_id=actor.id, read_at=now))  # the author has read it
    if publish_at <= now:
        _tell_audience(session, notice, actor)
        notice.announced_at = now
    return notice


def announce_due(session: Session, *, now: datetime | None = None) -> int:
    """Tell the audience of scheduled notices whose time has come (worker job); return how many."""
    now = now or utcnow()
    due = list(session.scalars(select(Notice).where(Notice.announced_at.is_(None), Notice.withdrawn_at.is_(None),
                                                    Notice.publish_at <= now).order_by(Notice.id).limit(50)))
    for notice in due:
        _tell_audience(session, notice, notice.author)
        notice.announced_at = now
    return len(due)


def period(cal: calendar.WorkCalendar, published_on: date, workdays: int) -> tuple[date, date]:
    """Return the first and last day of a `workdays`-long 公示 published on `published_on`.

    It starts on the first working day on or after publication and ends on its `workdays`-th
    working day (holidays and 调休 from the bureau's calendar).
    """
    start = published_on if cal.is_workday(published_on) else cal.add_workdays(published_on, 1)
    return start, cal.add_workdays(start, workdays - 1)


def _tell_audience(session: Session, notice: Notice, actor: User) -> int:
    people = [u for u in audience_users(session, notice) if u.id != actor.id]
    kind_name = KIND_NAMES[notice.kind]
    made = notify.notify_many(session, people, "notice",
                              msg("%(kind)s：%(title)s", kind=msg(kind_name), title=notice.title),
                              body=notice.body[:300], link=link_for(notice.id))
    return len(made)


def link_for(notice_id: int) -> str:
    """The notice's page (a path, for notifications)."""
    return f"/notices/{notice_id}"


def audience_users(session: Session, notice: Notice) -> list[User]:
    """Return the active people the notice is for."""
    audience = Audience.of(notice.audience)
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    return [u for u in users if audience.includes(u)]


def can_see(settings: Settings, notice: Notice, user: User, *, now: datetime | None = None) -> bool:
    """Return True when `user` may open the notice (see the module rules)."""
    if notice.author_id == user.id or is_office(settings, user):
        return True
    now = now or utcnow()
    if notice.withdrawn_at is not None or notice.publish_at > now:
        return False
    if notice.expire_at is not None and notice.expire_at <= now and notice.kind == KIND_NOTICE:
        return False
    return Audience.of(notice.audience).includes(user)


def _current(now: datetime) -> ColumnElement[bool]:
    return (Notice.withdrawn_at.is_(None)) & (Notice.publish_at <= now) & or_(
        Notice.expire_at.is_(None), Notice.expire_at > now, Notice.kind == KIND_PUBLICITY)


def for_user(session: Session, settings: Settings, user: User, *, query: str = "", kind: str | None = None,
             limit: int = 200, now: datetime | None = None) -> list[Notice]:
    """Return the notices `user` sees now, pinned first then newest; `query` searches title and body."""
    now = now or utcnow()
    stmt = select(Notice).where(_current(now))
    if kind in KIND_NAMES:
        stmt = stmt.where(Notice.kind == kind)
    words = [w for w in re.split(r"\s+", query.strip()) if w][:5]
    for word in words:
        like = f"%{word.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Notice.title.like(like), Notice.body.like(like)))
    stmt = stmt.order_by(Notice.pinned.desc(), Notice.publish_at.desc()).limit(limit * 4)
    out = [n for n in session.scalars(stmt) if can_see(settings, n, user, now=now)]
    return out[:limit]


def published_by_me(session: Session, user: User, *, limit: int = 50) -> list[Notice]:
    """The notices the user published (including scheduled and expired ones), newest first."""
    return list(session.scalars(select(Notice).where(Notice.author_id == user.id)
                                .order_by(Notice.created_at.desc()).limit(limit)))


def read_ids(session: Session, user: User, notice_ids: Sequence[int]) -> set[int]:
    """Return which of `notice_ids` the user has read."""
    if not notice_ids:
        return set()
    return set(session.scalars(select(NoticeReceipt.notice_id).where(
        NoticeReceipt.user_id == user.id, NoticeReceipt.notice_id.in_(list(notice_ids)))))


def get(session: Session, settings: Settings, user: User, notice_id: int) -> Notice:
    """Return the notice when the user may see it; NoticeError otherwise (the same for a missing one)."""
    notice = session.get(Notice, notice_id)
    if notice is None or not can_see(settings, notice, user):
        raise NoticeError(msg("通知不存在，或您不在发布范围内。"))
    return notice


def has_read(session: Session, notice: Notice, user: User) -> bool:
    """Return True when the user has opened the notice before."""
    return session.scalar(select(NoticeReceipt.id).where(NoticeReceipt.notice_id == notice.id,
                                                         NoticeReceipt.user_id == user.id)) is not None


def mark_read(session: Session, notice: Notice, user: User) -> bool:
    """Record that `user` opened the notice; return True the first time."""
    seen = session.scalar(select(NoticeReceipt.id).where(NoticeReceipt.notice_id == notice.id,
                                                         NoticeReceipt.user_id == user.id))
    if seen is not None:
        return False
    session.add(NoticeReceipt(notice_id=notice.id, user_id=user.id, read_at=utcnow()))
    session.flush()
    return True


@dataclass(frozen=True)
class Readers:
    read: list[tuple[User, datetime]]
    unread: list[User]


def readers(session: Session, notice: Notice) -> Readers:
    """Who of the audience (its author aside) has read the notice (with when) and who has not."""
    when = dict(session.execute(select(NoticeReceipt.user_id, NoticeReceipt.read_at)
                                .where(NoticeReceipt.notice_id == notice.id)).all())
    people = [u for u in audience_users(session, notice) if u.id != notice.author_id]
    return Readers([(u, when[u.id]) for u in people if u.id in when], [u for u in people if u.id not in when])


def _require_manager(settings: Settings, notice: Notice, actor: User) -> None:
    if notice.author_id != actor.id and not is_office(settings, actor):
        raise NoticeError(msg("只有发布人或办公室可以进行此操作。"))


def remind_unread(session: Session, settings: Settings, actor: User, notice_id: int) -> int:
    """Remind everyone in the audience who has not read the notice; return how many were reminded."""
    notice = get(session, settings, actor, notice_id)
    _require_manager(settings, notice, actor)
    unread = [u for u in readers(session, notice).unread if u.id != actor.id]
    if not unread:
        raise NoticeError(msg("发布范围内的人员都已阅读，无需提醒。"))
    made = notify.notify_many(session, unread, "notice", msg("请阅读：%(title)s", title=notice.title),
                              body=msg("%(name)s 提醒您阅读此通知。", name=actor.display_name),
                              link=link_for(notice.id))
    return len(made)


# ---- 公示 ------------------------------------------------------------------------------------------


def in_period(notice: Notice, today: date) -> bool:
    """Return True while the 公示 takes objections (its period, local dates, inclusive; not closed)."""
    return (notice.kind == KIND_PUBLICITY and notice.closed_at is None and notice.period_start is not None
            and notice.period_end is not None and notice.period_start <= today <= notice.period_end)


def send_objection(session: Session, settings: Settings, user: User, notice_id: int, body: str, *,
                   anonymous: bool = False, today: date | None = None) -> Objection:
    """Record an objection (意见反馈) to a 公示 during its period; refuse before, after or once closed."""
    notice = get(session, settings, user, notice_id)
    today = today or calendar.local_today()
    if notice.kind != KIND_PUBLICITY:
        raise NoticeError(msg("只有公示可以提出意见。"))
    text = body.strip()
    if not text:
        raise NoticeError(msg("请填写意见内容。"))
    if len(text) > MAX_OBJECTION:
        raise NoticeError(msg("意见不能超过%(n)d个字。", n=MAX_OBJECTION))
    if not in_period(notice, today):
        if notice.closed_at is None and notice.period_start is not None and today < notice.period_start:
            raise NoticeError(msg("公示期自 %(start)s 开始，届时才能提出意见。", start=notice.period_start.isoformat()))
        raise NoticeError(msg("公示期已于 %(end)s 结束，不再接受意见；如有情况请直接联系办公室。",
                              end=str(notice.period_end)))
    objection = Objection(notice_id=notice.id, user_id=user.id, anonymous=anonymous, body=text,
                          created_at=utcnow(), handling="")
    session.add(objection)
    session.flush()
    mark_read(session, notice, user)  # whoever objects has read it
    office = [u for u in _office_people(session, settings) if u.id != user.id]
    notify.notify_many(session, office, "notice", msg("公示意见：%(title)s", title=notice.title),
                       body=msg("收到一条意见，请及时处理。"), link=link_for(notice.id))
    return objection


def _office_people(session: Session, settings: Settings) -> list[User]:
    return org.office_people(session, settings)


@dataclass(frozen=True)
class ObjectionView:
    """An objection as a viewer may see it: `sender` is None when it is anonymous to them."""

    objection: Objection
    sender: User | None


def objections(session: Session, settings: Settings, notice: Notice, viewer: User) -> list[ObjectionView]:
    """The objections a viewer may read: the office and the publisher see all, others their own.

    An anonymous objection's sender is shown to the office only (and to the sender themself).
    """
    rows = list(session.scalars(select(Objection).where(Objection.notice_id == notice.id).order_by(Objection.id)))
    office = is_office(settings, viewer)
    manager = office or notice.author_id == viewer.id
    out = []
    for row in rows:
        if not manager and row.user_id != viewer.id:
            continue
        named = office or row.user_id == viewer.id or not row.anonymous
        out.append(ObjectionView(row, row.user if named else None))
    return out


def handle_objection(session: Session, settings: Settings, actor: User, objection_id: int, handling: str) -> Objection:
    """The office records how an objection was handled (and the sender is told)."""
    if not is_office(settings, actor):
        raise NoticeError(msg("公示意见由办公室处理。"))
    row = session.get(Objection, objection_id)
    if row is None:
        raise NoticeError(msg("意见不存在。"))
    text = handling.strip()
    if not text:
        raise NoticeError(msg("请填写处理情况。"))
    row.handling, row.handled_by_id, row.handled_at = text[:MAX_OBJECTION], actor.id, utcnow()
    notice = session.get(Notice, row.notice_id)
    if notice is not None:
        notify.notify(session, row.user_id, "notice", msg("您对公示的意见已处理：%(title)s", title=notice.title),
                      body=text[:300],
                      link=link_for(notice.id))
    return row


def close(session: Session, settings: Settings, actor: User, notice_id: int, outcome: str, *,
          today: date | None = None) -> Notice:
    """The office closes a 公示 after its period with its outcome (结果)."""
    notice = get(session, settings, actor, notice_id)
    today = today or calendar.local_today()
    if not is_office(settings, actor):
        raise NoticeError(msg("公示由办公室结束。"))
    if notice.kind != KIND_PUBLICITY:
        raise NoticeError(msg("只有公示需要结束。"))
    if notice.closed_at is not None:
        raise NoticeError(msg("该公示已经结束。"))
    if notice.period_end is not None and today <= notice.period_end:
        raise NoticeError(msg("公示期至 %(end)s 结束，期满后才能公布结果。", end=notice.period_end.isoformat()))
    text = outcome.strip()
    if not text:
        raise NoticeError(msg("请填写公示结果。"))
    notice.outcome, notice.closed_at, notice.updated_at = text[:MAX_BODY], utcnow(), utcnow()
    return notice


def file_to_archive(session: Session, settings: Settings, actor: User, notice_id: int) -> str:
    """Write the closed 公示 (text, period, objections and their handling, outcome) into the office's
    archive folder as a UTF-8 text file the indexer picks up; return its path relative to the archive."""
    notice = get(session, settings, actor, notice_id)
    if not is_office(settings, actor):
        raise NoticeError(msg("公示由办公室归档。"))
    if notice.kind != KIND_PUBLICITY or notice.closed_at is None:
        raise NoticeError(msg("公示结束并公布结果后才能归档。"))
    if notice.filed_relpath:
        raise NoticeError(msg("该公示已归档：%(path)s", path=notice.filed_relpath))
    year = notice.publish_at.astimezone(BUREAU_ZONE).year
    safe = re.sub(r'[\x00-\x1f\\/:*?"<>|]+', "", notice.title)[:60].strip() or "公示"
    relpath = f"{office_code(settings)}/{year}/公示-{safe}-{notice.id}.txt"
    target = Path(settings.archive_dir) / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [notice.title, "", notice.body, "",
             f"公示期：{notice.period_start} 至 {notice.period_end}（{notice.period_workdays}个工作日）", ""]
    for view in objections(session, settings, notice, actor):
        who = "（匿名）" if view.objection.anonymous else view.objection.user.display_name
        lines += [f"意见（{who}）：{view.objection.body}", f"处理情况：{view.objection.handling or '—'}", ""]
    lines += [f"公示结果：{notice.outcome}", "", f"发布：{notice.author.display_name}"]
    tmp = target.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    notice.filed_relpath = relpath
    return relpath


# ---- attachments -----------------------------------------------------------------------------------


def add_attachment(session: Session, settings: Settings, actor: User, notice: Notice, filename: str,
                   data: bytes) -> NoticeAttachment:
    """Attach a file (the 公文 attachment types: PDF, Word, WPS, Excel, images, zip)."""
    _require_manager(settings, notice, actor)
    try:
        stored = storage.store(settings.files_dir, filename, data, role="attachment")
    except storage.FileRefused as exc:
        raise NoticeError(exc.message, problems=exc.problems) from None
    row = NoticeAttachment(notice_id=notice.id, filename=stored.filename, sha256=stored.sha256, size=stored.size,
                           content_type=stored.content_type)
    session.add(row)
    session.flush()
    return row


def attachment(session: Session, settings: Settings, user: User, notice_id: int,
               attachment_id: int) -> NoticeAttachment:
    """Return an attachment of a notice the user may see; NoticeError otherwise."""
    notice = get(session, settings, user, notice_id)
    row = session.get(NoticeAttachment, attachment_id)
    if row is None or row.notice_id != notice.id:
        raise NoticeError(msg("附件不存在。"))
    return row
