"""The paged full sync against a slapd of the test's own: create, update, deactivate, reactivate, guard."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core import org
from core.models import Department, User
from core.models.directory import DirectoryDeactivation, DirectorySyncRun
from directory import presets
from directory import sync as directory_sync
from directory.errors import DirectoryError
from intranet.cli import cli
from tests.directory.bureau import GROUPS, dn, person
from tests.directory.slapd import SERVICE_DN
from tests.support.app import settings_env


def directory_users(db) -> dict[str, User]:
    with db.session() as s:
        users = s.scalars(select(User).where(User.source == "directory")).all()
        for u in users:
            _ = u.role_codes, u.department
        return {u.username: u for u in users}


@pytest.fixture
def config(private_slapd, directory_settings):
    return presets.resolve(directory_settings([private_slapd.url], page_size=2).directory)


def test_sync_creates_updates_and_deactivates(private_slapd, config, db):
    pages: list[int] = []
    report = directory_sync.sync_all(db, config, trigger="cli", on_progress=pages.append)
    # zhaoliu is disabled (excluded); uid=admin collides with the local admin (skipped).
    assert (report.seen, report.created, report.skipped, report.deactivated) == (5, 4, 1, 0)
    assert pages == [2, 2, 1]  # page size 2 < 5 users
    users = directory_users(db)
    assert set(users) == {"zhangsan", "lisi", "wangwu", "sunqi"}
    assert users["lisi"].role_codes == {"staff", "leader"} and users["lisi"].department.code == "ZLC"
    assert users["zhangsan"].display_name == "张三" and users["zhangsan"].department.code == "LZC"

    # The directory changes: a rename, a new person, a departure, a group change.
    private_slapd.modify(f"dn: {dn('zhangsan')}\nchangetype: modify\nreplace: displayName\n"
                         "displayName:: " + __import__("base64").b64encode("张三丰".encode()).decode() + "\n")
    private_slapd.modify(person("zhouba", "周八", "Zb-pass-2024", department="新设处室"), add=True)
    # 王五 leaves: his account is disabled in the directory (listed no more; his entryUUID stays).
    private_slapd.modify(f"dn: {dn('wangwu')}\nchangetype: modify\nadd: pwdAccountLockedTime\n"
                         "pwdAccountLockedTime: 000001010000Z\n")
    # groupOfNames needs a member: 党组成员 now holds only the service account.
    private_slapd.modify(f"dn: cn=党组成员,{GROUPS}\nchangetype: modify\nreplace: member\n"
                         f"member: {SERVICE_DN}\n")
    report = directory_sync.sync_all(db, config, trigger="cli")
    assert (report.created, report.updated, report.deactivated) == (1, 2, 1)
    users = directory_users(db)
    assert users["zhangsan"].display_name == "张三丰"
    assert users["lisi"].role_codes == {"staff"}
    assert users["zhouba"].department is None  # "新设处室" is neither mapped nor known
    assert users["wangwu"].active is False  # kept, never deleted: documents and history stay
    with db.session() as s:
        assert s.get(DirectoryDeactivation, users["wangwu"].id) is not None
        runs = s.scalars(select(DirectorySyncRun).order_by(DirectorySyncRun.id)).all()
        assert [(r.status, r.trigger, r.deactivated) for r in runs] == [("ok", "cli", 0), ("ok", "cli", 1)]

    # Back in the directory (the same entry enabled again): reactivated by the sync that deactivated them.
    private_slapd.modify(f"dn: {dn('wangwu')}\nchangetype: modify\ndelete: pwdAccountLockedTime\n")
    report = directory_sync.sync_all(db, config, trigger="cli")
    assert report.reactivated == 1 and directory_users(db)["wangwu"].active is True


def test_an_admins_deactivation_sticks(config, db):
    directory_sync.sync_all(db, config, trigger="cli")
    with db.session() as s:
        org.user_by_username(s, "sunqi").active = False  # the admin page's "停用"
    directory_sync.sync_all(db, config, trigger="cli")
    assert directory_users(db)["sunqi"].active is False


def test_mapped_department_is_created_when_missing(private_slapd, directory_settings, db):
    config = presets.resolve(directory_settings(
        [private_slapd.url], department_map={"林政资源管理处": "LZC", "造林绿化处": "ZLC2"}).directory)
    report = directory_sync.sync_all(db, config, trigger="cli")
    assert report.departments_created == 1
    with db.session() as s:
        dept = s.scalar(select(Department).where(Department.code == "ZLC2"))
        assert dept.name == "造林绿化处" and dept.source == "directory"


def test_a_wrong_base_does_not_deactivate_everybody(private_slapd, directory_settings, db):
    config = presets.resolve(directory_settings([private_slapd.url]).directory)
    directory_sync.sync_all(db, config, trigger="cli")
    wrong = presets.resolve(directory_settings([private_slapd.url], user_base=GROUPS).directory)
    with pytest.raises(DirectoryError, match="max_deactivate_fraction"):
        directory_sync.sync_all(db, wrong, trigger="cli")
    assert all(u.active for u in directory_users(db).values())
    with db.session() as s:
        assert directory_sync.latest_runs(s, 1)[0].status == "failed"
    report = directory_sync.sync_all(db, wrong, trigger="cli", force=True)
    assert report.deactivated == 4


def test_sync_against_a_dead_server_is_recorded(directory_settings, dead_url, db):
    config = presets.resolve(directory_settings([dead_url]).directory)
    with pytest.raises(DirectoryError) as caught:
        directory_sync.sync_all(db, config, trigger="cli")
    assert caught.value.reason == "directory unavailable"
    with db.session() as s:
        run = directory_sync.latest_runs(s, 1)[0]
        assert run.status == "failed" and "directory unavailable" in run.error


def test_cli_test_and_sync(private_slapd, directory_settings, data_dir):
    settings = directory_settings([private_slapd.url])
    env = {**settings_env(settings), "EOFFICE_CONFIG": str(data_dir / "directory.toml")}
    assert settings.directory.enabled
    runner = CliRunner(env=env)
    result = runner.invoke(cli, ["directory", "test", "--user", "lisi"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "✓ 连接 ldap://127.0.0.1" in result.output and "✓ 服务账户绑定" in result.output
    assert "cn=局领导,ou=groups,dc=bureau,dc=test" in result.output  # the nested group is listed
    assert "局领导（leader）" in result.output and "造林绿化处" in result.output  # role and department clue
    assert "目录配置检查通过" in result.output

    result = runner.invoke(cli, ["directory", "sync"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "新建 4" in result.output and "created 4" in result.output


def test_cli_test_explains_a_wrong_service_password(private_slapd, directory_settings, data_dir, dead_url):
    settings = directory_settings([dead_url, private_slapd.url], bind_password="not-the-password")
    env = {**settings_env(settings), "EOFFICE_CONFIG": str(data_dir / "directory.toml")}
    result = CliRunner(env=env).invoke(cli, ["directory", "test"])
    assert result.exit_code == 1
    assert "✗ 连接 ldap://127.0.0.1" in result.output and "Connection refused" in result.output
    assert "✗ 服务账户绑定" in result.output and "invalidCredentials" in result.output
    assert "not-the-password" not in result.output
