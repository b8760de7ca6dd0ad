"""/healthz: JSON for monitoring: database, worker heartbeat, index queue, print queue, directory, folders.

Each part is one check in `CHECKS`, a plain function `(session, settings) -> dict`. A part that is not
set up in this installation reports `{"ok": null, "status": "not configured"}` and does not degrade the
overall status. The answer is HTTP 200 with `"status": "ok" | "degraded"`, or 503 when the database is
unreachable; `?strict=1` answers 503 for "degraded" too, for monitors that only look at the code.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from config import Settings
from core.migrate import head_revision
from core.models import WorkerState
from core.models.base import utcnow
from core.models.directory import DirectorySyncRun
from core.models.files import FAILED_OUTCOMES, ArchiveFile, IndexTask
from core.models.printing import PrinterStatus, PrintJob
from core.org import permissions_of
from core.permissions import Permission
from intranet.access import public
from intranet.context import current_user, database, db_session, settings
from printing.service import ACTIVE_STATES

log = logging.getLogger("eoffice.health")

bp = Blueprint("health", __name__)

Report = dict[str, Any]
NOT_CONFIGURED: Report = {"ok": None, "status": "not configured"}
# An outbox row older than this means nobody drains the queue (the worker is down or stuck).
QUEUE_STALE_SECONDS = 600.0
# The worker's own heartbeat row in worker_state (intranet.worker writes it every heartbeat_seconds).
HEARTBEAT = "worker"


def worker_status(session: Session, cfg: Settings) -> Report:
    """Age of the worker's heartbeat (stale after worker.stale_after_seconds) and its jobs' last outcomes."""
    rows = {state.name: state for state in session.scalars(select(WorkerState))}
    beat = rows.pop(HEARTBEAT, None)
    # Other rows (the indexer's last scan, ...) are written now and then, not every beat: shown, not judged.
    records = {name: {"updated_age_seconds": round(_age(r.heartbeat_at), 1), **(r.info or {})}
               for name, r in rows.items()}
    if beat is None:
        return {"ok": False, "status": "no heartbeat: is `eoffice worker` running?", "records": records}
    age = _age(beat.heartbeat_at)
    ok = age <= cfg.worker.stale_after_seconds
    failing = sorted(name for name, job in ((beat.info or {}).get("jobs") or {}).items() if job.get("last_error"))
    return {"ok": ok, "status": ("ok" if ok else "heartbeat stale: the worker stopped or hangs")
            + (f"; failing jobs: {', '.join(failing)}" if failing else ""),
            "heartbeat": {"age_seconds": round(age, 1), "pid": beat.pid, "host": beat.host,
                          "started_at": beat.started_at.isoformat(), **(beat.info or {})},
            "records": records}


def index_queue_status(session: Session, cfg: Settings) -> Report:
    """Index tasks waiting for the worker (the outbox), the oldest one's age, and files that could not be read."""
    if not cfg.indexer.enabled:
        return dict(NOT_CONFIGURED)
    pending, oldest, retried = session.execute(
        select(func.count(IndexTask.id), func.min(IndexTask.created_at), func.max(IndexTask.attempts))
        .where(IndexTask.action != "ocr")  # OCR work is slow by nature and has its own count
    ).one()
    ocr_waiting = session.scalar(select(func.count(IndexTask.id)).where(IndexTask.action == "ocr")) or 0
    age = _age(oldest)
    unreadable = session.scalar(select(func.count(ArchiveFile.id)).where(ArchiveFile.outcome.in_(FAILED_OUTCOMES)))
    ok = age <= QUEUE_STALE_SECONDS
    return {"ok": ok, "status": "ok" if ok else "index tasks are not being processed: is the worker running?",
            "pending": pending, "ocr_waiting": ocr_waiting, "oldest_age_seconds": round(age, 1),
            "max_attempts": retried or 0,
            "files": session.scalar(select(func.count(ArchiveFile.id))), "unreadable_files": unreadable}


def print_queue_status(session: Session, cfg: Settings) -> Report:
    """Print jobs by state, the oldest job waiting for submission, and printers that are down."""
    active = PrintJob.state.in_(ACTIVE_STATES)
    by_state = dict(session.execute(
        select(PrintJob.state, func.count(PrintJob.id)).where(active).group_by(PrintJob.state)
    ).all())
    waiting = PrintJob.state.in_(("preparing", "queued"))
    oldest_queued = session.scalar(select(func.min(PrintJob.created_at)).where(waiting))
    since = utcnow() - timedelta(days=1)
    failed_today = session.scalar(select(func.count(PrintJob.id)).where(
        PrintJob.state.in_(("failed", "aborted")), PrintJob.updated_at >= since))
    down = sorted(p.queue for p in session.scalars(select(PrinterStatus)) if not p.reachable or p.state == 5)
    age = _age(oldest_queued)
    problems = []
    if age > QUEUE_STALE_SECONDS:
        problems.append("jobs wait for submission: is the worker running and the print server reachable?")
    if down:
        problems.append(f"printers down: {', '.join(down)}")
    return {"ok": not problems, "status": "; ".join(problems) or "ok", "backend": "cups" if cfg.printing.cups_server
            else "spool folder", "by_state": by_state, "oldest_waiting_age_seconds": round(age, 1),
            "failed_last_24h": failed_today, "printers_down": down}


def directory_status(session: Session, cfg: Settings) -> Report:
    """Whether directory login is on, and the outcome of the last finished sync."""
    if not cfg.directory.enabled:
        return dict(NOT_CONFIGURED)
    last = session.scalars(
        select(DirectorySyncRun).where(DirectorySyncRun.finished_at.is_not(None))
        .order_by(DirectorySyncRun.finished_at.desc()).limit(1)
    ).first()
    if last is None:
        return {"ok": True, "status": "no sync finished yet", "servers": list(cfg.directory.servers)}
    ok = last.status == "ok"
    return {"ok": ok, "status": "ok" if ok else f"last sync {last.status}: {last.error or ''}".strip(),
            "servers": list(cfg.directory.servers),
            "last_sync_at": last.finished_at.isoformat() if last.finished_at else None,
            "last_sync_age_seconds": round(_age(last.finished_at), 1) if last.finished_at else None}


def folders_status(session: Session, cfg: Settings) -> Report:
    """The archive folder (the Samba share) and the data dir exist, are writable, and have space."""
    parts = {}
    for name, path in (("archive_dir", cfg.archive_dir), ("data_dir", cfg.data_dir)):
        parts[name] = _folder(path)
    ok = all(p["ok"] for p in parts.values())
    return {"ok": ok, "status": "ok" if ok else "folder missing, read-only or full", **parts}


# Every part /healthz reports, in order. Features add theirs here.
CHECKS: list[tuple[str, Callable[[Session, Settings], Report]]] = [
    ("worker", worker_status),
    ("index_queue", index_queue_status),
    ("print_queue", print_queue_status),
    ("directory", directory_status),
    ("folders", folders_status),
]


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    """Report each part's state; HTTP 503 when the database is down (or degraded with ?strict=1)."""
    report: Report = {}
    try:
        db_session().execute(text("SELECT 1"))
        revision = _schema_revision(db_session())
        head = _code_revision()
        report["database"] = {
            "ok": revision == head,
            "status": "ok" if revision == head else "schema not current: run `eoffice db upgrade`",
            "dialect": database().engine.dialect.name,
            "revision": revision,
        }
    except Exception as exc:
        log.warning("healthz database unreachable error=%s", type(exc).__name__)
        report["database"] = {"ok": False, "status": "unreachable"}
        return jsonify(status="error", **report), 503
    cfg = settings()
    for name, check in CHECKS:
        try:
            report[name] = check(db_session(), cfg)
        except Exception as exc:  # one broken check must not hide the others
            db_session().rollback()
            log.exception("healthz check failed part=%s", name)
            report[name] = {"ok": False, "status": "check failed", "error": f"{type(exc).__name__}: {exc}"[:300]}
    healthy = all(part.get("ok") is not False for part in report.values())
    status = "ok" if healthy else "degraded"
    strict = request.args.get("strict", "") not in ("", "0", "false")
    if not _may_see_details(cfg):
        report = {name: {"status": _summary(part)} for name, part in report.items()}
    return jsonify(status=status, **report), 503 if strict and not healthy else 200


def _summary(part: Report) -> str:
    return "not configured" if part.get("ok") is None else ("ok" if part.get("ok") else "degraded")


def _may_see_details(cfg: Settings) -> bool:
    """Paths, host, PID and errors: for signed-in admins and monitors with the configured token only."""
    user = current_user()
    if user is not None and Permission.ADMIN in permissions_of(user):
        return True
    token = cfg.web.health_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def _schema_revision(session: Session) -> str | None:
    # Read directly: alembic's MigrationContext logs two INFO lines per call, once per probe.
    try:
        rows = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:  # never migrated: no alembic_version table
        session.rollback()
        return None
    return ",".join(sorted(rows)) or None


@functools.cache
def _code_revision() -> str | None:
    return head_revision()  # the code does not change while it runs


def _age(moment: datetime | None) -> float:
    return (utcnow() - moment).total_seconds() if moment is not None else 0.0


def _folder(path: Path | None) -> Report:
    if path is None:
        return dict(NOT_CONFIGURED)
    if not path.is_dir():
        return {"ok": False, "path": str(path), "status": "missing"}
    usage = shutil.disk_usage(path)
    free_ratio = usage.free / usage.total if usage.total else 0.0
    writable = os.access(path, os.W_OK)
    ok = writable and free_ratio >= 0.05
    return {"ok": ok, "path": str(path), "writable": writable, "free_bytes": usage.free,
            "free_percent": round(free_ratio * 100, 1)}
