"""The deploy files in config/deploy agree with the code and with each other (a typo here breaks a server)."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from config import load_settings
from intranet.cli import cli

DEPLOY = Path(__file__).resolve().parents[2] / "config" / "deploy"
UNITS = ["eoffice-web.service", "eoffice-worker.service", "eoffice-backup.service", "eoffice-backup.timer"]


def unit(name: str) -> dict[str, dict[str, str]]:
    """Parse a systemd unit: {section: {key: value}}, repeated keys joined with newlines."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current[key] = f"{current[key]}\n{value}" if key in current else value
    return sections


def test_production_settings_file_loads(tmp_path):
    settings = load_settings(
        env={"EOFFICE_DATA_DIR": str(tmp_path / "var"), "EOFFICE_ARCHIVE_DIR": str(tmp_path / "archive")},
        config_file=DEPLOY / "eoffice.toml",
    )
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.web.proxies == 1 and settings.web.secure_cookies is True
    assert settings.web.workers >= 2


def test_units_run_real_commands_on_the_configured_paths():
    production = tomllib.loads((DEPLOY / "eoffice.toml").read_text(encoding="utf-8"))
    for name in ("eoffice-web.service", "eoffice-worker.service", "eoffice-backup.service"):
        service = unit(name)["Service"]
        command = service["ExecStart"].split()
        assert command[0] == "/opt/eoffice/.venv/bin/eoffice"
        assert command[1] in cli.commands, f"{name}: unknown subcommand {command[1]}"
        assert "EOFFICE_CONFIG=/etc/eoffice/eoffice.toml" in service["Environment"]
        assert service["User"] == "eoffice"
        if "ReadWritePaths" in service:
            writable = service["ReadWritePaths"].split()
            assert production["data_dir"] in writable and production["archive_dir"] in writable, name
    assert unit("eoffice-web.service")["Service"]["Type"] == "notify"  # gunicorn tells systemd when it is up


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze(tmp_path):
    for name in UNITS:
        shutil.copy(DEPLOY / name, tmp_path / name)
    done = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / n) for n in UNITS]],
                          capture_output=True, text=True, check=False)
    # /opt/eoffice does not exist on this machine; anything else systemd says is a real problem.
    problems = [line for line in done.stderr.splitlines() if line.strip() and "is not executable" not in line]
    assert not problems, problems


def test_nginx_limits_match_the_app_defaults():
    site = (DEPLOY / "nginx-eoffice.conf").read_text(encoding="utf-8")
    defaults = tomllib.loads((Path(__file__).resolve().parents[2] / "config" / "defaults.toml").read_text("utf-8"))
    body = re.search(r"client_max_body_size (\d+)m;", site)
    assert body and int(body.group(1)) == defaults["web"]["max_upload_mb"]
    read = re.search(r"proxy_read_timeout (\d+)s;", site)
    assert read and int(read.group(1)) > defaults["web"]["timeout_seconds"]
    assert "alias /opt/eoffice/intranet/static/;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # set, never appended: see [web] proxies
    assert re.search(r"location = /healthz \{[^}]*deny all;", site)


def test_samba_share_points_at_the_archive_folder():
    production = tomllib.loads((DEPLOY / "eoffice.toml").read_text(encoding="utf-8"))
    share = configparser.RawConfigParser(strict=False, interpolation=None)
    share.read(DEPLOY / "smb-eoffice.conf", encoding="utf-8")
    section = share["文件资料库"]
    assert section["path"] == production["archive_dir"]
    assert section["force group"] == "eoffice"
    assert section["read only"] == "no"
