"""职位代理 pages: one's own windows and the tasks one handles for others; the admin's overview."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from core import org
from core.messages import DomainError
from core.models import User
from core.permissions import Permission
from documents import proxy
from documents.proxy import GrantRequest
from intranet.access import can, requires
from intranet.context import db_session, signed_in_user
from intranet.feedback import form_errors, refuse
from intranet.supervision.forms import ProxyForm
from supervision import tasks

bp = Blueprint("proxy", __name__, url_prefix="/proxy")


def _form(for_admin: bool) -> ProxyForm:
    form = ProxyForm()
    people = [SelectChoice(str(u.id), _("%(name)s（%(dept)s）", name=u.display_name, dept=u.department.name)
              if u.department else u.display_name)
              for u in org.users(db_session()) if u.active]
    form.proxy.choices = [SelectChoice("", _("请选择")), *people]
    form.principal.choices = people if for_admin else []
    return form


def _create(form: ProxyForm, for_admin: bool) -> bool:
    user = signed_in_user()
    dbs = db_session()
    if not form.validate_on_submit():
        form_errors(form)
        return False
    principal = dbs.get(User, int(form.principal.data)) if for_admin and form.principal.data else user
    deputy = dbs.get(User, int(form.proxy.data)) if (form.proxy.data or "").isdigit() else None
    if principal is None or deputy is None:
        flash(_("请选择被代理人和代理人。"), "error")
        return False
    try:
        grant = proxy.create(dbs, user, GrantRequest(
            principal=principal, proxy=deputy, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            kinds=form.kinds.data or [], allow_sign=form.allow_sign.data, move_existing=form.move_existing.data,
            reason=form.reason.data or "",
        ))
    except DomainError as exc:
        dbs.rollback()
        refuse(exc)
        return False
    from notifications import notify

    notify.notify(dbs, deputy, "proxy", _("%(name)s 请您代理其工作", name=principal.display_name),
                  body=_("代理期限：%(a)s 至 %(b)s；范围：%(scope)s%(sign)s。", a=grant.starts_on.isoformat(),
                         b=grant.ends_on.isoformat(), scope=proxy.scope_label(grant),
                         sign=_("，含签发") if grant.allow_sign else ""), link=url_for("proxy.index"))
    dbs.commit()
    flash(_("已设置职位代理：%(a)s 由 %(b)s 代理，%(s)s 至 %(e)s。", a=principal.display_name,
            b=deputy.display_name, s=grant.starts_on.isoformat(), e=grant.ends_on.isoformat()), "success")
    return True


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.PORTAL)
def index() -> ResponseReturnValue:
    user = signed_in_user()
    form = _form(False)
    if request.method == "POST" and _create(form, False):
        return redirect(url_for("proxy.index"))
    dbs = db_session()
    return render_template(
        "supervision/proxy.html", form=form, mine=proxy.grants(dbs, principal=user),
        acting=proxy.grants(dbs, proxy=user), delegated=tasks.delegated_tasks(dbs, user),
        state_of=proxy.state_of, state_names=proxy.STATE_NAMES, scope_label=proxy.scope_label,
        admin_view=False,
    )


@bp.route("/admin", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def admin() -> ResponseReturnValue:
    form = _form(True)
    if request.method == "POST" and _create(form, True):
        return redirect(url_for("proxy.admin"))
    return render_template(
        "supervision/proxy.html", form=form, mine=proxy.grants(db_session()), acting=[], delegated=[],
        state_of=proxy.state_of, state_names=proxy.STATE_NAMES, scope_label=proxy.scope_label, admin_view=True,
    )


@bp.post("/<int:grant_id>/cancel")
@requires(Permission.PORTAL)
def cancel(grant_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    dbs = db_session()
    try:
        grant = proxy.cancel(dbs, user, grant_id)
    except DomainError as exc:
        refuse(exc)
    else:
        dbs.commit()
        flash(_("已撤销 %(name)s 的代理。", name=grant.proxy.display_name), "success")
    return redirect(url_for("proxy.admin" if request.form.get("back") == "admin" and can(Permission.ADMIN)
                            else "proxy.index"))
