"""The main navigation: one table of areas; an area appears when its page exists and the user may use it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l

from core.permissions import Permission


@dataclass(frozen=True)
class NavItem:
    label: object  # a lazy translated string
    endpoint: str
    permission: Permission


NAVIGATION: list[NavItem] = [
    NavItem(_l("首页"), "home.index", Permission.PORTAL),
    NavItem(_l("通知公告"), "notices.index", Permission.NOTICES),
    NavItem(_l("待办"), "documents.inbox", Permission.DOCUMENTS),
    NavItem(_l("收件"), "circulation.inbox", Permission.DOCUMENTS),  # 分发 and 传阅 received, read or not
    NavItem(_l("督办"), "supervision.index", Permission.SUPERVISION),  # 公文 deadlines (supervision)
    NavItem(_l("督查督办"), "inspection.index", Permission.INSPECTION),  # items registered on their own
    NavItem(_l("信息报送"), "reporting.index", Permission.REPORTING),
    NavItem(_l("目标考核"), "assessment.index", Permission.ASSESSMENT),
    NavItem(_l("档案检索"), "library.index", Permission.ARCHIVE_SEARCH),
    NavItem(_l("打印"), "printing.index", Permission.PRINT),
    NavItem(_l("文印室"), "printing.console", Permission.PRINT_OPERATE),
    NavItem(_l("管理"), "admin.index", Permission.ADMIN),
]


def visible_items() -> list[dict[str, object]]:
    """Return the navigation entries for this user: built areas as links, areas to come as disabled."""
    out: list[dict[str, object]] = []
    for item in NAVIGATION:
        if item.permission not in g.get("permissions", frozenset()):
            continue
        built = item.endpoint in current_app.view_functions
        out.append(
            {
                "label": item.label,
                "url": url_for(item.endpoint) if built else None,
                "active": built and request.endpoint is not None
                and request.endpoint.split(".")[0] == item.endpoint.split(".")[0],
            }
        )
    return out


def init_app(app: Flask) -> None:
    app.jinja_env.globals["navigation"] = visible_items
