"""`eoffice index rebuild|status|verify` and `eoffice search QUERY`."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from core import org
from core.models.files import OUTCOMES
from intranet.cli_support import Context, pass_ctx
from library import engine, service
from library.access import Scope, scope_for
from library.search import matching_ids


@click.group("index")
def index_group() -> None:
    """The archive search index."""


@index_group.command("rebuild")
@pass_ctx
def index_rebuild(ctx: Context) -> None:
    """Reconcile the archive folder, then rebuild the index from the stored texts (resumable)."""
    from core import migrate

    migrate.upgrade(ctx.db)
    bar = click.progressbar(length=1, label="重建索引 / rebuilding", show_pos=True, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.length = max(total, done, 1)
        bar.update(done - bar.pos)

    try:
        with bar:
            result = service.rebuild(ctx.settings, ctx.db, progress=progress)
    except engine.IndexLocked as exc:
        raise click.ClickException(str(exc)) from None
    scan = result["scan"]
    click.echo(
        f"{'继续' if result['resumed'] else '完成'}重建：{result['files']} 个文件，处理 {result['tasks']} 项，"
        f"用时 {result['seconds']} 秒（新增 {scan['added']}，变更 {scan['changed']}，移动 {scan['moved']}，"
        f"删除 {scan['deleted']}）"
    )
    # Counts by outcome, so an operator sees at once what was read and what was left with a reason.
    for code, count in sorted(result["outcomes"].items(), key=lambda kv: -kv[1]):
        click.echo(f"  {OUTCOMES.get(code, code)} / {code}: {count}")


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def index_status(ctx: Context, as_json: bool) -> None:
    """Print queue length, counts by outcome, index size and the failed files."""
    with ctx.db.session() as session:
        st = service.status(session, ctx.settings)
        failed = [{"path": f.display_path, "outcome": f.outcome, "error": f.error} for f in st.failed]
    data = {"files": st.files, "queue": st.queue, "outcomes": st.outcomes, "index_docs": st.index_docs,
            "index_bytes": st.index_bytes, "segments": st.segments, "last_scan": st.last_scan,
            "last_rebuild": st.last_rebuild, "rebuilding": st.rebuilding, "failed": failed}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"文件 {st.files}  索引文档 {st.index_docs}  队列 {st.queue}  索引大小 {st.index_bytes / 1e6:.1f} MB"
               f"  段 {st.segments}")
    click.echo(f"上次扫描 {st.last_scan or '—'}  上次重建 {st.last_rebuild or '—'}"
               + ("  （重建未完成，请再次运行 eoffice index rebuild）" if st.rebuilding else ""))
    for outcome, count in sorted(st.outcomes.items()):
        click.echo(f"  {OUTCOMES.get(outcome, outcome)} ({outcome}): {count}")
    for f in failed:
        outcome = str(f["outcome"] or "")
        click.echo(f"  ! {f['path']}: {OUTCOMES.get(outcome, outcome)} {f['error'] or ''}")


@index_group.command("verify")
@pass_ctx
def index_verify(ctx: Context) -> None:
    """Compare the folder, the database and the index; print differences (exit code 1 when any)."""
    with ctx.db.session() as session:
        diff = service.verify(session, ctx.settings)
    sections: list[tuple[str, list[Any]]] = [
        ("在文件夹中、不在数据库中 (on disk only)", diff.only_on_disk),
        ("在数据库中、不在文件夹中 (database only)", diff.only_in_database),
        ("文件已改变、尚未处理 (changed on disk)", diff.changed_on_disk),
        ("不在索引中 (not in index)", diff.not_in_index),
        ("只在索引中 (index only, file ids)", diff.only_in_index),
        ("索引中的元数据过期 (stale metadata)", diff.stale_in_index),
        ("无法读取的文件夹，其中文件保留在检索中 (unreadable folders, their files kept)", diff.unreadable),
    ]
    for title, items in sections:
        if items:
            click.echo(f"{title}: {len(items)}")
            for item in items[:50]:
                click.echo(f"  {item}")
    if diff.queue:
        click.echo(f"队列中还有 {diff.queue} 项待处理 (tasks pending): differences may be in progress")
    if diff.clean:
        click.echo("一致：文件夹、数据库与索引相符 / folder, database and index agree")
    else:
        sys.exit(1)


@click.command("search")
@click.argument("query")
@click.option("--as", "username", default=None, help="Search as this user (permissions apply); default: everything.")
@click.option("--limit", default=20, show_default=True, help="Number of hits (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: path (relative to the archive), title, score.")
@pass_ctx
def search_command(ctx: Context, query: str, username: str | None, limit: int, as_json: bool) -> None:
    """Search the archive index for QUERY."""
    from sqlalchemy import select

    from core.models.files import ArchiveFile

    with ctx.db.session() as session:
        if username:
            user = org.user_by_username(session, username)
            if user is None:
                raise click.ClickException(f"没有用户 {username} / no such user")
            scope = scope_for(user, session)
        else:
            scope = Scope(True, True, None, 99)
        hits = matching_ids(ctx.settings, scope, query)
        if limit:
            hits = hits[:limit]
        rows = {f.id: f for f in session.scalars(select(ArchiveFile).where(
            ArchiveFile.id.in_([fid for fid, _ in hits]), scope.clause()))}
        out = [{"path": rows[fid].display_path, "title": rows[fid].title, "score": score}
               for fid, score in hits if fid in rows]
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for hit in out:
        click.echo(f"{hit['score']:8.3f}  {hit['path']}  {hit['title']}")
    click.echo(f"{len(out)} 条结果 / hits")
