"""Languages: Simplified Chinese by default, English selectable per session or per user."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, g, session
from flask_babel import Babel
from markupsafe import Markup

from config import Settings
from core.models.base import BUREAU_ZONE

LANGUAGES = {"zh_CN": "中文", "en": "English"}
TRANSLATIONS = Path(__file__).with_name("translations")


def init_app(app: Flask, settings: Settings) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = settings.web.default_locale
    app.config["BABEL_DEFAULT_TIMEZONE"] = BUREAU_ZONE.key
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=lambda: select_locale(settings.web.default_locale))
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_locale"] = lambda: select_locale(settings.web.default_locale)
    app.jinja_env.filters["localtime"] = localtime


def localtime(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> Markup:
    """The one way a page shows a time: in the bureau's zone (Asia/Shanghai), as <time datetime="…+08:00">.

    `pattern` is a strftime pattern; None shows nothing. A naive datetime is taken as UTC (how the
    database stores every time).
    """
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(BUREAU_ZONE)
    return Markup('<time datetime="{}">{}</time>').format(local.isoformat(timespec="seconds"),
                                                          local.strftime(pattern))


def select_locale(default: str) -> str:
    """Return the session's choice, else the user's saved choice, else the bureau's default."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    user = g.get("user")
    if user is not None and user.locale in LANGUAGES:
        return user.locale
    return default
