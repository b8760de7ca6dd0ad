"""Upgrades keep working (issue 15): a database at the revisions the code had before this reshaping,
with rows in it, upgrades to today's heads without losing a row; an index built earlier is read by
today's code (its pickled schema refers to `indexer.engine`; the package is `library` now and
library/engine.py answers for the old name)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text

import demo
from core import migrate
from core.db import connect
from core.models import User
from core.models.printing import PrintJob
from library import engine, service
from library.search import matching_ids
from tests.support.app import DEMO_PASSWORD, make_settings, on_postgresql

# The heads before printing's duplex choice (0009) and the notices (0010) were added.
EARLIER_HEADS = ("0002", "0003", "0005", "0006", "0007", "0008")


@pytest.fixture
def empty_url(tmp_path, request):
    if not on_postgresql():
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    cluster = request.getfixturevalue("postgres_server")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


def test_an_earlier_database_and_index_upgrade_without_losing_anything(tmp_path, empty_url, settings):
    # (`settings` puts this test in both database passes; the upgrade uses its own empty database.)
    settings = make_settings(tmp_path / "old", EOFFICE_DATABASE_URL=empty_url)
    db = connect(settings.database_url)
    try:
        for revision in EARLIER_HEADS:
            migrate.upgrade(db, revision)
        # Tables and columns today's code writes in the seed and the rebuild below: the archive file's
        # identity (0015), the directory password time (0016), the demo's red-header template (0018, with the
        # document fields of 0017 below it); the printing and notices branches stay earlier.
        for revision in ("0015", "0016", "0018"):
            migrate.upgrade(db, revision)
        assert "notice" not in inspect(db.engine).get_table_names()
        with db.session() as session:
            demo.seed(session, data_dir=settings.data_dir, archive_dir=settings.archive_dir, password=DEMO_PASSWORD)
        with db.engine.begin() as conn:  # a print job as the earlier code stored it (no duplex column)
            conn.execute(text(
                "INSERT INTO print_job (uuid, user_id, username, title, source_kind, source_ref, original_path,"
                " classification, media, color, quality, copies, page_ranges, prefer_central, state, attempts, held,"
                " created_at, updated_at) SELECT 'u-1', id, username, '旧作业', 'upload', 'x.pdf', 'x.pdf', 1, 'A4',"
                " false, 'normal', 2, '', false, 'completed', 1, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                " FROM user_account WHERE username = 'lz_staff'"))
        report = service.rebuild(settings, db)
        assert report["files"] >= 1
        # The index as the code before the reshaping wrote it: its pickled schema names `indexer.engine`
        # (the package is `library` now; same length, so the pickles stay valid byte for byte).
        tocs = list(settings.index_dir.glob("*.toc"))
        assert tocs
        for toc in tocs:
            data = toc.read_bytes()
            assert b"library.engine" in data
            toc.write_bytes(data.replace(b"library.engine", b"indexer.engine"))
        before = {fid for fid, _ in matching_ids(settings, _everything(), "林业")}
        with db.session() as session:
            users_before = session.scalar(select(func.count(User.id)))

        migrate.upgrade(db)  # today's heads
        assert migrate.current_revision(db) == migrate.head_revision()
        assert {"notice", "notice_objection"} <= set(inspect(db.engine).get_table_names())
        with db.session() as session:
            assert session.scalar(select(func.count(User.id))) == users_before
            job = session.scalar(select(PrintJob).where(PrintJob.uuid == "u-1"))
            assert job is not None and job.copies == 2 and job.duplex is None  # the policy's default
        engine.view(settings.index_dir).refresh()
        assert before and {fid for fid, _ in matching_ids(settings, _everything(), "林业")} == before
    finally:
        db.engine.dispose()


def _everything():
    from library.access import Scope

    return Scope(True, True, None, 99)
