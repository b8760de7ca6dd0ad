"""The working-day calendar: Monday to Friday, except public holidays, plus 调休 make-up working days.

The exceptions are data (CalendarDay rows per year, shipped for 2026 and 2027 by migration 0006, edited
by an admin). A year without a CalendarYear row falls back to plain weekends, and `missing_years` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db import changed_rows
from core.messages import DomainError, msg
from core.models import User
from core.models.base import BUREAU_ZONE, utcnow
from core.models.supervision import CalendarDay, CalendarYear

# Running counts of working days start here (any year works; this keeps the sums short).
BASE_YEAR = 2020
# The bureau's clock: the same zone as the rest of the intranet (intranet/i18n.py).
LOCAL_TZ = BUREAU_ZONE  # one definition: core.models.base
MAX_NAME = 50


class CalendarError(DomainError):
    """A calendar entry was refused; the message says why (`problems` lists each one)."""


def local_today(now: datetime | None = None) -> date:
    """Return today's date in the bureau's time zone."""
    return (now or utcnow()).astimezone(LOCAL_TZ).date()


def local_date(moment: datetime) -> date:
    """Return the bureau's calendar date of an aware datetime."""
    return moment.astimezone(LOCAL_TZ).date()


def day_start(day: date) -> datetime:
    """Return local midnight at the start of `day`, as an aware UTC datetime."""
    return datetime.combine(day, time(0), LOCAL_TZ).astimezone(UTC)


def day_end(day: date) -> datetime:
    """Return the end of `day` (the next local midnight), as an aware UTC datetime."""
    return day_start(day + timedelta(days=1))


@dataclass(frozen=True)
class WorkCalendar:
    """Exceptions by date (True: a working day, False: a day off) and the years they cover."""

    exceptions: dict[date, bool] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()
    # Per year: the running count of working days up to each day of the year (built when first needed).
    _prefix: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def is_workday(self, day: date) -> bool:
        """Return True when people work on `day`."""
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add_workdays(self, start: date, days: int) -> date:
        """Return the `days`-th working day after `start` (`start` itself is not counted; 0: `start`)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Return the number of working days after `start` up to and including `end` (negative if end < start)."""
        return self._running(end) - self._running(start)

    def _running(self, day: date) -> int:
        """Working days from the start of BASE_YEAR up to and including `day` (negative before it)."""
        offset = self._prefix.get(-day.year)  # year offsets are cached under negative keys
        if offset is None:
            total = sum(self._year(y)[-1] for y in range(min(day.year, BASE_YEAR), max(day.year, BASE_YEAR)))
            offset = [total if day.year >= BASE_YEAR else -total]
            self._prefix[-day.year] = offset
        return offset[0] + self._year(day.year)[day.toordinal() - date(day.year, 1, 1).toordinal()]

    def _year(self, year: int) -> list[int]:
        prefix = self._prefix.get(year)
        if prefix is None:
            prefix, count, day = [], 0, date(year, 1, 1)
            while day.year == year:
                count += self.is_workday(day)
                prefix.append(count)
                day += timedelta(days=1)
            self._prefix[year] = prefix
        return prefix

    def missing_years(self, *years: int) -> list[int]:
        """Return the years among `years` that have no holiday data (plain weekends are assumed)."""
        return sorted({y for y in years if y not in self.known_years})


def load(session: Session) -> WorkCalendar:
    """Return the calendar with every stored exception (a few dozen rows a year)."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.workday)).all()
    years = frozenset(session.scalars(select(CalendarYear.year)))
    return WorkCalendar({d: bool(w) for d, w in rows}, years)


def years(session: Session) -> list[CalendarYear]:
    """Return the years with holiday data, newest first."""
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


def days_of(session: Session, year: int) -> list[CalendarDay]:
    """Return the exceptions of one year, by date."""
    return list(session.scalars(select(CalendarDay).where(CalendarDay.year == year).order_by(CalendarDay.day)))


def _touch_year(session: Session, year: int, actor: User, *, source: str | None = None,
                provisional: bool | None = None) -> CalendarYear:
    row = session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, source=source or "", provisional=bool(provisional))
        session.add(row)
    if source is not None:
        row.source = source.strip()[:200]
    if provisional is not None:
        row.provisional = provisional
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    return row


def save_year(session: Session, actor: User, year: int, *, source: str, provisional: bool) -> CalendarYear:
    """Create or update a year's header (where its schedule comes from, whether it is still provisional)."""
    if not 2000 <= year <= 2100:
        raise CalendarError(msg("年份须在2000至2100之间。"))
    row = _touch_year(session, year, actor, source=source, provisional=provisional)
    session.flush()
    return row


def set_day(session: Session, actor: User, day: date, *, kind: str, name: str) -> CalendarDay | None:
    """Mark one date as a holiday ("off"), a 调休 working day ("work"), or ordinary again ("normal")."""
    name = (name or "").strip()
    if kind not in ("off", "work", "normal"):
        raise CalendarError(msg("请选择：放假、调休上班或恢复正常。"))
    if len(name) > MAX_NAME:
        raise CalendarError(msg("名称不能超过%(MAX_NAME)s个字符。", MAX_NAME=MAX_NAME))
    if not 2000 <= day.year <= 2100:
        raise CalendarError(msg("日期须在2000至2100年之间。"))
    _touch_year(session, day.year, actor)
    row = session.get(CalendarDay, day)
    if kind == "normal":
        if row is not None:
            session.delete(row)
        session.flush()
        return None
    if kind == "off" and not name:
        raise CalendarError(msg("请填写节日名称，例如：国庆节。"))
    if row is None:
        row = CalendarDay(day=day, year=day.year)
        session.add(row)
    row.workday = kind == "work"
    row.name = name or ("调休上班" if kind == "work" else "")
    session.flush()
    return row


def set_block(session: Session, actor: User, first: date, last: date, *, name: str,
              makeup: list[date] | tuple[date, ...] = ()) -> int:
    """Enter one holiday as published: days off from `first` to `last` and its 调休 working days."""
    if last < first:
        raise CalendarError(msg("放假结束日期不能早于开始日期。"))
    if (last - first).days > 30:
        raise CalendarError(msg("一次放假安排不能超过31天，请检查日期。"))
    count = 0
    day = first
    while day <= last:
        set_day(session, actor, day, kind="off", name=name)
        day += timedelta(days=1)
        count += 1
    for work in makeup:
        set_day(session, actor, work, kind="work", name=f"{name.strip()}调休上班")
        count += 1
    return count


def clear_year(session: Session, year: int) -> int:
    """Delete every exception of a year (before re-entering a corrected schedule)."""
    result = session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    return changed_rows(result)
