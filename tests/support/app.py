"""The application under test, as a pytest plugin (loaded by `pytest_plugins` in tests/conftest.py):
fixtures `settings`, `db`, `app`, `client`, `runner`, `auth` in the flaskr style, the two database
passes, and the helpers tests import (`make_settings`, `settings_env`, `DEMO_PASSWORD`, `AuthActions`,
`csrf_from`, `on_postgresql`).

Shared fixtures in the flaskr style: settings, db, app, client, runner, auth.

The demo bureau is migrated and seeded once per test session into a template database; each test
gets its own copy in a fresh data dir, so tests are isolated and fast.

Two database modes, chosen by TEST_EOFFICE_DATABASE:
- `sqlite` (default): the template is a SQLite file, copied for each test.
- `postgresql`: a throwaway PostgreSQL cluster is started for the session (initdb + pg_ctl from
  Debian's packages, or the server named by TEST_EOFFICE_POSTGRES_URL), the template is a database
  there, and each test gets `CREATE DATABASE ... TEMPLATE` of it, dropped afterwards. Only tests that
  touch the database (they use the `settings` fixture) run in this pass; e2e tests and tests marked
  `sqlite_only` are left out. `make test` runs the suite in both modes.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import demo
from config import Settings, load_settings
from core import migrate
from core.db import Database, connect
from intranet import create_app

DEMO_PASSWORD = "demo-Passw0rd"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TEMPLATE_DB = "eoffice_template"




def database_kind() -> str:
    """Return the database the suite runs against: "sqlite" or "postgresql" (TEST_EOFFICE_DATABASE)."""
    value = os.environ.get("TEST_EOFFICE_DATABASE", "sqlite").strip().lower() or "sqlite"
    if value in ("postgres", "pg"):
        value = "postgresql"
    if value not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"TEST_EOFFICE_DATABASE must be sqlite or postgresql, not {value!r}")
    return value


def on_postgresql() -> bool:
    """True in the PostgreSQL pass."""
    return database_kind() == "postgresql"


def make_settings(data_dir: Path, **env: str) -> Settings:
    """Settings for a test: only the given EOFFICE_* variables, nothing from the real environment."""
    base = {"EOFFICE_DATA_DIR": str(data_dir), "EOFFICE_DEMO_PASSWORD": DEMO_PASSWORD}
    return load_settings(env={**base, **env})


def settings_env(settings: Settings) -> dict[str, str]:
    """EOFFICE_* variables that make a subprocess (`eoffice worker`, ...) use the same data dir and database."""
    return {
        "EOFFICE_DATA_DIR": str(settings.data_dir),
        "EOFFICE_DATABASE_URL": settings.database_url,
        "EOFFICE_DEMO_PASSWORD": DEMO_PASSWORD,
        "EOFFICE_SECRET_KEY": settings.secret_key,
    }


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: tied to SQLite; left out of the PostgreSQL pass")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgresql():
        return
    selected, deselected = [], []
    for item in items:
        uses_db = "settings" in getattr(item, "fixturenames", ())
        left_out = item.get_closest_marker("e2e") or item.get_closest_marker("sqlite_only")
        (selected if uses_db and not left_out else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config: pytest.Config) -> str:
    return f"eoffice test database: {database_kind()}"


# ---- PostgreSQL -----------------------------------------------------------------------------------


class PostgresCluster:
    """A PostgreSQL server the tests may create and drop databases on."""

    def __init__(self, admin_url: str, stop: Any = None) -> None:
        from sqlalchemy.engine import make_url

        self.admin_url = make_url(admin_url)
        self._stop = stop
        self._names = itertools.count(1)

    def url(self, dbname: str) -> str:
        """Return the SQLAlchemy URL of database `dbname` on this server."""
        return self.admin_url.set(database=dbname).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) on the admin database."""
        import psycopg

        url = self.admin_url
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password,
            dbname=url.database or "postgres", autocommit=True,
        ) as conn:
            conn.execute(sql)

    def create_database(self, template: str | None = None) -> str:
        """Create a fresh database (a copy of `template` when given) and return its name."""
        name = f"eoffice_t{os.getpid()}_{next(self._names)}"
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self.execute(f"CREATE DATABASE {name}{copy}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing anything still connected to it."""
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for the session: TEST_EOFFICE_POSTGRES_URL (admin URL), else a throwaway cluster."""
    given = os.environ.get("TEST_EOFFICE_POSTGRES_URL")
    if given:
        cluster = PostgresCluster(given)
    else:
        from tests.production import pgserver

        server = pgserver.start()
        cluster = PostgresCluster(server.url("postgres"), stop=server.stop)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database with the demo bureau, built once; returns its name."""
    postgres_server.drop_database(TEMPLATE_DB)
    postgres_server.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    data_dir = tmp_path_factory.mktemp("pg-template")
    _seed(make_settings(data_dir, EOFFICE_DATABASE_URL=postgres_server.url(TEMPLATE_DB)))
    yield TEMPLATE_DB
    postgres_server.drop_database(TEMPLATE_DB)


# ---- the shared fixtures ---------------------------------------------------------------------------


def _seed(settings: Settings) -> None:
    db = connect(settings.database_url)
    try:
        migrate.upgrade(db)
        with db.session() as session:
            demo.seed(session, data_dir=settings.data_dir, archive_dir=settings.archive_dir, password=DEMO_PASSWORD)
    finally:
        db.engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file with the demo bureau, built once."""
    data_dir = tmp_path_factory.mktemp("template")
    _seed(make_settings(data_dir))
    return data_dir / "eoffice.db"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings of a fresh data dir whose database is a copy of the seeded template (SQLite or PostgreSQL)."""
    if not on_postgresql():
        seeded_template: Path = request.getfixturevalue("seeded_template")
        shutil.copyfile(seeded_template, data_dir / "eoffice.db")
        yield make_settings(data_dir)
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres_server")
    name = cluster.create_database(template=request.getfixturevalue("postgres_template"))
    try:
        yield make_settings(data_dir, EOFFICE_DATABASE_URL=cluster.url(name))
    finally:
        cluster.drop_database(name)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = connect(settings.database_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Flask:
    flask_app = create_app(settings, db=db)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "clerk", password: str = DEMO_PASSWORD, **kw: object):
        token = csrf_from(self._client.get("/login").get_data(as_text=True))
        return self._client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, **kw
        )

    def logout(self):
        token = csrf_from(self._client.get("/").get_data(as_text=True))
        return self._client.post("/logout", data={"csrf_token": token})

    def csrf(self, path: str = "/") -> str:
        """A valid CSRF token for the current session, read from a page."""
        return csrf_from(self._client.get(path).get_data(as_text=True))


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
