"""Sign in, sign out, choose the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from core import audit, org
from core.permissions import Permission
from intranet.access import public, requires, session_version
from intranet.auth.forms import LoginForm, PasswordChangeForm
from intranet.auth.service import sign_in
from intranet.context import current_user, db_session, settings, signed_in_user
from intranet.i18n import LANGUAGES

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    if current_user() is not None and request.method == "GET":
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        return render_template("auth/login.html", form=form)
    if not form.validate_on_submit():  # only fails on CSRF, which raises before this
        return render_template("auth/login.html", form=form), 400
    dbs = db_session()
    outcome = sign_in(
        dbs, settings(), form.username.data or "", form.password.data or "", request.remote_addr or ""
    )
    dbs.commit()
    if outcome.user is None:
        if outcome.rate_limited:
            return render_template("auth/login.html", form=form, error=outcome.error), 429, {
                "Retry-After": str(outcome.retry_after)}
        return render_template("auth/login.html", form=form, error=outcome.error), 401
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["uid"] = outcome.user.id
    session["ver"] = session_version(outcome.user)
    if lang:
        session["lang"] = lang
    return redirect(_safe_next(form.next.data))


@bp.post("/logout")
@requires(Permission.PORTAL)
def logout() -> ResponseReturnValue:
    lang = session.get("lang")
    user = signed_in_user()
    org.end_sessions(user)  # the old cookie is worthless from now on, wherever a copy of it is
    audit.record(db_session(), "logout", user=user)
    db_session().commit()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Permission.PORTAL)
def password() -> ResponseReturnValue:
    """修改密码 for local accounts; directory accounts are told where to change theirs."""
    user = signed_in_user()
    form = PasswordChangeForm()
    directory = user.source != "local"
    if request.method == "GET" or directory:
        return render_template("auth/password.html", form=form, directory=directory, problems=[])
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form, directory=False,
                               problems=[_("页面已过期，请刷新后重试。")]), 400
    problems: list[str] = []
    if not org.check_local_password(user, form.current.data or ""):
        problems.append(_("当前密码不正确。"))
    new = form.new.data or ""
    if new != (form.confirm.data or ""):
        problems.append(_("两次输入的新密码不一致。"))
    if new == (form.current.data or ""):
        problems.append(_("新密码不能与当前密码相同。"))
    problems += org.password_problems(new, user.username, user.display_name)
    if problems:
        audit.record(db_session(), "password.change_refused", user=user, address=request.remote_addr)
        db_session().commit()
        return render_template("auth/password.html", form=form, directory=False, problems=problems), 400
    org.set_password(user, new)  # ends every other session of the account
    audit.record(db_session(), "password.changed", user=user, address=request.remote_addr)
    db_session().commit()
    session["ver"] = session_version(user)  # this browser stays signed in
    flash(_("密码已修改。其他电脑上的登录已退出。"), "success")
    return redirect(url_for("home.index"))


@bp.get("/lang/<code>")
@public
def language(code: str) -> ResponseReturnValue:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


def _safe_next(target: str | None) -> str:
    """Only follow redirects to paths on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("home.index")
