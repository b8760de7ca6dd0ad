"""Shared fixtures in the flaskr style: settings, db, app, client, runner, auth.

The demo bureau is migrated and seeded once per test session into a template SQLite file; each test
gets its own copy in a fresh data dir, so tests are isolated and fast.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from archive import demo, migrate
from archive.db import Database, connect
from config import Settings, load_settings
from intranet import create_app

DEMO_PASSWORD = "demo-Passw0rd"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_settings(data_dir: Path, **env: str) -> Settings:
    """Settings for a test: only the given EOFFICE_* variables, nothing from the real environment."""
    base = {"EOFFICE_DATA_DIR": str(data_dir), "EOFFICE_DEMO_PASSWORD": DEMO_PASSWORD}
    return load_settings(env={**base, **env})


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the demo bureau, built once."""
    data_dir = tmp_path_factory.mktemp("template")
    settings = make_settings(data_dir)
    db = connect(settings.database_url)
    migrate.upgrade(db)
    with db.session() as session:
        demo.seed(session, data_dir=data_dir, archive_dir=settings.archive_dir, password=DEMO_PASSWORD)
    db.engine.dispose()
    return data_dir / "eoffice.db"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path, seeded_template: Path) -> Settings:
    shutil.copyfile(seeded_template, data_dir / "eoffice.db")
    return make_settings(data_dir)


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
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, username: str = "clerk", password: str = DEMO_PASSWORD, **kw: object):  # type: ignore[no-untyped-def]
        token = csrf_from(self._client.get("/login").get_data(as_text=True))
        return self._client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, **kw
        )

    def logout(self):  # type: ignore[no-untyped-def]
        token = csrf_from(self._client.get("/").get_data(as_text=True))
        return self._client.post("/logout", data={"csrf_token": token})

    def csrf(self, path: str = "/") -> str:
        """A valid CSRF token for the current session, read from a page."""
        return csrf_from(self._client.get(path).get_data(as_text=True))


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)
