"""档案检索 pages: search, file preview and download (by id, permission-checked), 资料库 browser, 索引状态."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core import audit, org
from core.models.files import OUTCOMES
from core.permissions import Permission
from documents.states import RETENTION_NAMES
from intranet.access import can, requires
from intranet.context import current_user, db_session, settings
from intranet.downloads import send_archive_file
from intranet.feedback import form_errors, refuse
from intranet.library.forms import RetryForm, UploadForm
from intranet.uploads import limit_bytes
from library import search, service, shelves
from library.access import visible_file
from library.safeopen import UnsafeFile

bp = Blueprint("library", __name__, url_prefix="/search")  # the URL users know stays


def _int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value.lstrip("-").isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if -(2**31) < number < 2**31 else None


def _date(name: str) -> date | None:
    """A YYYY-MM-DD argument (the browser's date input), or None when absent or malformed."""
    try:
        return date.fromisoformat(request.args.get(name, "").strip()[:10])
    except ValueError:
        return None


@bp.get("/")
@requires(Permission.ARCHIVE_SEARCH)
def index() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:500]
    sort = "date" if request.args.get("sort") == "date" else "relevance"
    outcome = request.args.get("outcome") or None
    filters = search.Filters(department_id=_int("dept"), year=_int("year"),
                             kind=(request.args.get("kind") or "")[:16] or None,
                             date_from=_date("from"), date_to=_date("to"),
                             doc_number=(request.args.get("wh") or "").strip()[:64] or None,
                             archive_number=(request.args.get("dh") or "").strip()[:64] or None,
                             outcome=outcome if outcome in OUTCOMES else None)
    result = None
    if q:
        result = search.search(db_session(), settings(), current_user(), q, filters=filters, sort=sort,
                               page=_int("page") or 1)
    return render_template("library/index.html", q=q, sort=sort, filters=filters, result=result, url_with=_url_with,
                           outcomes=OUTCOMES)


def _url_with(key: str, value: object) -> str:
    """Return this search's URL with one argument changed (None removes it); facets go back to page 1."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page" or key == "page"}
    args[key] = value
    return url_for("library.index", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.get("/files/<int:file_id>")
@requires(Permission.ARCHIVE_SEARCH)
def preview(file_id: int) -> ResponseReturnValue:
    dbs = db_session()
    row = visible_file(dbs, current_user(), file_id)
    if row is None:
        abort(404)
    q = request.args.get("q", "").strip()[:500]
    text = search.original_text(dbs, file_id)
    runs = search.marked_text(text, search.parse(q).highlight_terms if q else [])
    return render_template("library/file.html", file=row, q=q, runs=runs, text=text,
                           retention_names=RETENTION_NAMES)


@bp.get("/files/<int:file_id>/download")
@requires(Permission.ARCHIVE_SEARCH)
def download(file_id: int) -> ResponseReturnValue:
    dbs = db_session()
    row = visible_file(dbs, current_user(), file_id)
    if row is None:
        abort(404)
    try:
        response = send_archive_file(settings().archive_dir, row)
    except UnsafeFile as exc:
        if exc.missing:
            flash(_("文件 %(name)s 已不在资料库中（可能刚被移动或删除），请稍后重新检索。", name=row.name), "error")
        else:
            flash(_("文件 %(name)s 无法下载：%(reason)s。", name=row.name, reason=_(exc.reason)), "error")
        return redirect(url_for("library.preview", file_id=file_id))
    audit.record(dbs, "archive.download", user=current_user(), detail=row.relpath)
    dbs.commit()
    return response


def _upload_form() -> UploadForm:
    form = UploadForm()
    public = settings().indexer.public_folders
    form.folder.choices = [(d.code, d.name) for d in org.departments(db_session())]
    if public:
        form.folder.choices.append((public[0], _("公共区域（所有人可见）")))
    return form


@bp.get("/library")
@requires(Permission.ARCHIVE_SEARCH)
def library_index() -> ResponseReturnValue:
    dbs = db_session()
    on_shelves = shelves.shelves(dbs, current_user())
    dept = _int("dept")
    year = _int("year")
    chosen = request.args.get("shelf") == "1"
    files = shelves.files_on_shelf(dbs, current_user(), dept, year) if chosen else []
    form = _upload_form() if can(Permission.ARCHIVE_MANAGE) else None
    return render_template("library/shelves.html", shelves=on_shelves, files=files, chosen=chosen, dept=dept, year=year,
                           form=form)


@bp.post("/library/upload")
@requires(Permission.ARCHIVE_MANAGE)
def upload() -> ResponseReturnValue:
    form = _upload_form()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("library.library_index"))
    upload_file = form.file.data
    try:
        relpath = shelves.store_upload(settings(), form.folder.data or "", form.year.data,
                                       upload_file.filename or "", upload_file.stream,
                                       limit_bytes=limit_bytes("archive"))
    except shelves.UploadError as exc:
        refuse(exc)
        return redirect(url_for("library.library_index"))
    except OSError as exc:
        flash(_("无法写入资料库文件夹：%(error)s。请联系管理员检查磁盘空间和权限。",
                error=exc.strerror or str(exc)), "error")
        return redirect(url_for("library.library_index"))
    dbs = db_session()
    audit.record(dbs, "archive.upload", user=current_user(), detail=relpath)
    dbs.commit()
    flash(_("已上传到 %(path)s，几秒钟后即可检索。", path=relpath), "success")
    return redirect(url_for("library.library_index"))


@bp.get("/status")
@requires(Permission.ARCHIVE_MANAGE)
def status() -> ResponseReturnValue:
    st = service.status(db_session(), settings())
    return render_template("library/status.html", st=st, form=RetryForm(), outcomes=OUTCOMES)


@bp.post("/status/retry")
@requires(Permission.ARCHIVE_MANAGE)
def retry() -> ResponseReturnValue:
    form = RetryForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(url_for("library.status"))
    file_id = request.args.get("file_id", type=int)
    dbs = db_session()
    count = service.retry(dbs, [file_id] if file_id else None)
    audit.record(dbs, "archive.retry", user=current_user(), detail=str(file_id or "all"))
    dbs.commit()
    flash(_("已重新排队 %(n)d 个文件，worker 会再次读取它们。", n=count), "success")
    return redirect(url_for("library.status"))
