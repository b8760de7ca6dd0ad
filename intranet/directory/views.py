"""/admin/directory: configuration summary, last syncs, users by source; ask the worker for a sync."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core import audit, org
from core.permissions import Permission
from directory import presets
from directory import sync as directory_sync
from directory.errors import DirectoryConfigError
from intranet.access import requires
from intranet.context import current_user, db_session, settings

bp = Blueprint("directory", __name__, url_prefix="/admin/directory")


@bp.get("/")
@requires(Permission.ADMIN)
def status() -> ResponseReturnValue:
    dbs = db_session()
    cfg = settings().directory
    config_error = None
    config = None
    if cfg.enabled:
        try:
            config = presets.resolve(cfg)
        except DirectoryConfigError as exc:
            config_error = str(exc)
    failures = [e for e in audit.latest(dbs, limit=200, kinds=(audit.LOGIN_FAILURE,))
                if (e.detail or "").find("directory:") >= 0][:10]
    return render_template(
        "directory/status.html",
        settings=cfg,
        config=config,
        config_error=config_error,
        runs=directory_sync.latest_runs(dbs, 10),
        pending=directory_sync.pending_run(dbs),
        counts=directory_sync.user_counts(dbs),
        users=org.users(dbs),
        failures=failures,
        form=FlaskForm(),
    )


@bp.post("/sync")
@requires(Permission.ADMIN)
def request_sync() -> ResponseReturnValue:
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("表单已过期，请刷新页面后重试。"), "error")
        return redirect(url_for("directory.status"))
    if not settings().directory.enabled:
        flash(_("目录登录未启用：请先在配置文件的 [directory] 部分设置 enabled = true。"), "error")
        return redirect(url_for("directory.status"))
    dbs = db_session()
    run, created = directory_sync.request_sync(dbs, current_user())
    if created:
        audit.record(dbs, "admin.directory.sync", user=current_user(), detail=f"run {run.id}")
        dbs.commit()
        flash(_("已请求同步（第 %(id)d 次）。后台服务将在一分钟内开始同步，完成后本页显示结果。", id=run.id), "success")
    else:
        flash(_("已有一次同步在等待或进行中（第 %(id)d 次），请稍后刷新本页查看结果。", id=run.id), "info")
    return redirect(url_for("directory.status"))
