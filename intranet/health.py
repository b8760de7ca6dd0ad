"""/healthz: JSON for monitoring (database reachable, schema current, worker heartbeat)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select, text

from archive.migrate import current_revision, head_revision
from archive.models import WorkerState
from archive.models.base import utcnow
from intranet.access import public
from intranet.context import database, db_session, settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    """Report each part's state; HTTP 503 when the database is down."""
    report: dict[str, object] = {}
    ok = True
    try:
        db_session().execute(text("SELECT 1"))
        revision = current_revision(database())
        report["database"] = {
            "ok": revision == head_revision(),
            "dialect": database().engine.dialect.name,
            "revision": revision,
        }
        ok = ok and revision == head_revision()
    except Exception as exc:
        report["database"] = {"ok": False, "error": type(exc).__name__}
        return jsonify(status="error", **report), 503
    stale = settings().worker.stale_after_seconds
    workers = {}
    for state in db_session().scalars(select(WorkerState)):
        age = (utcnow() - state.heartbeat_at).total_seconds()
        workers[state.name] = {"ok": age <= stale, "age_seconds": round(age, 1), "pid": state.pid,
                               "host": state.host, **(state.info or {})}
    report["worker"] = {"ok": bool(workers) and all(w["ok"] for w in workers.values()), "loops": workers}
    status = "ok" if ok and report["worker"]["ok"] else "degraded"  # type: ignore[index]
    return jsonify(status=status, **report), 200
