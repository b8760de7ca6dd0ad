"""`eoffice directory test|sync|adopt`: check the settings step by step; run a full sync; confirm an identity."""

from __future__ import annotations

import click

from core import migrate
from core.permissions import ROLE_NAMES
from directory import client, presets
from directory import sync as directory_sync
from directory.errors import DirectoryConfigError, DirectoryError
from directory.mapping import roles_for
from intranet.cli_support import Context, pass_ctx


@click.group("directory")
def directory_group() -> None:
    """Directory (OpenLDAP / Active Directory) login."""


def _config(ctx: Context) -> presets.DirectoryConfig:
    settings = ctx.settings.directory
    if not settings.enabled:
        click.echo("注意：目录登录未启用（[directory] enabled = false），以下仍按配置检查。"
                   " / directory login is disabled")
    try:
        return presets.resolve(settings)
    except DirectoryConfigError as exc:
        raise click.ClickException(f"目录配置有误 / directory settings: {exc}") from None


@directory_group.command("test")
@click.option("--user", "username", default=None, help="Also find this login name and show its groups and roles.")
@pass_ctx
def directory_test(ctx: Context, username: str | None) -> None:
    """Check servers, TLS, the service account, a user and the roles they would get."""
    config = _config(ctx)
    failed = False
    for step in client.check(config, username):
        mark = "✓" if step.ok else "✗"
        click.echo(f"{mark} {step.title}" + (f"\n    {step.detail}" if step.detail else ""))
        failed = failed or not step.ok
        person = step.data.get("person")
        if step.title == "所属组" and isinstance(person, client.DirectoryPerson):
            names = {code.value: name for code, name in ROLE_NAMES.items()}
            roles = sorted(roles_for(config, person))
            click.echo("✓ 将获得的角色\n    " + ("，".join(f"{names.get(r, r)}（{r}）" for r in roles) or "（无）"))
            depts = ", ".join(person.departments + person.ous) or "（无）"
            click.echo(f"✓ 部门线索（部门属性与 OU）\n    {depts}")
    if failed:
        raise click.ClickException("目录配置检查未通过，请按上面的提示修改配置。 / directory check failed")
    click.echo("目录配置检查通过。 / directory check passed")


@directory_group.command("sync")
@click.option("--force", is_flag=True, help="Deactivate vanished users even above max_deactivate_fraction.")
@pass_ctx
def directory_sync_command(ctx: Context, force: bool) -> None:
    """Sync every directory user (paged): create, update, deactivate those who vanished."""
    config = _config(ctx)
    migrate.upgrade(ctx.db)
    with click.progressbar(length=0, label="同步目录用户 / syncing", show_pos=True, show_eta=False) as bar:
        try:
            report = directory_sync.sync_all(ctx.db, config, trigger="cli", force=force, on_progress=bar.update)
        except DirectoryError as exc:
            raise click.ClickException(f"同步失败 / sync failed: {exc.message} ({exc.detail})") from None
    click.echo(
        f"读取 {report.seen}，新建 {report.created}，更新 {report.updated}，未变 {report.unchanged}，"
        f"停用 {report.deactivated}，恢复 {report.reactivated}，跳过 {report.skipped}，"
        f"新建部门 {report.departments_created}"
    )
    click.echo(
        f"seen {report.seen}, created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"deactivated {report.deactivated}, reactivated {report.reactivated}, skipped {report.skipped}"
    )
    for note in report.notes[:20]:
        click.echo(f"  - {note}")
    from documents.standing import reassign_lost

    with ctx.db.session(write_lock=True) as session:  # tasks of people deactivated or moved move on now
        moved = reassign_lost(session, ctx.settings)
    if moved:
        click.echo(f"改派待办 {len(moved)} 项 / reassigned {len(moved)} pending tasks")



@directory_group.command("adopt")
@click.argument("username")
@pass_ctx
def directory_adopt(ctx: Context, username: str) -> None:
    """Confirm that the directory entry now named USERNAME is the person of that eoffice account."""
    config = _config(ctx)
    with ctx.db.session(write_lock=True) as session:
        try:
            user = directory_sync.adopt(session, config, username)
        except ValueError:
            raise click.ClickException(f"没有名为 {username} 的目录账户 / no directory account {username}") from None
        except DirectoryError as exc:
            raise click.ClickException(f"目录查询失败 / lookup failed: {exc.message} ({exc.detail})") from None
        click.echo(f"已确认：{user.username} = {user.directory_dn}（{user.directory_id}） / confirmed")
