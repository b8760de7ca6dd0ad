"""The Settings object and `load_settings()`: defaults.toml < EOFFICE_CONFIG file < EOFFICE_* environment."""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_type_hints

from config.directory import DirectorySettings
from config.indexer import IndexerSettings
from config.loader import SettingsError, build, convert, merge, record_sources
from config.offices import AssessmentSettings, InspectionSettings, ReportingSettings
from config.printing import PrintingSettings
from config.supervision import SupervisionSettings

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")


@dataclass(frozen=True)
class WebSettings:
    host: str
    port: int
    threads: int
    secure_cookies: bool
    max_upload_mb: int
    default_locale: Literal["zh_CN", "en"]
    workers: int
    proxies: int
    timeout_seconds: int
    # A monitor presenting this token (Authorization: Bearer ...) gets /healthz's details; "" = admins only.
    health_token: str
    # The largest file of each kind of upload, in MB: document (正文/附件), print, archive (资料库).
    upload_limits_mb: dict[str, int]


@dataclass(frozen=True)
class SecuritySettings:
    login_max_failures: int
    login_max_failures_per_address: int
    login_window_seconds: int
    session_hours: int
    # True: a 处室负责人 may approve (审核) their own draft; false: it goes to a colleague or the office head.
    allow_self_approval: bool


@dataclass(frozen=True)
class WorkerSettings:
    heartbeat_seconds: float
    stale_after_seconds: float


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    archive_dir: Path  # empty in the settings: <data dir>/archive
    secret_key: str
    demo_password: str
    organ_name: str
    organ_code: str
    web: WebSettings
    security: SecuritySettings
    worker: WorkerSettings
    directory: DirectorySettings
    indexer: IndexerSettings
    printing: PrintingSettings
    supervision: SupervisionSettings
    reporting: ReportingSettings
    inspection: InspectionSettings
    assessment: AssessmentSettings

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def files_dir(self) -> Path:
        """Where document versions (正文, attachments) are stored by content hash."""
        return self.data_dir / "files"

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some top-level fields changed (tests and CLI overrides)."""
        return dataclasses.replace(self, **changes)


def load_settings(
    env: Mapping[str, str] | None = None, config_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Load, validate and return the settings; create the data dir and secret key if missing."""
    env = dict(os.environ if env is None else env)
    sources: dict[str, str] = {"": str(DEFAULTS_FILE)}
    data = _read_toml(DEFAULTS_FILE)
    record_sources(data, str(DEFAULTS_FILE), sources)

    file_name = config_file or env.get("EOFFICE_CONFIG")
    if file_name:
        path = Path(file_name)
        if not path.is_file():
            raise SettingsError(f"EOFFICE_CONFIG names '{path}', which is not a readable file")
        overlay = _read_toml(path)
        record_sources(overlay, str(path), sources)
        data = merge(data, overlay)

    data = merge(data, _from_environment(env, sources))
    settings: Settings = build(Settings, data, sources)
    return _resolve(settings)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None


def _from_environment(env: Mapping[str, str], sources: dict[str, str]) -> dict[str, Any]:
    hints = get_type_hints(Settings)
    sections = {name for name, tp in hints.items() if dataclasses.is_dataclass(tp)}
    scalars = set(hints) - sections
    out: dict[str, Any] = {}
    for var, value in env.items():
        if not var.startswith("EOFFICE_") or var == "EOFFICE_CONFIG":
            continue
        name = var.removeprefix("EOFFICE_").lower()
        where = f"environment variable {var}"
        if name in scalars:
            out[name] = value
            sources[name] = where
            continue
        section = next((s for s in sections if name.startswith(s + "_")), None)
        if section is None:
            raise SettingsError(f"unknown setting '{var}' (environment)")
        key = name.removeprefix(section + "_")
        out.setdefault(section, {})[key] = value
        sources[f"{section}.{key}"] = where
    return out



def _resolve(settings: Settings) -> Settings:
    data_dir = settings.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = settings.database_url or f"sqlite:///{data_dir / 'eoffice.db'}"
    # An empty setting reads as Path("") == Path("."): the archive then lives in the data dir.
    unset = settings.archive_dir is None or settings.archive_dir == Path("")
    archive_dir = data_dir / "archive" if unset else settings.archive_dir.expanduser()
    secret_key = settings.secret_key or _persisted_secret(data_dir)
    return dataclasses.replace(
        settings,
        data_dir=data_dir,
        database_url=database_url,
        archive_dir=archive_dir.resolve(),
        secret_key=secret_key,
    )


def _persisted_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


__all__ = [
    "Settings",
    "SettingsError",
    "WebSettings",
    "convert",
    "load_settings",
]
