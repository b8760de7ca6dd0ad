"""`eoffice supervision ...`: send the overdue digest or the pending e-mail now, seed the demo's history."""

from __future__ import annotations

import click

from core.calendar import LOCAL_TZ
from core.models.base import utcnow
from intranet.cli_support import Context, pass_ctx
from notifications import mail
from supervision import demo, jobs


@click.group("supervision")
def supervision_group() -> None:
    """督办: digest, e-mail, demo history."""


@supervision_group.command("digest")
@click.option("--force", is_flag=True, help="Send even on a day off, before the digest hour, or a second time.")
@pass_ctx
def digest(ctx: Context, force: bool) -> None:
    """Send today's overdue digest now (the worker does this every working day)."""
    if force:
        with ctx.db.session(write_lock=True) as session:
            count = jobs.overdue_digest(session, ctx.settings)
    else:
        count = jobs.run_daily(ctx.settings, ctx.db)
    click.echo(f"overdue digest: {count} notifications ({utcnow().astimezone(LOCAL_TZ):%Y-%m-%d %H:%M})")


@supervision_group.command("mail")
@pass_ctx
def send_mail(ctx: Context) -> None:
    """Send the pending notification e-mails now."""
    if not ctx.settings.supervision.mail_enabled:
        raise click.ClickException("SMTP is not configured ([supervision] smtp_host is empty).")
    result = mail.send_pending(ctx.settings, ctx.db)
    click.echo(f"sent {result.sent}, failed {result.failed}" + (f" ({result.error})" if result.error else ""))


@supervision_group.command("demo-history")
@click.option("--count", default=48, show_default=True, help="How many 签报 to route.")
@pass_ctx
def demo_history(ctx: Context, count: int) -> None:
    """Route a half year of 签报 through the demo bureau so the 督办 charts have data."""
    try:
        with ctx.db.session(write_lock=True) as session:
            made = demo.seed_history(session, ctx.settings, count=count)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"routed {made} documents over the past months")
