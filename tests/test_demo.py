"""The demo bureau: departments, accounts with the right roles, archive files, the seeding commands."""

from __future__ import annotations

import stat

import pytest

import demo
from core import migrate, org
from core.db import connect
from tests.support.app import make_settings

EXPECTED_ROLES = {
    "admin": {"admin"},
    "director": {"leader"},
    "deputy": {"leader"},
    "office_head": {"dept_head"},
    "clerk": {"clerk"},
    "lz_head": {"dept_head"},
    "lz_staff": {"staff"},
    "zl_head": {"dept_head"},
    "zl_staff": {"staff"},
    "archivist": {"archivist"},
    "printroom": {"print_operator"},
}
ROLE_LABELS = {"admin": "系统管理员", "leader": "局领导", "dept_head": "处室负责人", "clerk": "办公室文书",
               "staff": "普通工作人员", "archivist": "档案员", "print_operator": "文印室操作员"}


def test_demo_departments(db):
    with db.session() as s:
        codes = {d.code: d.name for d in org.departments(s)}
    assert codes == dict(demo.DEPARTMENTS)
    assert codes["LZC"] == "林政资源管理处" and codes["WYS"] == "文印室"


@pytest.mark.parametrize("username", sorted(EXPECTED_ROLES))
def test_each_demo_account_signs_in_with_its_roles(client, auth, username):
    assert auth.login(username).status_code == 302
    html = client.get("/").get_data(as_text=True)
    for code in EXPECTED_ROLES[username]:
        assert f'data-role="{code}"' in html
        assert ROLE_LABELS[code] in html


def test_seed_generates_and_records_a_password_when_none_is_given(tmp_path):
    settings = make_settings(tmp_path, EOFFICE_DEMO_PASSWORD="")
    db = connect(settings.database_url)
    migrate.upgrade(db)
    with db.session() as s:
        assert demo.is_empty(s)
        result = demo.seed(s, data_dir=settings.data_dir, archive_dir=settings.archive_dir)
    assert result.generated and len(result.password) >= 12
    text = result.credentials_file.read_text(encoding="utf-8")
    assert result.password in text and "clerk" in text
    assert stat.S_IMODE(result.credentials_file.stat().st_mode) == 0o600
    with db.session() as s:
        assert org.check_local_password(org.user_by_username(s, "director"), result.password)
        assert not demo.is_empty(s)
    db.engine.dispose()


def test_seed_puts_real_reports_into_the_archive_folder(settings):
    placed = demo.place_archive_files(settings.archive_dir)
    names = {p.relative_to(settings.archive_dir).as_posix() for p in placed}
    assert "BGS/2023/成都市林业局规范化服务型政府建设工作自查报告.txt" in names
    gbk = next(p for p in placed if "GBK" in p.name)
    raw = gbk.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "河南省林业厅" in raw.decode("gb18030")


def test_cli_seed_is_idempotent(tmp_path):
    from click.testing import CliRunner

    from intranet.cli import cli

    env = {"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_DEMO_PASSWORD": "another-demo-pw"}
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "seed"], env=env)
    assert first.exit_code == 0, first.output
    assert "demo bureau created" in first.output
    second = runner.invoke(cli, ["demo", "seed"], env=env)
    assert second.exit_code == 0 and "nothing seeded" in second.output
    revision = runner.invoke(cli, ["db", "current"], env=env)
    assert revision.exit_code == 0
    assert revision.output.split()[0] == migrate.head_revision()


def test_make_run_seed_gives_the_supervision_charts_history(tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import func, select

    from config import load_settings
    from core.db import connect
    from core.models.documents import Document
    from intranet.cli import cli

    env = {"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_DEMO_PASSWORD": "another-demo-pw"}
    result = CliRunner().invoke(cli, ["demo", "seed", "--with-history"], env=env)
    assert result.exit_code == 0, result.output
    assert "督办演示历史：48 份签报" in result.output
    db = connect(load_settings(env=env).database_url)
    try:
        with db.session() as session:
            assert session.scalar(select(func.count(Document.id)).where(Document.kind == "request")) == 48
            outgoing = session.scalar(select(Document).where(Document.kind == "outgoing"))
            assert outgoing.doc_number.startswith("示林发〔") and outgoing.state == "active"  # numbered, 分发 next
            assert session.scalar(select(func.count(Document.id)).where(Document.completed_at.is_not(None))) > 20
    finally:
        db.engine.dispose()


def test_home_page_shows_what_waits_for_me(client, auth, db):
    from notifications import notify

    auth.login("lz_staff")
    html = client.get("/").get_data(as_text=True)
    assert 'data-count="inbox">0<' in html and 'data-count="notifications">0<' in html
    with db.session() as s:
        user = org.user_by_username(s, "lz_staff")
        notify.notify(s, user, "reminder", "请尽快办理：关于森林防火的通知")
        notify.notify(s, user, "reminder", "请尽快办理：林木采伐审批")
    html = client.get("/").get_data(as_text=True)
    assert 'data-count="notifications">2<' in html
    for link in ('href="/documents/"', 'href="/circulation/"', 'href="/documents/mine"'):
        assert link in html
