"""督查督办 pages: thin views over inspection.service and inspection.report (the rules live there).

Not the 督办 of 公文 deadlines (intranet/supervision): these are items the office registers on their own.
"""

from __future__ import annotations

import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from core import calendar, org
from core.models import User
from core.permissions import Permission
from inspection import documents, report, service
from inspection.service import Filters, InspectionError, ItemDraft
from intranet.access import requires
from intranet.context import db_session, settings, signed_in_user
from intranet.feedback import form_errors, perform, refuse, say
from intranet.inspection.forms import (
    MODES,
    ActionForm,
    ClosingForm,
    FeedbackForm,
    ItemForm,
    JudgeForm,
    PersonForm,
    RemindForm,
)
from intranet.supervision import charts

bp = Blueprint("inspection", __name__, url_prefix="/inspection")

def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@bp.get("/")
@requires(Permission.INSPECTION)
def index() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    view = request.args.get("view") or "all"
    if view not in ("all", "mine", "overdue", "soon"):
        view = "all"
    filters = Filters(state=request.args.get("state") or None, department_id=_int(request.args.get("dept")),
                      source=request.args.get("source") or None,
                      overdue=view == "overdue" or request.args.get("overdue") == "1",
                      due_soon=view == "soon", mine=view == "mine")
    rows = service.items_for(dbs, cfg, user, filters)
    departments = org.departments(dbs)
    return render_template(
        "inspection/index.html", rows=rows, view=view, filters=filters, departments=departments,
        dept_names={d.id: d.name for d in departments}, states=service.STATE_NAMES, sources=service.SOURCE_NAMES,
        office=org.is_office(cfg, user), modes=MODES)


def _person_label(person: User) -> str:
    if person.department is None:
        return person.display_name
    return _("%(name)s（%(department)s）", name=person.display_name, department=person.department.name)


def _choices(pairs: list[tuple[str, str]], *, blank: bool = True) -> list[SelectChoice]:
    return ([SelectChoice("", _("请选择"))] if blank else []) + [SelectChoice(v, label) for v, label in pairs]


def _fill(form: ItemForm, mode: str) -> None:
    dbs = db_session()
    departments = [(str(d.id), d.name) for d in org.departments(dbs)]
    form.leader_id.choices = _choices([(str(u.id), u.display_name) for u in service.leaders(dbs)])
    form.lead_department_id.choices = _choices(departments)
    form.co_department_ids.choices = _choices(departments, blank=False)
    people = [u for u in org.users(dbs) if u.active and u.department is not None]
    form.person_id.choices = _choices([(str(u.id), _person_label(u)) for u in people])
    if mode == "document":
        form.source_kind.choices = _choices([("instruction", _("批示件")), ("document", _("上级来文"))], blank=False)
        form.document_id.choices = _choices([(str(d.id), _("%(title)s（%(organ)s）", title=d.title,
                                                             organ=d.source_organ or _("来文单位未填")))
                                             for d in service.incoming_documents(dbs)])
    elif mode == "meeting":
        form.source_kind.choices = _choices([("meeting", _("会议议定事项"))], blank=False)
    elif mode == "plan":
        form.source_kind.choices = _choices([("plan", _("重点工作"))], blank=False)
    else:
        form.source_kind.choices = _choices([(c, _(n)) for c, n in service.SOURCE_NAMES.items()], blank=False)
        if not form.source_kind.data:
            form.source_kind.data = "manual"  # registered by hand: 其他事项 unless the office says otherwise


def _draft(form: ItemForm) -> ItemDraft:
    return ItemDraft(
        content=form.content.data or "", source_kind=form.source_kind.data or "manual",
        source_text=form.source_text.data or "", document_id=_int(form.document_id.data),
        leader_id=_int(form.leader_id.data), lead_department_id=_int(form.lead_department_id.data),
        co_department_ids=tuple(i for i in (_int(v) for v in form.co_department_ids.data or []) if i is not None),
        person_id=_int(form.person_id.data), kind=form.kind.data or "ordinary", deadline=form.deadline.data,
        schedule=form.schedule.data or "monthly", registered_on=form.registered_on.data,
        milestones=service.parse_milestones(form.milestones.data or ""))


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.INSPECTION)
def new() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    if not org.is_office(cfg, user):
        abort(403)
    mode = request.args.get("mode") or "manual"
    if mode not in MODES:
        mode = "manual"
    form = ItemForm()
    _fill(form, mode)
    if request.method == "GET" and mode == "document" and request.args.get("document"):
        form.document_id.data = request.args.get("document")
    if form.validate_on_submit():
        try:
            draft = _draft(form)
            if mode in ("meeting", "plan"):
                made = service.register_many(dbs, cfg, user, draft, form.lines.data or "")
            else:
                made = [service.register(dbs, cfg, user, draft)]
            dbs.commit()
        except InspectionError as exc:
            dbs.rollback()
            refuse(exc)
        else:
            if len(made) == 1:
                flash(_("已立项：%(content)s（办理时限 %(day)s）。", content=made[0].content[:40],
                        day=made[0].deadline.isoformat()), "success")
                return redirect(url_for("inspection.show", item_id=made[0].id))
            flash(_("已立项 %(n)d 项督办事项。", n=len(made)), "success")
            return redirect(url_for("inspection.index"))
    form_errors(form)
    workdays = cfg.inspection.deadline_workdays
    return render_template("inspection/new.html", form=form, mode=mode, modes=MODES,
                           ordinary=workdays.get("ordinary"), urgent=workdays.get("urgent"))


@bp.get("/<int:item_id>")
@requires(Permission.INSPECTION)
def show(item_id: int) -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    try:
        item = service.get(dbs, cfg, user, item_id)
    except InspectionError:
        abort(404)
    today = calendar.local_today()
    cal = calendar.load(dbs)
    office = org.is_office(cfg, user)
    person_form = PersonForm()
    if office:
        person_form.person_id.choices = _choices([
            (str(u.id), u.display_name) for u in org.users(dbs)
            if u.active and u.department_id == item.lead_department_id and u.id != item.person_id])
    return render_template(
        "inspection/show.html", person_form=person_form, item=item, st=service.status(cfg, cal, item, today),
        schedule=service.report_schedule(cal, item, today), reminders=service.reminders_of(dbs, item.id),
        co_names=service.department_names(dbs, item.co_departments or []), office=office,
        may_feedback=item.state == service.OPEN and service.may_report_progress(item, user),
        may_close=item.state == service.OPEN and service.in_lead_unit(item, user),
        may_confirm=item.state == "accepted" and item.leader_id == user.id,
        states=service.STATE_NAMES, sources=service.SOURCE_NAMES, kinds=service.KIND_NAMES,
        schedules=service.SCHEDULE_NAMES, report_states=service.REPORT_STATE_NAMES,
        feedback_form=FeedbackForm(), closing_form=ClosingForm(), judge_form=JudgeForm(), remind_form=RemindForm(),
        action_form=ActionForm())


def _back(item_id: int) -> str:
    return url_for("inspection.show", item_id=item_id)


@bp.post("/<int:item_id>/feedback")
@requires(Permission.INSPECTION)
def feedback(item_id: int) -> ResponseReturnValue:
    form = FeedbackForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(_back(item_id))
    return perform(lambda s: service.submit_feedback(s, settings(), signed_in_user(), item_id, form.body.data or ""),
                   success=_("进展反馈已报送。"), to=_back(item_id))


@bp.post("/<int:item_id>/closing")
@requires(Permission.INSPECTION)
def closing(item_id: int) -> ResponseReturnValue:
    form = ClosingForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(_back(item_id))
    return perform(lambda s: service.submit_closing(s, settings(), signed_in_user(), item_id, form.report.data or ""),
                   success=_("办结报告已报送，等待办公室审核。"), to=_back(item_id))


@bp.post("/<int:item_id>/judge")
@requires(Permission.INSPECTION)
def judge(item_id: int) -> ResponseReturnValue:
    form = JudgeForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(_back(item_id))
    accept = form.decision.data == "accept"
    return perform(lambda s: service.judge(s, settings(), signed_in_user(), item_id, accept=accept,
                                           reason=form.reason.data or ""),
                   success=_("已同意办结，等待分管领导确认。") if accept else _("已退回主办单位继续办理。"),
                   to=_back(item_id))


@bp.post("/<int:item_id>/confirm")
@requires(Permission.INSPECTION)
def confirm(item_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(_back(item_id))
    return perform(lambda s: service.confirm(s, settings(), signed_in_user(), item_id),
                   success=_("已确认办结。"), to=_back(item_id))


@bp.post("/<int:item_id>/file")
@requires(Permission.INSPECTION)
def file_item(item_id: int) -> ResponseReturnValue:
    """归档: the office writes the closed item's record into its archive folder (the indexer reads it)."""
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(_back(item_id))
    return perform(lambda s: service.file_to_archive(s, settings(), signed_in_user(), item_id),
                   success=_("已归档到办公室的档案文件夹，稍后可在档案检索中查到。"), to=_back(item_id))


@bp.post("/<int:item_id>/remind")
@requires(Permission.INSPECTION)
def remind(item_id: int) -> ResponseReturnValue:
    form = RemindForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(_back(item_id))

    def done(outcome: service.ReminderOutcome | None) -> str:
        if outcome is None:
            return ""
        text = _("已催办 %(name)s（第%(n)d次）。", name=outcome.reminder.target.display_name, n=outcome.count)
        if outcome.escalated_to:
            text += _("已同时告知 %(names)s。", names="、".join(u.display_name for u in outcome.escalated_to))
        return text

    return perform(lambda s: service.remind(s, settings(), signed_in_user(), item_id, note=form.note.data or ""),
                   success=done, to=_back(item_id))


@bp.post("/<int:item_id>/person")
@requires(Permission.INSPECTION)
def reassign(item_id: int) -> ResponseReturnValue:
    form = PersonForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(_back(item_id))
    return perform(lambda s: service.reassign(s, settings(), signed_in_user(), item_id, _int(form.person_id.data)),
                   success=lambda item: _("责任人已改为 %(name)s。", name=item.person.display_name if item else ""),
                   to=_back(item_id))


# ---- 督查通报 ---------------------------------------------------------------------------------------


def _period() -> tuple[int, int]:
    today = calendar.local_today()
    year = _int(request.args.get("year")) or today.year
    quarter = _int(request.args.get("q")) or (today.month - 1) // 3 + 1
    if not 2000 <= year <= 2100 or not 1 <= quarter <= 4:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    return year, quarter


def _scope() -> list[int] | None:
    user, cfg = signed_in_user(), settings()
    if service.sees_all(cfg, user):
        return None
    return [user.department_id] if user.department_id else []


@bp.get("/report")
@requires(Permission.INSPECTION)
def bulletin() -> ResponseReturnValue:
    dbs, cfg = db_session(), settings()
    year, quarter = _period()
    rows = report.lines(dbs, cfg, year, quarter, department_ids=_scope())
    shown = [r for r in rows if r.counts.items or r.counts.overdue or r.counts.missed_reports]
    top = max([r.counts.items for r in shown] + [1])
    items_chart = charts.hbars(
        [charts.Bar(r.department.name, float(r.counts.items),
                    _("%(n)d项，办结%(c)d项", n=r.counts.items, c=r.counts.closed)) for r in shown],
        maximum=float(top), title=_("各单位督办事项"))
    rate_chart = charts.hbars(
        [charts.Bar(r.department.name, r.rate, "—" if r.rate is None else f"{r.rate * 100:.0f}%") for r in shown],
        maximum=1.0, title=_("按期办结率"), colour=lambda b: charts.rate_colour(b.value))
    worst = max([r.counts.overdue + r.counts.missed_reports for r in shown] + [1])
    overdue_chart = charts.hbars(
        [charts.Bar(r.department.name, float(r.counts.overdue + r.counts.missed_reports),
                    f"{r.counts.overdue} / {r.counts.missed_reports}",
                    _("逾期%(a)d项，逾期未反馈%(b)d次", a=r.counts.overdue, b=r.counts.missed_reports))
         for r in shown], maximum=float(worst), title=_("逾期事项 / 逾期未反馈（次）"),
        colour=lambda b: charts.BAD if b.value else charts.NONE)
    scoped = _scope() is not None
    pdf = None if scoped else documents.pdf_state(cfg.files_dir, documents.bulletin_key(year, quarter))
    return render_template("inspection/report.html", rows=rows, year=year, quarter=quarter,
                           items_chart=items_chart, rate_chart=rate_chart, overdue_chart=overdue_chart,
                           scoped=scoped, pdf=pdf, action_form=ActionForm())


def _headers() -> list[str]:
    return [say(h) for h in report.HEADERS]


@bp.get("/report.xlsx")
@requires(Permission.INSPECTION)
def bulletin_xlsx() -> ResponseReturnValue:
    year, quarter = _period()
    rows = report.lines(db_session(), settings(), year, quarter, department_ids=_scope())
    data = report.to_xlsx(rows, year, quarter, _headers())
    return _download(data, f"督查通报-{year}Q{quarter}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _docx(year: int, quarter: int, department_ids: list[int] | None) -> bytes:
    dbs, cfg = db_session(), settings()
    rows = report.lines(dbs, cfg, year, quarter, department_ids=department_ids)
    office = org.department_by_code(dbs, org.office_code(cfg))
    return report.to_docx(rows, year, quarter, office_name=office.name if office else "",
                          today=calendar.local_today())


@bp.get("/report.docx")
@requires(Permission.INSPECTION)
def bulletin_docx() -> ResponseReturnValue:
    year, quarter = _period()
    return _download(_docx(year, quarter, _scope()), f"督查通报-{year}Q{quarter}.docx",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.post("/report/pdf")
@requires(Permission.INSPECTION)
def bulletin_pdf_request() -> ResponseReturnValue:
    year, quarter = _period()
    back = url_for("inspection.bulletin", year=year, q=quarter)
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(back)
    if _scope() is not None:
        abort(403)
    key = documents.bulletin_key(year, quarter)
    if documents.pdf_state(settings().files_dir, key).status == "pending":
        flash(_("已处理：PDF 正在生成，请稍后刷新本页。"), "warning")
        return redirect(back)
    documents.request_pdf(settings().files_dir, key, _docx(year, quarter, None))
    flash(_("已提交生成 PDF，稍后刷新本页即可下载。"), "success")
    return redirect(back)


@bp.get("/report.pdf")
@requires(Permission.INSPECTION)
def bulletin_pdf() -> ResponseReturnValue:
    year, quarter = _period()
    if _scope() is not None:
        abort(403)
    path = documents.pdf_path(settings().files_dir, documents.bulletin_key(year, quarter))
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"督查通报-{year}Q{quarter}.pdf")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)
