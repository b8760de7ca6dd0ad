"""Consistent, verifiable backups of a running installation, and restore into an empty one.

A backup is a dated directory:

    eoffice-backup-20250301-020000/
      manifest.json          what is in it: every file with size and SHA-256, the database dump's hash
      manifest.json.sha256   the manifest's own hash, so a damaged manifest is noticed too
      database.sqlite        SQLite: a copy made with SQLite's online backup API
      database.pgdump        PostgreSQL: `pg_dump -Fc`
      settings.toml          the settings in force, secrets blanked unless asked for
      files/archive/...      the shared archive folder (文件资料库)
      files/data/...         the data dir: stored document versions and anything else features keep there

The database is dumped first and the files copied after it: stored versions are immutable and named
by content, so every file the dump refers to is already on disk when it is copied. The search index,
logs and the print spool are left out: the worker rebuilds the index from the archive and the database.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from config import Settings
from core import migrate
from core.db import Database
from core.messages import msg
from core.models.base import BUREAU_ZONE, utcnow

FORMAT = "eoffice-backup/1"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
# Left out of the data dir: rebuildable (index), transient (spool, logs, lock) or taken another way (database).
DATA_EXCLUDED = {"index", "logs", "spool", "worker.lock", "tmp"}
SECRET_FILES = {"secret_key", "demo-credentials.txt"}
# Present in a data dir that settings were merely loaded for: it still counts as empty.
EMPTY_DATA_DIR_ALLOWED = {"secret_key", "logs", "demo-credentials.txt"}


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why and what to do."""


class Progress(Protocol):
    """Receives progress for a progress bar: one `phase()` per step, then `advance()` calls in bytes."""

    def phase(self, label: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Silent:
    def phase(self, label: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@dataclass(frozen=True)
class FileEntry:
    area: str
    path: str
    size: int
    sha256: str
    mtime: float


@dataclass
class BackupResult:
    path: Path
    files: int
    bytes: int
    database_file: str
    secrets_included: bool


@dataclass
class RestoreResult:
    files: int
    bytes: int
    revision: str | None
    needs_upgrade: bool
    warnings: list[str] = field(default_factory=list)


# ---- backup ---------------------------------------------------------------------------------------


def backup(settings: Settings, db: Database, dest: Path, *, include_secrets: bool = False,
           progress: Progress | None = None, now: datetime | None = None) -> BackupResult:
    """Write a dated backup directory under `dest` and return where it is."""
    progress = progress or _Silent()
    stamp = (now or datetime.now(BUREAU_ZONE)).strftime("%Y%m%d-%H%M%S")
    dest = dest.expanduser().resolve()
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / f"eoffice-backup-{stamp}"
    if final.exists():
        raise BackupError(f"备份目录已存在 / {final} already exists: wait a second and try again")
    work = dest / f".{final.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        revision = migrate.current_revision(db)
        progress.phase("数据库 database", 0)
        database = _dump_database(settings, db, work)
        areas = _areas(settings, exclude=[dest], include_secrets=include_secrets)
        plan = [(area, root, rel) for area, (root, excluded) in areas.items() for rel in _walk(root, excluded)]
        progress.phase("文件 files", sum(_size(root / rel) for _area, root, rel in plan))
        entries = []
        for area, root, rel in plan:
            entry = _copy_file(root / rel, work / "files" / area / rel, area, rel, progress)
            if entry is not None:  # a file deleted while we ran is simply not in this backup
                entries.append(entry)
        _write_settings(settings, work / "settings.toml", include_secrets)
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "host": socket.gethostname(),
            "eoffice_version": _version(),
            "organ_name": settings.organ_name,
            "database": {**database, "revision": revision},
            "secrets_included": include_secrets,
            "settings_file": "settings.toml",
            "areas": sorted(areas),
            "totals": {"files": len(entries), "bytes": sum(e.size for e in entries)},
            "files": [e.__dict__ for e in entries],
        }
        _write_manifest(work, manifest)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(final, len(entries), sum(e.size for e in entries), database["file"], include_secrets)


def _dump_database(settings: Settings, db: Database, work: Path) -> dict[str, Any]:
    if db.is_sqlite:
        source = _sqlite_path(settings.database_url)
        target = work / "database.sqlite"
        _sqlite_copy(source, target)
        name = target.name
    elif db.engine.dialect.name == "postgresql":
        target = work / "database.pgdump"
        _pg_tool("pg_dump", settings.database_url, ["--format=custom", "--no-owner", "--no-privileges",
                                                      f"--file={target}"])
        name = target.name
    else:
        raise BackupError(f"不支持的数据库 / unsupported database: {db.engine.dialect.name}")
    return {"dialect": db.engine.dialect.name, "file": name, "size": target.stat().st_size,
            "sha256": _sha256(target)}


def _areas(settings: Settings, *, exclude: list[Path], include_secrets: bool) -> dict[str, tuple[Path, set[Path]]]:
    data_dir = settings.data_dir.resolve()
    archive_dir = settings.archive_dir.resolve() if settings.archive_dir else None
    skipped = {data_dir / name for name in DATA_EXCLUDED} | {p.resolve() for p in exclude}
    if not include_secrets:
        skipped |= {data_dir / name for name in SECRET_FILES}
    if settings.database_url.startswith("sqlite"):
        db_file = _sqlite_path(settings.database_url).resolve()
        skipped |= {db_file, *(db_file.with_name(db_file.name + s) for s in ("-wal", "-shm", "-journal"))}
    areas: dict[str, tuple[Path, set[Path]]] = {}
    if archive_dir is not None:
        skipped.add(archive_dir)  # its own area, even when it lives inside the data dir
        areas["archive"] = (archive_dir, {p for p in skipped if p != archive_dir})
    areas["data"] = (data_dir, skipped)
    return areas


def _walk(root: Path, excluded: set[Path]) -> Iterator[str]:
    """Yield the relative POSIX paths of regular files under `root`, skipping `excluded` subtrees."""
    if not root.is_dir():
        return
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if here / d not in excluded and not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            if path in excluded or path.name.startswith(".~lock.") or not path.is_file() or path.is_symlink():
                continue
            yield path.relative_to(root).as_posix()


def _copy_file(source: Path, target: Path, area: str, rel: str, progress: Progress) -> FileEntry | None:
    """Copy one file, hashing exactly the bytes written; None when it vanished meanwhile."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with source.open("rb") as src, target.open("wb") as dst:
            stat = os.fstat(src.fileno())
            while chunk := src.read(CHUNK):
                dst.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                progress.advance(len(chunk))
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        return None
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return FileEntry(area, rel, size, digest.hexdigest(), stat.st_mtime)


def _write_settings(settings: Settings, path: Path, include_secrets: bool) -> None:
    header = ("# Settings in force when this backup was made" +
              ("" if include_secrets else "; secrets are blanked (backup made without --with-secrets)") + ".\n"
              "# For reference: restore does not apply it. Copy what you need into your EOFFICE_CONFIG file.\n")
    lines = _toml(_plain(settings), include_secrets)
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    if include_secrets:
        path.chmod(0o600)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _is_secret(key: str) -> bool:
    key = key.lower()
    return any(word in key for word in ("password", "secret", "token")) or key.endswith("_key")


def _toml(data: dict[str, Any], include_secrets: bool, prefix: str = "") -> list[str]:
    scalars, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append((key, value))
            continue
        if value is None:
            value = ""
        if not include_secrets and _is_secret(key) and value:
            value = ""
        elif not include_secrets and key == "database_url" and isinstance(value, str):
            with contextlib.suppress(Exception):
                value = make_url(value).render_as_string(hide_password=True)
        scalars.append(f"{_toml_key(key)} = {_toml_value(value)}")
    lines = list(scalars)
    for key, table in tables:
        name = f"{prefix}{_toml_key(key)}"
        lines += ["", f"[{name}]", *_toml(table, include_secrets, name + ".")]
    return lines


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "")
    return key if bare.isascii() and bare.isalnum() else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _write_manifest(work: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, ensure_ascii=False, indent=1)
    (work / MANIFEST).write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (work / (MANIFEST + ".sha256")).write_text(f"{digest}  {MANIFEST}\n", encoding="utf-8")


# ---- verify and restore ---------------------------------------------------------------------------


def read_manifest(src: Path) -> dict[str, Any]:
    """Read and check the manifest of backup `src` (its own SHA-256 included)."""
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} 不是 eoffice 备份（缺少 {MANIFEST}） / not an eoffice backup: no {MANIFEST}")
    raw = path.read_bytes()
    check = src / (MANIFEST + ".sha256")
    if not check.is_file() or check.read_text().split()[0] != hashlib.sha256(raw).hexdigest():
        raise BackupError(f"清单已损坏 / {path} is damaged (its SHA-256 does not match {check.name})")
    manifest: dict[str, Any] = json.loads(raw)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"未知的备份格式 / unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


def verify(src: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Check every file of backup `src` against the manifest; raise BackupError listing every problem."""
    progress = progress or _Silent()
    manifest = read_manifest(src)
    database = manifest["database"]
    progress.phase("校验 verify", database["size"] + manifest["totals"]["bytes"])
    problems = []
    checks = [(src / database["file"], database["size"], database["sha256"])]
    checks += [(src / "files" / f["area"] / f["path"], f["size"], f["sha256"]) for f in manifest["files"]]
    for path, size, sha in checks:
        if not path.is_file():
            problems.append(msg("缺少 missing: %(value)s", value=path.relative_to(src)))
        elif path.stat().st_size != size or _sha256(path, progress) != sha:
            problems.append(msg("内容不符 changed: %(value)s", value=path.relative_to(src)))
    if problems:
        shown = "\n  ".join(problems[:20]) + (f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise BackupError(f"备份校验失败，未做任何恢复 / backup verification failed, nothing restored:\n  {shown}")
    return manifest


def restore(src: Path, settings: Settings, db: Database, progress: Progress | None = None) -> RestoreResult:
    """Verify backup `src`, then restore it into the empty data dir and database of `settings`."""
    progress = progress or _Silent()
    src = src.expanduser().resolve()
    manifest = verify(src, progress)
    dialect = manifest["database"]["dialect"]
    if dialect != db.engine.dialect.name:
        raise BackupError(
            f"备份来自 {dialect}，目标是 {db.engine.dialect.name} / the backup holds a {dialect} database but "
            f"the target is {db.engine.dialect.name}: restore into the same kind of database"
        )
    _require_empty(settings, db)
    progress.phase("数据库 database", 0)
    db.engine.dispose()
    dump = src / manifest["database"]["file"]
    if dialect == "sqlite":
        target = _sqlite_path(settings.database_url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        _sqlite_copy(dump, target)
    else:
        _pg_tool("pg_restore", settings.database_url, ["--no-owner", "--no-privileges", "--exit-on-error",
                                                       "--single-transaction", str(dump)])
    db.engine.dispose()
    roots = {"archive": settings.archive_dir, "data": settings.data_dir}
    progress.phase("文件 files", manifest["totals"]["bytes"])
    restored = 0
    for entry in manifest["files"]:
        root = roots.get(entry["area"])
        if root is None:
            raise BackupError(f"unknown area {entry['area']!r} in the manifest")
        copied = _copy_file(src / "files" / entry["area"] / entry["path"], root / entry["path"],
                            entry["area"], entry["path"], progress)
        if copied is None or copied.sha256 != entry["sha256"]:
            raise BackupError(f"恢复时文件内容不符 / {entry['path']} changed while being restored")
        if entry["area"] == "data" and entry["path"] in SECRET_FILES:
            (root / entry["path"]).chmod(0o600)
        restored += copied.size
    revision = migrate.current_revision(db)
    warnings = []
    if revision != manifest["database"]["revision"]:
        warnings.append(f"database revision {revision} differs from the backup's {manifest['database']['revision']}")
    return RestoreResult(len(manifest["files"]), restored, revision, revision != migrate.head_revision(), warnings)


def _require_empty(settings: Settings, db: Database) -> None:
    tables = inspect(db.engine).get_table_names()
    db.engine.dispose()
    if tables:
        raise BackupError(
            f"目标数据库不是空的（{len(tables)} 张表） / the target database is not empty ({len(tables)} tables): "
            "restore only into a new, empty database"
        )
    db_files: set[str] = set()
    if settings.database_url.startswith("sqlite"):
        name = _sqlite_path(settings.database_url).name
        db_files = {name + s for s in ("", "-wal", "-shm", "-journal")}
    archive = settings.archive_dir.resolve() if settings.archive_dir else None
    others = sorted(
        p.name for p in settings.data_dir.iterdir()
        if p.name not in EMPTY_DATA_DIR_ALLOWED | db_files and p.resolve() != archive
    )
    if others:
        raise BackupError(
            f"目标数据目录不是空的 / the data dir {settings.data_dir} is not empty ({', '.join(others[:5])}): "
            "restore only into a new, empty data dir"
        )
    if archive is not None and archive.is_dir() and any(archive.iterdir()):
        raise BackupError(f"目标档案目录不是空的 / the archive folder {archive} is not empty")


# ---- tools ----------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a (possibly live) SQLite database with SQLite's online backup API, then check it."""
    if not source.is_file():
        raise BackupError(f"SQLite database {source} not found")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot, writers are not blocked in WAL mode
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        raise BackupError(f"SQLite integrity check failed on {target}: {result}")


def pg_tool_path(tool: str) -> str:
    """Return the path of a PostgreSQL client tool (pg_dump, pg_restore): PATH first, then Debian's dirs."""
    found = shutil.which(tool)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return candidates[-1]
    raise BackupError(f"找不到 {tool} / {tool} not found: apt-get install postgresql-client")


def _pg_tool(tool: str, database_url: str, args: list[str]) -> None:
    url = make_url(database_url)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` would show it
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([pg_tool_path(tool), f"--dbname={uri}", *args], env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} 失败 / {tool} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _sha256(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress.advance(len(chunk))
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _version() -> str:
    try:
        return metadata.version("eoffice")
    except metadata.PackageNotFoundError:
        return "unknown"
