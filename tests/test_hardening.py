"""Hardening (issue 16): sessions end on the server, numbers out of range, exports, health details, 传阅 ids."""

from __future__ import annotations

import io

from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from core import org
from core.models import User
from fileformats.tables import csv_text, safe_cell, xlsx_bytes


def _user(db, username: str) -> User:
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        session.expunge(user)
        return user


def test_logout_ends_the_session_on_the_server(client, auth, app):
    auth.login("lz_staff")
    cookie = client.get_cookie("eoffice_session").value
    assert client.get("/documents/").status_code == 200
    auth.logout()
    client.set_cookie("eoffice_session", cookie)  # the copy an attacker kept
    resp = client.get("/documents/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_every_account_has_its_own_token_so_the_secret_key_alone_forges_nothing(client, auth, app, db):
    """A cookie signed with the real secret key but without the account's token is refused."""
    lz, zl = _user(db, "lz_staff"), _user(db, "zl_staff")
    assert lz.session_token != zl.session_token and len(lz.session_token) >= 40
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    for guess in ("directory", "local", "", lz.session_token):  # old constants, and another person's token
        client.set_cookie("eoffice_session", serializer.dumps({"uid": zl.id, "ver": guess}))
        resp = client.get("/documents/")
        assert resp.status_code == 302 and "/login" in resp.location, guess


def test_a_real_role_change_ends_sessions_and_a_same_roles_sync_does_not(client, auth, db):
    auth.login("zl_staff")
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == "zl_staff"))
        org.set_roles(session, user, sorted(user.role_codes))  # the same roles written again
        session.commit()
    assert client.get("/documents/").status_code == 200
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == "zl_staff"))
        org.set_roles(session, user, sorted(user.role_codes | {"archivist"}))
        session.commit()
    resp = client.get("/documents/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_numbers_too_large_for_the_database_are_404_or_400(client, auth):
    auth.login("admin")
    huge = "9" * 30
    for path in (f"/documents/{huge}", f"/search/files/{huge}", f"/search/files/{huge}/download",
                 f"/circulation/{huge}", f"/documents/{huge}/sheet.pdf"):
        assert client.get(path).status_code == 404, path
    for path in (f"/documents/?page={huge}", f"/search/?q=林业&year={huge}", f"/supervision/?year={huge}",
                 f"/search/?q=林业&dept={huge}", f"/documents/register?year={huge}",
                 f"/notifications/?before={huge}", f"/printing/usage.csv?month={huge}-01"):
        resp = client.get(path)
        assert resp.status_code in (200, 302, 400, 404), (path, resp.status_code)


def test_every_export_defuses_formulas():
    evil = ['=HYPERLINK("http://x","点我")', "+1", "-2+3", "@SUM(A1)", "\t=1", "正常"]
    text = csv_text(["名称"], [[v] for v in evil])
    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert all(line.lstrip('"').startswith("'") for line in lines[1:6]) and lines[6] == "正常"
    assert safe_cell(-2) == -2  # numbers stay numbers
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("导出", ["名称"], [[v] for v in evil])))
    values = [c.value for c in book.active["A"]][1:]
    assert all(isinstance(v, str) and v.startswith("'") for v in values[:5]) and values[5] == "正常"


def test_usage_csv_neutralises_a_display_name_formula(client, auth, db):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.models import PrintJob
    from core.models.base import utcnow

    with db.session() as session:
        user = session.scalar(select(User).where(User.username == "lz_staff"))
        user.display_name = '=HYPERLINK("http://evil","x")'
        session.add(PrintJob(uuid="u-1", user_id=user.id, username=user.username, department_id=user.department_id,
                             title="t", source_kind="upload", source_ref="t.pdf", original_path="x",
                             classification=1, media="A4", color=False, quality="normal", copies=1, page_ranges="",
                             prefer_central=False, state="completed", attempts=1, held=False, pages=2,
                             finished_at=utcnow(), created_at=utcnow()))
        session.commit()
    auth.login("admin")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))  # the bureau's month
    body = client.get(f"/printing/usage.csv?month={now.year}-{now.month:02d}").get_data(as_text=True)
    assert "=HYPERLINK" in body and ",=HYPERLINK" not in body and "'=HYPERLINK" in body


def test_healthz_details_only_for_admins_and_token_holders(client, auth, settings, app):
    anonymous = client.get("/healthz").get_json()
    text = str(anonymous)
    assert anonymous["status"] in ("ok", "degraded")
    assert str(settings.data_dir) not in text and "pid" not in text and "host" not in text
    assert set(anonymous["database"]) == {"status"}
    auth.login("admin")
    assert str(settings.data_dir) in str(client.get("/healthz").get_json())
    auth.logout()
    auth.login("lz_staff")
    assert str(settings.data_dir) not in str(client.get("/healthz").get_json())


def test_circulation_outsider_gets_the_same_answer_for_existing_and_missing_ids(client, auth, db):
    from circulation import service as circulation
    from core.models.files import ArchiveFile

    with db.session() as session:
        sender = session.scalar(select(User).where(User.username == "clerk"))
        item = ArchiveFile(relpath="BGS/2026/通知.txt", name="通知.txt", title="通知", kind="txt",
                           department_id=sender.department_id, classification=0, outcome="indexed")
        session.add(item)
        session.flush()
        existing = circulation.send(session, sender, recipients=circulation.Recipients(usernames=["lz_staff"]),
                                    archive_file=item).id
        session.commit()
    auth.login("zl_staff")
    token = auth.csrf("/")
    answers = set()
    for action in ("add", "recall", "remind"):
        bodies = []
        for cid in (existing, existing + 987654):
            resp = client.post(f"/circulation/{cid}/{action}", data={"csrf_token": token, "note": ""})
            answers.add((cid == existing, resp.status_code))
            # the page echoes its own address once (the 「English」 link back to it): that is not an answer
            bodies.append((resp.status_code, resp.get_data(as_text=True).replace(f"/circulation/{cid}/", "/ID/")))
        assert bodies[0] == bodies[1], action  # the same body too: nothing tells an outsider the id exists
    assert {code for _, code in answers} == {404}


def test_admin_form_refuses_weak_passwords_with_every_reason(client, auth, db):
    auth.login("admin")
    for weak, reason in (("        ", "同一个字符的重复"), ("aaaaaaaa", "同一个字符的重复"),
                         ("password1", "太常见"), ("kj_new2026x", "包含登录名")):
        token = auth.csrf("/admin/users/new")
        resp = client.post("/admin/users/new", data={
            "username": "kj_new", "display_name": "马小新", "department": "BGS", "roles": ["staff"],
            "clearance": "1", "active": "y", "password": weak, "csrf_token": token}, follow_redirects=True)
        assert reason in resp.get_data(as_text=True), weak
    with db.session() as s:
        assert org.user_by_username(s, "kj_new") is None


def test_a_local_user_changes_their_own_password(client, auth, app, db):
    from tests.support.app import DEMO_PASSWORD, AuthActions

    auth.login("lz_staff")
    other = app.test_client()  # the same account signed in at another desk
    AuthActions(other).login("lz_staff")
    assert other.get("/documents/").status_code == 200
    page = client.get("/account/password")
    assert page.status_code == 200 and "当前密码" in page.get_data(as_text=True)
    token = auth.csrf("/account/password")
    resp = client.post("/account/password", data={"current": "wrong", "new": "aaaaaaaa", "confirm": "bbbbbbbb",
                                                   "csrf_token": token})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for reason in ("当前密码不正确", "两次输入的新密码不一致", "同一个字符的重复"):
        assert reason in text  # every problem at once
    new = "Shan-Lin-Hu-2026!"
    resp = client.post("/account/password", data={"current": DEMO_PASSWORD, "new": new, "confirm": new,
                                                   "csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/documents/").status_code == 200  # this browser stays signed in
    assert other.get("/documents/").status_code == 302  # the other desk is signed out
    auth.logout()
    assert auth.login("lz_staff", DEMO_PASSWORD).status_code == 401
    assert auth.login("lz_staff", new).status_code == 302


def test_printing_refuses_an_inflating_docx_before_libreoffice(tmp_path):
    import pytest

    from printing.documents import DocumentError, docx_to_pdf
    from tests.support import inflating_docx

    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(inflating_docx(200))
    with pytest.raises(DocumentError, match="压缩炸弹"):
        docx_to_pdf(bomb, tmp_path / "out.pdf", soffice="soffice", timeout=30, lock_dir=tmp_path)


def test_each_kind_of_upload_has_its_own_limit(client, auth, settings, app):
    from dataclasses import replace

    small = settings.replace(web=replace(settings.web, upload_limits_mb={"document": 1, "print": 1, "archive": 1}))
    app.extensions["eoffice.settings"] = small
    auth.login("archivist")
    big = io.BytesIO(b"x" * (2 * 1024 * 1024))
    resp = client.post("/search/library/upload", data={"csrf_token": auth.csrf("/search/library"), "folder": "BGS",
                                                        "year": "2025", "file": (big, "大文件.txt")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "超过 1 MB" in resp.get_data(as_text=True)
    assert not list(settings.archive_dir.rglob("大文件.txt"))
    auth.logout()
    auth.login("lz_staff")
    resp = client.post("/printing/", data={"csrf_token": auth.csrf("/printing/"), "copies": "1", "media": "auto",
                                           "document": (io.BytesIO(b"%PDF" + b"x" * (2 * 1024 * 1024)), "大.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "超过 1 MB" in resp.get_data(as_text=True)
