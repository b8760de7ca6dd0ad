"""Settings: defaults < EOFFICE_CONFIG file < EOFFICE_* environment; bad settings stop start-up clearly."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config import SettingsError, load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_put_everything_under_the_data_dir(tmp_path):
    s = load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path / "var")})
    assert s.data_dir == (tmp_path / "var").resolve()
    assert s.database_url == f"sqlite:///{s.data_dir / 'eoffice.db'}"
    assert s.archive_dir == s.data_dir / "archive"
    assert s.web.port == 8000 and s.web.host == "127.0.0.1"
    assert s.web.default_locale == "zh_CN"
    assert s.index_dir.parent == s.data_dir and s.spool_dir.parent == s.data_dir


def test_file_overrides_defaults_and_environment_overrides_file(tmp_path):
    conf = write(tmp_path / "eoffice.toml", '[web]\nport = 9001\nthreads = 3\n[security]\nlogin_max_failures = 5\n')
    env = {"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(conf), "EOFFICE_WEB_PORT": "9002"}
    s = load_settings(env=env)
    assert s.web.port == 9002  # environment wins over the file
    assert s.web.threads == 3  # the file wins over the defaults
    assert s.security.login_max_failures == 5
    assert s.security.login_window_seconds == 900  # untouched default


def test_top_level_environment_variables(tmp_path):
    archive = tmp_path / "共享资料库"
    s = load_settings(env={
        "EOFFICE_DATA_DIR": str(tmp_path),
        "EOFFICE_ARCHIVE_DIR": str(archive),
        "EOFFICE_DATABASE_URL": "sqlite:///" + str(tmp_path / "other.db"),
        "EOFFICE_SECRET_KEY": "k" * 40,
    })
    assert s.archive_dir == archive
    assert s.database_url.endswith("other.db")
    assert s.secret_key == "k" * 40


def test_settings_are_frozen(tmp_path):
    s = load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        s.web.port = 1


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 40
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[web]\nprot = 1\n", "unknown setting 'web.prot'"),
        ("colour = 'red'\n", "unknown setting 'colour'"),
        ("[web]\nport = 'eighty'\n", "setting 'web.port' must be a number"),
        ("[web]\nsecure_cookies = 'maybe'\n", "setting 'web.secure_cookies' must be true or false"),
        ("[web]\ndefault_locale = 'fr'\n", "setting 'web.default_locale' must be one of"),
        ("web = 3\n", "setting 'web' must be a table"),
    ],
)
def test_bad_setting_in_file_names_key_and_file(tmp_path, toml, expected):
    conf = write(tmp_path / "bad.toml", toml)
    with pytest.raises(SettingsError) as err:
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(conf)})
    assert expected in str(err.value)
    assert str(conf) in str(err.value) or "must be a table" in str(err.value)


def test_unknown_environment_variable_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="EOFFICE_WEB_PROT"):
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_WEB_PROT": "1"})
    with pytest.raises(SettingsError, match="EOFFICE_COLOUR"):
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_COLOUR": "red"})


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(SettingsError) as err:
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_WEB_PORT": "abc"})
    assert "web.port" in str(err.value) and "EOFFICE_WEB_PORT" in str(err.value)


def test_missing_or_broken_config_file(tmp_path):
    with pytest.raises(SettingsError, match="not a readable file"):
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(tmp_path / "nope.toml")})
    broken = write(tmp_path / "broken.toml", "[web\nport=1")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(broken)})


def test_example_config_is_valid(tmp_path):
    example = Path(__file__).resolve().parents[1] / "config" / "example.toml"
    s = load_settings(env={"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(example)})
    assert s.database_url.startswith("postgresql")
    assert s.web.secure_cookies is True


def test_cli_stops_with_a_clear_message_on_a_bad_setting(tmp_path):
    conf = write(tmp_path / "bad.toml", "[web]\nprot = 1\n")
    env = {"EOFFICE_DATA_DIR": str(tmp_path), "EOFFICE_CONFIG": str(conf), "PATH": "/usr/bin:/bin"}
    eoffice = Path(sys.executable).with_name("eoffice")
    proc = subprocess.run([str(eoffice), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "unknown setting 'web.prot'" in proc.stderr and str(conf) in proc.stderr
