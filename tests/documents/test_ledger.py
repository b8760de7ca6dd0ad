"""The 文号 ledger: format, no duplicates, no gaps (also with 20 processes signing at once), voids kept."""

from __future__ import annotations

import multiprocessing
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core import org
from core.db import connect
from core.models.documents import DocumentAction, NumberEntry
from documents import common, engine, exports, ledger, visibility
from documents.errors import WorkflowError
from documents.routes import save_template

SIGN_THEN_NUMBER = [
    {"key": "sign", "name": "局领导签发", "kind": "sign", "assignee": {"who": "role", "role": "leader"}},
    {"key": "number", "name": "编号", "kind": "number", "auto": True, "code": "{organ}发",
     "assignee": {"who": "dept_role", "department": "BGS", "role": "clerk"}},
]


def test_format():
    assert ledger.format_number("示林发", 2026, 12) == "示林发〔2026〕12号"
    assert ledger.format_number("示林办发", 2027, 1) == "示林办发〔2027〕1号"


def test_serials_are_consecutive_and_rollback_does_not_skip(db):
    with db.session(write_lock=True) as s:
        assert [ledger.next_value(s, "wh:测试:2026") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(RuntimeError), db.session(write_lock=True) as s:
        assert ledger.next_value(s, "wh:测试:2026") == 4
        raise RuntimeError("the transaction fails after taking a number")
    with db.session(write_lock=True) as s:
        assert ledger.next_value(s, "wh:测试:2026") == 4  # the rolled-back 4 was not lost
        assert ledger.next_value(s, "wh:其他:2026") == 1  # per code and year


def test_void_needs_reason_and_is_kept(flow, db, settings):
    doc_id = flow.draft()
    with db.session(write_lock=True) as s:
        clerk = org.user_by_username(s, "clerk")
        doc = visibility.get_document(s, doc_id, org.user_by_username(s, "lz_staff"))
        entry = ledger.issue_number(s, doc, "示林发", clerk, year=2026)
        with pytest.raises(WorkflowError, match="原因"):
            ledger.void_number(s, entry, clerk, "  ")
        ledger.void_number(s, entry, clerk, "标题有误，重新编号")
        again = ledger.issue_number(s, doc, "示林发", clerk, year=2026)
        assert (entry.serial, again.serial) == (1, 2)
        assert doc.doc_number == "示林发〔2026〕2号"
    with db.session() as s:
        rows = exports.register_rows(s, 2026)
        assert [r[1] for r in rows] == ["示林发〔2026〕1号", "示林发〔2026〕2号"]
        assert rows[0][13] == "已作废" and rows[0][14] == "标题有误，重新编号"
        assert s.scalar(select(DocumentAction).where(DocumentAction.action == "void_number")).opinion


def is_busy(exc: OperationalError) -> bool:
    """The lock-wait answers (SQLite "database is locked", PostgreSQL lock_timeout), as intranet/errors.py."""
    text = str(exc.orig).lower()
    return "locked" in text or "lock timeout" in text


def _sign(url: str, organ_code: str, doc_id: int, start_at: float, out: multiprocessing.Queue) -> None:
    db = connect(url)
    try:
        while time.time() < start_at:
            time.sleep(0.005)
        settings = SimpleNamespace(organ_code=organ_code)
        for attempt in range(6):
            # A write that waits longer than the lock wait is answered 「系统繁忙，请稍后重试」 (HTTP 503): the
            # person tries again, as here. What must never happen is a duplicate or a skipped number.
            try:
                with db.session(write_lock=True) as s:
                    director = org.user_by_username(s, "director")
                    aid = common.my_assignment(s, s.get(engine.Document, doc_id), director).id
                    engine.complete(s, settings, doc_id, director, aid, opinion="同意")
                break
            except OperationalError as exc:
                if attempt == 5 or not is_busy(exc):
                    raise
        with db.session() as s:
            out.put((doc_id, s.get(engine.Document, doc_id).doc_number))
    except Exception as exc:  # reported to the parent, which fails the test
        out.put((doc_id, f"ERROR {type(exc).__name__}: {exc}"))
    finally:
        db.engine.dispose()


@pytest.mark.slow
def test_twenty_concurrent_signings_in_separate_processes(flow, db, settings):
    with db.session(write_lock=True) as s:
        save_template(s, code="sign_number", name="签发即编号", kind="outgoing", steps=SIGN_THEN_NUMBER, active=True,
                      actor=org.user_by_username(s, "admin"))
    docs = []
    for i in range(20):
        doc_id = flow.draft(template="sign_number", title=f"并发签发测试{i}")
        flow.submit(doc_id)
        docs.append(doc_id)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 4.0  # every process is up and waiting before the first one signs
    procs = [ctx.Process(target=_sign, args=(settings.database_url, settings.organ_code, d, start_at, out))
             for d in docs]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(30)
    errors = [r for r in results.values() if r.startswith("ERROR")]
    assert not errors, errors
    year = ledger.local_year()
    assert sorted(results.values(), key=lambda n: int(n.split("〕")[1][:-1])) == [
        f"示林发〔{year}〕{n}号" for n in range(1, 21)
    ]
    with db.session() as s:
        serials = sorted(s.scalars(select(NumberEntry.serial)))
        assert serials == list(range(1, 21))
