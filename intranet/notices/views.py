"""通知公告 and 公示 pages: thin views over notices.service (the rules live there)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core import calendar, org, storage
from core.db import begin_write
from core.messages import DomainError
from core.models.base import BUREAU_ZONE
from core.permissions import ROLE_NAMES, Permission
from intranet.access import requires
from intranet.context import db_session, settings, signed_in_user
from intranet.feedback import form_errors, perform, refuse
from intranet.notices.forms import ActionForm, HandlingForm, NoticeForm, ObjectionForm, OutcomeForm
from intranet.uploads import read_limited
from notices import service
from notices.service import Audience, NoticeDraft, NoticeError

bp = Blueprint("notices", __name__, url_prefix="/notices")


def _local(value: datetime | None) -> datetime | None:
    """A datetime-local field's value is the bureau's wall-clock time."""
    return value.replace(tzinfo=BUREAU_ZONE) if value is not None else None


@bp.get("/")
@requires(Permission.NOTICES)
def index() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    query = (request.args.get("q") or "")[:100]
    kind = request.args.get("kind") or None
    items = service.for_user(dbs, cfg, user, query=query, kind=kind)
    return render_template("notices/index.html", items=items, read=service.read_ids(dbs, user, [n.id for n in items]),
                           query=query, kind=kind, kinds=service.KIND_NAMES,
                           may_publish=service.may_publish(cfg, user),
                           mine=service.published_by_me(dbs, user) if service.may_publish(cfg, user) else [])


def _form() -> NoticeForm:
    form = NoticeForm()
    dbs, cfg, user = db_session(), settings(), signed_in_user()
    departments = org.departments(dbs)
    if not service.is_office(cfg, user):
        departments = [d for d in departments if d.id == user.department_id]
    form.departments.choices = [(d.code, d.name) for d in departments]
    form.roles.choices = [(code, _(name)) for code, name in ROLE_NAMES.items()]
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.NOTICES)
def new() -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    if not service.may_publish(cfg, user):
        abort(403)
    form = _form()
    office = service.is_office(cfg, user)
    if request.method == "GET" and not office:
        form.everyone.data = False
        form.departments.data = [user.department.code] if user.department else []
    if form.validate_on_submit():
        draft = NoticeDraft(
            title=form.title.data or "", body=form.body.data or "", kind=form.kind.data or "notice",
            audience=Audience(everyone=bool(form.everyone.data), departments=tuple(form.departments.data or ()),
                              roles=tuple(form.roles.data or ())),
            pinned=bool(form.pinned.data), publish_at=_local(form.publish_at.data),
            expire_at=_local(form.expire_at.data),
            period_workdays=form.period_workdays.data,
        )
        try:
            notice = service.publish(dbs, cfg, user, draft)
            for upload in request.files.getlist("attachments"):
                if upload and upload.filename:
                    data = read_limited(upload.stream, "document")
                    service.add_attachment(dbs, cfg, user, notice, upload.filename, data)
            dbs.commit()
        except DomainError as exc:  # the service's refusals and an upload over its limit
            dbs.rollback()
            refuse(exc)
        else:
            flash(_("已发布《%(title)s》，发布范围内的人员已收到提醒。", title=notice.title), "success")
            return redirect(url_for("notices.show", notice_id=notice.id))
    form_errors(form)
    return render_template("notices/new.html", form=form, office=office)


def _notice_or_404(notice_id: int):
    try:
        return service.get(db_session(), settings(), signed_in_user(), notice_id)
    except NoticeError:
        abort(404)


@bp.get("/<int:notice_id>")
@requires(Permission.NOTICES)
def show(notice_id: int) -> ResponseReturnValue:
    user, dbs, cfg = signed_in_user(), db_session(), settings()
    notice = _notice_or_404(notice_id)
    if not service.has_read(dbs, notice, user):
        # A GET reads without the write lock; take it before this one write, or SQLite refuses the
        # upgrade when another writer is busy (seen as 「系统繁忙」 on a plain page view).
        begin_write(dbs)
        service.mark_read(dbs, notice, user)
        dbs.commit()
    manager = notice.author_id == user.id or service.is_office(cfg, user)
    today = calendar.local_today()
    return render_template(
        "notices/show.html", notice=notice, manager=manager, office=service.is_office(cfg, user),
        readers=service.readers(dbs, notice) if manager else None,
        objections=service.objections(dbs, cfg, notice, user), in_period=service.in_period(notice, today),
        ended=notice.period_end is not None and today > notice.period_end,
        objection_form=ObjectionForm(), handling_form=HandlingForm(), outcome_form=OutcomeForm(),
        action_form=ActionForm(), kinds=service.KIND_NAMES,
    )


@bp.post("/<int:notice_id>/remind")
@requires(Permission.NOTICES)
def remind(notice_id: int) -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    return perform(lambda s: service.remind_unread(s, settings(), signed_in_user(), notice_id),
                   success=lambda n: _("已提醒 %(n)d 位未读人员。", n=n or 0),
                   to=url_for("notices.show", notice_id=notice_id))


@bp.post("/<int:notice_id>/objections")
@requires(Permission.NOTICES)
def object_(notice_id: int) -> ResponseReturnValue:
    form = ObjectionForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("notices.show", notice_id=notice_id))
    return perform(lambda s: service.send_objection(s, settings(), signed_in_user(), notice_id, form.body.data or "",
                                                    anonymous=bool(form.anonymous.data)),
                   success=_("意见已提交，办公室会处理并告知您结果。"), to=url_for("notices.show", notice_id=notice_id))


@bp.post("/<int:notice_id>/objections/<int:objection_id>")
@requires(Permission.NOTICES)
def handle(notice_id: int, objection_id: int) -> ResponseReturnValue:
    form = HandlingForm()
    form.validate_on_submit()
    return perform(lambda s: service.handle_objection(s, settings(), signed_in_user(), objection_id,
                                                      form.handling.data or ""),
                   success=_("处理情况已记录，提出意见的人已收到通知。"),
                   to=url_for("notices.show", notice_id=notice_id))


@bp.post("/<int:notice_id>/close")
@requires(Permission.NOTICES)
def close(notice_id: int) -> ResponseReturnValue:
    form = OutcomeForm()
    form.validate_on_submit()
    return perform(lambda s: service.close(s, settings(), signed_in_user(), notice_id, form.outcome.data or ""),
                   success=_("公示已结束，结果已公布。"), to=url_for("notices.show", notice_id=notice_id))


@bp.post("/<int:notice_id>/file")
@requires(Permission.NOTICES)
def file(notice_id: int) -> ResponseReturnValue:
    ActionForm().validate_on_submit()
    return perform(lambda s: service.file_to_archive(s, settings(), signed_in_user(), notice_id),
                   success=lambda path: _("已归档到资料库：%(path)s（建立索引后即可检索）。", path=path),
                   to=url_for("notices.show", notice_id=notice_id))


@bp.get("/<int:notice_id>/attachments/<int:attachment_id>")
@requires(Permission.NOTICES)
def attachment(notice_id: int, attachment_id: int) -> ResponseReturnValue:
    try:
        row = service.attachment(db_session(), settings(), signed_in_user(), notice_id, attachment_id)
    except NoticeError:
        abort(404)
    inline = row.content_type in ("application/pdf", "image/png", "image/jpeg")
    return send_file(storage.blob_path(settings().files_dir, row.sha256), mimetype=row.content_type,
                     as_attachment=not inline, download_name=row.filename)
