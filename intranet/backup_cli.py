"""`eoffice backup DEST`, `eoffice restore SRC` and `eoffice verify-backup SRC`, with progress bars."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click

from core import backup as backups
from intranet.cli_support import Context, pass_ctx


class ProgressBar:
    """click progress bars behind core.backup's Progress protocol (one bar per phase)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._stack = contextlib.ExitStack()
        self._bar: Any = None

    def phase(self, label: str, total: int) -> None:
        self.close()
        if self.enabled and total > 0:
            self._bar = self._stack.enter_context(
                click.progressbar(length=total, label=label.ljust(16), file=click.get_text_stream("stderr"),
                                  show_eta=True, show_percent=True)
            )
        elif self.enabled:
            click.echo(f"{label} ...", err=True)

    @property
    def active(self) -> bool:
        return self._bar is not None

    def advance(self, amount: int) -> None:
        if self._bar is not None:
            self._bar.update(amount)

    def close(self) -> None:
        self._stack.close()
        self._bar = None


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--with-secrets", is_flag=True,
              help="Also keep the secret key, demo credentials and passwords in settings (store the backup safely).")
@click.option("--quiet", is_flag=True, help="No progress bar (cron).")
@pass_ctx
def backup_command(ctx: Context, dest: Path, with_secrets: bool, quiet: bool) -> None:
    """Write a consistent, dated backup under DEST while the system runs."""
    bar = ProgressBar(not quiet)
    try:
        result = backups.backup(ctx.settings, ctx.db, dest, include_secrets=with_secrets, progress=bar)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    click.echo(f"备份完成 / backup written: {result.path}")
    click.echo(f"  database: {result.database_file}; files: {result.files} ({result.bytes / 1e6:.1f} MB); "
               f"secrets {'included' if result.secrets_included else 'left out'}")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-index", is_flag=True, help="Do not rebuild the search index now (run `eoffice index rebuild`).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_ctx
def restore_command(ctx: Context, src: Path, no_index: bool, quiet: bool) -> None:
    """Verify backup SRC, restore it into this (empty) data dir and database, rebuild the search index."""
    bar = ProgressBar(not quiet)
    try:
        result = backups.restore(src, ctx.settings, ctx.db, progress=bar)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    click.echo(f"恢复完成 / restored {result.files} files ({result.bytes / 1e6:.1f} MB), "
               f"database at revision {result.revision}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}", err=True)
    if result.needs_upgrade:
        click.echo("  this code is newer than the backup: run `eoffice db upgrade`, then `eoffice index rebuild`")
    elif no_index:
        click.echo("  search index not rebuilt: run `eoffice index rebuild` before starting the worker")
    else:
        _rebuild_index(ctx, quiet)


def _rebuild_index(ctx: Context, quiet: bool) -> None:
    # The index is not in the backup (it is rebuilt from the archive folder and the stored texts).
    from library import engine, service

    bar = ProgressBar(not quiet)
    bar.phase("重建索引 index", 0)
    last = [0]

    def progress(done: int, total: int) -> None:
        if not bar.active and total:
            bar.phase("重建索引 index", total)
        bar.advance(done - last[0])
        last[0] = done

    try:
        result = service.rebuild(ctx.settings, ctx.db, progress=progress)
    except engine.IndexLocked as exc:
        raise click.ClickException(f"{exc} — stop the worker, then run `eoffice index rebuild`") from None
    finally:
        bar.close()
    click.echo(f"  search index rebuilt: {result['files']} files in {result['seconds']} s")


@click.command("verify-backup")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="No progress bar.")
def verify_command(src: Path, quiet: bool) -> None:
    """Check every file of backup SRC against its manifest (SHA-256), without restoring."""
    bar = ProgressBar(not quiet)
    try:
        manifest = backups.verify(src, progress=bar)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.close()
    click.echo(f"备份完好 / backup OK: {manifest['totals']['files']} files, {manifest['database']['dialect']} "
               f"database, made {manifest['created_at']} on {manifest['host']}")


COMMANDS = [backup_command, restore_command, verify_command]
