"""How the web layer tells a person what happened: domain messages in their language, one action helper.

- `say(text)`: a domain `Message` (core.messages) in the reader's language; other text unchanged.
  Templates need nothing: the Jinja ``finalize`` hook set by `init_app` translates every Message that
  a page prints.
- `refuse(exc)`: flash every problem of a `DomainError` (一次性告知), translated.
- `perform(work, success=..., to=...)`: run one service call in the request's write transaction,
  commit, flash the result and redirect; a refusal rolls back and is flashed the same way.
- An uncaught DomainError anywhere in a view is handled once here: rolled back, flashed, and the
  person is sent back to the page they came from (same site only) or the home page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from core.messages import DomainError, Message, from_data, translate
from intranet.context import db_session

T = TypeVar("T")


def say(text: object) -> str:
    """Return `text` for the reader: a Message translated to the request's language, else ``str(text)``."""
    return translate(text, gettext)


def refuse(exc: DomainError, category: str = "error") -> None:
    """Flash each problem of `exc` on its own line, translated."""
    from documents.errors import ConflictError

    if isinstance(exc, ConflictError):
        category = "warning"
    for problem in exc.problems or [exc.message]:
        flash(say(problem), category)


def form_errors(form: Any) -> None:
    """Flash each field error of a WTForms form (already translated by its lazy labels and messages)."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


def perform(
    work: Callable[[Any], T],
    *,
    success: str | Callable[[T], str] | None,
    to: str | Callable[[T | None], str],
) -> Response:
    """Run ``work(session)`` in the request's write transaction and redirect to `to`.

    `success` (text, or a function of what `work` returned) is flashed after the commit; a
    DomainError rolls back and flashes its problems. `to` is a URL or a function of the result
    (None after a refusal). Other exceptions propagate (the error pages handle them).
    """
    dbs = db_session()
    result: T | None = None
    try:
        result = work(dbs)
        dbs.commit()
    except DomainError as exc:
        dbs.rollback()
        refuse(exc)
    else:
        text = success(result) if callable(success) else success
        if text:
            flash(say(text), "success")
    return redirect(to(result) if callable(to) else to)


def _back() -> str:
    target = request.referrer or ""
    parts = urlsplit(target)
    if target and parts.netloc == request.host and parts.path != request.path:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("home.index")


def _domain_error(exc: DomainError) -> Response:
    db_session().rollback()
    refuse(exc)
    return redirect(_back())


def _finalize(value: Any) -> Any:
    return say(value) if isinstance(value, Message) else value


def init_app(app: Flask) -> None:
    """Translate Messages printed by templates and handle any DomainError a view lets through."""
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters["say"] = say
    # A fresh key per rendered form, for forms that change nothing versioned (a comment): the service
    # refuses a second post of the same key as 「已处理」.
    app.jinja_env.globals["form_key"] = lambda: secrets.token_hex(16)
    app.jinja_env.filters["stored"] = lambda data: say(from_data(data)) if isinstance(data, dict) else say(data)
    app.register_error_handler(DomainError, _domain_error)
