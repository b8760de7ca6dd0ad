"""Sign in, sign out, choose the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for

from archive import audit, org
from archive.permissions import Permission
from intranet.access import public, requires, session_version
from intranet.auth.forms import LoginForm
from intranet.auth.service import sign_in
from intranet.context import current_user, db_session, settings
from intranet.i18n import LANGUAGES

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
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
        status = 429 if outcome.rate_limited else 401
        return render_template("auth/login.html", form=form, error=outcome.error), status
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
def logout():  # type: ignore[no-untyped-def]
    lang = session.get("lang")
    user = current_user()
    org.end_sessions(user)  # the old cookie is worthless from now on, wherever a copy of it is
    audit.record(db_session(), "logout", user=user)
    db_session().commit()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
@public
def language(code: str):  # type: ignore[no-untyped-def]
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
