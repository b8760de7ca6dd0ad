"""Request-scoped accessors: the settings, the database session and the signed-in user."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from config import Settings
from core.db import Database
from core.models import User


def settings() -> Settings:
    """Return the app's settings."""
    return current_app.extensions["eoffice.settings"]


def database() -> Database:
    """Return the app's database."""
    return current_app.extensions["eoffice.db"]


def db_session() -> Session:
    """Return this request's session (opened on first use, closed at teardown).

    Requests that may change data (POST and friends) get a session that takes the write lock at the
    start of each transaction, so a form post that reads and then writes never fails half-way on
    SQLite; GET requests read concurrently.
    """
    if "db_session" not in g:
        writes = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        g.db_session = database().writer() if writes else database().sessions()
    return g.db_session


def current_user() -> User | None:
    """Return the signed-in user or None."""
    return g.get("user")


def signed_in_user() -> User:
    """Return the signed-in user; views behind @requires always have one (access.py refuses anonymous
    requests first), so a missing user here ends the request with 401 rather than an assert."""
    user = g.get("user")
    if user is None:
        from flask import abort

        abort(401)
    return user


def close_session(_exc: BaseException | None = None) -> None:
    """Roll back anything uncommitted and close this request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
