"""Hardening (issue 16 §4): no request holds the write lock during slow work; a lock held too long is a 503.

Real database, real connections: a second connection either holds the lock (the 503 test) or tries to
write while an upload is being stored (it must get the lock at once: busy timeout 0 / NOWAIT).
"""

from __future__ import annotations

import io

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from core import db as core_db
from core import storage
from core.models.documents import DocumentFile
from intranet import create_app
from tests.support.app import AuthActions
from tests.support.bureau import field, page


def _post(client, path: str, fields: dict, **kw):
    """A multipart post encoded in memory (werkzeug's test client spools bodies over 500 KB to a temporary
    file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({k: FileStorage(v[0], filename=v[1]) if isinstance(v, tuple) else v
                                       for k, v in fields.items()})
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}", **kw)


def _another_writer_gets_the_lock_at_once(db, doc_id: int) -> bool:
    """From a second connection: take the write lock (SQLite BEGIN IMMEDIATE with no busy wait; PostgreSQL
    the document's row lock, NOWAIT) and write a row; True when that worked without waiting."""
    conn = db.engine.connect()
    try:
        if db.is_sqlite:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            conn.execute(text("SELECT 1"))
        else:
            conn.execute(text("SELECT id FROM document WHERE id = :id FOR UPDATE NOWAIT"), {"id": doc_id})
        conn.execute(text("UPDATE department SET name = name WHERE code = 'BGS'"))
        conn.commit()
        return True
    except OperationalError:  # database is locked / could not obtain lock: the upload request holds it
        conn.rollback()
        return False
    finally:
        if db.is_sqlite:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(core_db.BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.close()


def test_uploads_are_stored_before_the_write_transaction_takes_the_lock(client, auth, flow, db, monkeypatch):
    """While an upload is hashed and written (storage.store), another connection can write at once."""
    doc_id = flow.draft(title="上传不占锁")
    seen: list[bool] = []
    real_store = storage.store

    def store_and_look(*args, **kwargs):
        seen.append(_another_writer_gets_the_lock_at_once(db, doc_id))
        return real_store(*args, **kwargs)

    monkeypatch.setattr(storage, "store", store_and_look)
    auth.login("lz_staff")
    html = page(client, doc_id)
    resp = _post(client, f"/documents/{doc_id}/files", {
        "csrf_token": auth.csrf("/documents/"), "version": field(html, "version"), "role": "attachment",
        "file": (io.BytesIO(b"x" * (4 << 20)), "附件.txt")}, follow_redirects=True)
    assert "文件已上传" in resp.get_data(as_text=True)
    token = auth.csrf("/documents/new?kind=outgoing")
    resp = _post(client, "/documents/new", {
        "csrf_token": token, "kind": "outgoing", "title": "新建带正文", "urgency": "normal", "classification": "1",
        "retention": "D30", "main_file": (io.BytesIO(b"%PDF-1.4 " + b"y" * (1 << 20)), "正文.pdf"),
        "attachments": (io.BytesIO(b"z" * 1000), "附件二.txt")})
    assert resp.status_code == 302
    assert seen == [True, True, True], seen  # the upload, then the new draft's 正文 and attachment


def test_new_document_uploads_keep_the_document_limit(client, auth, settings, app):
    from dataclasses import replace

    app.extensions["eoffice.settings"] = settings.replace(
        web=replace(settings.web, upload_limits_mb={**settings.web.upload_limits_mb, "document": 1}))
    auth.login("lz_staff")
    token = auth.csrf("/documents/new?kind=outgoing")
    resp = _post(client, "/documents/new", {
        "csrf_token": token, "kind": "outgoing", "title": "太大的正文", "urgency": "normal", "classification": "1",
        "retention": "D30", "main_file": (io.BytesIO(b"%PDF-1.4 " + b"y" * (2 << 20)), "正文.pdf")},
        follow_redirects=True)
    assert "超过 1 MB" in resp.get_data(as_text=True)


def test_a_double_posted_upload_form_stores_one_file(client, auth, flow, db):
    doc_id = flow.draft(title="重复上传")
    auth.login("lz_staff")
    html = page(client, doc_id)
    form = {"csrf_token": auth.csrf("/documents/"), "version": field(html, "version"), "role": "attachment"}
    first = client.post(f"/documents/{doc_id}/files", data={**form, "file": (io.BytesIO(b"one"), "附件.txt")},
                        content_type="multipart/form-data", follow_redirects=True)
    second = client.post(f"/documents/{doc_id}/files", data={**form, "file": (io.BytesIO(b"one"), "附件.txt")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "文件已上传" in first.get_data(as_text=True)
    assert "已处理" in second.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count(DocumentFile.id)).where(DocumentFile.document_id == doc_id,
                                                                  DocumentFile.filename == "附件.txt")) == 1


def test_a_write_lock_held_past_the_wait_answers_503_with_retry_after(settings, flow, db, monkeypatch):
    """Another connection holds the lock longer than the lock wait: the post is a 503 「系统繁忙」, not a 500."""
    doc_id = flow.draft(title="锁等待")
    monkeypatch.setattr(core_db, "BUSY_TIMEOUT_SECONDS", 0.5)  # the wait, shortened for the test
    quick = core_db.connect(settings.database_url)
    app = create_app(settings, db=quick)
    app.config.update(TESTING=True)
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("lz_staff")
    html = page(client, doc_id)
    token = auth.csrf("/documents/")
    holder = db.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
    try:
        holder.execute(text("SELECT id FROM document WHERE id = :id" + ("" if db.is_sqlite else " FOR UPDATE")),
                       {"id": doc_id})
        resp = client.post(f"/documents/{doc_id}/files", data={
            "csrf_token": token, "version": field(html, "version"), "role": "attachment",
            "file": (io.BytesIO(b"locked out"), "被锁.txt")}, content_type="multipart/form-data")
    finally:
        holder.rollback()
        holder.close()
        quick.engine.dispose()
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert "系统繁忙，请稍后重试" in body
    with db.session() as s:
        assert s.scalar(select(func.count(DocumentFile.id)).where(DocumentFile.filename == "被锁.txt")) == 0
