"""政务信息报送 pages: thin views over reporting.service, reporting.ranking and reporting.documents."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core import calendar, org, storage
from core.messages import DomainError
from core.models.base import BUREAU_ZONE
from core.models.reporting import Issue
from core.permissions import Permission
from fileformats import tables
from intranet.access import requires
from intranet.context import db_session, settings, signed_in_user
from intranet.feedback import form_errors, perform, refuse, say
from intranet.reporting.forms import (
    ActionForm,
    AdoptForm,
    CallForm,
    HigherForm,
    IssueForm,
    ItemForm,
    MemberForm,
    ReturnForm,
    UnitForm,
)
from intranet.supervision import charts
from intranet.uploads import read_limited
from reporting import documents, ranking, service
from reporting.ranking import Period
from reporting.service import ItemDraft, ReportingError

bp = Blueprint("reporting", __name__, url_prefix="/reporting")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office() -> bool:
    return service.is_office(settings(), signed_in_user())


def _labels() -> dict[str, object]:
    return {"categories": service.CATEGORY_NAMES, "statuses": service.STATUS_NAMES, "levels": service.LEVEL_NAMES}


PER_PAGE = 50


@bp.get("/")
@requires(Permission.REPORTING)
def index() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    office = _office()
    year_arg = request.args.get("year", "")
    flt = service.ItemFilter(unit=(request.args.get("unit") or "")[:16], status=request.args.get("status") or "",
                             category=request.args.get("category") or "",
                             year=int(year_arg) if year_arg.isdigit() and 2000 <= int(year_arg) <= 2100 else None)
    total = service.count_items(dbs, cfg, user, flt)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    items = service.list_items(dbs, cfg, user, flt, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    own = service.unit_of_user(dbs, user)
    # Translated once per page, not once per row (the office's list is long).
    names = {code: _(label) for code, label in (*service.CATEGORY_NAMES.items(), *service.STATUS_NAMES.items())}
    return render_template("reporting/index.html", items=items, flt=flt, office=office, own=own, names=names,
                           page=page, pages=pages, total=total,
                           units=service.units(dbs) if office else [],
                           calls=service.open_calls_for_unit(dbs, own) if own else [], **_labels())


def _item_form(form: ItemForm) -> ItemForm:
    dbs, user = db_session(), signed_in_user()
    own = service.unit_of_user(dbs, user)
    if _office():
        form.unit.choices = [(u.key, u.name) for u in service.units(dbs)]
        if request.method == "GET" and own and not form.unit.data:
            form.unit.data = own.key
    calls = service.open_calls_for_unit(dbs, own) if own else []
    if _office():
        calls = [c for c in service.calls_for(dbs, settings(), user) if c.deadline >= calendar.local_today()]
    form.call.choices = [("", _("（不回复约稿）"))] + [(str(c.id), c.theme) for c in calls]
    return form


def _draft(form: ItemForm) -> ItemDraft:
    event = form.event_at.data
    call = form.call.data or ""
    return ItemDraft(title=form.title.data or "", body=form.body.data or "", category=form.category.data or "work",
                     event_at=event.replace(tzinfo=BUREAU_ZONE) if event is not None else None,
                     call_id=int(call) if call.isdigit() else None)


def _attach(item: Any) -> None:
    for upload in request.files.getlist("attachments"):
        if upload and upload.filename:
            data = read_limited(upload.stream, "document")
            service.add_attachment(db_session(), settings(), signed_in_user(), item, upload.filename, data)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.REPORTING)
def new() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    form = _item_form(ItemForm())
    if request.method == "GET" and request.args.get("call", "").isdigit():
        form.call.data = request.args["call"]
    if form.validate_on_submit():
        try:
            item = service.submit(dbs, cfg, user, _draft(form), unit_key=form.unit.data or None)
            _attach(item)
            dbs.commit()
        except DomainError as exc:  # the service's refusals and an upload over its limit
            dbs.rollback()
            refuse(exc)
        else:
            if item.late:
                flash(_("已报送《%(title)s》。该突发事件距事发已超过%(n)d小时，记为迟报。", title=item.title,
                        n=cfg.reporting.urgent_report_hours), "warning")
            else:
                flash(_("已报送《%(title)s》，办公室审核后会告知结果。", title=item.title), "success")
            return redirect(url_for("reporting.show", item_id=item.id))
    form_errors(form)
    return render_template("reporting/edit.html", form=form, item=None, office=_office(),
                           own=service.unit_of_user(dbs, user), hours=cfg.reporting.urgent_report_hours)


def _item_or_404(item_id: int):
    try:
        return service.get(db_session(), settings(), signed_in_user(), item_id)
    except ReportingError:
        abort(404)


def issue_label(issue: Issue) -> str:
    """The issue's name in the reader's language (信息专报 2026年第3期): the service's message, translated."""
    return say(service.issue_name(issue))


@bp.app_template_filter("issue_label")
def _issue_label_filter(issue: Issue) -> str:
    return issue_label(issue)


def _issue_choices() -> list[tuple[str, str]]:
    year = calendar.local_today().year
    choices = [(f"i:{i.id}", issue_label(i)) for i in service.issues(db_session()) if i.year >= year - 1]
    return choices + [(f"new:{p}", _("%(name)s 新一期", name=p)) for p in settings().reporting.publications]


@bp.get("/items/<int:item_id>")
@requires(Permission.REPORTING)
def show(item_id: int) -> ResponseReturnValue:
    dbs, cfg, user = db_session(), settings(), signed_in_user()
    item = _item_or_404(item_id)
    adopt_form = AdoptForm()
    adopt_form.issue.choices = _issue_choices()
    adopt_form.adopted_on.data = calendar.local_today()
    higher_form = HigherForm()
    higher_form.adopted_on.data = calendar.local_today()
    office = _office()
    return render_template("reporting/show.html", item=item, unit=service.unit_of_item(item), office=office,
                           may_edit=service.can_edit(dbs, cfg, user, item),
                           office_adopted=any(a.level == "office" for a in item.adoptions),
                           return_form=ReturnForm(), adopt_form=adopt_form, action_form=ActionForm(),
                           higher_form=higher_form,
                           hours=cfg.reporting.urgent_report_hours, **_labels())


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@requires(Permission.REPORTING)
def edit(item_id: int) -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    item = _item_or_404(item_id)
    if not service.can_edit(dbs, cfg, user, item):
        abort(403)
    form = _item_form(ItemForm(obj=None))
    if request.method == "GET":
        form.title.data, form.body.data, form.category.data = item.title, item.body, item.category
        form.event_at.data = item.event_at.astimezone(BUREAU_ZONE).replace(tzinfo=None) if item.event_at else None
        form.call.data = str(item.call_id) if item.call_id else ""
        if item.call_id and all(v != str(item.call_id) for v, _label in form.call.choices):
            form.call.choices.append((str(item.call_id), item.call.theme))
    if form.validate_on_submit():
        try:
            was_returned = item.status == "returned"
            service.update(dbs, cfg, user, item.id, _draft(form))
            _attach(item)
            dbs.commit()
        except DomainError as exc:  # the service's refusals and an upload over its limit
            dbs.rollback()
            refuse(exc)
        else:
            resubmitted = was_returned and item.status == "submitted"
            flash(_("已修改并重新报送，办公室会再次审核。") if resubmitted else _("已保存修改。"), "success")
            return redirect(url_for("reporting.show", item_id=item.id))
    form_errors(form)
    return render_template("reporting/edit.html", form=form, item=item, office=_office(),
                           own=service.unit_of_item(item), hours=cfg.reporting.urgent_report_hours)


@bp.post("/items/<int:item_id>/return")
@requires(Permission.REPORTING)
def return_(item_id: int) -> ResponseReturnValue:
    form = ReturnForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("reporting.show", item_id=item_id))
    reasons = (form.reasons.data or "").splitlines()
    return perform(lambda s: service.return_item(s, settings(), signed_in_user(), item_id, reasons),
                   success=_("已退回，报送单位已收到全部修改意见。"), to=url_for("reporting.show", item_id=item_id))


@bp.post("/items/<int:item_id>/noted")
@requires(Permission.REPORTING)
def noted(item_id: int) -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    return perform(lambda s: service.note_item(s, settings(), signed_in_user(), item_id),
                   success=_("已阅存。"), to=url_for("reporting.show", item_id=item_id))


@bp.post("/items/<int:item_id>/adopt")
@requires(Permission.REPORTING)
def adopt(item_id: int) -> ResponseReturnValue:
    form = AdoptForm()
    form.issue.choices = _issue_choices()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("reporting.show", item_id=item_id))
    return perform(lambda s: service.adopt(s, settings(), signed_in_user(), item_id, form.issue.data or "",
                                           adopted_on=form.adopted_on.data),
                   success=lambda row: _("已采用到%(issue)s。",
                                         issue=issue_label(row.issue) if row and row.issue else ""),
                   to=url_for("reporting.show", item_id=item_id))


@bp.post("/items/<int:item_id>/higher")
@requires(Permission.REPORTING)
def higher(item_id: int) -> ResponseReturnValue:
    form = HigherForm()
    if not form.validate_on_submit() or form.adopted_on.data is None:
        form_errors(form)
        return redirect(url_for("reporting.show", item_id=item_id))
    adopted_on: date = form.adopted_on.data
    return perform(lambda s: service.record_higher(s, settings(), signed_in_user(), item_id, form.level.data or "",
                                                   adopted_on, form.note.data or ""),
                   success=_("已登记上级采用情况。"), to=url_for("reporting.show", item_id=item_id))


@bp.get("/items/<int:item_id>/attachments/<int:attachment_id>")
@requires(Permission.REPORTING)
def attachment(item_id: int, attachment_id: int) -> ResponseReturnValue:
    try:
        row = service.attachment(db_session(), settings(), signed_in_user(), item_id, attachment_id)
    except ReportingError:
        abort(404)
    inline = row.content_type in ("application/pdf", "image/png", "image/jpeg")
    return send_file(storage.blob_path(settings().files_dir, row.sha256), mimetype=row.content_type,
                     as_attachment=not inline, download_name=row.filename)


# ---- 约稿 -------------------------------------------------------------------------------------------


def _call_form() -> CallForm:
    form = CallForm()
    form.units.choices = [(u.key, u.name) for u in service.units(db_session())]
    return form


@bp.get("/calls")
@requires(Permission.REPORTING)
def calls() -> ResponseReturnValue:
    dbs = db_session()
    rows = service.calls_for(dbs, settings(), signed_in_user())
    replies = {c.id: service.call_replies(dbs, c) for c in rows}
    return render_template("reporting/calls.html", calls=rows, replies=replies, office=_office(),
                           form=_call_form(), today=calendar.local_today())


@bp.post("/calls")
@requires(Permission.REPORTING)
def new_call() -> ResponseReturnValue:
    form = _call_form()
    if not form.validate_on_submit() or form.deadline.data is None:
        form_errors(form)
        return redirect(url_for("reporting.calls"))
    deadline: date = form.deadline.data
    return perform(lambda s: service.publish_call(s, settings(), signed_in_user(), form.theme.data or "",
                                                  form.body.data or "", deadline, form.units.data or []),
                   success=_("约稿已发布，约稿单位已收到提醒。"),
                   to=lambda call: url_for("reporting.call", call_id=call.id) if call else url_for("reporting.calls"))


@bp.get("/calls/<int:call_id>")
@requires(Permission.REPORTING)
def call(call_id: int) -> ResponseReturnValue:
    dbs, user = db_session(), signed_in_user()
    try:
        row = service.get_call(dbs, settings(), user, call_id)
    except ReportingError:
        abort(404)
    own = service.unit_of_user(dbs, user)
    return render_template("reporting/call.html", call=row, replies=service.call_replies(dbs, row), office=_office(),
                           may_reply=own is not None and own.key in (row.units or [])
                           and row.deadline >= calendar.local_today(),
                           today=calendar.local_today(), **_labels())


# ---- issues -----------------------------------------------------------------------------------------


@bp.get("/issues")
@requires(Permission.REPORTING)
def issues() -> ResponseReturnValue:
    form = IssueForm()
    form.publication.choices = [(p, p) for p in settings().reporting.publications]
    dbs = db_session()
    rows = service.issues(dbs)
    counts = {i.id: len(service.issue_items(dbs, i.id)) for i in rows}
    return render_template("reporting/issues.html", issues=rows, counts=counts, office=_office(), form=form)


@bp.post("/issues")
@requires(Permission.REPORTING)
def new_issue() -> ResponseReturnValue:
    form = IssueForm()
    form.validate_on_submit()
    return perform(lambda s: service.new_issue(s, settings(), signed_in_user(), form.publication.data or ""),
                   success=lambda issue: _("已新建%(label)s。", label=issue_label(issue) if issue else ""),
                   to=lambda issue: url_for("reporting.issue", issue_id=issue.id) if issue
                   else url_for("reporting.issues"))


def _issue_or_404(issue_id: int) -> Issue:
    row = db_session().get(Issue, issue_id)
    if row is None:
        abort(404)
    return row


def _issue_docx(issue: Issue) -> bytes:
    dbs, cfg = db_session(), settings()
    office_dept = org.department_by_code(dbs, org.office_code(cfg))
    items = service.issue_items(dbs, issue.id)
    days = [a.adopted_on for i in items for a in i.adoptions if a.issue_id == issue.id]
    return documents.issue_docx(issue, items, organ_name=cfg.organ_name,
                                office_name=office_dept.name if office_dept else "",
                                issued_on=max(days) if days else calendar.local_date(issue.created_at))


@bp.get("/issues/<int:issue_id>")
@requires(Permission.REPORTING)
def issue(issue_id: int) -> ResponseReturnValue:
    row = _issue_or_404(issue_id)
    key = f"issue-{row.id}"
    return render_template("reporting/issue.html", issue=row, items=service.issue_items(db_session(), row.id),
                           office=_office(), pdf=documents.pdf_state(settings().files_dir, key),
                           action_form=ActionForm())


@bp.get("/issues/<int:issue_id>/document.docx")
@requires(Permission.REPORTING)
def issue_document(issue_id: int) -> ResponseReturnValue:
    row = _issue_or_404(issue_id)
    return _download(_issue_docx(row), f"{row.publication}{row.year}年第{row.number}期.docx", DOCX)


@bp.post("/issues/<int:issue_id>/pdf")
@requires(Permission.REPORTING)
def issue_pdf_request(issue_id: int) -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    row = _issue_or_404(issue_id)
    if not _office():
        abort(403)
    documents.request_pdf(settings().files_dir, f"issue-{row.id}", _issue_docx(row))
    flash(_("已请求生成 PDF，稍候刷新本页即可下载。"), "success")
    return redirect(url_for("reporting.issue", issue_id=row.id))


@bp.get("/issues/<int:issue_id>/document.pdf")
@requires(Permission.REPORTING)
def issue_pdf(issue_id: int) -> ResponseReturnValue:
    row = _issue_or_404(issue_id)
    path = documents.pdf_path(settings().files_dir, f"issue-{row.id}")
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf",
                     download_name=f"{row.publication}{row.year}年第{row.number}期.pdf")


def _download(data: bytes, name: str, mimetype: str) -> Response:
    import io

    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


# ---- 通报 -------------------------------------------------------------------------------------------


def _period() -> Period:
    today = calendar.local_today()
    raw_year, raw_q = request.args.get("year", ""), request.args.get("quarter", "")
    year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else today.year
    if raw_q == "all":
        return Period(year)
    quarter = int(raw_q) if raw_q in ("1", "2", "3", "4") else (today.month - 1) // 3 + 1
    return Period(year, quarter)


def _bulletin_docx(result: ranking.Bulletin) -> bytes:
    cfg = settings()
    return documents.bulletin_docx(result, organ_name=cfg.organ_name, issued_on=calendar.local_today(),
                                   marked_places=cfg.reporting.marked_places)


def _colour(bar: charts.Bar) -> str:
    return charts.OK if bar.note == "top" else charts.BAD if bar.note == "bottom" else charts.BLUE


@bp.get("/bulletin")
@requires(Permission.REPORTING)
def bulletin() -> ResponseReturnValue:
    cfg = settings()
    period = _period()
    result = ranking.bulletin(db_session(), cfg, period)
    top = max([r.score for r in result.rows] + [1.0])
    score_bars = [charts.Bar(r.unit.name, max(0.0, r.score), f"{r.score:g}", note=r.mark) for r in result.rows]
    most = max([r.submitted for r in result.rows] + [1])
    volume_bars = [charts.Bar(r.unit.name, float(r.submitted),
                              _("报送%(n)d，采用%(a)d", n=r.submitted, a=r.adopted_total)) for r in result.rows]
    title = say(period.label)
    return render_template(
        "reporting/bulletin.html", result=result, period=period, office=_office(), levels=service.LEVEL_NAMES,
        score_chart=charts.hbars(score_bars, maximum=top, title=_("%(p)s 各单位得分", p=title), colour=_colour),
        volume_chart=charts.hbars(volume_bars, maximum=float(most), title=_("%(p)s 各单位报送条数", p=title)),
        weights=cfg.reporting.score_weights, places=cfg.reporting.marked_places, quota=cfg.reporting.weekly_quota,
        pdf=documents.pdf_state(cfg.files_dir, f"bulletin-{period.key}"), action_form=ActionForm(),
        years=range(calendar.local_today().year, calendar.local_today().year - 4, -1),
    )


def _period_args(period: Period) -> dict[str, Any]:
    return {"year": period.year, "quarter": period.quarter or "all"}


@bp.get("/bulletin/export.xlsx")
@requires(Permission.REPORTING)
def bulletin_xlsx() -> ResponseReturnValue:
    period = _period()
    headers, rows = ranking.table(ranking.bulletin(db_session(), settings(), period))
    name = f"政务信息报送通报-{period.key}.xlsx"
    return _download(tables.xlsx_bytes("通报", headers, rows), name, XLSX)


@bp.get("/bulletin/document.docx")
@requires(Permission.REPORTING)
def bulletin_docx() -> ResponseReturnValue:
    period = _period()
    data = _bulletin_docx(ranking.bulletin(db_session(), settings(), period))
    return _download(data, f"政务信息报送通报-{period.key}.docx", DOCX)


@bp.post("/bulletin/pdf")
@requires(Permission.REPORTING)
def bulletin_pdf_request() -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    if not _office():
        abort(403)
    period = _period()
    documents.request_pdf(settings().files_dir, f"bulletin-{period.key}",
                          _bulletin_docx(ranking.bulletin(db_session(), settings(), period)))
    flash(_("已请求生成 PDF，稍候刷新本页即可下载。"), "success")
    return redirect(url_for("reporting.bulletin", **_period_args(period)))


@bp.get("/bulletin/document.pdf")
@requires(Permission.REPORTING)
def bulletin_pdf() -> ResponseReturnValue:
    period = _period()
    path = documents.pdf_path(settings().files_dir, f"bulletin-{period.key}")
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=f"政务信息报送通报-{period.key}.pdf")


# ---- units ------------------------------------------------------------------------------------------


@bp.get("/units")
@requires(Permission.REPORTING)
def units() -> ResponseReturnValue:
    if not _office():
        abort(403)
    dbs = db_session()
    member_form = MemberForm()
    outside = service.outside_units(dbs)
    member_form.unit.choices = [("", _("（取消关联）"))] + [(str(u.id), u.name) for u in outside if u.active]
    return render_template("reporting/units.html", departments=org.departments(dbs), outside=outside, office=True,
                           members=service.members(dbs), unit_form=UnitForm(), member_form=member_form)


@bp.post("/units", defaults={"unit_id": None})
@bp.post("/units/<int:unit_id>")
@requires(Permission.REPORTING)
def save_unit(unit_id: int | None) -> ResponseReturnValue:
    """Add an outside unit (no id) or rename / (de)activate one."""
    form = UnitForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("reporting.units"))
    return perform(lambda s: service.save_outside_unit(s, settings(), signed_in_user(), form.name.data or "",
                                                       unit_id=unit_id,
                                                       active=bool(form.active.data) if unit_id else True),
                   success=_("已保存下属单位。"), to=url_for("reporting.units"))


@bp.post("/units/members")
@requires(Permission.REPORTING)
def member() -> ResponseReturnValue:
    form = MemberForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("reporting.units"))
    raw = form.unit.data or ""
    return perform(lambda s: service.attach_account(s, settings(), signed_in_user(), form.username.data or "",
                                                    int(raw) if raw.isdigit() else None),
                   success=_("已更新账户的下属单位。"), to=url_for("reporting.units"))
