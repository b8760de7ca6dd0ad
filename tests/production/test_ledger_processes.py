"""The 文号 counter under real contention: several processes, a brand-new scope, deliberate rollbacks.

Runs in both passes; on PostgreSQL it proves the row lock of `UPDATE ... RETURNING` and the savepoint
around the first insert hold across processes (the serials are gap-free and duplicate-free).
"""

from __future__ import annotations

import multiprocessing
import time

import pytest
from sqlalchemy import select

from core.db import connect
from core.models.documents import SequenceCounter
from documents import ledger

PROCESSES = 6
PER_PROCESS = 12
SCOPE = "wh:示林发:2099"


class Abandon(Exception):
    """Raised inside a transaction to roll it back, as a failed request would."""


def _issue(url: str, worker: int, start_at: float, out: multiprocessing.Queue) -> None:
    db = connect(url)
    kept: list[int] = []
    try:
        while time.time() < start_at:  # everyone is up before anyone takes a number
            time.sleep(0.005)
        attempt = 0
        while len(kept) < PER_PROCESS:
            attempt += 1
            try:
                with db.session(write_lock=True) as session:
                    value = ledger.next_value(session, SCOPE)
                    if attempt % 4 == 0:
                        raise Abandon  # this serial must come back, not leave a gap
                kept.append(value)
            except Abandon:
                pass
        out.put((worker, kept))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put((worker, f"ERROR {type(exc).__name__}: {exc}"))
    finally:
        db.engine.dispose()


@pytest.mark.slow
def test_serials_from_several_processes_are_gap_free_and_unique(settings, db):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0
    workers = [ctx.Process(target=_issue, args=(settings.database_url, n, start_at, out)) for n in range(PROCESSES)]
    for process in workers:
        process.start()
    results = dict(out.get(timeout=120) for _ in workers)
    for process in workers:
        process.join(30)
    errors = [r for r in results.values() if isinstance(r, str)]
    assert not errors, errors
    issued = sorted(v for values in results.values() for v in values)
    assert issued == list(range(1, PROCESSES * PER_PROCESS + 1))
    assert all(values == sorted(values) for values in results.values())  # each process sees them rise
    with db.session() as session:
        counters = session.scalars(select(SequenceCounter).where(SequenceCounter.scope == SCOPE)).all()
        assert [c.last_value for c in counters] == [PROCESSES * PER_PROCESS]  # one row, never two
