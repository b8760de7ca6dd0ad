"""The admin page: departments, users and role assignments."""

from __future__ import annotations

from core import org


def test_admin_creates_a_department_and_a_user_who_can_sign_in(client, auth, db):
    auth.login("admin")
    token = auth.csrf("/admin/")
    resp = client.post("/admin/departments", data={"code": "kjc", "name": "科技处", "sort_order": "95",
                                                   "csrf_token": token}, follow_redirects=True)
    assert "已保存部门 科技处" in resp.get_data(as_text=True)
    token = auth.csrf("/admin/users/new")
    resp = client.post("/admin/users/new", data={
        "username": "kj_staff", "display_name": "马小科", "department": "KJC", "roles": ["staff", "archivist"],
        "clearance": "1", "active": "y", "password": "kj-password-1", "csrf_token": token,
    }, follow_redirects=True)
    assert "已创建用户 马小科" in resp.get_data(as_text=True)
    with db.session() as s:
        user = org.user_by_username(s, "kj_staff")
        assert user is not None and user.department.code == "KJC"
        assert user.role_codes == {"staff", "archivist"}
    auth.logout()
    assert auth.login("kj_staff", "kj-password-1").status_code == 302
    assert "科技处" in client.get("/").get_data(as_text=True)


def test_admin_refuses_a_bad_department_code_with_a_message(client, auth):
    auth.login("admin")
    token = auth.csrf("/admin/")
    resp = client.post("/admin/departments", data={"code": "林政", "name": "x", "csrf_token": token},
                       follow_redirects=True)
    assert "部门代码只能使用英文字母" in resp.get_data(as_text=True)


def test_admin_edits_roles_and_deactivates(client, auth, db):
    auth.login("admin")
    with db.session() as s:
        uid = org.user_by_username(s, "zl_staff").id
    token = auth.csrf(f"/admin/users/{uid}")
    resp = client.post(f"/admin/users/{uid}", data={
        "username": "zl_staff", "display_name": "周静", "department": "ZLC", "roles": ["staff", "print_operator"],
        "clearance": "1", "csrf_token": token,  # active unchecked -> deactivated
    }, follow_redirects=True)
    assert "已保存用户 周静" in resp.get_data(as_text=True)
    with db.session() as s:
        user = org.user_by_username(s, "zl_staff")
        assert user is not None and not user.active
        assert user.role_codes == {"staff", "print_operator"}
    auth.logout()
    assert auth.login("zl_staff").status_code == 401


def test_directory_roles_are_kept_apart_from_manual_grants(db):
    with db.session() as s:
        user = org.user_by_username(s, "lz_staff")
        assert user is not None
        org.set_roles(s, user, ["archivist"], source="directory")
        org.set_roles(s, user, ["staff", "print_operator"])  # the admin's manual edit
        assert {(a.role.code, a.source) for a in user.role_assignments} == {
            ("archivist", "directory"), ("staff", "manual"), ("print_operator", "manual")}
        org.set_roles(s, user, [], source="directory")
        assert user.role_codes == {"staff", "print_operator"}


def test_cli_creates_the_first_admin_of_an_empty_install(tmp_path):
    from click.testing import CliRunner

    from core.db import connect
    from intranet.cli import cli
    from tests.support.app import make_settings

    env = {"EOFFICE_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    args = ["user", "create", "root", "--name", "系统管理员", "--department", "xxb", "--department-name", "信息中心",
            "--password", "first-admin-pw"]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert "local account root created with roles admin" in result.output
    again = runner.invoke(cli, args, env=env)
    assert again.exit_code == 1 and "已存在" in again.output
    short = runner.invoke(cli, ["user", "create", "x", "--name", "X", "--password", "short"], env=env)
    assert short.exit_code == 1 and "密码长度" in short.output
    db = connect(make_settings(tmp_path).database_url)
    try:
        with db.session() as s:
            root = org.user_by_username(s, "root")
            assert root is not None and root.role_codes == {"admin"} and root.department.name == "信息中心"
            assert org.check_local_password(root, "first-admin-pw")
    finally:
        db.engine.dispose()
