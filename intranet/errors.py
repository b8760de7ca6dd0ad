"""Error pages that say what happened and what to do, in the user's language."""

from __future__ import annotations

import contextlib

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OverflowError, _number_out_of_range)
    app.register_error_handler(DataError, _number_out_of_range)
    app.register_error_handler(OperationalError, _database_busy)


def _number_out_of_range(exc: Exception) -> ResponseReturnValue:
    """A number in the request too large for the database (a page, a year, an id): a 400, not a 500."""
    _rollback()
    return _render(400, _("请求有误"), _("请求中的数字超出了允许的范围，请检查后重试。"))


def _database_busy(exc: OperationalError) -> ResponseReturnValue:
    """The database is locked by another write for too long, or unreachable: 503 with Retry-After."""
    _rollback()
    busy = "locked" in str(exc.orig).lower() or "lock timeout" in str(exc.orig).lower()
    if busy:
        response = _render(503, _("系统繁忙"), _("系统繁忙，请稍后重试。您的操作没有保存，请稍等几秒后再提交一次。"))
    else:
        response = _render(503, _("数据库暂时不可用"),
                           _("系统暂时无法连接数据库，请稍后重试；如持续出现，请联系系统管理员。"))
    body, code = response
    resp = make_response(body, code)
    resp.headers["Retry-After"] = "5"
    return resp


def _rollback() -> None:
    from intranet.context import db_session

    with contextlib.suppress(Exception):  # the session may be the broken part; the request ends anyway
        db_session().rollback()


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("请求有误"), _("提交的内容无法处理，请检查后重试。")),
        401: (_("需要登录"), _("请先登录。")),
        403: (_("无权访问"), _("您的账户没有访问此页面的权限。如需开通，请联系系统管理员。")),
        404: (_("页面不存在"), _("您访问的页面不存在或已被移除。")),
        405: (_("操作方式不正确"), _("请从页面上的按钮或链接进行操作。")),
        413: (_("文件过大"), _("上传的文件超过了系统允许的大小，请压缩或拆分后再上传。")),
        429: (_("尝试次数过多"), _("登录失败次数过多，请稍后再试。")),
    }


def _render(code: int, title: str, message: str) -> tuple[Response | str, int]:
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=message), code
    return render_template("error.html", code=code, title=title, message=message), code


def _csrf_error(exc: CSRFError) -> ResponseReturnValue:
    return _render(400, _("页面已过期"), _("表单的安全校验未通过（页面可能已过期）。请刷新页面后重新提交。"))


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    title, message = _messages().get(code, (exc.name, exc.description or ""))
    return _render(code, title, message)
