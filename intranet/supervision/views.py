"""督办: figures and charts per department, overdue and due-soon lists, 催办, the working-day calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core import calendar, org
from core.permissions import Permission
from intranet.access import requires
from intranet.context import current_user, db_session, settings, signed_in_user
from intranet.feedback import form_errors, perform, say
from intranet.supervision import charts
from intranet.supervision.forms import CalendarBlockForm, CalendarDayForm, CalendarYearForm, RemindForm
from supervision import deadlines, figures
from supervision.figures import Period

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def _scope() -> list[Any] | None:
    user = signed_in_user()
    return deadlines.departments_visible(db_session(), settings().supervision, user)


def _period_args() -> tuple[int, str, Period]:
    today = calendar.local_today()
    year = request.args.get("year", type=int) or today.year
    if not 2000 <= year <= 2100:
        year = today.year
    by = request.args.get("by", "month")
    if by not in ("month", "quarter"):
        by = "month"
    if by == "quarter":
        q = request.args.get("q", type=int) or ((today.month - 1) // 3 + 1 if year == today.year else 4)
        return year, by, Period(year, quarter=min(4, max(1, q)))
    m = request.args.get("m", type=int) or (today.month if year == today.year else 12)
    return year, by, Period(year, month=min(12, max(1, m)))


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


@bp.get("/")
@requires(Permission.SUPERVISION)
def index() -> ResponseReturnValue:
    dbs = db_session()
    cfg = settings().supervision
    year, by, period = _period_args()
    scope = _scope()
    cal = calendar.load(dbs)
    periods = figures.months(year) if by == "month" else figures.quarters(year)
    tbl = figures.table(dbs, cfg, cal, periods, departments=scope)
    depts = tbl.departments
    current = [(d, tbl.get(period, d.id)) for d in depts]
    rate_bars = [charts.Bar(d.name, f.rate, _pct(f.rate) if f.due else _("无应办结"),
                            _("%(d)s：应办结%(n)d件，按期%(k)d件", d=d.name, n=f.due, k=f.on_time)) for d, f in current]
    overdue_bars = [charts.Bar(d.name, float(f.late + f.open_overdue),
                               _("%(n)d（期内%(a)d，当前%(b)d）", n=f.late + f.open_overdue, a=f.late,
                                 b=f.open_overdue),
                               _("%(p)s内逾期%(a)d件，当前逾期未办%(b)d件", p=say(period.label), a=f.late,
                                 b=f.open_overdue))
                    for d, f in current]
    days_bars = [charts.Bar(d.name, f.average_days, _("%(v).1f 天", v=f.average_days)
                            if f.average_days is not None else _("无办结件")) for d, f in current]
    trend = [charts.Bar(say(p.short_label), tbl.get(p, None).rate, _pct(tbl.get(p, None).rate),
                        _("应办结%(n)d件", n=tbl.get(p, None).due)) for p in periods]
    # The charts say whose figures they are: the whole bureau, one's own 处室, or the departments one oversees.
    scope_name = _("全局") if scope is None else (scope[0].name if len(scope) == 1 else _("所辖部门"))
    max_over = max([b.value or 0 for b in overdue_bars] + [1.0])
    max_days = max([b.value or 0 for b in days_bars] + [1.0])
    return render_template(
        "supervision/index.html", year=year, by=by, period=period, periods=periods, tbl=tbl, current=current,
        total=tbl.get(period, None), scope=scope, scope_name=scope_name, missing=cal.missing_years(year),
        rate_chart=charts.hbars(rate_bars, maximum=1.0, title=_("%(p)s 各部门办结率", p=say(period.label)),
                                colour=lambda b: charts.rate_colour(b.value)),
        overdue_chart=charts.hbars(overdue_bars, maximum=max_over, title=_("逾期件数"),
                                   colour=lambda b: charts.BAD if b.value else charts.NONE),
        days_chart=charts.hbars(days_bars, maximum=max_days, title=_("平均办理时长（工作日）")),
        trend_chart=charts.columns(trend, maximum=1.0, title=_("%(y)d年%(scope)s办结率", y=year, scope=scope_name),
                                   colour=lambda b: charts.rate_colour(b.value)),
        pct=_pct, config_days=lambda urgency: cfg.deadline_days.get(urgency, 0),
    )


@bp.get("/export.csv")
@requires(Permission.SUPERVISION)
def export() -> ResponseReturnValue:
    dbs = db_session()
    year, by, _period = _period_args()
    periods = figures.months(year) if by == "month" else figures.quarters(year)
    tbl = figures.table(dbs, settings().supervision, calendar.load(dbs), periods, departments=_scope())
    name = f"banjielv-{year}-{'month' if by == 'month' else 'quarter'}.csv"
    return Response(figures.to_csv(tbl, include_total=_scope() is None), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _lists(items: list[deadlines.OpenItem]) -> dict[str, Any]:
    cfg = settings().supervision
    return {"overdue": deadlines.overdue(items), "soon": deadlines.due_soon(items, cfg), "cfg": cfg}


@bp.get("/overdue")
@requires(Permission.SUPERVISION)
def overdue() -> ResponseReturnValue:
    dbs = db_session()
    cfg = settings().supervision
    cal = calendar.load(dbs)
    scope = _scope()
    items = deadlines.open_items(dbs, cfg, cal, viewer=current_user())
    if scope is not None:
        ids = {d.id for d in scope}
        items = [i for i in items if i.department_id in ids]
    departments = {d.id: d for d in org.departments(dbs)}
    return render_template("supervision/overdue.html", departments=departments, mine=False,
                           form=RemindForm(), **_lists(items))


@bp.get("/mine")
@requires(Permission.DOCUMENTS)
def mine() -> ResponseReturnValue:
    user = signed_in_user()
    dbs = db_session()
    items = deadlines.open_items(dbs, settings().supervision, calendar.load(dbs), holder=user, viewer=user,
                                 drafted=True)
    departments = {d.id: d for d in org.departments(dbs)}
    return render_template("supervision/overdue.html", departments=departments, mine=True, form=RemindForm(),
                           **_lists(items))


@bp.post("/remind")
@requires(Permission.DOCUMENTS)
def remind() -> ResponseReturnValue:
    user = signed_in_user()
    form = RemindForm()
    back = request.form.get("back", "")
    target = back if back.startswith("/") and not back.startswith("//") else url_for("supervision.overdue")
    if not form.validate_on_submit() or not (form.document_id.data or "").isdigit() \
            or not (form.target_id.data or "").isdigit():
        flash(_("催办请求不完整，请刷新页面后重试。"), "error")
        return redirect(target)

    def said(outcome: deadlines.ReminderOutcome) -> str:
        message = _("已催办 %(name)s（第%(n)d次）。", name=outcome.reminder.target.display_name, n=outcome.count)
        if outcome.escalated_to:
            message += _("已同时告知 %(heads)s。", heads="、".join(u.display_name for u in outcome.escalated_to))
        return message

    return perform(lambda dbs: deadlines.remind(dbs, settings().supervision, user, int(form.document_id.data),
                                                int(form.target_id.data), note=form.note.data or ""),
                   success=said, to=target)


# ---- the working-day calendar --------------------------------------------------------------------


@bp.get("/calendar")
@requires(Permission.SUPERVISION)
def calendar_page() -> ResponseReturnValue:
    dbs = db_session()
    year = request.args.get("year", type=int) or calendar.local_today().year
    years = calendar.years(dbs)
    header = next((y for y in years if y.year == year), None)
    year_form = CalendarYearForm(formdata=None, data={"year": str(year), "source": header.source if header else "",
                                                      "provisional": header.provisional if header else True})
    return render_template("supervision/calendar.html", year=year, years=years, header=header,
                           days=calendar.days_of(dbs, year), day_form=CalendarDayForm(), block_form=CalendarBlockForm(),
                           year_form=year_form)


def _back(year: int) -> Response:
    return redirect(url_for("supervision.calendar_page", year=year))  # type: ignore[return-value]


@bp.post("/calendar/day")
@requires(Permission.ADMIN)
def calendar_day() -> ResponseReturnValue:
    form = CalendarDayForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _back(calendar.local_today().year)
    return perform(lambda s: calendar.set_day(s, signed_in_user(), form.day.data, kind=form.kind.data,
                                              name=form.name.data or ""),
                   success=_("已保存 %(d)s 的安排。", d=form.day.data.isoformat()),
                   to=url_for("supervision.calendar_page", year=form.day.data.year))


def _dates(text: str) -> list[date]:
    out = []
    for part in text.replace("，", ",").replace("、", ",").split(","):
        part = part.strip()
        if part:
            try:
                out.append(date.fromisoformat(part))
            except ValueError:
                raise calendar.CalendarError(_("调休日期「%(v)s」格式不对，请写成 2027-02-20。", v=part)) from None
    return out


@bp.post("/calendar/block")
@requires(Permission.ADMIN)
def calendar_block() -> ResponseReturnValue:
    form = CalendarBlockForm()
    if not form.validate_on_submit():
        form_errors(form)
        return _back(calendar.local_today().year)
    return perform(lambda s: calendar.set_block(s, signed_in_user(), form.first.data, form.last.data,
                                                name=form.name.data or "", makeup=_dates(form.makeup.data or "")),
                   success=lambda n: _("已保存%(name)s安排（%(n)d天）。", name=form.name.data, n=n or 0),
                   to=url_for("supervision.calendar_page", year=form.first.data.year))


@bp.post("/calendar/year")
@requires(Permission.ADMIN)
def calendar_year() -> ResponseReturnValue:
    form = CalendarYearForm()
    if not form.validate_on_submit() or not (form.year.data or "").isdigit():
        flash(_("请填写四位数年份。"), "error")
        return _back(calendar.local_today().year)
    user = signed_in_user()
    year = int(form.year.data)
    return perform(lambda dbs: calendar.save_year(dbs, user, year, source=form.source.data or "",
                                                  provisional=form.provisional.data),
                   success=_("已保存%(y)d年的说明。", y=year), to=url_for("supervision.calendar_page", year=year))
