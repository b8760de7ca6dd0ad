"""Daily use (issue 12 §3): no raw audit codes on the admin page, one time filter in the bureau's zone,
上次登录 is the previous sign-in."""

from __future__ import annotations

import re
from pathlib import Path

from core import audit

TEMPLATES = Path(__file__).resolve().parent.parent / "intranet" / "templates"


def test_admin_page_names_audit_kinds_in_words(client, auth):
    auth.login("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "登录成功" in page and ">login.success<" not in page


def test_every_audit_kind_written_by_the_code_has_a_name():
    root = Path(__file__).resolve().parent.parent
    written = set()
    packages = ("core", "notifications", "circulation", "documents", "supervision", "demo", "directory", "notices",
                "reporting", "inspection", "assessment", "library", "printing", "intranet")
    for path in [p for package in packages for p in root.glob(f"{package}/**/*.py")]:
        written |= set(re.findall(r'audit\.record\([^,]+,\s*"([a-z._]+)"', path.read_text(encoding="utf-8")))
        written |= set(re.findall(r'audit\.record\(\s*\w+,\s*"([a-z._]+)"', path.read_text(encoding="utf-8")))
    assert written and written <= set(audit.KIND_NAMES), written - set(audit.KIND_NAMES)


def test_times_go_through_the_one_filter():
    offenders = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                 if re.search(r"\|\s*(datetimeformat|doc_time)\b|_at\.strftime", p.read_text(encoding="utf-8"))]
    assert not offenders


def test_times_are_rendered_in_the_bureau_zone_with_a_machine_readable_form(client, auth):
    auth.login("lz_staff")
    auth.logout()
    auth.login("lz_staff")  # a second sign-in: the home page names the first one
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'id="previous-login"><time datetime="([^"]+)">([^<]+)</time>', page)
    assert match and match.group(1).endswith("+08:00")
    assert match.group(2) == match.group(1)[:16].replace("T", " ")


def app_context(client):
    return client.application.test_request_context("/")


def test_pages_name_things_not_codes(client, auth, db, settings):
    """A department head's charts are titled by their 处室; print-room queues by the printer's name."""
    auth.login("lz_head")
    page = client.get("/supervision/").get_data(as_text=True)
    assert "林政资源管理处办结率" in page and "全局办结率" not in page
    from printing import service

    with db.session() as s:
        names = service.queue_names(s, settings)
    assert names["dept-lzc"] == service.QueueName("林政资源管理处", 0) and names["wys-room-1"].department is None
    with app_context(client):
        from intranet.printing.views import queue_name

        assert queue_name("dept-lzc") == "林政资源管理处打印机" and queue_name("wys-room-1") == "文印室 1 号机"
