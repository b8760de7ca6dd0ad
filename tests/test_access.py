"""Deny-by-default: every route needs login unless declared public; each view declares its permission."""

from __future__ import annotations

import re

from flask import Blueprint

from core.db import connect
from intranet import create_app
from intranet.access import PUBLIC, required_permission

PUBLIC_ENDPOINTS = {"auth.login", "auth.language", "health.healthz", "static"}


def concrete_url(rule) -> str:
    """Fill every URL variable with a plausible value."""
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) in ("int", None) else "x", rule.rule)


def test_every_view_declares_a_permission(app):
    with app.test_request_context():
        undeclared = [r.endpoint for r in app.url_map.iter_rules() if required_permission(r.endpoint) is None]
    assert undeclared == []


def test_only_the_expected_views_are_public(app):
    with app.test_request_context():
        public = {r.endpoint for r in app.url_map.iter_rules() if required_permission(r.endpoint) == PUBLIC}
    assert {e for e in public if not e.endswith(".static")} <= PUBLIC_ENDPOINTS


def test_anonymous_requests_to_every_route_are_refused(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            resp = client.open(concrete_url(rule), method=method)
            checked += 1
            if method == "GET":
                assert resp.status_code in (302, 401), (rule.rule, resp.status_code)
                if resp.status_code == 302:
                    assert "/login" in resp.headers["Location"]
            else:
                # CSRF refuses before anything else; an anonymous POST never reaches a view.
                assert resp.status_code in (302, 400, 401), (rule.rule, method, resp.status_code)
    assert checked >= 5


def test_a_view_without_a_declaration_is_refused(settings, db, auth):
    app = create_app(settings, db=db)
    bp = Blueprint("forgotten", __name__)

    @bp.get("/forgotten")
    def forgotten():
        return "secret"

    app.register_blueprint(bp)
    client = app.test_client()
    from tests.support.app import AuthActions

    AuthActions(client).login("admin")
    resp = client.get("/forgotten")
    assert resp.status_code == 403
    assert "secret" not in resp.get_data(as_text=True)


def test_roles_decide_who_may_administer(client, auth):
    auth.login("clerk")
    resp = client.get("/admin/")
    assert resp.status_code == 403
    assert "无权访问" in resp.get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert client.get("/admin/").status_code == 200


def test_static_files_and_health_are_public(client):
    with client.get("/static/css/eoffice.css") as resp:  # close the file response
        assert resp.status_code == 200
    assert client.get("/healthz").status_code == 200


def test_healthz_reports_database_and_worker(client, auth, settings):
    auth.login("admin")  # the details are for admins (and monitors with the token)
    body = client.get("/healthz").get_json()
    assert body["database"]["ok"] is True
    assert body["database"]["dialect"] in ("sqlite", "postgresql")
    assert body["worker"]["ok"] is False  # no worker runs in this test


def test_healthz_answers_503_when_the_database_is_gone(settings, tmp_path):
    broken = connect(f"sqlite:///{tmp_path}/missing-dir/none.db")
    app = create_app(settings, db=broken)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"]["ok"] is False
