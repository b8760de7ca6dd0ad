"""A real slapd with a small bureau directory (Chinese names, nested groups, TLS), and settings for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from config import Settings
from core.db import Database
from intranet import create_app
from tests.directory.bureau import (  # noqa: F401  (re-exported for the tests)
    GROUPS,
    PASSWORDS,
    PEOPLE_LDIF,
    directory_section,
    dn,
    person,
    seed_bureau,
    to_toml,
)
from tests.directory.slapd import Slapd, TlsFiles, make_ca
from tests.support import free_port
from tests.support.app import make_settings


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA that did not sign the server's certificate."""
    return make_ca(tmp_path_factory.mktemp("other-ca"), "some other CA")


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory, ca: TlsFiles) -> Iterator[Slapd]:
    """The shared, read-only bureau directory (plain, StartTLS and LDAPS)."""
    server = seed_bureau(Slapd(tmp_path_factory.mktemp("slapd"), tls=ca))
    yield server
    server.stop()


@pytest.fixture
def private_slapd(tmp_path: Path, ca: TlsFiles) -> Iterator[Slapd]:
    """A bureau directory of this test's own (to change, freeze or stop it)."""
    server = seed_bureau(Slapd(tmp_path / "slapd", tls=ca))
    yield server
    server.stop()


@pytest.fixture
def dead_url() -> str:
    """An address where nothing listens (connection refused)."""
    return f"ldap://127.0.0.1:{free_port()}"


@pytest.fixture
def directory_settings(settings: Settings, data_dir: Path) -> Callable[..., Settings]:
    """Factory: settings for this test's seeded data dir with a [directory] section (and more env)."""

    def make(servers: list[str], env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        path = data_dir / "directory.toml"
        path.write_text(to_toml({"directory": directory_section(servers, **overrides)}), encoding="utf-8")
        # Keep the test's database (a PostgreSQL one in the PostgreSQL pass).
        return make_settings(data_dir, EOFFICE_CONFIG=str(path), EOFFICE_DATABASE_URL=settings.database_url,
                             **(env or {}))

    return make


@pytest.fixture
def make_app(db: Database) -> Callable[[Settings], Flask]:
    def make(settings: Settings) -> Flask:
        app = create_app(settings, db=db)
        app.config.update(TESTING=True)
        return app

    return make
