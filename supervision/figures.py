"""督办 figures: on-time completion rate (办结率), overdue counts and average handling time per department.

Definitions (docs/supervision.md):
- 应办结 (due): documents not cancelled whose deadline falls in the period;
- 按期办结 (on time): of those, completed (办结 or 归档) by the end of the deadline day;
- 逾期 (late): due in the period and completed late or still open after the deadline (as of today);
- 办结率 = 按期办结 / 应办结 (empty when nothing was due);
- 平均办理时长: working days from first submission to completion, of documents completed in the period;
- 当前逾期: open documents past their deadline now (not tied to the period).
The responsible department is the 主办 department of an incoming document, else the owning department.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from config.supervision import SupervisionSettings
from core import org
from core.calendar import WorkCalendar, day_end, day_start, local_date, local_today
from core.messages import msg
from core.models import Department
from core.models.documents import Document
from documents.due import default_deadline
from fileformats import tables
from supervision import deadlines

DONE_STATES = ("completed", "filed")
# Documents that never entered a route are not supervised.
SKIPPED_STATES = ("draft", "cancelled")
# The default deadline lies at most this far after submission (10 working days across Spring Festival).
MAX_DEFAULT_SPAN = timedelta(days=60)


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None  # 1..12
    quarter: int | None = None  # 1..4

    @property
    def first(self) -> date:
        if self.month:
            return date(self.year, self.month, 1)
        if self.quarter:
            return date(self.year, 3 * self.quarter - 2, 1)
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        if self.month:
            nxt = date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        elif self.quarter:
            nxt = date(self.year + (self.quarter == 4), (3 * self.quarter) % 12 + 1, 1)
        else:
            nxt = date(self.year + 1, 1, 1)
        return nxt - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.month:
            return msg("%(year)s年%(month)s月", year=self.year, month=self.month)
        if self.quarter:
            return msg("%(year)s年第%(quarter)s季度", year=self.year, quarter=self.quarter)
        return msg("%(year)s年", year=self.year)

    @property
    def short_label(self) -> str:
        """The period within its year: 9月, 第3季度 (a chart's axis)."""
        if self.month:
            return msg("%(month)s月", month=self.month)
        if self.quarter:
            return msg("第%(quarter)s季度", quarter=self.quarter)
        return msg("%(year)s年", year=self.year)

    @property
    def key(self) -> str:
        if self.month:
            return f"{self.year}-{self.month:02d}"
        if self.quarter:
            return f"{self.year}-Q{self.quarter}"
        return str(self.year)


def months(year: int) -> list[Period]:
    """Return the twelve months of a year."""
    return [Period(year, month=m) for m in range(1, 13)]


def quarters(year: int) -> list[Period]:
    """Return the four quarters of a year."""
    return [Period(year, quarter=q) for q in range(1, 5)]


@dataclass
class Figures:
    department_id: int | None
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    completed: int = 0
    handling_days: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def average_days(self) -> float | None:
        return sum(self.handling_days) / len(self.handling_days) if self.handling_days else None


@dataclass
class Row:
    """A document reduced to what the figures need."""

    id: int
    department_id: int
    due: date | None
    submitted: date | None
    completed: date | None
    done: bool
    handling_days: int | None = None


def _rows(session: Session, cfg: SupervisionSettings, cal: WorkCalendar, first: date, last: date) -> list[Row]:
    start, end = day_start(first), day_end(last)
    stmt = select(
        Document.id, Document.lead_department_id, Document.department_id, Document.deadline, Document.urgency,
        Document.created_at, Document.completed_at, Document.state,
    ).where(
        Document.state.not_in(SKIPPED_STATES),
        or_(
            and_(Document.deadline >= first, Document.deadline <= last),
            and_(Document.completed_at >= start, Document.completed_at < end),
            and_(Document.deadline.is_(None), Document.created_at >= start - MAX_DEFAULT_SPAN,
                 Document.created_at < end),
        ),
    )
    docs = session.execute(stmt).all()
    submitted = deadlines.submitted_at(session, [d.id for d in docs])
    out = []
    for d in docs:
        sub = submitted.get(d.id)
        due = d.deadline
        if due is None and (sub or d.created_at):
            due = default_deadline(cfg, cal, d.urgency, local_date(sub or d.created_at))
        done = d.state in DONE_STATES
        out.append(Row(
            id=d.id, department_id=d.lead_department_id or d.department_id, due=due,
            submitted=local_date(sub) if sub else None,
            completed=local_date(d.completed_at) if d.completed_at and done else None, done=done,
        ))
        row = out[-1]
        if row.submitted is not None and row.completed is not None:
            row.handling_days = max(0, cal.workdays_between(row.submitted, row.completed))
    return out


def compute(
    session: Session, cfg: SupervisionSettings, cal: WorkCalendar, period: Period, *, today: date | None = None,
    department_ids: list[int] | None = None, overdue_now: list[deadlines.OpenItem] | None = None,
) -> dict[int | None, Figures]:
    """Return figures per responsible department for the period, plus the bureau total under key None."""
    today = today or local_today()
    if overdue_now is None:
        overdue_now = deadlines.overdue(deadlines.open_items(session, cfg, cal, today=today))
    rows = _rows(session, cfg, cal, period.first, period.last)
    return _tally(rows, cal, period, today, department_ids, overdue_now)


def _tally(rows: list[Row], cal: WorkCalendar, period: Period, today: date, department_ids: list[int] | None,
           overdue_now: list[deadlines.OpenItem]) -> dict[int | None, Figures]:
    out: dict[int | None, Figures] = defaultdict(lambda: Figures(None))
    first, last = period.first, period.last
    for row in rows:
        if department_ids is not None and row.department_id not in department_ids:
            continue
        due_here = row.due is not None and first <= row.due <= last
        done_here = row.completed is not None and first <= row.completed <= last
        if not (due_here or done_here):
            continue
        for key in (row.department_id, None):
            fig = out[key]
            fig.department_id = key
            if due_here:
                assert row.due is not None
                fig.due += 1
                if row.completed is not None and row.completed <= row.due:
                    fig.on_time += 1
                elif row.completed is not None or row.due < today:
                    fig.late += 1
            if done_here:
                assert row.completed is not None
                fig.completed += 1
                if row.handling_days is not None:
                    fig.handling_days.append(row.handling_days)
    for item in overdue_now:
        if department_ids is not None and item.department_id not in department_ids:
            continue
        for key in (item.department_id, None):
            out[key].department_id = key
            out[key].open_overdue += 1
    return dict(out)


@dataclass
class Table:
    """Figures for several periods and departments, ready for charts and CSV."""

    periods: list[Period]
    departments: list[Department]
    cells: dict[tuple[str, int | None], Figures]

    def get(self, period: Period, department_id: int | None) -> Figures:
        return self.cells.get((period.key, department_id)) or Figures(department_id)


def table(
    session: Session, cfg: SupervisionSettings, cal: WorkCalendar, periods: list[Period], *,
    today: date | None = None, departments: list[Department] | None = None,
) -> Table:
    """Compute figures for each period; `departments` None means all active ones."""
    depts = departments if departments is not None else org.departments(session)
    ids = None if departments is None else [d.id for d in departments]
    cells: dict[tuple[str, int | None], Figures] = {}
    today = today or local_today()
    overdue_now = deadlines.overdue(deadlines.open_items(session, cfg, cal, today=today))
    # One read for all the periods: they are consecutive (the months or quarters of a year).
    rows = _rows(session, cfg, cal, min(p.first for p in periods), max(p.last for p in periods)) if periods else []
    for period in periods:
        for key, fig in _tally(rows, cal, period, today, ids, overdue_now).items():
            cells[(period.key, key)] = fig
    return Table(periods, depts, cells)


CSV_HEADER = [msg(
    "期间",
), msg(
    "部门代码",
), msg(
    "部门",
), msg(
    "应办结",
), msg(
    "按期办结",
), msg(
    "逾期",
), msg(
    "办结率(%)",
), msg(
    "办结件数",
), msg(
    "平均办理时长(工作日)",
),
              msg("当前逾期未办")]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _avg(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_csv(tbl: Table, *, include_total: bool = True) -> str:
    """Return the table as CSV (UTF-8 with BOM so spreadsheet programs on the desktops read it)."""
    out: list[list[object]] = []
    for period in tbl.periods:
        rows: list[tuple[str, str, Figures]] = [(d.code, d.name, tbl.get(period, d.id)) for d in tbl.departments]
        if include_total:
            rows.append(("", msg("全局合计"), tbl.get(period, None)))
        for code, name, fig in rows:
            out.append([period.label, code, name, fig.due, fig.on_time, fig.late, _pct(fig.rate),
                        fig.completed, _avg(fig.average_days), fig.open_overdue])
    return tables.csv_text(CSV_HEADER, out)
