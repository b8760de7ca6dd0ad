"""Engine and session factory; SQLite gets WAL mode, foreign keys and a busy timeout."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("eoffice.db")
_ON_ROLLBACK = "eoffice_on_rollback"


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    def writer(self) -> Session:
        """Return a session whose every transaction takes the write lock up front (SQLite BEGIN IMMEDIATE).

        For units of work that read and then write (a web form post): on SQLite in WAL mode a read
        transaction that another writer overtook cannot be upgraded to a write ("database is locked"),
        whatever the busy timeout. On PostgreSQL this is an ordinary session.
        """
        if not self.is_sqlite:
            return self.sessions()
        return self.sessions(bind=self.engine.execution_options(sqlite_begin="IMMEDIATE"))

    @contextmanager
    def session(self, *, write_lock: bool = False) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error.

        `write_lock=True` takes the database write lock at the start of the transaction (SQLite
        BEGIN IMMEDIATE), for read-then-write work such as counters that must never collide.
        """
        session = self.writer() if write_lock else self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Run `undo` if the session's current transaction rolls back; forget it when it commits.

    For side effects outside the database done inside a transaction (a folder written into the
    archive while filing): a rolled-back transaction must not leave them behind.
    """
    session.info.setdefault(_ON_ROLLBACK, []).append(undo)


@event.listens_for(Session, "after_commit")
def _forget_undo(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)


@event.listens_for(Session, "after_rollback")
def _run_undo(session: Session) -> None:
    for undo in reversed(session.info.pop(_ON_ROLLBACK, [])):
        try:
            undo()
        except Exception:  # the rollback itself must go through; the undo is best effort and logged
            log.exception("undo after rollback failed")


# How long a write waits for another's lock before it gives up: the web then answers 503 「系统繁忙，请稍后
# 重试」 (intranet.errors). No transaction holds the lock while doing slow work, so 5 s is ample.
BUSY_TIMEOUT_SECONDS = 5.0


def connect(url: str) -> Database:
    """Create the engine for `url` with the pragmas and pool settings eoffice relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                               connect_args={"options": f"-c lock_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}"})
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin) so transactions take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE on request: such a writer waits for the lock (busy_timeout) instead of failing
    # with "database is locked" when it upgrades a read snapshot to a write.
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip() if mode in ("", "IMMEDIATE") else "BEGIN")


def changed_rows(result: Any) -> int:
    """Return how many rows an UPDATE or DELETE changed (its CursorResult's rowcount; 0 when unknown).

    One typed place for `rowcount`, which SQLAlchemy declares on CursorResult only.
    """
    return int(getattr(result, "rowcount", 0) or 0)


def begin_write(session: Any) -> None:
    """Start a write transaction that holds the database write lock on SQLite (BEGIN IMMEDIATE).

    A request session has usually read already (the signed-in user); that read transaction is ended
    first so the new one starts with the lock instead of failing to upgrade later.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
