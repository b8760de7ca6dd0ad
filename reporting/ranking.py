"""The 通报: per unit for a quarter or a year, items submitted, adopted at each level, weeks missed, late
突发事件 reports, the score from the settings' weights, and the ranking with its top and bottom marks.

Rules (issue 14 §2; weights and places: settings [reporting], documented in config/defaults.toml):
- submitted: items first submitted in the period (returned ones too: they were reported);
- adopted: adoptions dated in the period, per level (本局 / 上级主管部门 / 省级 / 国家级);
- weeks missed: weeks (Monday to Sunday) whose Monday falls in the period, which are over by
  `today` and hold at least one working day on the bureau's calendar, in which the unit submitted
  fewer than `weekly_quota` items (an outside unit's weeks count
  from the week it was added);
- late: 突发事件 items submitted in the period more than `urgent_report_hours` after the event;
- score = Σ count × weight (submitted, adopted_<level>, missed_week, late_urgent; the last two negative);
- rank: by score, highest first; equal scores share a rank (1, 1, 3); the units ranked within the first
  `marked_places` are marked top, those within the last `marked_places` counted from the bottom (ties
  shared the same way) are marked bottom; a unit never carries both marks (top wins).

The counts are three GROUP BY queries, whatever the number of items (bench/reporting.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar
from core.messages import N_, msg
from core.models.reporting import Adoption, Item
from reporting.service import LEVEL_NAMES, Unit, key_of, units, week_start

LEVELS = tuple(LEVEL_NAMES)
QUARTER_LABELS = {1: N_("%(year)d年第一季度"), 2: N_("%(year)d年第二季度"), 3: N_("%(year)d年第三季度"),
                  4: N_("%(year)d年第四季度")}


@dataclass(frozen=True)
class Period:
    """A quarter (1-4) or a whole year (quarter None), local dates inclusive."""

    year: int
    quarter: int | None = None

    @property
    def first(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1, 1) if self.quarter else date(self.year, 1, 1)

    @property
    def last(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        """2026年第一季度 / 2026年度 (a Message, shown in the reader's language)."""
        if self.quarter:
            return msg(QUARTER_LABELS[self.quarter], year=self.year)
        return msg("%(year)d年度", year=self.year)

    @property
    def key(self) -> str:
        return f"{self.year}-q{self.quarter}" if self.quarter else str(self.year)


@dataclass
class Row:
    """One unit's line of the 通报."""

    unit: Unit
    submitted: int = 0
    adopted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    weeks_counted: int = 0
    weeks_missed: int = 0
    late_urgent: int = 0
    score: float = 0.0
    rank: int = 0
    mark: str = ""  # "top", "bottom" or ""

    @property
    def adopted_total(self) -> int:
        return sum(self.adopted.values())


@dataclass(frozen=True)
class Bulletin:
    """The 通报 of one period: rows in ranking order, and how many weeks were counted."""

    period: Period
    rows: list[Row]
    weeks: int


def score_of(row: Row, weights: dict[str, float]) -> float:
    """Return the row's score: Σ count × weight (weights keys as in settings [reporting.score_weights])."""
    total = row.submitted * weights.get("submitted", 0.0)
    for level in LEVELS:
        total += row.adopted[level] * weights.get(f"adopted_{level}", 0.0)
    total += row.weeks_missed * weights.get("missed_week", 0.0)
    total += row.late_urgent * weights.get("late_urgent", 0.0)
    return round(total, 2)


def competition_ranks(scores: list[float]) -> list[int]:
    """Return the rank of each score, highest first, equal scores sharing a rank (1, 1, 3)."""
    ordered = sorted(scores, reverse=True)
    first_at: dict[float, int] = {}
    for i, value in enumerate(ordered):
        first_at.setdefault(value, i + 1)
    return [first_at[s] for s in scores]


def marks(scores: list[float], places: int) -> list[str]:
    """Return "top" / "bottom" / "" per score: ranks within the first `places` from either end, ties
    included (a tie at the edge marks every unit in it); top wins where the two meet."""
    if places <= 0:
        return [""] * len(scores)
    top = competition_ranks(scores)
    bottom = competition_ranks([-s for s in scores])
    return ["top" if t <= places else "bottom" if b <= places else "" for t, b in zip(top, bottom, strict=True)]


def _weeks(period: Period, today: date, cal: calendar.WorkCalendar | None = None) -> list[date]:
    """Mondays of the weeks that count: Monday in the period, Sunday before `today`, and (with the
    bureau's calendar) at least one working day in the week — a week of holidays owes no item."""
    monday = week_start(period.first)
    if monday < period.first:
        monday += timedelta(days=7)
    out = []
    while monday <= period.last and monday + timedelta(days=6) < today:
        if cal is None or any(cal.is_workday(monday + timedelta(days=i)) for i in range(7)):
            out.append(monday)
        monday += timedelta(days=7)
    return out


def bulletin(session: Session, settings: Settings, period: Period, *, today: date | None = None,
             department_ids_only: bool = False) -> Bulletin:
    """Compute the 通报 of `period` for every active unit (see the module rules), ranked."""
    today = today or calendar.local_today()
    cfg = settings.reporting
    start, end = calendar.day_start(period.first), calendar.day_end(period.last)
    unit_cols = (Item.department_id, Item.outside_unit_id)
    submitted = {key_of(d, u): (n, late or 0) for d, u, n, late in session.execute(
        select(*unit_cols, func.count(Item.id), func.sum(case((Item.late.is_(True), 1), else_=0)))
        .where(Item.submitted_at >= start, Item.submitted_at < end).group_by(*unit_cols))}
    adopted: dict[str, dict[str, int]] = defaultdict(dict)
    for d, u, level, n in session.execute(
            select(*unit_cols, Adoption.level, func.count(Adoption.id)).join(Item, Item.id == Adoption.item_id)
            .where(Adoption.adopted_on >= period.first, Adoption.adopted_on <= period.last)
            .group_by(*unit_cols, Adoption.level)):
        adopted[key_of(d, u)][level] = n
    mondays = _weeks(period, today, calendar.load(session))
    weekly: dict[str, dict[date, int]] = defaultdict(dict)
    if mondays:
        for d, u, monday, n in session.execute(
                select(*unit_cols, Item.week_start, func.count(Item.id))
                .where(Item.week_start >= mondays[0], Item.week_start <= mondays[-1])
                .group_by(*unit_cols, Item.week_start)):
            weekly[key_of(d, u)][monday] = n
    rows: list[Row] = []
    for unit in units(session):
        if department_ids_only and unit.outside:
            continue
        row = Row(unit)
        row.submitted, row.late_urgent = submitted.get(unit.key, (0, 0))
        for level, n in adopted.get(unit.key, {}).items():
            if level in row.adopted:
                row.adopted[level] = n
        first_week = week_start(unit.created_on) if unit.created_on is not None else None
        counted = mondays if first_week is None else [m for m in mondays if m >= first_week]
        row.weeks_counted = len(counted)
        sent = weekly.get(unit.key, {})
        row.weeks_missed = sum(1 for m in counted if sent.get(m, 0) < cfg.weekly_quota)
        row.score = score_of(row, cfg.score_weights)
        rows.append(row)
    scores = [r.score for r in rows]
    for row, rank, mark in zip(rows, competition_ranks(scores), marks(scores, cfg.marked_places), strict=True):
        row.rank, row.mark = rank, mark
    rows.sort(key=lambda r: (r.rank, r.unit.outside, r.unit.name))
    return Bulletin(period, rows, len(mondays))


def year_scores(session: Session, settings: Settings, year: int) -> dict[int, float]:
    """Return {department id: the year's 通报 score} for every active department (outside units left out).

    The score is the one the yearly 通报 shows (module rules, weights from settings [reporting]); weeks
    count up to today for the current year. Used by 目标考核 as the 信息报送 component.
    """
    result = bulletin(session, settings, Period(year), department_ids_only=True)
    return {r.unit.department_id: r.score for r in result.rows if r.unit.department_id is not None}


def table(result: Bulletin) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of the 通报 for the XLSX export (plain Chinese text and numbers)."""
    headers = ["排名", "单位", "报送", *[str(LEVEL_NAMES[level]) for level in LEVELS], "未完成周数",
               "突发事件迟报", "得分", "标记"]
    mark_names = {"top": "前列", "bottom": "后列", "": ""}
    rows: list[list[object]] = [
        [r.rank, r.unit.name, r.submitted, *[r.adopted[level] for level in LEVELS], r.weeks_missed, r.late_urgent,
         r.score, mark_names[r.mark]] for r in result.rows]
    return headers, rows
