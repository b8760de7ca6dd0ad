"""What every `eoffice` subcommand shares: lazily loaded settings and database."""

from __future__ import annotations

import click

from config import Settings, load_settings
from core.db import Database, connect
from library.text import set_variant_folding


class Context:
    """Lazily loaded settings and database shared by subcommands."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            set_variant_folding(self._settings.indexer.fold_variants)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = connect(self.settings.database_url)
        return self._db

    def close(self) -> None:
        """Close the database connections the command opened."""
        if self._db is not None:
            self._db.engine.dispose()
            self._db = None


pass_ctx = click.make_pass_decorator(Context, ensure=True)
