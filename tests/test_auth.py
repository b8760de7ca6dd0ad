"""Sign-in: passwords, CSRF, rate limits, audit, sessions, headers."""

from __future__ import annotations

import time

from sqlalchemy import select

from core import org
from core.models import AuditEvent
from tests.support.app import DEMO_PASSWORD


def audit_kinds(db, username: str) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent.kind).where(AuditEvent.username == username).order_by(AuditEvent.id)))


def test_login_success_is_audited_and_lands_on_home(client, auth, db):
    resp = auth.login("lz_staff")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert audit_kinds(db, "lz_staff") == ["login.success"]
    html = client.get("/").get_data(as_text=True)
    assert "陈晓明" in html and "林政资源管理处" in html and "普通工作人员" in html


def test_login_name_is_case_insensitive(client, auth):
    assert auth.login("  LZ_Staff ").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_clear_refusal(client, auth, db):
    for name in ("lz_staff", "nobody"):
        resp = auth.login(name, "wrong-password")
        assert resp.status_code == 401
        assert "用户名或密码错误" in resp.get_data(as_text=True)
    assert audit_kinds(db, "lz_staff") == ["login.failure"]
    assert audit_kinds(db, "nobody") == ["login.failure"]
    assert client.get("/").status_code == 302  # still signed out


def test_empty_and_whitespace_passwords_are_refused(client, auth):
    for pw in ("", "   ", "\t"):
        resp = auth.login("admin", pw)
        assert resp.status_code == 401
        assert "请输入密码" in resp.get_data(as_text=True)


def test_control_characters_are_refused_cleanly(client, auth, db):
    for name, pw in (("admin\x00", DEMO_PASSWORD), ("ad\x00min", DEMO_PASSWORD), ("admin", "x\x00y")):
        resp = auth.login(name, pw)
        assert resp.status_code == 401
        assert "不允许的字符" in resp.get_data(as_text=True)
    assert "login.failure" in audit_kinds(db, "admin\ufffd")


def test_over_long_input_is_refused_cleanly(client, auth):
    resp = auth.login("a" * 5000, "b" * 5000)
    assert resp.status_code == 401


def test_missing_csrf_token_is_refused_with_an_explanation(client):
    client.get("/login")
    resp = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert resp.status_code == 400
    assert "请刷新页面后重新提交" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_eleventh_rapid_attempt_is_refused_even_with_the_right_password(client, auth, db):
    attacker = {"REMOTE_ADDR": "10.0.0.66"}
    for _ in range(10):
        assert auth.login("zl_staff", "wrong-password", environ_base=attacker).status_code == 401
    started = time.monotonic()
    resp = auth.login("zl_staff", DEMO_PASSWORD, environ_base=attacker)
    assert time.monotonic() - started < 2  # answered at once, never a sleep in a request thread
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) == 30
    assert "输错密码的次数过多" in resp.get_data(as_text=True)
    assert audit_kinds(db, "zl_staff")[-1] == "login.rate_limited"
    # Refused tries do not extend the wait; another wrong password (once allowed) doubles it.
    for _ in range(5):
        assert int(auth.login("zl_staff", DEMO_PASSWORD, environ_base=attacker).headers["Retry-After"]) <= 30
    # The owner at their own desk signs in all the same, and other accounts are not affected.
    assert auth.login("zl_staff", DEMO_PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 302


def test_the_wait_grows_with_each_wrong_password(db, settings):
    from datetime import timedelta

    from core.models.base import utcnow
    from intranet.auth.service import waiting_seconds

    now = utcnow()
    assert waiting_seconds(9, now, 10, 900) == 0
    assert waiting_seconds(10, now, 10, 900) == 30
    assert waiting_seconds(11, now, 10, 900) == 60
    assert waiting_seconds(20, now, 10, 900) == 900  # never beyond the window
    assert waiting_seconds(10, now - timedelta(seconds=31), 10, 900) == 0


def test_per_address_limit_stops_guessing_across_accounts(client, auth, settings):
    limit = settings.security.login_max_failures_per_address
    for i in range(limit):
        auth.login(f"guess{i}", "wrong-password")
    assert auth.login("admin", DEMO_PASSWORD).status_code == 429


def test_logout_needs_post_with_csrf(client, auth):
    auth.login("clerk")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, auth):
    token = auth.csrf("/login")
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        resp = client.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": token,
                                           "next": target})
        assert resp.headers["Location"] == "/"
        auth.logout()
        token = auth.csrf("/login")
    resp = client.post("/login", data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": token,
                                       "next": "/admin/"})
    assert resp.headers["Location"] == "/admin/"


def test_deactivating_a_user_ends_their_session(client, auth, db):
    auth.login("lz_staff")
    assert client.get("/").status_code == 200
    with db.session() as s:
        org.user_by_username(s, "lz_staff").active = False
    assert client.get("/").status_code == 302
    assert auth.login("lz_staff").status_code == 401


def test_password_change_signs_out_other_sessions(client, auth, db):
    auth.login("lz_staff")
    with db.session() as s:
        org.set_password(org.user_by_username(s, "lz_staff"), "a-new-password-1")
    assert client.get("/").status_code == 302


def test_session_cookie_and_security_headers(client, auth):
    resp = auth.login("clerk")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_loads_assets_from_the_internet():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "intranet" / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert 'src="http' not in text and 'href="http' not in text, template
        assert "<script>" not in text and "style=" not in text, template
