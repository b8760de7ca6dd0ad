"""Directory users in eoffice: create or update on sign-in, the paged full sync, and its history.

Users who vanish from the directory are deactivated, never deleted: their documents and history stay.
Only users the sync itself deactivated are reactivated when they come back; an administrator's
deactivation sticks. Roles from groups are stored with source "directory", apart from manual grants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from config.directory import DirectorySettings
from core import audit, org
from core.db import Database, changed_rows
from core.models import Department, RoleAssignment, User
from core.models.base import utcnow
from core.models.directory import DirectoryDeactivation, DirectorySyncRun
from directory import client
from directory.client import DirectoryPerson
from directory.errors import DirectoryError
from directory.mapping import department_candidates, roles_for
from directory.presets import DirectoryConfig, resolve

SOURCE = "directory"
# A run still "running" after this long belonged to a process that died.
STALE_RUN = timedelta(hours=2)


@dataclass
class SyncReport:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    skipped: int = 0
    departments_created: int = 0
    notes: list[str] = field(default_factory=list)
    # Accounts whose entry was seen but left as they were (identity unconfirmed or identifier missing):
    # their entry still exists, so they are not "vanished" and are never deactivated by the sync.
    kept: set[int] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


class _Departments:
    """Departments by code and by name, created from the department map when missing."""

    def __init__(self, session: Session) -> None:
        self.session = session
        all_departments = list(session.scalars(select(Department)))
        self.by_code = {d.code: d for d in all_departments}
        self.by_name = {d.name: d for d in all_departments}

    def find(self, config: DirectoryConfig, person: DirectoryPerson, report: SyncReport | None) -> Department | None:
        for code, value in department_candidates(config, person):
            if code:
                dept = self.by_code.get(code)
                if dept is None:
                    dept = org.save_department(self.session, code, value[:100] or code)
                    dept.source = SOURCE
                    self.by_code[code] = dept
                    if report:
                        report.departments_created += 1
                return dept
            dept = self.by_code.get(value.upper()) or self.by_name.get(value)
            if dept is not None:
                return dept
        return None


# What is recorded for an entry that gives no password change time (pwdChangedTime / pwdLastSet).
PASSWORD_NEVER_CHANGED = datetime(1970, 1, 1, tzinfo=UTC)


def apply_person(
    session: Session,
    config: DirectoryConfig,
    person: DirectoryPerson,
    *,
    report: SyncReport | None = None,
    departments: _Departments | None = None,
    existing: User | None = None,
) -> User | None:
    """Create or update the eoffice user of a directory entry; None when it cannot be given an account.

    Accounts are matched by the entry's stable identifier (entryUUID / objectGUID), not by login name:
    a rename is followed (the account keeps its documents, clearance and history under the new name); a
    login name freed by a departure and given to a new person makes a new account with default clearance
    (the old one keeps its history under a retired name and stays inactive); an account synced before
    identifiers were kept adopts one only when the entry's DN is the one last seen for it, otherwise an
    admin confirms (`eoffice directory adopt`). Each such event is audited. None also when a local
    account holds the name.
    """
    name = org.normalize_username(person.login)
    if not name or len(name) > org.MAX_USERNAME or any(c.isspace() for c in name):
        _count(report, "skipped", f"{person.dn}: login name unusable")
        return None
    user = _match_identity(session, person, name, existing, report)
    if user is False:
        return None
    departments = departments or _Departments(session)
    if user is None:
        user = org.create_user(session, name, person.display_name or name, department_code=None, roles=[],
                               source=SOURCE)
        outcome = "created"
    elif user.source != SOURCE:
        # The local account wins (the break-glass admin must never be taken over by a directory entry).
        _count(report, "skipped", f"{name}: a local account has this name")
        return None
    else:
        outcome = "unchanged"
    wanted = {
        "display_name": person.display_name or user.display_name,
        "email": person.email,
        "title": (person.title or None) and person.title[:100],
        "directory_dn": person.dn[:512],
        "directory_id": person.uid or user.directory_id,
    }
    for attr, value in wanted.items():
        if getattr(user, attr) != value:
            setattr(user, attr, value)
            outcome = "updated" if outcome == "unchanged" else outcome
    dept = departments.find(config, person, report)
    if dept is not None and user.department_id != dept.id:
        user.department = dept
        outcome = "updated" if outcome == "unchanged" else outcome
    roles = roles_for(config, person)
    current = {a.role.code for a in user.role_assignments if a.source == SOURCE}
    if roles != current:
        org.set_roles(session, user, roles, source=SOURCE)
        outcome = "updated" if outcome == "unchanged" else outcome
    # An entry that does not say (no ppolicy, or loaded offline) is recorded as NEVER: a time that appears
    # later is a change. The first sight of an account (NULL) only records.
    changed_at = person.password_changed_at or PASSWORD_NEVER_CHANGED
    seen = user.directory_password_changed_at
    if seen is None or changed_at > seen:
        if seen is not None:  # the password was changed in the directory: sessions opened before it end
            org.end_sessions(user)
            audit.record(session, "directory.password_changed", user=user, detail=person.dn[:200])
        user.directory_password_changed_at = changed_at
    parked = session.get(DirectoryDeactivation, user.id) if outcome != "created" else None
    if parked is not None:
        session.delete(parked)
        user.active = True
        _count(report, "reactivated")
    session.flush()
    _count(report, outcome)
    return user


def _match_identity(session: Session, person: DirectoryPerson, name: str, existing: User | None,
                    report: SyncReport | None) -> User | Literal[False] | None:
    """Return the account of this directory entry, None for a new one, False when it must not get one now."""
    if person.uid:
        same = session.scalar(select(User).where(User.directory_id == person.uid))
        if same is not None:
            if same.username != name:  # renamed in the directory: the account follows
                holder = org.user_by_username(session, name)
                if holder is not None and holder.id != same.id:
                    if holder.source != SOURCE or holder.directory_id:
                        _count(report, "skipped", f"{name}: renamed entry, but the name is held by another account")
                        return False
                    _retire(session, holder, person, "the name now belongs to a renamed entry")
                audit.record(session, "directory.renamed", username=name,
                             detail=f"{same.username} -> {name} ({person.dn})")
                same.username = name
            return same
    user = existing if existing is not None else org.user_by_username(session, name)
    if user is not None and user.source == SOURCE and user.directory_id and not person.uid:
        # The entry came without its identifier (attribute not returned, misconfigured id_attribute):
        # the login name alone never decides whose account this is.
        audit.record(session, "directory.identity_missing", username=name,
                     detail=f"entry {person.dn} came without its identifier; the account is left as it was")
        _count(report, "skipped", f"{name}: the entry came without its identifier (check id_attribute)")
        if report is not None:
            report.kept.add(user.id)
        return False
    if user is None or user.source != SOURCE or not person.uid:
        return user
    if user.directory_id and user.directory_id != person.uid:
        # The name was freed by a departure and given to someone else: never hand over the account.
        _retire(session, user, person, "login name reused by a different directory entry")
        return None
    if not user.directory_id:
        if (user.directory_dn or "").lower() == person.dn.lower():
            audit.record(session, "directory.identity_adopted", username=name, detail=f"{person.uid} ({person.dn})")
            return user
        audit.record(session, "directory.identity_unconfirmed", username=name,
                     detail=f"entry {person.dn} ({person.uid}) differs from the last seen {user.directory_dn}")
        _count(report, "skipped", f"{name}: identity not confirmed (run `eoffice directory adopt {name}`)")
        if report is not None:
            report.kept.add(user.id)
        return False
    return user


def _retire(session: Session, user: User, person: DirectoryPerson, why: str) -> None:
    """Move an old account out of the way of a login name: renamed `name#id`, deactivated, sessions ended."""
    old = user.username
    user.username = f"{old}#{user.id}"[: org.MAX_USERNAME]
    user.active = False
    org.end_sessions(user)
    session.flush()
    audit.record(session, "directory.identity_changed", username=old,
                 detail=f"{why}: the old account is kept as {user.username}; new entry {person.dn} ({person.uid})")


def adopt(session: Session, config: DirectoryConfig, username: str) -> User:
    """An admin confirms that the directory entry now named `username` is the person of that account.

    Raises DirectoryError when the entry cannot be read; ValueError when there is no such directory account.
    """
    user = org.user_by_username(session, username)
    if user is None or user.source != SOURCE:
        raise ValueError(f"no directory account {username}")
    person = client.lookup(config, username)
    user.directory_id, user.directory_dn = person.uid, person.dn[:512]
    audit.record(session, "directory.identity_adopted", username=username,
                 detail=f"{person.uid} ({person.dn}), confirmed by an admin")
    session.flush()
    return user


def _count(report: SyncReport | None, what: str, note: str = "") -> None:
    if report is None:
        return
    setattr(report, what, getattr(report, what) + 1)
    if note and len(report.notes) < 50:
        report.notes.append(note)


# --- the full sync -------------------------------------------------------------------------------


def sync_all(
    db: Database,
    config: DirectoryConfig,
    *,
    trigger: str,
    run_id: int | None = None,
    force: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> SyncReport:
    """Sync every directory user (paged, one commit per page) and deactivate those who vanished."""
    run_id = run_id or _new_run(db, trigger)
    report = SyncReport()
    seen: set[int] = set()
    try:
        batch: list[DirectoryPerson] = []
        for person in client.list_people(config):
            batch.append(person)
            if len(batch) >= config.page_size:
                _apply_batch(db, config, batch, report, seen)
                if on_progress:
                    on_progress(len(batch))
                batch = []
        if batch:
            _apply_batch(db, config, batch, report, seen)
            if on_progress:
                on_progress(len(batch))
        _deactivate_missing(db, config, seen, report, run_id, force=force)
    except DirectoryError as exc:
        _finish(db, run_id, report, "failed", f"{exc.reason}: {exc.detail}"[:2000])
        raise
    except Exception as exc:
        _finish(db, run_id, report, "failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    _finish(db, run_id, report, "ok", "; ".join(report.notes)[:2000] or None)
    return report


def _apply_batch(
    db: Database, config: DirectoryConfig, batch: list[DirectoryPerson], report: SyncReport, seen: set[int]
) -> None:
    names = [org.normalize_username(p.login) for p in batch]
    with db.session(write_lock=True) as session:
        existing = {
            u.username: u
            for u in session.scalars(
                select(User).where(User.username.in_(names))
                .options(selectinload(User.role_assignments).joinedload(RoleAssignment.role))
            )
        }
        departments = _Departments(session)
        for person, name in zip(batch, names, strict=True):
            report.seen += 1
            result = apply_person(session, config, person, report=report, departments=departments,
                                  existing=existing.get(name))
            if result is not None:
                seen.add(result.id)


def _deactivate_missing(
    db: Database, config: DirectoryConfig, seen: set[int], report: SyncReport, run_id: int, *, force: bool
) -> None:
    with db.session(write_lock=True) as session:
        active = list(session.scalars(select(User).where(User.source == SOURCE, User.active.is_(True))))
        missing = [u for u in active if u.id not in seen and u.id not in report.kept]
        if not missing:
            return
        share = len(missing) / max(1, len(active))
        if not force and share > config.max_deactivate_fraction:
            raise DirectoryError(
                "directory error",
                f"the sync would deactivate {len(missing)} of {len(active)} directory users "
                f"(more than max_deactivate_fraction={config.max_deactivate_fraction}); check user_base and "
                "user_filter, or run `eoffice directory sync --force` if this is really intended",
            )
        for user in missing:
            user.active = False
            org.end_sessions(user)
            session.merge(DirectoryDeactivation(user_id=user.id, at=utcnow(), run_id=run_id))
            report.deactivated += 1


def _new_run(db: Database, trigger: str, *, status: str = "running", requested_by: int | None = None) -> int:
    with db.session(write_lock=True) as session:
        run = DirectorySyncRun(trigger=trigger, status=status, requested_by_id=requested_by)
        if status == "running":
            run.started_at = utcnow()
        session.add(run)
        session.flush()
        return run.id


def _finish(db: Database, run_id: int, report: SyncReport, status: str, error: str | None) -> None:
    with db.session(write_lock=True) as session:
        run = session.get(DirectorySyncRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = utcnow()
        run.error = error
        for name, value in report.counts().items():
            setattr(run, name, value)


# --- history, requests and the worker's schedule -------------------------------------------------


def latest_runs(session: Session, limit: int = 10) -> list[DirectorySyncRun]:
    """Return the newest sync runs first."""
    return list(session.scalars(select(DirectorySyncRun).order_by(DirectorySyncRun.id.desc()).limit(limit)))


def user_counts(session: Session) -> dict[str, int]:
    """Return how many users come from the directory (active / inactive) and how many are local."""
    rows = session.execute(select(User.source, User.active, func.count(User.id)).group_by(User.source, User.active))
    counts = {"directory_active": 0, "directory_inactive": 0, "local": 0}
    for source, active, n in rows:
        if source == SOURCE:
            counts["directory_active" if active else "directory_inactive"] += n
        else:
            counts["local"] += n
    return counts


def pending_run(session: Session) -> DirectorySyncRun | None:
    """Return a requested or (recently started) running sync, if any."""
    recent = utcnow() - STALE_RUN
    stmt = select(DirectorySyncRun).where(
        (DirectorySyncRun.status == "requested")
        | ((DirectorySyncRun.status == "running") & (DirectorySyncRun.started_at >= recent))
    ).order_by(DirectorySyncRun.id)
    return session.scalars(stmt).first()


def request_sync(session: Session, user: User | None) -> tuple[DirectorySyncRun, bool]:
    """Ask the worker for a sync; return (the run, True when newly requested) — one at a time."""
    existing = pending_run(session)
    if existing is not None:
        return existing, False
    run = DirectorySyncRun(trigger="admin", status="requested", requested_by_id=user.id if user else None)
    session.add(run)
    session.flush()
    return run, True


def run_due(db: Database, config: DirectoryConfig, interval_minutes: float) -> SyncReport | None:
    """Run a requested sync, or a scheduled one when the last is older than the interval (the worker's job)."""
    with db.session(write_lock=True) as session:
        requested = session.scalars(
            select(DirectorySyncRun).where(DirectorySyncRun.status == "requested").order_by(DirectorySyncRun.id)
        ).first()
        if requested is not None:
            # Conditional update: only one process gets to run a requested sync.
            claimed = changed_rows(session.execute(
                update(DirectorySyncRun)
                .where(DirectorySyncRun.id == requested.id, DirectorySyncRun.status == "requested")
                .values(status="running", started_at=utcnow())
            ))
            run_id = requested.id if claimed else None
        else:
            run_id = None
            last = session.scalars(
                select(DirectorySyncRun).where(DirectorySyncRun.status.in_(("ok", "failed", "running")))
                .order_by(DirectorySyncRun.id.desc())
            ).first()
            due = interval_minutes > 0 and (
                last is None or (last.started_at or last.requested_at) < utcnow() - timedelta(minutes=interval_minutes)
            )
            if not due:
                return None
    if run_id is None:
        if requested is not None:
            return None  # someone else claimed it
        run_id = _new_run(db, "worker")
    try:
        return sync_all(db, config, trigger="worker", run_id=run_id)
    except DirectoryError:
        return None  # recorded on the run; the status page shows it


def scheduled_job(settings: DirectorySettings, db: Database) -> Callable[[], object]:
    """Return the worker's directory job: run requested syncs, and scheduled ones every interval."""

    def tick() -> object:
        return run_due(db, resolve(settings), settings.sync_interval_minutes)

    return tick
