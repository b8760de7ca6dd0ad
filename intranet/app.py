"""The app factory: reads like a table of contents of the intranet."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from config import Settings, load_settings
from core.db import Database, connect
from intranet import access, errors, feedback, i18n, navigation, security
from intranet.admin.views import bp as admin_bp
from intranet.assessment.views import bp as assessment_bp
from intranet.auth.views import bp as auth_bp
from intranet.circulation.views import bp as circulation_bp
from intranet.converters import BoundedIntConverter
from intranet.directory.views import bp as directory_bp
from intranet.documents.views import bp as documents_bp
from intranet.health import bp as health_bp
from intranet.home.views import bp as home_bp
from intranet.inspection.views import bp as inspection_bp
from intranet.library.views import bp as library_bp
from intranet.notices.views import bp as notices_bp
from intranet.notifications.views import bp as notifications_bp
from intranet.printing.views import bp as printing_bp
from intranet.reporting.views import bp as reporting_bp
from intranet.supervision.proxy_views import bp as proxy_bp
from intranet.supervision.views import bp as supervision_bp
from library.text import set_variant_folding

# Every feature blueprint, in navigation order. Add new features here.
BLUEPRINTS = [
    auth_bp,
    home_bp,
    notices_bp,
    documents_bp,
    circulation_bp,
    supervision_bp,
    reporting_bp,
    inspection_bp,
    assessment_bp,
    proxy_bp,
    notifications_bp,
    library_bp,
    admin_bp,
    directory_bp,
    printing_bp,
    health_bp,
]


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Flask:
    """Build the intranet app for `settings` (loaded from the environment when omitted)."""
    settings = settings or load_settings()
    set_variant_folding(settings.indexer.fold_variants)  # the index and the queries normalise alike
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="eoffice_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.security.session_hours),
        MAX_CONTENT_LENGTH=settings.web.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["eoffice.settings"] = settings
    app.extensions["eoffice.db"] = db or connect(settings.database_url)

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    i18n.init_app(app, settings)
    security.init_app(app)
    access.init_app(app)
    errors.init_app(app)
    feedback.init_app(app)
    navigation.init_app(app)
    app.jinja_env.globals["organ_name"] = lambda: settings.organ_name
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
