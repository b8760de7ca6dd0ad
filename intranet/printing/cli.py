"""`eoffice print route FILE --as USER` (the decision, without printing) and `eoffice printers`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from core import org
from intranet.cli_support import Context, pass_ctx
from printing import service
from printing.backends import PrintServerUnavailable, make_backend


@click.group("print")
def print_group() -> None:
    """Printing: see where a document would print."""


@print_group.command("route")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="Login name of the person printing.")
@click.option("--media", default="auto", help="Paper: A4, A3, B4 ... (default: the document's own size).")
@click.option("--color", is_flag=True, help="Print in colour.")
@click.option("--quality", type=click.Choice(["normal", "high", "draft"]), default="normal")
@click.option("--copies", type=int, default=1, show_default=True)
@click.option("--pages", "page_ranges", default="", help="Page ranges, e.g. 1-3,5 (default: all).")
@click.option("--classification", type=click.IntRange(0, 4), default=1, show_default=True,
              help="密级: 0 公开, 1 内部, 2 秘密, 3 机密, 4 绝密.")
@click.option("--central", is_flag=True, help="Ask for the central print room.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@pass_ctx
def route_command(ctx: Context, file: Path, username: str, media: str, color: bool, quality: str, copies: int,
                  page_ranges: str, classification: int, central: bool, as_json: bool) -> None:
    """Show where FILE would print for USERNAME, and why, without printing it."""
    options = service.PrintOptions(media=media, color=color, quality=quality, copies=copies,  # type: ignore[arg-type]
                                   page_ranges=page_ranges, prefer_central=central, classification=classification)
    with ctx.db.session() as session:
        user = org.user_by_username(session, username)
        if user is None:
            raise click.ClickException(f"no user {username}")
        try:
            preview = service.preview_route(session, ctx.settings, user, file, options)
        except service.PrintError as exc:
            raise click.ClickException(str(exc)) from None
    d = preview.decision
    if as_json:
        out = {**d.as_dict(), "pages": preview.pages, "document_pages": preview.document_pages,
               "copies": copies, "media": preview.media}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    tier = "文印室 central print room" if d.tier == "central" else "部门打印机 department printer"
    click.echo(f"{file.name}: {preview.pages} page(s) x {copies}, {preview.media} -> {tier} {d.queue}"
               + (" (held for the operator)" if d.held else ""))
    for reason in d.reasons:
        click.echo(f"  - {reason.text}")
    click.echo("  options: " + " ".join(f"{k}={v}" for k, v in d.options.items()))


@click.command("printers")
@click.option("--json", "as_json", is_flag=True, help="Print the states as JSON.")
@pass_ctx
def printers_command(ctx: Context, as_json: bool) -> None:
    """List the print queues with their live state (CUPS, or the demo spool folder)."""
    settings = ctx.settings
    queues = service.policy(settings).all_queues()
    backend = make_backend(settings, queues)
    try:
        states = backend.printers(timeout=settings.printing.live_timeout_seconds)
    except PrintServerUnavailable as exc:
        raise click.ClickException(f"打印服务器无响应 / print server unavailable: {exc}") from None
    names = [q for q in queues if q in states] + sorted(q for q in states if q not in queues)
    missing = [q for q in queues if q not in states]
    rows = []
    for q in names:
        st = states[q]
        state = {3: "idle", 4: "processing", 5: "stopped"}.get(st.state, str(st.state))
        rows.append({"queue": q, "state": state, "accepting": st.accepting, "message": st.message,
                     "reasons": list(st.reasons)})
    rows += [{"queue": q, "state": "missing", "accepting": False, "message": "not on the server", "reasons": []}
             for q in missing]
    if as_json:
        click.echo(json.dumps({"backend": backend.name, "printers": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"backend: {backend.name} {settings.printing.cups_server or settings.spool_dir}")
    for r in rows:
        accepting = "accepting" if r["accepting"] else "rejecting"
        click.echo(f"  {r['queue']:<16} {r['state']:<10} {accepting:<9} {r['message']}")
