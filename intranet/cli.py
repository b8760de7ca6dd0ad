"""The `eoffice` command: run the demo, the web, the worker; migrate; seed."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from typing import Any

import click

import demo
from config import SettingsError
from core import migrate, org
from intranet import backup_cli, logs
from intranet.cli_support import Context, pass_ctx
from intranet.directory.cli import directory_group
from intranet.library.cli import index_group, search_command
from intranet.printing.cli import print_group, printers_command
from intranet.supervision.cli import supervision_group

log = logging.getLogger("eoffice")




@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """eoffice: the bureau's document intranet."""
    logs.setup()
    ctx.call_on_close(ctx.ensure_object(Context).close)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default from settings: 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default from settings: 8000).")
@pass_ctx
def run(ctx: Context, host: str | None, port: int | None) -> None:
    """Migrate, seed the demo bureau when empty, and serve web + worker in one process."""
    settings = ctx.settings
    migrate.upgrade(ctx.db)
    _seed_if_empty(ctx)
    from intranet.worker import Worker, WorkerAlreadyRunning, default_jobs

    jobs, services = default_jobs(settings, ctx.db)
    worker = Worker(settings, ctx.db, jobs, services)
    try:
        worker.start()
    except WorkerAlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    try:
        _serve(ctx, host, port)
    finally:
        worker.stop()


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default from settings: web.host).")
@click.option("--port", default=None, type=int, help="Port (default from settings: web.port).")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes (default: web.workers).")
@pass_ctx
def web(ctx: Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web half under gunicorn (production: the worker runs as its own service)."""
    from intranet.app import create_app
    from intranet.server import behind_proxies, gunicorn_options, serve_gunicorn

    settings = ctx.settings
    current, head = migrate.current_revision(ctx.db), migrate.head_revision()
    ctx.db.engine.dispose()  # no connection may cross the fork into the gunicorn workers
    if current != head:
        raise click.ClickException(
            f"数据库结构不是最新（{current}，程序需要 {head}） / the database schema is at {current}, "
            f"this code needs {head}: run `eoffice db upgrade` first"
        )
    host = host or settings.web.host
    port = port if port is not None else settings.web.port
    options = gunicorn_options(settings, host, port, workers or settings.web.workers)
    log.info("web starting bind=%s:%s workers=%s threads=%s proxies=%s", host, port, options["workers"],
             settings.web.threads, settings.web.proxies)
    serve_gunicorn(lambda: behind_proxies(create_app(settings), settings.web.proxies), options)


@cli.command()
@pass_ctx
def worker(ctx: Context) -> None:
    """Run the worker half only: index writer, print dispatcher, timed jobs."""
    from intranet.worker import Worker, WorkerAlreadyRunning, default_jobs

    jobs, services = default_jobs(ctx.settings, ctx.db)
    w = Worker(ctx.settings, ctx.db, jobs, services)
    try:
        w.start()
    except WorkerAlreadyRunning as exc:
        raise click.ClickException(str(exc)) from None
    _on_term(lambda: threading.Thread(target=w.stop, daemon=True).start())
    click.echo(f"eoffice worker running (data dir {ctx.settings.data_dir}); Ctrl+C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        w.wait()
    w.stop()  # waits for a stop already under way (SIGTERM, a lost lock)
    if w.lost_lock:
        raise click.ClickException(
            "另一个 eoffice worker 在数据库连接中断期间接管了工作，本 worker 已停止。"
            " Another eoffice worker took over while the database connection was down; this one stopped."
        )


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply all migrations."""
    migrate.upgrade(ctx.db)
    click.echo(f"database at revision {migrate.current_revision(ctx.db)}")


@db.command("current")
@pass_ctx
def db_current(ctx: Context) -> None:
    """Print the schema revision."""
    click.echo(f"{migrate.current_revision(ctx.db)} (code head: {migrate.head_revision()})")


@cli.group()
def demo_group() -> None:
    """The demo bureau."""


demo_group.name = "demo"


@demo_group.command("seed")
@click.option("--with-history", is_flag=True,
              help="Also route half a year of 签报 so the 督办 charts show figures (make run does this).")
@pass_ctx
def demo_seed(ctx: Context, with_history: bool) -> None:
    """Create the demo bureau (departments, accounts, archive files) in an empty database."""
    migrate.upgrade(ctx.db)
    if not _seed_if_empty(ctx):
        click.echo("database already has users; nothing seeded")
        return
    if with_history:
        from supervision import demo as supervision_demo

        with ctx.db.session(write_lock=True) as session:
            made = supervision_demo.seed_history(session, ctx.settings)
            outgoing = supervision_demo.seed_outgoing(session, ctx.settings)
        click.echo(f"  督办演示历史：{made} 份签报分布在过去半年 / {made} requests routed over the past months")
        if outgoing:
            click.echo(f"  发文演示：已编号的发文 /documents/{outgoing}（套红文件由 worker 生成）"
                       f" / a numbered 发文, its formal version made by the worker")


@cli.group()
def user() -> None:
    """Local accounts (the break-glass admin works when the directory is down)."""


@user.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name, e.g. 系统管理员.")
@click.option("--department", default=None, help="Department code, e.g. BGS (created with --department-name).")
@click.option("--department-name", default=None, help="Create the department with this name when missing.")
@click.option("--role", "roles", multiple=True, default=("admin",), show_default=True,
              help="Role code, repeatable: staff dept_head clerk leader archivist print_operator admin.")
@click.password_option()
@pass_ctx
def user_create(ctx: Context, username: str, display_name: str, department: str | None,
                department_name: str | None, roles: tuple[str, ...], password: str) -> None:
    """Create a local account (the first administrator of a production install, or a break-glass one)."""
    migrate.upgrade(ctx.db)
    with ctx.db.session(write_lock=True) as session:
        try:
            org.ensure_roles(session)
            if department and department_name and org.department_by_code(session, department) is None:
                org.save_department(session, department, department_name)
            account = org.create_user(session, username, display_name, department_code=department,
                                      roles=list(roles), password=password)
        except org.OrgError as exc:
            raise click.ClickException(str(exc)) from None
        name = account.username
    click.echo(f"local account {name} created with roles {', '.join(roles)}")


@user.command("set-password")
@click.argument("username")
@click.password_option()
@pass_ctx
def user_set_password(ctx: Context, username: str, password: str) -> None:
    """Set the local password of USERNAME."""
    with ctx.db.session() as session:
        account = org.user_by_username(session, username)
        if account is None:
            raise click.ClickException(f"no user {username}")
        try:
            org.set_password(account, password)
        except org.OrgError as exc:
            raise click.ClickException(str(exc)) from None
        account.source = "local"
    click.echo(f"password of {username} set")


def _seed_if_empty(ctx: Context) -> bool:
    with ctx.db.session() as session:
        if not demo.is_empty(session):
            return False
        result = demo.seed(
            session, data_dir=ctx.settings.data_dir, archive_dir=ctx.settings.archive_dir,
            password=ctx.settings.demo_password,
        )
    from assessment import demo as assessment_demo
    from inspection import demo as inspection_demo
    from notices import demo as notices_demo
    from reporting import demo as reporting_demo

    # The bureau's other offices, each in its own transaction: 通知公告, 督查督办, 信息报送, 目标考核.
    for office in (notices_demo, inspection_demo, reporting_demo, assessment_demo):
        with ctx.db.session(write_lock=True) as session:
            office.seed(session, ctx.settings)
    click.echo("已创建演示单位 示范市林业局 / demo bureau created")
    click.echo(f"  accounts: {', '.join(result.accounts)}")
    if result.generated:
        click.echo(f"  password (shown once, also in {result.credentials_file}): {result.password}")
    return True


def _serve(ctx: Context, host: str | None, port: int | None) -> None:
    from intranet.app import create_app
    from intranet.server import make_server

    settings = ctx.settings
    app = create_app(settings, db=ctx.db)
    host = host or settings.web.host
    port = port if port is not None else settings.web.port
    try:
        server = make_server(app, host, port, settings.web.threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    _on_term(server.close)
    click.echo(f"eoffice serving on http://{host}:{port}/ (Ctrl+C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        server.run()


def _on_term(action: Any) -> None:
    def handler(_signum: int, _frame: Any) -> None:
        action()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def main() -> None:
    """Entry point: turn configuration errors into a clear message and exit code 2."""
    try:
        cli.main(standalone_mode=False)
    except SettingsError as exc:
        click.echo(f"配置错误 / configuration error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise


# Feature command groups: one line each.
cli.add_command(demo_group)
for _command in backup_cli.COMMANDS:  # backup, restore, verify-backup
    cli.add_command(_command)
cli.add_command(directory_group)
cli.add_command(print_group)
cli.add_command(printers_command)
cli.add_command(index_group)
cli.add_command(search_command)
cli.add_command(supervision_group)
