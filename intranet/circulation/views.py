"""传阅 pages: 待阅 / 已阅 / 我发起的, sending a document or archive file, the item page with its receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from circulation import service as circulation
from circulation.errors import CirculationError, NotFound
from circulation.service import Recipients
from core import org
from core.clearance import cleared
from core.models import User
from core.models.documents import Document
from core.models.files import ArchiveFile
from core.permissions import Permission
from documents import lists, visibility
from documents.errors import WorkflowError
from intranet.access import requires
from intranet.context import db_session, settings, signed_in_user
from intranet.downloads import send_archive_file
from intranet.feedback import refuse
from intranet.supervision.forms import NoteForm
from library.access import visible_file
from library.safeopen import UnsafeFile

bp = Blueprint("circulation", __name__, url_prefix="/circulation")


def _user() -> User:
    user = signed_in_user()
    return user


def _names(field: str) -> list[str]:
    raw = request.form.getlist(field)
    out: list[str] = []
    for value in raw:
        out += [v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]
    return out


def _flash_problems(exc: CirculationError) -> None:
    refuse(exc)


@bp.get("/")
@requires(Permission.DOCUMENTS)
def inbox() -> ResponseReturnValue:
    user = _user()
    dbs = db_session()
    tab = request.args.get("tab", "unread")
    if tab not in ("unread", "all", "sent"):
        tab = "unread"
    rows = circulation.inbox(dbs, user, unread_only=tab == "unread") if tab != "sent" else []
    sent = circulation.sent(dbs, user) if tab == "sent" else []
    # 收件: documents distributed to the person are listed here too, read or not, each with its kind.
    documents = lists.received(dbs, user, unread_only=tab == "unread") if tab != "sent" else []
    unread = circulation.unread_count(dbs, user) + lists.counts(dbs, user, inbox_total=0)["to_read"]
    return render_template("circulation/inbox.html", tab=tab, rows=rows, sent=sent, documents=documents,
                           unread=unread)


def _item_for_new() -> tuple[Document | None, ArchiveFile | None]:
    dbs = db_session()
    user = _user()
    doc_id = request.values.get("document_id", type=int)
    file_id = request.values.get("file_id", type=int)
    if doc_id:
        try:
            return visibility.get_document(dbs, doc_id, user), None
        except WorkflowError:
            abort(404)
    if file_id:
        found = visible_file(dbs, user, file_id)
        if found is None:
            abort(404)
        return None, found
    return None, None


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.DOCUMENTS)
def new() -> ResponseReturnValue:
    user = _user()
    dbs = db_session()
    document, archive_file = _item_for_new()
    if document is None and archive_file is None:
        flash(_("请从公文页面或档案检索结果中选择要传阅的文件。"), "error")
        return redirect(url_for("circulation.inbox"))
    form = NoteForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            circ = circulation.send(
                dbs, user, document=document, archive_file=archive_file, note=form.note.data or "",
                allow_pass_on=request.form.get("allow_pass_on") == "1",
                recipients=Recipients(usernames=_names("users"), department_codes=request.form.getlist("departments")),
            )
        except CirculationError as exc:
            dbs.rollback()
            _flash_problems(exc)
        else:
            dbs.commit()
            flash(_("已传阅给%(n)d人。", n=len(circ.receipts)), "success")
            return redirect(url_for("circulation.show", circulation_id=circ.id))
    return render_template("circulation/new.html", form=form, document=document, archive_file=archive_file,
                           departments=org.departments(dbs), people=[u for u in org.users(dbs) if u.active])


def _visible(dbs: Any, user: User, circulation_id: int) -> Any:
    """The circulation and the viewer's receipt (None for its sender); 404 when missing or not theirs."""
    try:
        return circulation.get_for(dbs, user, circulation_id)
    except NotFound:
        abort(404)


@bp.get("/<int:circulation_id>")
@requires(Permission.DOCUMENTS)
def show(circulation_id: int) -> ResponseReturnValue:
    user = _user()
    dbs = db_session()
    circ, receipt = _visible(dbs, user, circulation_id)
    if receipt is not None and circulation.mark_read(dbs, user, circ.id):
        dbs.commit()
        circ, receipt = circulation.get_for(dbs, user, circulation_id)
    is_sender = circ.sender_id == user.id
    return render_template(
        "circulation/show.html", circ=circ, receipt=receipt, is_sender=is_sender,
        status=circulation.status(dbs, circ) if is_sender else None,
        archive_file=dbs.get(ArchiveFile, circ.archive_file_id) if circ.archive_file_id else None,
        colleagues=circulation.colleagues(dbs, user) if receipt is not None and circ.allow_pass_on else [],
        departments=org.departments(dbs), people=[u for u in org.users(dbs) if u.active] if is_sender else [],
        form=NoteForm(),
    )


@bp.get("/<int:circulation_id>/file")
@requires(Permission.DOCUMENTS)
def file(circulation_id: int) -> ResponseReturnValue:
    """Serve the circulated archive file to its sender and recipients (the circulation is the permission)."""
    user = _user()
    dbs = db_session()
    circ, receipt = _visible(dbs, user, circulation_id)
    found = dbs.get(ArchiveFile, circ.archive_file_id) if circ.archive_file_id else None
    root = settings().archive_dir
    if found is None or root is None or not cleared(user, found.classification):
        abort(404)
    try:
        response = send_archive_file(Path(root), found)
    except UnsafeFile:
        flash(_("档案文件已不在资料库中（可能已被移动或删除），请联系传阅发起人。"), "error")
        return redirect(url_for("circulation.show", circulation_id=circ.id))
    if receipt is not None and circulation.mark_read(dbs, user, circ.id):
        dbs.commit()
    return response


def _act(circulation_id: int, work: Any, success: str) -> ResponseReturnValue:
    dbs = db_session()
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "error")
        return redirect(url_for("circulation.show", circulation_id=circulation_id))
    try:
        result = work(dbs, form)
    except NotFound:
        abort(404)
    except CirculationError as exc:
        dbs.rollback()
        _flash_problems(exc)
    else:
        dbs.commit()
        flash(success % {"n": result if isinstance(result, int) else len(result)}, "success")
    return redirect(url_for("circulation.show", circulation_id=circulation_id))


@bp.post("/<int:circulation_id>/add")
@requires(Permission.DOCUMENTS)
def add(circulation_id: int) -> ResponseReturnValue:
    return _act(circulation_id, lambda dbs, form: circulation.add_recipients(
        dbs, _user(), circulation_id,
        Recipients(usernames=_names("users"), department_codes=request.form.getlist("departments"))),
        _("已增加%(n)d位传阅对象。"))


@bp.post("/<int:circulation_id>/pass")
@requires(Permission.DOCUMENTS)
def pass_on(circulation_id: int) -> ResponseReturnValue:
    return _act(circulation_id, lambda dbs, form: circulation.pass_on(dbs, _user(), circulation_id, _names("users")),
                _("已转给%(n)d位本部门同事。"))


@bp.post("/<int:circulation_id>/recall")
@requires(Permission.DOCUMENTS)
def recall(circulation_id: int) -> ResponseReturnValue:
    ids = [int(v) for v in request.form.getlist("receipt") if v.isdigit()] or None
    return _act(circulation_id, lambda dbs, form: circulation.recall(dbs, _user(), circulation_id, ids),
                _("已收回%(n)d份未阅传阅。"))


@bp.post("/<int:circulation_id>/remind")
@requires(Permission.DOCUMENTS)
def remind(circulation_id: int) -> ResponseReturnValue:
    return _act(circulation_id, lambda dbs, form: circulation.remind_unread(
        dbs, _user(), circulation_id, form.note.data or ""), _("已提醒%(n)d位未阅人员。"))
