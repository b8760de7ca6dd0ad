"""目标绩效考核 pages: thin views over assessment.service (the rules live there).

- /assessment/            the year's targets and quarters (the office: every department; others: their own)
- /assessment/targets/new the office enters a target; /assessment/import the XLSX template and its import
- /assessment/self-check  a department's quarter: the 自查 form or the submitted report (the office returns it)
- /assessment/summary     the office's quarter summary, with the XLSX and .docx 分析报告 exports, and the
                          PDF asked for here and made by the worker (/assessment/analysis-pdf, /analysis.pdf)
- /assessment/year        the year's assessment: named components and their weighted total
"""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from assessment import exports, importer, pdf, service
from assessment.service import AssessmentError, Attachment, ItemEntry, TargetDraft
from core import calendar, org, storage
from core.messages import DomainError, msg
from core.models import Department, User
from core.permissions import Permission
from intranet.access import requires
from intranet.assessment.forms import ActionForm, ImportForm, ReturnForm, SelfCheckForm, TargetForm
from intranet.context import db_session, settings, signed_in_user
from intranet.feedback import form_errors, perform, refuse, say
from intranet.supervision import charts
from intranet.uploads import UploadTooLarge, read_limited

bp = Blueprint("assessment", __name__, url_prefix="/assessment")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _today() -> date:
    return calendar.local_today()


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else _today().year


def _period(*, collected: bool = False) -> tuple[int, int]:
    """The page's (year, quarter) from the query; by default the current quarter from its last month on
    (`collected`: the latest ended quarter, the one the office collects or has collected)."""
    today = _today()
    default_year, default_quarter = service.last_ended_quarter(today) if collected else service.default_quarter(today)
    year = request.args.get("year", type=int)
    quarter = request.args.get("quarter", type=int)
    if year is None or not 2000 <= year <= 2100:
        year = default_year
    if quarter not in service.QUARTER_NAMES:
        quarter = default_quarter if year == default_year else 4
    return year, quarter


def _office() -> bool:
    return service.is_office(settings(), signed_in_user())


def _require_office() -> None:
    if not _office():
        abort(403)


@bp.get("/")
@requires(Permission.ASSESSMENT)
def index() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    year = _year()
    office = service.is_office(cfg, user)
    if office:
        departments = service.assessed_departments(dbs, year)
        targets = service.targets(dbs, year)
    else:
        targets = service.targets(dbs, year, user.department_id) if user.department_id else []
        departments = [user.department] if user.department is not None and targets else []
    quarters = {d.id: service.department_quarters(dbs, cfg, year, d.id, today=_today()) for d in departments}
    return render_template("assessment/index.html", year=year, office=office, departments=departments,
                           targets=targets, quarters=quarters, labels=service.labels(), action_form=ActionForm(),
                           day_kind=cfg.assessment.self_check_day_kind, days=cfg.assessment.self_check_days)


def _target_form() -> TargetForm:
    form = TargetForm()
    form.department.choices = [(str(d.id), d.name) for d in org.departments(db_session())]
    form.category.choices = [(code, _(label)) for code, label in service.CATEGORIES.items()]
    return form


@bp.route("/targets/new", methods=["GET", "POST"])
@requires(Permission.ASSESSMENT)
def new_target() -> ResponseReturnValue:
    _require_office()
    form = _target_form()
    if request.method == "GET":
        form.year.data = _year()
    if form.validate_on_submit():
        year = form.year.data or _today().year
        draft = TargetDraft(
            department_id=int(form.department.data) if (form.department.data or "").isdigit() else None,
            category=form.category.data or "", content=form.content.data or "", measure=form.measure.data or "",
            person=form.person.data or "",
            milestones=(form.q1.data or "", form.q2.data or "", form.q3.data or "", form.q4.data or ""),
            weight=form.weight.data)
        dbs = db_session()
        try:
            target = service.add_target(dbs, settings(), signed_in_user(), year, draft)
            dbs.commit()
        except AssessmentError as exc:
            dbs.rollback()
            refuse(exc)
        else:
            flash(_("已录入%(dept)s的目标。", dept=target.department.name), "success")
            return redirect(url_for("assessment.index", year=year))
    form_errors(form)
    return render_template("assessment/target_new.html", form=form)


@bp.post("/targets/<int:target_id>/delete")
@requires(Permission.ASSESSMENT)
def delete_target(target_id: int) -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    return perform(lambda s: service.delete_target(s, settings(), signed_in_user(), target_id),
                   success=_("目标已删除。"), to=url_for("assessment.index", year=_year()))


@bp.get("/targets/template.xlsx")
@requires(Permission.ASSESSMENT)
def template() -> ResponseReturnValue:
    _require_office()
    return send_file(io.BytesIO(importer.template_bytes()), mimetype=XLSX, as_attachment=True,
                     download_name="目标责任书导入模板.xlsx")


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.ASSESSMENT)
def import_targets() -> ResponseReturnValue:
    _require_office()
    form = ImportForm()
    if request.method == "GET":
        form.year.data = _year()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = request.files.get("file")
        year = form.year.data or _today().year
        dbs = db_session()
        try:
            if upload is None or not upload.filename:
                raise AssessmentError(msg("请选择要导入的 .xlsx 文件。"))
            data = read_limited(upload.stream, "document")
            made = importer.import_file(dbs, settings(), signed_in_user(), year, upload.filename, data)
            dbs.commit()
        except DomainError as exc:  # the service's refusals and an upload over its limit
            dbs.rollback()
            problems = [say(p) for p in exc.problems]
        else:
            flash(_("已导入 %(n)d 项目标。", n=len(made)), "success")
            return redirect(url_for("assessment.index", year=year))
    form_errors(form)
    return render_template("assessment/import.html", form=form, problems=problems,
                           category_names=_("、").join(_(label) for label in service.CATEGORIES.values()),
                           max_rows=importer.MAX_ROWS), 200 if not problems else 422


def _department(user: User) -> Department:
    dbs, cfg = db_session(), settings()
    wanted = request.args.get("department", type=int)
    department = dbs.get(Department, wanted) if wanted else user.department
    if department is None:
        abort(404)
    if not service.may_view(cfg, user, department.id):
        abort(403)
    return department


@bp.route("/self-check", methods=["GET", "POST"])
@requires(Permission.ASSESSMENT)
def self_check() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    department = _department(user)
    year, quarter = _period()
    here = url_for("assessment.self_check", year=year, quarter=quarter, department=department.id)
    form = SelfCheckForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            form_errors(form)
            return redirect(here)
        entries = {}
        for key, value in request.form.items():
            if key.startswith("status-") and key[7:].isdigit():
                target_id = int(key[7:])
                entries[target_id] = ItemEntry(value, request.form.get(f"evidence-{target_id}", ""))
        upload = request.files.get("attachment")
        try:
            attachment = None
            if upload is not None and upload.filename:
                attachment = Attachment(upload.filename, read_limited(upload.stream, "document"))
        except UploadTooLarge as exc:
            refuse(exc)
            return redirect(here)
        try:
            made = service.submit(dbs, cfg, user, department.id, year, quarter, entries, form.summary.data or "",
                                  attachment=attachment)
            dbs.commit()
        except AssessmentError as exc:
            # Every problem at once, and the page again with what was typed (nothing is lost).
            dbs.rollback()
            refuse(exc)
            posted = request.form
        else:
            done = _("自查报告已报送（逾期报送）。") if made.late else _("自查报告已报送，办公室已收到。")
            flash(done, "success")
            return redirect(here)
    else:
        posted = None
    today = _today()
    report = service.report_for(dbs, year, quarter, department.id)
    targets = service.targets(dbs, year, department.id)
    due = service.due_date(cfg, calendar.load(dbs), year, quarter)
    may_submit = (service.may_submit(cfg, user, department.id) and targets and today >= service.opens_on(year, quarter)
                  and (report is None or report.state == "returned"))
    items = {i.target_id: i for i in report.items} if report is not None else {}
    return render_template(
        "assessment/self_check.html", department=department, year=year, quarter=quarter, report=report,
        targets=targets, items=items, due=due, opens=service.opens_on(year, quarter), may_submit=may_submit,
        state=service.report_state(report, due, today), office=service.is_office(cfg, user), form=form,
        return_form=ReturnForm(), labels=service.labels(), years=range(today.year - 2, today.year + 2), posted=posted,
        departments=service.assessed_departments(dbs, year) if service.is_office(cfg, user) else [])


@bp.post("/reports/<int:report_id>/return")
@requires(Permission.ASSESSMENT)
def return_report(report_id: int) -> ResponseReturnValue:
    form = ReturnForm()
    form.validate_on_submit()
    return perform(lambda s: service.return_report(s, settings(), signed_in_user(), report_id, form.reason.data or ""),
                   success=_("已退回，处室已收到退回原因。"),
                   to=lambda r: service.report_link(r.year, r.quarter, r.department_id) if r is not None
                   else url_for("assessment.summary"))


@bp.get("/reports/<int:report_id>/attachment")
@requires(Permission.ASSESSMENT)
def attachment(report_id: int) -> ResponseReturnValue:
    try:
        report = service.attachment_of(db_session(), settings(), signed_in_user(), report_id)
    except AssessmentError:
        abort(404)
    inline = report.attachment_type in ("application/pdf", "image/png", "image/jpeg")
    return send_file(storage.blob_path(settings().files_dir, report.attachment_sha256 or ""),
                     mimetype=report.attachment_type or "application/octet-stream", as_attachment=not inline,
                     download_name=report.attachment_name or "attachment")


def _summary() -> service.QuarterSummary:
    _require_office()
    year, quarter = _period(collected=True)
    return service.summary(db_session(), settings(), signed_in_user(), year, quarter, today=_today())


@bp.get("/summary")
@requires(Permission.ASSESSMENT)
def summary() -> ResponseReturnValue:
    data = _summary()
    counts = data.status_counts()
    colours = {"done": charts.OK, "in_progress": charts.BLUE, "behind": charts.BAD, "not_started": charts.NONE}
    by_label = {_(label): colours[code] for code, label in service.STATUSES.items()}
    chart = charts.hbars([charts.Bar(_(label), counts[code], str(counts[code]))
                          for code, label in service.STATUSES.items()],
                         maximum=float(max(1, *counts.values())), title=_("各项目标完成情况"),
                         colour=lambda bar: by_label.get(bar.label, charts.BLUE))
    return render_template("assessment/summary.html", s=data, counts=counts, chart=chart, labels=service.labels(),
                           pdf=pdf.state(settings(), data.year, data.quarter), action_form=ActionForm())


@bp.get("/summary.xlsx")
@requires(Permission.ASSESSMENT)
def summary_xlsx() -> ResponseReturnValue:
    data = _summary()
    return send_file(io.BytesIO(exports.summary_xlsx(data)), mimetype=XLSX, as_attachment=True,
                     download_name=f"{data.year}年第{data.quarter}季度目标自查汇总.xlsx")


@bp.get("/analysis.docx")
@requires(Permission.ASSESSMENT)
def analysis_docx() -> ResponseReturnValue:
    data = _summary()
    return send_file(io.BytesIO(exports.analysis_docx(data, settings().organ_name)), mimetype=DOCX,
                     as_attachment=True, download_name=f"{data.year}年第{data.quarter}季度目标自查分析报告.docx")


@bp.post("/analysis-pdf")
@requires(Permission.ASSESSMENT)
def request_pdf() -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    year, quarter = _period(collected=True)
    return perform(lambda s: pdf.request(s, settings(), signed_in_user(), year, quarter),
                   success=_("正在生成 PDF 分析报告，请稍后刷新本页下载。"),
                   to=url_for("assessment.summary", year=year, quarter=quarter))


@bp.get("/analysis.pdf")
@requires(Permission.ASSESSMENT)
def analysis_pdf() -> ResponseReturnValue:
    _require_office()
    year, quarter = _period(collected=True)
    path = pdf.pdf_path(settings(), year, quarter)
    if pdf.state(settings(), year, quarter).status != "ready":
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{year}年第{quarter}季度目标自查分析报告.pdf")


@bp.get("/year")
@requires(Permission.ASSESSMENT)
def year_page() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    year = _year()
    office = service.is_office(cfg, user)
    rows = service.year_assessment(dbs, cfg, year, None if office else (user.department_id or -1))
    return render_template("assessment/year.html", year=year, rows=rows, office=office, labels=service.labels(),
                           weights=cfg.assessment.component_weights, credit=service.STATUS_CREDIT)
