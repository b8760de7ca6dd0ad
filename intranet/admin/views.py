"""Administration: departments, users and role assignments."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from core import audit, org
from core.models import User
from core.permissions import ROLE_NAMES, Permission
from documents import standing
from intranet.access import requires
from intranet.admin.forms import DepartmentForm, UserForm
from intranet.context import current_user, db_session, settings
from intranet.feedback import refuse

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_form(obj: User | None = None) -> UserForm:
    form = UserForm(obj=None)
    dbs = db_session()
    form.department.choices = [SelectChoice("", _("（无）"))] + [
        SelectChoice(d.code, f"{d.name} {d.code}") for d in org.departments(dbs)
    ]
    form.roles.choices = [SelectChoice(code.value, _(name)) for code, name in ROLE_NAMES.items()]
    if obj is not None and request.method == "GET":
        form.username.data = obj.username
        form.display_name.data = obj.display_name
        form.department.data = obj.department.code if obj.department else ""
        form.roles.data = sorted(a.role.code for a in obj.role_assignments if a.source == "manual")
        form.clearance.data = obj.clearance
        form.active.data = obj.active
    return form


@bp.get("/")
@requires(Permission.ADMIN)
def index() -> ResponseReturnValue:
    dbs = db_session()
    return render_template(
        "admin/index.html",
        departments=org.departments(dbs, include_inactive=True),
        users=org.users(dbs),
        department_form=DepartmentForm(),
        events=audit.latest(dbs, limit=20),
        moves=standing.recent_moves(dbs, limit=20),
        stuck=standing.unmovable(dbs),
        audit_kind=audit.kind_name,
    )


@bp.post("/departments")
@requires(Permission.ADMIN)
def save_department() -> ResponseReturnValue:
    form = DepartmentForm()
    dbs = db_session()
    if form.validate_on_submit():
        try:
            dept = org.save_department(dbs, form.code.data or "", form.name.data or "",
                                       sort_order=form.sort_order.data or 100)
        except org.OrgError as exc:
            refuse(exc)
        else:
            audit.record(dbs, "admin.department", user=current_user(), detail=f"{dept.code} {dept.name}")
            dbs.commit()
            flash(_("已保存部门 %(name)s。", name=dept.name), "success")
    else:
        flash(_("请填写部门代码和名称。"), "error")
    return redirect(url_for("admin.index"))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def new_user() -> ResponseReturnValue:
    form = _user_form()
    dbs = db_session()
    if form.validate_on_submit():
        try:
            user = org.create_user(
                dbs, form.username.data or "", form.display_name.data or "",
                department_code=form.department.data or None, roles=form.roles.data or [],
                password=form.password.data or None, clearance=form.clearance.data,
            )
        except org.OrgError as exc:
            refuse(exc)
        else:
            audit.record(dbs, "admin.user.create", user=current_user(), detail=user.username)
            dbs.commit()
            flash(_("已创建用户 %(name)s。", name=user.display_name), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/user.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_user(user_id: int) -> ResponseReturnValue:
    dbs = db_session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(user)
    if form.validate_on_submit():
        try:
            org.update_user(
                dbs, user, display_name=form.display_name.data or "",
                department_code=form.department.data or None, active=form.active.data,
                roles=form.roles.data or [], clearance=form.clearance.data,
            )
            if form.password.data and user.source == "local":
                org.set_password(user, form.password.data)
        except org.OrgError as exc:
            refuse(exc)
        else:
            audit.record(dbs, "admin.user.update", user=current_user(), detail=user.username,
                         data={"roles": sorted(form.roles.data or []), "active": form.active.data})
            # Tasks the person no longer has the standing for move to who holds the step now.
            moved = standing.reassign_lost(dbs, settings(), user_ids=[user.id])
            dbs.commit()
            flash(_("已保存用户 %(name)s。", name=user.display_name), "success")
            if moved:
                flash(_("%(name)s 的 %(n)d 项待办已改派给现任办理人（见下方“改派记录”）。",
                        name=user.display_name, n=len(moved)), "info")
            return redirect(url_for("admin.index"))
    return render_template("admin/user.html", form=form, user=user)
