"""Directory sign-in through the login page against a real slapd: roles, TLS, failover, faults, defences."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import select

from core import org
from core.models import AuditEvent, User
from tests.directory.bureau import PASSWORDS, login
from tests.directory.slapd import SERVICE_PW
from tests.support.app import DEMO_PASSWORD


@pytest.fixture
def plain(slapd, directory_settings, make_app):
    """A test client of an app signing in against the shared slapd over plain LDAP."""
    return make_app(directory_settings([slapd.url])).test_client()


def audit_details(db, username: str) -> list[str]:
    with db.session() as s:
        return [f"{e.kind} {e.detail}" for e in s.scalars(select(AuditEvent).where(AuditEvent.username == username))]


def test_directory_user_signs_in_with_chinese_name_department_and_roles(plain, db):
    resp = login(plain, "zhangsan", PASSWORDS["zhangsan"])
    assert resp.status_code == 302, resp.get_data(as_text=True)
    home = plain.get("/").get_data(as_text=True)
    assert "张三" in home and "林政资源管理处" in home
    with db.session() as s:
        user = org.user_by_username(s, "zhangsan")
        assert user is not None and user.source == "directory" and user.password_hash is None
        assert user.department.code == "LZC" and user.email == "zhangsan@bureau.test" and user.title == "科员"
        assert user.directory_dn == "uid=zhangsan,ou=people,dc=bureau,dc=test"
        assert {(a.role.code, a.source) for a in user.role_assignments} == {("staff", "directory")}
    assert any(d.startswith("login.success directory") for d in audit_details(db, "zhangsan"))


def test_nested_group_gives_leader_and_ou_gives_department(plain, db):
    assert login(plain, "lisi", PASSWORDS["lisi"]).status_code == 302
    assert login(plain.application.test_client(), "wangwu", PASSWORDS["wangwu"]).status_code == 302
    with db.session() as s:
        lisi = org.user_by_username(s, "lisi")
        wangwu = org.user_by_username(s, "wangwu")
        # 李四 is in 党组成员, which is a member of 局领导 -> leader.
        assert lisi.role_codes == {"staff", "leader"}
        assert lisi.department.code == "ZLC" and lisi.display_name == "李四"
        assert wangwu.role_codes == {"staff", "clerk"}
        assert wangwu.department.code == "BGS"  # directory value "办公室" matches the department's name


def test_manual_grants_survive_directory_logins(plain, db, slapd):
    assert login(plain, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
    with db.session() as s:
        user = org.user_by_username(s, "zhangsan")
        org.set_roles(s, user, ["archivist"])  # an admin's manual grant
    fresh = plain.application.test_client()
    assert login(fresh, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
    with db.session() as s:
        user = org.user_by_username(s, "zhangsan")
        assert {(a.role.code, a.source) for a in user.role_assignments} == {
            ("staff", "directory"), ("archivist", "manual")
        }


@pytest.mark.parametrize(
    ("username", "password", "message", "reason"),
    [
        ("zhangsan", "wrong-password", "用户名或密码错误", "bad credentials"),
        ("nobody", "whatever-pw", "用户名或密码错误", "unknown user"),
        ("zhaoliu", PASSWORDS["zhaoliu"], "该账户已停用", "account disabled"),
        ("sunqi", PASSWORDS["sunqi"], "该账户已被目录锁定", "account locked"),
        ("zhangsan", "", "请输入密码", "empty password"),
        ("zhangsan", "   ", "请输入密码", "empty password"),
        ("z" * 300, "whatever-pw", "过长", "invalid input"),
        ("zhangsan", "x" * 2000, "过长", "invalid input"),
    ],
)
def test_faults_are_explained_and_audited(plain, db, username, password, message, reason):
    started = time.monotonic()
    resp = login(plain, username, password)
    assert time.monotonic() - started < 5
    assert resp.status_code == 401
    assert message in resp.get_data(as_text=True)
    details = audit_details(db, username[:128])
    assert any(d.startswith(f"login.failure {reason}") for d in details), details


@pytest.mark.parametrize(
    "name", ["*", ")(uid=*", "zhangsan)(|(uid=*", "*)(uid=*))(|(uid=*", "zhang\x00san", "zhang*", "(uid=zhangsan)"]
)
def test_injection_strings_never_sign_in(plain, db, name):
    resp = login(plain, name, PASSWORDS["zhangsan"])
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True) or "不允许的字符" in resp.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(User).where(User.source == "directory")) is None


def test_local_account_wins_over_a_directory_entry_of_the_same_name(plain):
    # The directory also has uid=admin; its password must not open the local admin account.
    assert login(plain, "admin", PASSWORDS["admin"]).status_code == 401
    assert login(plain.application.test_client(), "admin", DEMO_PASSWORD).status_code == 302


def test_break_glass_admin_while_the_directory_is_down(directory_settings, make_app, dead_url, db):
    client = make_app(directory_settings([dead_url])).test_client()
    resp = login(client, "zhangsan", PASSWORDS["zhangsan"])
    assert resp.status_code == 401 and "目录服务器暂时无法连接" in resp.get_data(as_text=True)
    started = time.monotonic()
    assert login(client, "admin", DEMO_PASSWORD).status_code == 302
    assert time.monotonic() - started < 1  # the directory is not even asked
    assert "系统管理员" in client.get("/").get_data(as_text=True)


def test_all_servers_down_counts_towards_the_rate_limit(directory_settings, make_app, db):
    from tests.support import free_port

    servers = [f"ldap://127.0.0.1:{free_port()}", f"ldap://127.0.0.1:{free_port()}"]
    settings = directory_settings(servers, env={"EOFFICE_SECURITY_LOGIN_MAX_FAILURES": "3"})
    client = make_app(settings).test_client()
    for _ in range(3):
        started = time.monotonic()
        resp = login(client, "zhangsan", PASSWORDS["zhangsan"])
        assert resp.status_code == 401 and time.monotonic() - started < 5
        assert "目录服务器暂时无法连接" in resp.get_data(as_text=True)
    resp = login(client, "zhangsan", PASSWORDS["zhangsan"])
    assert resp.status_code == 429 and "输错密码的次数过多" in resp.get_data(as_text=True)
    details = audit_details(db, "zhangsan")
    assert sum(d.startswith("login.failure directory unavailable") for d in details) == 3
    assert all(servers[0].split("//")[1] in d for d in details if "unavailable" in d)


def test_failover_from_a_dead_first_server(slapd, directory_settings, make_app, dead_url):
    client = make_app(directory_settings([dead_url, slapd.url])).test_client()
    started = time.monotonic()
    assert login(client, "lisi", PASSWORDS["lisi"]).status_code == 302
    assert time.monotonic() - started < 2


def test_frozen_server_is_bounded_by_the_timeout(private_slapd, slapd, directory_settings, make_app):
    private_slapd.freeze()
    try:
        alone = make_app(directory_settings([private_slapd.url])).test_client()
        started = time.monotonic()
        resp = login(alone, "zhangsan", PASSWORDS["zhangsan"])
        elapsed = time.monotonic() - started
        assert resp.status_code == 401 and "目录服务器暂时无法连接" in resp.get_data(as_text=True)
        assert 1.0 < elapsed < 5

        failover = make_app(directory_settings([private_slapd.url, slapd.url])).test_client()
        started = time.monotonic()
        assert login(failover, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
        assert time.monotonic() - started < 5
    finally:
        private_slapd.thaw()


def test_starttls_and_ldaps_with_the_bureau_ca(slapd, ca, directory_settings, make_app):
    starttls = make_app(directory_settings([slapd.url], start_tls=True, ca_file=str(ca.ca_cert))).test_client()
    assert login(starttls, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
    ldaps = make_app(directory_settings([slapd.ldaps_url], ca_file=str(ca.ca_cert))).test_client()
    assert login(ldaps, "lisi", PASSWORDS["lisi"]).status_code == 302


@pytest.mark.parametrize("mode", ["starttls", "ldaps"])
def test_untrusted_certificate_is_refused(slapd, other_ca, directory_settings, make_app, db, mode):
    url = slapd.url if mode == "starttls" else slapd.ldaps_url
    settings = directory_settings([url], start_tls=(mode == "starttls"), ca_file=str(other_ca.ca_cert))
    resp = login(make_app(settings).test_client(), "zhangsan", PASSWORDS["zhangsan"])
    assert resp.status_code == 401
    assert "证书未通过验证" in resp.get_data(as_text=True)
    assert any("tls failed" in d and "CERTIFICATE_VERIFY_FAILED" in d for d in audit_details(db, "zhangsan"))


def test_no_secret_in_logs_pages_or_audit(slapd, directory_settings, make_app, db, caplog, dead_url):
    caplog.set_level(logging.DEBUG)
    app = make_app(directory_settings([dead_url, slapd.url]))
    client = app.test_client()
    pages = [
        login(client, "zhangsan", "Wrong-Secret-123").get_data(as_text=True),
        login(client, "zhangsan", PASSWORDS["zhangsan"]).get_data(as_text=True),
    ]
    admin = app.test_client()
    login(admin, "admin", DEMO_PASSWORD)
    pages += [admin.get("/admin/").get_data(as_text=True), admin.get("/admin/directory/").get_data(as_text=True)]
    with db.session() as s:
        audit_text = " ".join(f"{e.detail} {e.data}" for e in s.scalars(select(AuditEvent)))
    logs = caplog.text + repr(app.extensions["eoffice.settings"])
    for secret in ("Wrong-Secret-123", PASSWORDS["zhangsan"], SERVICE_PW):
        assert secret not in logs
        assert secret not in audit_text
        assert all(secret not in page for page in pages)
