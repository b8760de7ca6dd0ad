"""Printing pages: thin views over printing.service (which never calls CUPS: the worker does)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core.clearance import cleared
from core.models import PrintJob
from core.permissions import Permission
from intranet.access import can, requires
from intranet.context import db_session, settings, signed_in_user
from intranet.feedback import refuse, say
from intranet.printing.forms import ActionForm, MoveForm, PrintForm, print_options
from intranet.uploads import UploadTooLarge, read_limited
from printing import service

bp = Blueprint("printing", __name__, url_prefix="/printing")

TIER_LABELS = {"department": "部门打印机", "central": "文印室"}


def _archive_file(file_id: str | None):
    if not file_id:
        return None
    try:
        return service.archive_file_for(db_session(), settings(), signed_in_user(), int(file_id))
    except (ValueError, service.PrintError) as exc:
        if isinstance(exc, service.PrintError):
            refuse(exc)
        else:
            flash(_("档案文件编号无效。"), "error")
        return None


def _page_context() -> dict[str, object]:
    dbs, user, cfg = db_session(), signed_in_user(), settings()
    year, month = service.current_month()
    dept = user.department
    used = service.department_usage(dbs, dept.id, year, month) if dept else 0
    return {
        "jobs": service.user_jobs(dbs, user),
        "labels": service.STATE_LABELS,
        "tiers": TIER_LABELS,
        "department": dept,
        "used": used,
        "quota": service.quota_of(cfg, dept.code if dept else None),
        "series": service.monthly_series(dbs, department_id=dept.id if dept else None),
        "month": f"{year}-{month:02d}",
        "action_form": ActionForm(),
        "classification_name": service.classification_name,
    }


@bp.get("/")
@requires(Permission.PRINT)
def index() -> ResponseReturnValue:
    form = PrintForm()
    archive_file = _archive_file(request.args.get("archive_file"))
    if archive_file is not None:
        form.archive_file.data = str(archive_file.id)
    return render_template("printing/index.html", form=form, archive_file=archive_file, **_page_context())


@bp.post("/")
@requires(Permission.PRINT)
def submit() -> ResponseReturnValue:
    form = PrintForm()
    back = url_for("printing.index", archive_file=form.archive_file.data or None)
    if not form.validate_on_submit():
        flash(_("请检查填写的内容：%(errors)s", errors="；".join(
            f"{form[k].label.text} {'，'.join(v)}" for k, v in form.errors.items())), "error")
        return redirect(back)
    upload = form.document.data
    if form.archive_file.data:
        try:
            source: service.Source = service.ArchiveSource(int(form.archive_file.data))
        except ValueError:
            abort(400)
    elif upload is not None and getattr(upload, "filename", None):
        try:
            source = service.UploadedFile(upload.filename, read_limited(upload.stream, "print"))
        except UploadTooLarge as exc:
            refuse(exc)
            return redirect(back)
    else:
        flash(_("请选择要打印的文件。"), "error")
        return redirect(back)
    options = print_options(form, None if form.archive_file.data else form.classification.data)
    dbs = db_session()
    try:
        job = service.request_print(dbs, settings(), signed_in_user(), source, options)
    except service.PrintError as exc:
        dbs.rollback()
        refuse(exc)
        return redirect(back)
    dbs.commit()
    if job.state == "preparing":
        flash(_("已收到《%(title)s》，正在转换为 PDF，稍后自动决定打印位置。", title=job.title), "success")
    else:
        flash(_("已提交《%(title)s》：%(pages)s 页 × %(copies)s 份，送%(queue)s。原因：%(reasons)s",
                title=job.title, pages=job.pages, copies=job.copies, queue=queue_name(job.queue),
                reasons=_("；").join(say(r) for r in service.reasons_text(job))), "success")
    return redirect(url_for("printing.index"))


@bp.get("/jobs")
@requires(Permission.PRINT)
def jobs_fragment() -> ResponseReturnValue:
    """The rows of "my jobs", fetched every few seconds by printing.js for live states."""
    return render_template("printing/_jobs.html", **_page_context())


@bp.post("/jobs/<int:job_id>/cancel")
@requires(Permission.PRINT)
def cancel(job_id: int) -> ResponseReturnValue:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    dbs = db_session()
    try:
        job = service.cancel(dbs, signed_in_user(), job_id)
    except service.PrintError as exc:
        dbs.rollback()
        refuse(exc)
    else:
        dbs.commit()
        flash(_("已取消《%(title)s》。", title=job.title) if job.state == "cancelled"
              else _("正在取消《%(title)s》，稍后刷新查看结果。", title=job.title), "success")
    target = request.form.get("next") or ""
    return redirect(url_for("printing.console") if target == "console" else url_for("printing.index"))


@bp.get("/console")
@requires(Permission.PRINT_OPERATE)
def console() -> ResponseReturnValue:
    dbs, cfg = db_session(), settings()
    active, done = service.console_jobs(dbs, cfg, viewer=signed_in_user())
    room = service.policy(cfg).central_queues
    printers = [p for p in service.printer_rows(dbs, cfg) if p.queue in room]
    return render_template(
        "printing/console.html", active=active, done=done, room=room, printers=printers,
        labels=service.STATE_LABELS, action_form=ActionForm(), move_form=MoveForm(),
        classification_name=service.classification_name,
    )


@bp.get("/console/<int:job_id>/preview.pdf")
@requires(Permission.PRINT_OPERATE)
def preview(job_id: int) -> ResponseReturnValue:
    """The PDF a held job will print, for the operator to check before 放行 (within their clearance)."""
    job = db_session().get(PrintJob, job_id)
    user = signed_in_user()
    if job is None or not cleared(user, job.classification) or not job.pdf_path:
        abort(404)
    path = (settings().data_dir / job.pdf_path).resolve()
    if not path.is_relative_to(settings().data_dir.resolve()) or not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", download_name=f"job-{job.id}.pdf")


@bp.post("/console/<int:job_id>/release")
@requires(Permission.PRINT_OPERATE)
def release(job_id: int) -> ResponseReturnValue:
    return _operator_action(
        lambda dbs: service.release(dbs, signed_in_user(), job_id),
        lambda job: _("已放行《%(title)s》，送 %(queue)s 打印。", title=job.title, queue=job.queue),
    )


@bp.post("/console/<int:job_id>/move")
@requires(Permission.PRINT_OPERATE)
def move(job_id: int) -> ResponseReturnValue:
    queue = request.form.get("queue", "")
    return _operator_action(
        lambda dbs: service.move(dbs, settings(), signed_in_user(), job_id, queue),
        lambda job: _("已将《%(title)s》改送 %(queue)s。", title=job.title, queue=queue),
    )


def _operator_action(act: Any, done_message: Any) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    dbs = db_session()
    try:
        job = act(dbs)
    except service.PrintError as exc:
        dbs.rollback()
        refuse(exc)
    else:
        dbs.commit()
        flash(done_message(job), "success")
    return redirect(url_for("printing.console"))


@bp.get("/printers")
@requires(Permission.PRINT_ADMIN)
def printers() -> ResponseReturnValue:
    dbs, cfg = db_session(), settings()
    year, month = _month_arg()
    return render_template(
        "printing/printers.html", printers=service.printer_rows(dbs, cfg),
        usage=service.usage(dbs, year, month), month=f"{year}-{month:02d}",
        server=cfg.printing.cups_server or _("（未配置 CUPS：演示用打印目录）"),
    )


@bp.get("/usage.csv")
@requires(Permission.PRINT)
def usage_csv() -> ResponseReturnValue:
    """Monthly accounting as CSV: everyone's for printing admins, one's own department's otherwise."""
    year, month = _month_arg()
    user = signed_in_user()
    if can(Permission.PRINT_ADMIN):
        rows = service.usage(db_session(), year, month)
    else:
        rows = service.usage(db_session(), year, month, department_id=user.department_id or -1)
    body = service.usage_csv(rows, year, month)
    name = f"printing-{year}-{month:02d}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _month_arg() -> tuple[int, int]:
    raw = request.args.get("month", "")
    try:
        year_s, month_s = raw.split("-")
        year, month = int(year_s), int(month_s)
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    return service.current_month()


@bp.app_template_filter("queue_name")
def queue_name(queue: str | None) -> str:
    """A print queue as people read it (「造林绿化处打印机」, 「文印室 1 号机」); the raw name only if unknown."""
    if not queue:
        return ""
    if "queue_names" not in g:
        g.queue_names = service.queue_names(db_session(), settings())
    name = g.queue_names.get(queue)
    if name is None:
        return queue
    if name.department is None:
        return _("文印室 %(n)d 号机", n=name.number)
    if name.number:
        return _("%(dept)s打印机 %(n)d 号", dept=name.department, n=name.number)
    return _("%(dept)s打印机", dept=name.department)
