"""政务信息报送: units, items, the office's review (return, edit, adopt), issues, higher-level adoption,
约稿 calls and the weekly-quota reminders.

Rules (issue 14 §2, ../shared/docs/domain.md "Offices the seeds run on the LAN besides 公文"):
- A unit is an active department, or an outside unit (下属单位) the office keeps. A person submits for
  the outside unit their account is attached to, else for their department. The office may enter an
  item for any unit: the item records who entered it (`entered_by`) and that it was on the unit's behalf.
- A 突发事件 carries its event time; it must be reported within `urgent_report_hours` of the event,
  wall-clock time (nights, weekends and holidays count): a report later than that is marked late.
  The first submission is what counts; a resubmission after a return does not move it.
- Only the office reviews: it returns an item with all its reasons at once (一次性告知) and the unit edits
  and resubmits; it edits; it adopts (采用) an item into an issue of one of its publications (the
  settings' list), issues numbered per year (信息专报 2026年第3期, a periodical's number, not a 文号); it
  records adoption by higher levels (上级主管部门 / 省级 / 国家级) with the date. Each level counts once.
- 约稿: the office asks chosen units for items on a theme by a date; an item may answer a call of its unit.
- Quota: `weekly_quota` items per unit per week (Monday to Sunday, bureau time). The worker reminds the
  people of each unit that missed the previous week (a bell notification), once per unit and week.

Every refusal is a ReportingError (a DomainError) naming what to do; a repeated post is refused with
「已处理」 (or is harmless).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from config import Settings
from core import audit, calendar, org, storage
from core.messages import N_, DomainError, msg
from core.models import Department, User
from core.models.base import utcnow
from core.models.reporting import (
    Adoption,
    Call,
    Issue,
    Item,
    ItemAttachment,
    OutsideUnit,
    QuotaReminder,
    UnitMember,
)
from core.permissions import Role
from notifications import notify

CATEGORY_NAMES = {"work": N_("工作动态"), "practice": N_("经验做法"), "suggestion": N_("问题建议"),
                  "emergency": N_("突发事件")}
URGENT = "emergency"
STATUS_NAMES = {"submitted": N_("待审核"), "returned": N_("已退回"), "noted": N_("已阅存"), "adopted": N_("已采用")}
# Adoption levels, lowest first; each has the score weight "adopted_<level>" (settings [reporting]).
LEVEL_NAMES = {"office": N_("本局采用"), "department": N_("上级主管部门采用"), "province": N_("省级采用"),
               "national": N_("国家级采用")}
HIGHER_LEVELS = ("department", "province", "national")
MAX_TITLE = 200
MAX_BODY = 20000
MAX_REASON = 500
MAX_UNIT_NAME = 100
REPEAT_WINDOW = timedelta(minutes=10)  # the same title from the same unit again within this is a double post
FUTURE_TOLERANCE = timedelta(minutes=5)

def issue_name(issue: Issue) -> str:
    """The issue's name as a catalog message (信息专报 2026年第3期 / 信息专报 2026 no. 3): the publication's
    name is the bureau's own, the numbering follows the reader's language."""
    return msg("%(publication)s %(year)d年第%(number)d期", publication=issue.publication, year=issue.year,
               number=issue.number)


class ReportingError(DomainError):
    """An information-reporting action was refused; the message says why and what to do."""


is_office = org.is_office


# ---- units -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A reporting unit: a department ("d:<id>") or an outside unit ("u:<id>")."""

    key: str
    name: str
    department_id: int | None = None
    outside_unit_id: int | None = None
    created_on: date | None = None  # outside units: weeks before this do not count as missed

    @property
    def outside(self) -> bool:
        return self.outside_unit_id is not None


def key_of(department_id: int | None, outside_unit_id: int | None) -> str:
    """Return the unit key of an item's (department_id, outside_unit_id) pair."""
    return f"u:{outside_unit_id}" if outside_unit_id is not None else f"d:{department_id}"


def units(session: Session, *, include_inactive: bool = False) -> list[Unit]:
    """Return the reporting units: departments by their order, then outside units by theirs."""
    out = [Unit(f"d:{d.id}", d.name, department_id=d.id)
           for d in org.departments(session, include_inactive=include_inactive)]
    stmt = select(OutsideUnit).order_by(OutsideUnit.sort_order, OutsideUnit.id)
    if not include_inactive:
        stmt = stmt.where(OutsideUnit.active.is_(True))
    out += [Unit(f"u:{u.id}", u.name, outside_unit_id=u.id, created_on=calendar.local_date(u.created_at))
            for u in session.scalars(stmt)]
    return out


def unit_by_key(session: Session, key: str) -> Unit | None:
    """Return the unit with this key (active or not), or None for an unknown or malformed key."""
    kind, _, raw = (key or "").partition(":")
    if not raw.isdigit():
        return None
    if kind == "d":
        dept = session.get(Department, int(raw))
        return Unit(key, dept.name, department_id=dept.id) if dept is not None else None
    if kind == "u":
        unit = session.get(OutsideUnit, int(raw))
        return (Unit(key, unit.name, outside_unit_id=unit.id, created_on=calendar.local_date(unit.created_at))
                if unit is not None else None)
    return None


def unit_of_item(item: Item) -> Unit:
    """Return the unit an item was submitted for."""
    if item.outside_unit is not None:
        return Unit(key_of(None, item.outside_unit_id), item.outside_unit.name, outside_unit_id=item.outside_unit_id)
    name = item.department.name if item.department is not None else ""
    return Unit(key_of(item.department_id, None), name, department_id=item.department_id)


def membership(session: Session, user: User) -> OutsideUnit | None:
    """Return the active outside unit the account is attached to, or None."""
    row = session.scalar(select(UnitMember).where(UnitMember.user_id == user.id))
    if row is None or not row.unit.active:
        return None
    return row.unit


def unit_of_user(session: Session, user: User) -> Unit | None:
    """The unit a person submits for: their outside unit when attached to one, else their department."""
    outside = membership(session, user)
    if outside is not None:
        return Unit(f"u:{outside.id}", outside.name, outside_unit_id=outside.id,
                    created_on=calendar.local_date(outside.created_at))
    if user.department is not None and user.department.active:
        return Unit(f"d:{user.department.id}", user.department.name, department_id=user.department.id)
    return None


def unit_people(session: Session, unit: Unit) -> list[User]:
    """Who is told about a unit's reporting: an outside unit's accounts; a department's 处室负责人 (all its
    active people when it has none)."""
    if unit.outside_unit_id is not None:
        return list(session.scalars(select(User).join(UnitMember, UnitMember.user_id == User.id).where(
            UnitMember.unit_id == unit.outside_unit_id, User.active.is_(True)).order_by(User.id)))
    heads = org.users_with_role(session, Role.DEPT_HEAD, unit.department_id)
    if heads:
        return heads
    return list(session.scalars(select(User).where(User.department_id == unit.department_id,
                                                   User.active.is_(True)).order_by(User.id)))


def _require_office(settings: Settings, actor: User, what: str) -> None:
    if not is_office(settings, actor):
        raise ReportingError(msg("%(what)s由办公室办理。", what=msg(what)))


def save_outside_unit(session: Session, settings: Settings, actor: User, name: str, *, unit_id: int | None = None,
                      active: bool = True) -> OutsideUnit:
    """Add (unit_id None) or rename / (de)activate an outside unit (the office or an administrator)."""
    _require_office(settings, actor, N_("报送单位维护"))
    clean = " ".join(name.split())
    if not clean:
        raise ReportingError(msg("请填写单位名称。"))
    if len(clean) > MAX_UNIT_NAME:
        raise ReportingError(msg("单位名称不能超过%(n)d个字。", n=MAX_UNIT_NAME))
    clash = session.scalar(select(OutsideUnit).where(OutsideUnit.name == clean))
    if clash is not None and clash.id != unit_id:
        raise ReportingError(msg("已有名为「%(name)s」的单位。", name=clean))
    if unit_id is None:
        row = OutsideUnit(name=clean, active=True, sort_order=100, created_at=utcnow())
        session.add(row)
    else:
        found = session.get(OutsideUnit, unit_id)
        if found is None:
            raise ReportingError(msg("单位不存在。"))
        row = found
        row.name, row.active = clean, active
    session.flush()
    audit.record(session, "reporting.unit", user=actor, detail=clean, data={"unit": row.id, "active": row.active})
    return row


def attach_account(session: Session, settings: Settings, actor: User, username: str, unit_id: int | None) -> User:
    """Attach an account to an outside unit (it then submits for that unit), or detach it (unit_id None)."""
    _require_office(settings, actor, N_("报送单位维护"))
    person = org.user_by_username(session, username)
    if person is None:
        raise ReportingError(msg("账户「%(name)s」不存在。", name=username))
    row = session.scalar(select(UnitMember).where(UnitMember.user_id == person.id))
    if unit_id is None:
        if row is None:
            raise ReportingError(msg("已处理：该账户未关联下属单位。"))
        session.delete(row)
    else:
        unit = session.get(OutsideUnit, unit_id)
        if unit is None or not unit.active:
            raise ReportingError(msg("请选择在用的下属单位。"))
        if row is None:
            session.add(UnitMember(user_id=person.id, unit_id=unit.id))
        else:
            row.unit_id = unit.id
    session.flush()
    audit.record(session, "reporting.unit", user=actor, detail=person.username, data={"member": unit_id})
    return person


def members(session: Session) -> list[UnitMember]:
    """Every account attached to an outside unit, by unit then account."""
    return list(session.scalars(select(UnitMember).join(OutsideUnit).join(User, User.id == UnitMember.user_id)
                                .options(selectinload(UnitMember.user), selectinload(UnitMember.unit))
                                .order_by(OutsideUnit.sort_order, OutsideUnit.id, User.username)))


def outside_units(session: Session) -> list[OutsideUnit]:
    """Every outside unit, active or not."""
    return list(session.scalars(select(OutsideUnit).order_by(OutsideUnit.sort_order, OutsideUnit.id)))


# ---- items -----------------------------------------------------------------------------------------


@dataclass
class ItemDraft:
    """What a unit fills in. `event_at` (aware) is required for a 突发事件 and ignored otherwise."""

    title: str
    body: str = ""
    category: str = "work"
    event_at: datetime | None = None
    call_id: int | None = None


def week_start(day: date) -> date:
    """Return the Monday of the week (Monday to Sunday) containing `day`."""
    return day - timedelta(days=day.weekday())


def is_late(event_at: datetime, reported_at: datetime, hours: int) -> bool:
    """Return True when a 突发事件 report came more than `hours` after the event, wall-clock time.

    Nights, weekends and holidays all count (the working-day calendar plays no part): an event at
    22:30 reported at 02:31 the next morning is late for a 4-hour limit, whatever day it is.
    """
    return reported_at - event_at > timedelta(hours=hours)


def _draft_problems(session: Session, draft: ItemDraft, unit: Unit, now: datetime) -> list[str]:
    problems: list[str] = []
    title, body = draft.title.strip(), draft.body.strip()
    if not title:
        problems.append(msg("请填写标题。"))
    elif len(title) > MAX_TITLE:
        problems.append(msg("标题不能超过%(n)d个字。", n=MAX_TITLE))
    if not body:
        problems.append(msg("请填写正文。"))
    elif len(body) > MAX_BODY:
        problems.append(msg("正文不能超过%(n)d个字。", n=MAX_BODY))
    if draft.category not in CATEGORY_NAMES:
        problems.append(msg("请选择信息类别。"))
    if draft.category == URGENT:
        if draft.event_at is None:
            problems.append(msg("突发事件请填写事件发生时间。"))
        elif draft.event_at > now + FUTURE_TOLERANCE:
            problems.append(msg("事件发生时间不能晚于现在，请核对。"))
    if draft.call_id is not None:
        call = session.get(Call, draft.call_id)
        if call is None or unit.key not in (call.units or []):
            problems.append(msg("所选约稿不存在，或未向本单位约稿。"))
    return problems


def submit(session: Session, settings: Settings, actor: User, draft: ItemDraft, *, unit_key: str | None = None,
           now: datetime | None = None) -> Item:
    """Submit an item for the actor's unit, or (the office) for `unit_key`; raise ReportingError listing
    every problem. A 突发事件 more than `urgent_report_hours` after its event is marked late. The office
    is told (bell). Refused with 「已处理」 when the same unit sent the same title within ten minutes.
    """
    now = now or utcnow()
    own = unit_of_user(session, actor)
    if unit_key and (own is None or unit_key != own.key):
        if not is_office(settings, actor):
            raise ReportingError(msg("只有办公室可以代其他单位录入信息。"))
        unit = unit_by_key(session, unit_key)
        if unit is None:
            raise ReportingError(msg("请选择报送单位。"))
        on_behalf = True
    else:
        if own is None:
            raise ReportingError(msg("您的账户没有所属部门或下属单位，不能报送信息；请联系办公室。"))
        unit, on_behalf = own, False
    problems = _draft_problems(session, draft, unit, now)
    if problems:
        raise ReportingError(problems[0], problems=problems)
    title = draft.title.strip()
    repeat = session.scalar(select(Item.id).where(
        Item.department_id == unit.department_id if unit.department_id is not None
        else Item.outside_unit_id == unit.outside_unit_id,
        Item.title == title, Item.submitted_at >= now - REPEAT_WINDOW))
    if repeat is not None:
        raise ReportingError(msg("已处理：本单位刚刚已报送《%(title)s》。", title=title))
    urgent = draft.category == URGENT
    item = Item(
        department_id=unit.department_id, outside_unit_id=unit.outside_unit_id, title=title, body=draft.body.strip(),
        category=draft.category, event_at=draft.event_at if urgent else None,
        late=bool(urgent and draft.event_at and is_late(draft.event_at, now, settings.reporting.urgent_report_hours)),
        status="submitted", entered_by_id=actor.id, on_behalf=on_behalf, call_id=draft.call_id, submitted_at=now,
        week_start=week_start(calendar.local_date(now)), return_reasons=[], times_returned=0, updated_at=now,
    )
    session.add(item)
    session.flush()
    audit.record(session, "reporting.submit", user=actor, detail=title,
                 data={"item": item.id, "unit": unit.key, "on_behalf": on_behalf, "late": item.late})
    office = [u for u in org.office_people(session, settings) if u.id != actor.id]
    notify.notify_many(session, office, "info", msg("新报送信息：%(title)s（%(unit)s）", title=title, unit=unit.name),
                       link=link_for(item.id))
    return item


def link_for(item_id: int) -> str:
    """The item's page (a path, for notifications)."""
    return f"/reporting/items/{item_id}"


def _in_unit(session: Session, user: User, item: Item) -> bool:
    unit = unit_of_user(session, user)
    return unit is not None and unit.key == key_of(item.department_id, item.outside_unit_id)


def can_view(session: Session, settings: Settings, user: User, item: Item) -> bool:
    """The office sees every item; a person sees their unit's items and the ones they entered."""
    return is_office(settings, user) or item.entered_by_id == user.id or _in_unit(session, user, item)


def can_edit(session: Session, settings: Settings, user: User, item: Item) -> bool:
    """The office edits any item; the unit edits its own while it waits for review or was returned."""
    if is_office(settings, user):
        return True
    return item.status in ("submitted", "returned") and _in_unit(session, user, item)


def get(session: Session, settings: Settings, user: User, item_id: int) -> Item:
    """Return the item when the user may see it; ReportingError otherwise (the same for a missing one)."""
    item = session.get(Item, item_id)
    if item is None or not can_view(session, settings, user, item):
        raise ReportingError(msg("信息不存在，或不属于您的单位。"))
    return item


def update(session: Session, settings: Settings, actor: User, item_id: int, draft: ItemDraft, *,
           now: datetime | None = None) -> Item:
    """Edit an item (see can_edit). The unit editing a returned item resubmits it to the office; the
    first submission time stays what counts (the 突发事件 clock and the 通报)."""
    now = now or utcnow()
    item = get(session, settings, actor, item_id)
    if not can_edit(session, settings, actor, item):
        raise ReportingError(msg("办公室审核后的信息只能由办公室修改。"))
    unit = unit_of_item(item)
    problems = _draft_problems(session, draft, unit, now)
    if problems:
        raise ReportingError(problems[0], problems=problems)
    urgent = draft.category == URGENT
    item.title, item.body, item.category = draft.title.strip(), draft.body.strip(), draft.category
    item.event_at = draft.event_at if urgent else None
    item.late = bool(urgent and item.event_at and is_late(item.event_at, item.submitted_at,
                                                          settings.reporting.urgent_report_hours))
    item.call_id = draft.call_id
    item.updated_at = now
    resubmitted = item.status == "returned" and not is_office(settings, actor)
    if resubmitted:
        item.status, item.resubmitted_at = "submitted", now
        notify.notify_many(session, [u for u in org.office_people(session, settings) if u.id != actor.id], "info",
                           msg("退回修改后重新报送：%(title)s", title=item.title), link=link_for(item.id))
    audit.record(session, "reporting.edit", user=actor, detail=item.title,
                 data={"item": item.id, "resubmitted": resubmitted})
    return item


def _tell_unit(session: Session, item: Item, actor: User, title: str, body: str = "") -> None:
    people = unit_people(session, unit_of_item(item))
    if item.entered_by.active and item.entered_by not in people:
        people.append(item.entered_by)
    notify.notify_many(session, [p for p in people if p.id != actor.id], "info", title, body=body,
                       link=link_for(item.id))


def return_item(session: Session, settings: Settings, actor: User, item_id: int, reasons: Sequence[str], *,
                now: datetime | None = None) -> Item:
    """The office returns an item with every reason at once (一次性告知, one reason per entry); the unit
    is told, edits and resubmits. Refused with 「已处理」 when it is already returned."""
    _require_office(settings, actor, N_("退回信息"))
    item = get(session, settings, actor, item_id)
    if item.status == "returned":
        raise ReportingError(msg("已处理：该信息已退回，等待报送单位修改后重新报送。"))
    if item.status == "adopted":
        raise ReportingError(msg("该信息已被采用，不能退回。"))
    clean = [" ".join(r.split())[:MAX_REASON] for r in reasons if r.strip()]
    if not clean:
        raise ReportingError(msg("请填写退回理由（一次性告知全部修改意见，每行一条）。"))
    now = now or utcnow()
    item.status, item.return_reasons, item.returned_at, item.returned_by_id = "returned", clean, now, actor.id
    item.times_returned += 1
    item.updated_at = now
    audit.record(session, "reporting.return", user=actor, detail=item.title, data={"item": item.id, "reasons": clean})
    _tell_unit(session, item, actor, msg("信息被退回修改：%(title)s", title=item.title), body="\n".join(clean))
    return item


def note_item(session: Session, settings: Settings, actor: User, item_id: int, *, now: datetime | None = None) -> Item:
    """The office has read the item and keeps it without adopting it (阅存); it may still adopt it later.
    Refused with 「已处理」 when it is not waiting for review."""
    _require_office(settings, actor, N_("审核信息"))
    item = get(session, settings, actor, item_id)
    if item.status != "submitted":
        raise ReportingError(msg("已处理：该信息当前为「%(status)s」。", status=msg(STATUS_NAMES[item.status])))
    item.status, item.updated_at = "noted", now or utcnow()
    audit.record(session, "reporting.edit", user=actor, detail=item.title, data={"item": item.id, "noted": True})
    return item


# ---- publications, issues and adoption --------------------------------------------------------------


def next_number(session: Session, publication: str, year: int) -> int:
    """Return the next issue number of `publication` in `year` (1 for the year's first issue)."""
    top = session.scalar(select(func.max(Issue.number)).where(Issue.publication == publication, Issue.year == year))
    return int(top or 0) + 1


def new_issue(session: Session, settings: Settings, actor: User, publication: str, *, year: int | None = None,
              now: datetime | None = None) -> Issue:
    """Open the next issue of one of the settings' publications (numbered per year: 2026年第3期).
    Refused with 「已处理」 when the latest issue was opened a minute ago and is still empty (a double post)."""
    _require_office(settings, actor, N_("编辑信息刊物"))
    if publication not in settings.reporting.publications:
        raise ReportingError(msg("请选择信息刊物：%(names)s。", names="、".join(settings.reporting.publications)))
    now = now or utcnow()
    year = year or calendar.local_date(now).year
    latest = session.scalar(select(Issue).where(Issue.publication == publication, Issue.year == year)
                            .order_by(Issue.number.desc()).limit(1))
    if (latest is not None and latest.created_at >= now - timedelta(minutes=1)
            and session.scalar(select(Adoption.id).where(Adoption.issue_id == latest.id).limit(1)) is None):
        raise ReportingError(msg("已处理：%(publication)s %(year)d年第%(number)d期刚刚已新建，尚未编入信息。",
                                 publication=publication, year=year, number=latest.number))
    issue = Issue(publication=publication, year=year, number=next_number(session, publication, year),
                  created_by_id=actor.id, created_at=now)
    session.add(issue)
    session.flush()
    audit.record(session, "reporting.issue", user=actor, detail=issue.label, data={"issue": issue.id})
    return issue


def issues(session: Session, *, year: int | None = None) -> list[Issue]:
    """Issues, newest year first, then by publication and number (descending)."""
    stmt = select(Issue).order_by(Issue.year.desc(), Issue.publication, Issue.number.desc())
    if year is not None:
        stmt = stmt.where(Issue.year == year)
    return list(session.scalars(stmt))


def issue_items(session: Session, issue_id: int) -> list[Item]:
    """The items adopted into an issue, in the order they were adopted."""
    return list(session.scalars(select(Item).join(Adoption, Adoption.item_id == Item.id)
                                .where(Adoption.issue_id == issue_id, Adoption.level == "office")
                                .options(selectinload(Item.department), selectinload(Item.outside_unit))
                                .order_by(Adoption.id)))


def adopt(session: Session, settings: Settings, actor: User, item_id: int, issue_choice: str, *,
          adopted_on: date | None = None, now: datetime | None = None) -> Adoption:
    """The office adopts (采用) an item into an issue: `issue_choice` is "i:<issue id>" or "new:<publication>"
    (the next issue of that publication in the adoption year). Counts as adopted_office. Refused with
    「已处理」 when the item is already adopted by the office."""
    _require_office(settings, actor, N_("采用信息"))
    item = get(session, settings, actor, item_id)
    if item.status == "returned":
        raise ReportingError(msg("该信息已退回修改，重新报送后才能采用。"))
    done = session.scalar(select(Adoption).where(Adoption.item_id == item.id, Adoption.level == "office"))
    if done is not None:
        label = issue_name(done.issue) if done.issue is not None else ""
        raise ReportingError(msg("已处理：该信息已采用于%(issue)s。", issue=label))
    now = now or utcnow()
    day = adopted_on or calendar.local_date(now)
    kind, _, value = (issue_choice or "").partition(":")
    if kind == "i" and value.isdigit():
        found = session.get(Issue, int(value))
        if found is None:
            raise ReportingError(msg("所选期次不存在。"))
        issue = found
    elif kind == "new":
        issue = new_issue(session, settings, actor, value, year=day.year, now=now)
    else:
        raise ReportingError(msg("请选择刊物期次。"))
    row = Adoption(item_id=item.id, level="office", issue_id=issue.id, adopted_on=day, note=issue.label,
                   recorded_by_id=actor.id, created_at=now)
    session.add(row)
    item.status, item.updated_at = "adopted", now
    session.flush()
    audit.record(session, "reporting.adopt", user=actor, detail=item.title,
                 data={"item": item.id, "level": "office", "issue": issue.id})
    _tell_unit(session, item, actor, msg("信息已采用：%(title)s（%(issue)s）", title=item.title,
                                         issue=issue_name(issue)))
    return row


def record_higher(session: Session, settings: Settings, actor: User, item_id: int, level: str, adopted_on: date,
                  note: str = "", *, today: date | None = None) -> Adoption:
    """The office records that a higher level adopted the item: level "department" (上级主管部门),
    "province" (省级) or "national" (国家级), on `adopted_on` (not in the future); once per level."""
    _require_office(settings, actor, N_("登记上级采用"))
    item = get(session, settings, actor, item_id)
    if level not in HIGHER_LEVELS:
        raise ReportingError(msg("请选择采用级别。"))
    if item.status == "returned":
        raise ReportingError(msg("该信息已退回修改，重新报送后才能登记采用。"))
    if adopted_on > (today or calendar.local_today()):
        raise ReportingError(msg("采用日期不能晚于今天。"))
    if session.scalar(select(Adoption.id).where(Adoption.item_id == item.id, Adoption.level == level)) is not None:
        raise ReportingError(msg("已处理：该信息的%(level)s已登记。", level=msg(LEVEL_NAMES[level])))
    row = Adoption(item_id=item.id, level=level, adopted_on=adopted_on, note=" ".join(note.split())[:200],
                   recorded_by_id=actor.id, created_at=utcnow())
    session.add(row)
    item.status = "adopted"
    session.flush()
    audit.record(session, "reporting.adopt", user=actor, detail=item.title, data={"item": item.id, "level": level})
    _tell_unit(session, item, actor, msg("信息被%(level)s：%(title)s", level=msg(LEVEL_NAMES[level]), title=item.title))
    return row


# ---- lists ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFilter:
    """List filters: unit key, status, category, year (of the first submission); empty means any."""

    unit: str = ""
    status: str = ""
    category: str = ""
    year: int | None = None


def list_items(session: Session, settings: Settings, user: User, flt: ItemFilter = ItemFilter(), *,
               limit: int = 200, offset: int = 0) -> list[Item]:
    """The items the user may see (office: all; others: their unit's), newest first, filtered; one page of
    `limit` rows from `offset` (count_items gives the total for the pager)."""
    return list(session.scalars(_items_query(session, settings, user, flt)
                                .order_by(Item.submitted_at.desc(), Item.id.desc()).offset(offset).limit(limit)))


def count_items(session: Session, settings: Settings, user: User, flt: ItemFilter = ItemFilter()) -> int:
    """How many items list_items would show over all its pages."""
    stmt = _items_query(session, settings, user, flt).with_only_columns(func.count(Item.id)).order_by(None)
    return int(session.scalar(stmt) or 0)


def _items_query(session: Session, settings: Settings, user: User, flt: ItemFilter) -> Any:
    stmt = select(Item).options(selectinload(Item.department), selectinload(Item.outside_unit),
                                selectinload(Item.adoptions).selectinload(Adoption.issue))
    if not is_office(settings, user):
        own = unit_of_user(session, user)
        if own is None:
            stmt = stmt.where(Item.entered_by_id == user.id)
        elif own.outside_unit_id is not None:
            stmt = stmt.where(Item.outside_unit_id == own.outside_unit_id)
        else:
            stmt = stmt.where(Item.department_id == own.department_id, Item.outside_unit_id.is_(None))
    unit = unit_by_key(session, flt.unit) if flt.unit else None
    if unit is not None:
        stmt = stmt.where(Item.outside_unit_id == unit.outside_unit_id if unit.outside
                          else (Item.department_id == unit.department_id) & Item.outside_unit_id.is_(None))
    if flt.status in STATUS_NAMES:
        stmt = stmt.where(Item.status == flt.status)
    if flt.category in CATEGORY_NAMES:
        stmt = stmt.where(Item.category == flt.category)
    if flt.year:
        stmt = stmt.where(Item.submitted_at >= calendar.day_start(date(flt.year, 1, 1)),
                          Item.submitted_at < calendar.day_start(date(flt.year + 1, 1, 1)))
    return stmt


# ---- 约稿 -------------------------------------------------------------------------------------------


def publish_call(session: Session, settings: Settings, actor: User, theme: str, body: str, deadline: date,
                 unit_keys: Sequence[str], *, today: date | None = None) -> Call:
    """The office publishes a 约稿 (theme, deadline, chosen units); the units' people are told.
    Refused with 「已处理」 when the same theme was published a moment ago."""
    _require_office(settings, actor, N_("发布约稿"))
    today = today or calendar.local_today()
    problems: list[str] = []
    theme = " ".join(theme.split())
    if not theme:
        problems.append(msg("请填写约稿主题。"))
    elif len(theme) > MAX_TITLE:
        problems.append(msg("主题不能超过%(n)d个字。", n=MAX_TITLE))
    if deadline < today:
        problems.append(msg("截止日期不能早于今天。"))
    chosen = [unit_by_key(session, k) for k in dict.fromkeys(unit_keys)]
    targets = [u for u in chosen if u is not None]
    if not targets or len(targets) < len(chosen):
        problems.append(msg("请选择约稿单位。"))
    if problems:
        raise ReportingError(problems[0], problems=problems)
    recent = session.scalar(select(Call.id).where(Call.theme == theme, Call.created_at >= utcnow() - REPEAT_WINDOW))
    if recent is not None:
        raise ReportingError(msg("已处理：约稿「%(theme)s」刚刚已发布。", theme=theme))
    call = Call(theme=theme, body=body.strip()[:MAX_BODY], deadline=deadline, units=[u.key for u in targets],
                created_by_id=actor.id, created_at=utcnow())
    session.add(call)
    session.flush()
    audit.record(session, "reporting.call", user=actor, detail=theme, data={"call": call.id, "units": call.units})
    people: list[User] = []
    for unit in targets:
        people += unit_people(session, unit)
    notify.notify_many(session, [p for p in people if p.id != actor.id], "info",
                       msg("约稿：%(theme)s（%(day)s前报送）", theme=theme, day=deadline.isoformat()),
                       body=call.body[:300], link=f"/reporting/calls/{call.id}")
    return call


def calls_for(session: Session, settings: Settings, user: User) -> list[Call]:
    """The calls the user sees (the office: all; others: those to their unit), newest first."""
    rows = list(session.scalars(select(Call).order_by(Call.created_at.desc(), Call.id.desc())))
    if is_office(settings, user):
        return rows
    own = unit_of_user(session, user)
    return [c for c in rows if own is not None and own.key in (c.units or [])]


def open_calls_for_unit(session: Session, unit: Unit, *, today: date | None = None) -> list[Call]:
    """Calls to the unit whose deadline has not passed (an item may answer one of them)."""
    today = today or calendar.local_today()
    rows = session.scalars(select(Call).where(Call.deadline >= today).order_by(Call.deadline))
    return [c for c in rows if unit.key in (c.units or [])]


def get_call(session: Session, settings: Settings, user: User, call_id: int) -> Call:
    """Return a call the user may see; ReportingError otherwise."""
    call = session.get(Call, call_id)
    if call is None or call not in calls_for(session, settings, user):
        raise ReportingError(msg("约稿不存在，或未向您的单位约稿。"))
    return call


@dataclass(frozen=True)
class CallReplies:
    """The replies to a call (items) and, per chosen unit, whether it replied."""

    replies: list[Item]
    replied: list[Unit]
    missing: list[Unit]


def call_replies(session: Session, call: Call) -> CallReplies:
    """Who of the chosen units answered the call (an item linked to it) and who has not."""
    replies = list(session.scalars(select(Item).where(Item.call_id == call.id)
                                   .options(selectinload(Item.department), selectinload(Item.outside_unit))
                                   .order_by(Item.submitted_at)))
    answered = {key_of(i.department_id, i.outside_unit_id) for i in replies}
    chosen = [u for u in (unit_by_key(session, k) for k in call.units or []) if u is not None]
    return CallReplies(replies, [u for u in chosen if u.key in answered], [u for u in chosen if u.key not in answered])


# ---- attachments -----------------------------------------------------------------------------------


def add_attachment(session: Session, settings: Settings, actor: User, item: Item, filename: str,
                   data: bytes) -> ItemAttachment:
    """Attach a file to an item the actor may edit (the 公文 attachment types: PDF, Word, WPS, Excel, images)."""
    if not can_edit(session, settings, actor, item):
        raise ReportingError(msg("办公室审核后的信息只能由办公室修改。"))
    try:
        stored = storage.store(settings.files_dir, filename, data, role="attachment")
    except storage.FileRefused as exc:
        raise ReportingError(exc.message, problems=exc.problems) from None
    row = ItemAttachment(item_id=item.id, filename=stored.filename, sha256=stored.sha256, size=stored.size,
                         content_type=stored.content_type)
    session.add(row)
    session.flush()
    return row


def attachment(session: Session, settings: Settings, user: User, item_id: int, attachment_id: int) -> ItemAttachment:
    """Return an attachment of an item the user may see; ReportingError otherwise."""
    item = get(session, settings, user, item_id)
    row = session.get(ItemAttachment, attachment_id)
    if row is None or row.item_id != item.id:
        raise ReportingError(msg("附件不存在。"))
    return row


# ---- quota reminders (worker) ------------------------------------------------------------------------


def remind_missed(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Remind each unit that submitted fewer than `weekly_quota` items in the previous week (Monday to
    Sunday, bureau time): a bell notification to its people, once per unit and week (a QuotaReminder row).

    Run by the worker; it acts on Monday (or on the first run after, if the worker was down). Returns
    how many units were reminded. The caller commits.
    """
    today = today or calendar.local_today()
    quota = settings.reporting.weekly_quota
    if quota <= 0:
        return 0
    last_monday = week_start(today) - timedelta(days=7)
    cal = calendar.load(session)
    if not any(cal.is_workday(last_monday + timedelta(days=i)) for i in range(7)):
        return 0  # a week of holidays owes no item
    counts = {key_of(d, u): n for d, u, n in session.execute(
        select(Item.department_id, Item.outside_unit_id, func.count(Item.id))
        .where(Item.week_start == last_monday).group_by(Item.department_id, Item.outside_unit_id))}
    done = set(session.scalars(select(QuotaReminder.unit_key).where(QuotaReminder.week_start == last_monday)))
    reminded = 0
    for unit in units(session):
        if unit.key in done or counts.get(unit.key, 0) >= quota:
            continue
        if unit.created_on is not None and unit.created_on > last_monday + timedelta(days=6):
            continue  # the unit did not exist that week
        people = unit_people(session, unit)
        notify.notify_many(session, people, "reminder",
                           msg("信息报送提醒：%(unit)s上周（%(start)s至%(end)s）报送%(got)d条，未完成每周%(quota)d条的任务。",
                               unit=unit.name, start=last_monday.isoformat(),
                               end=(last_monday + timedelta(days=6)).isoformat(),
                               got=counts.get(unit.key, 0), quota=quota),
                           link="/reporting/new")
        session.add(QuotaReminder(unit_key=unit.key, week_start=last_monday, sent_at=utcnow(), people=len(people)))
        reminded += 1
    session.flush()
    return reminded


def waiting_review(session: Session) -> int:
    """How many items wait for the office's review (待审核), for the office's front page."""
    return int(session.scalar(select(func.count(Item.id)).where(Item.status == "submitted")) or 0)

