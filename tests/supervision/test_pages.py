"""The pages: bell and banner, 传阅 through the browser forms, 督办 charts and CSV, proxies, calendar, access."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from core import calendar
from core.db import Database
from core.models.supervision import CirculationReceipt, ProxyGrant
from notifications import notify
from tests.support.app import AuthActions
from tests.support.bureau import Docs, People


def test_bell_shows_unread_count(client: FlaskClient, auth: AuthActions, db: Database) -> None:
    with db.session() as s:
        notify.notify(s, People(s).lz_staff, "task", "新待办：<script>alert(1)</script>", link="/documents/1")
        notify.notify(s, People(s).lz_staff, "info", "外部链接", link="https://evil.example/")
    auth.login("lz_staff")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'id="bell-count">2<', html)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    with db.session() as s:
        ids = [n.id for n in notify.latest(s, People(s).lz_staff)]
    resp = client.get(f"/notifications/{ids[0]}/go")  # the external link is not followed
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/notifications/")
    assert client.get(f"/notifications/{ids[1]}/go").headers["Location"] == "/documents/1"
    assert 'id="bell-count"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("zl_staff")
    assert client.get(f"/notifications/{ids[1]}/go").status_code == 404  # not theirs


def test_circulation_through_the_pages(client: FlaskClient, auth: AuthActions, db: Database, docs: Docs) -> None:
    doc_id = docs.draft("lz_head", title="关于森林防火期值班的通知")
    auth.login("lz_head")
    token = auth.csrf(f"/circulation/new?document_id={doc_id}")
    resp = client.post("/circulation/new", data={"csrf_token": token, "document_id": doc_id, "users": ["lz_staff"],
                                                 "departments": ["ZLC"], "note": "请阅", "allow_pass_on": "1"})
    assert resp.status_code == 302
    cid = int(resp.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/circulation/{cid}").get_data(as_text=True)
    assert 'data-user="lz_staff" data-state="unread"' in page and "已阅 0 / 3" in page
    auth.logout()
    auth.login("lz_staff")
    inbox = client.get("/circulation/").get_data(as_text=True)
    assert 'id="unread-count">1<' in inbox and "关于森林防火期值班的通知" in inbox
    mine = client.get(f"/circulation/{cid}").get_data(as_text=True)
    assert 'id="my-state">已阅' in mine and f'href="/documents/{doc_id}"' in mine
    assert 'id="unread-count">0<' in client.get("/circulation/").get_data(as_text=True)
    auth.logout()
    auth.login("lz_head")
    page = client.get(f"/circulation/{cid}").get_data(as_text=True)
    assert 'data-user="lz_staff" data-state="read"' in page
    token = auth.csrf(f"/circulation/{cid}")
    assert client.post(f"/circulation/{cid}/recall", data={"csrf_token": token}).status_code == 302
    with db.session() as s:
        states = {r.user.username: (r.read_at is not None, r.recalled_at is not None)
                  for r in s.scalars(select(CirculationReceipt).where(CirculationReceipt.circulation_id == cid))}
    assert states["lz_staff"] == (True, False) and states["zl_head"] == (False, True)
    # Strangers cannot open it by guessing its number.
    auth.logout()
    auth.login("clerk")
    assert client.get(f"/circulation/{cid}").status_code == 404


def test_supervision_dashboard_and_csv(client: FlaskClient, auth: AuthActions, docs: Docs) -> None:
    docs.to_head(title="逾期的文件", deadline=date(2026, 11, 2))
    auth.login("lz_staff")
    assert client.get("/supervision/").status_code == 403
    assert client.get("/supervision/mine").status_code == 200
    auth.logout()
    auth.login("director")
    html = client.get("/supervision/?year=2026&by=quarter&q=4").get_data(as_text=True)
    assert html.count("<svg class=\"chart\"") == 4 and "林政资源管理处" in html
    assert 'id="kpi-overdue">1<' in html
    csv_resp = client.get("/supervision/export.csv?year=2026&by=month")
    assert csv_resp.mimetype == "text/csv" and "2026年11月" in csv_resp.get_data(as_text=True)
    overdue = client.get("/supervision/overdue").get_data(as_text=True)
    assert "逾期的文件" in overdue and "催办" in overdue
    # A department head sees their own department only.
    auth.logout()
    auth.login("zl_head")
    html = client.get("/supervision/?year=2026").get_data(as_text=True)
    assert "本部门的数据" in html and 'data-dept="ZLC"' in html and 'data-dept="LZC"' not in html
    assert "逾期的文件" not in client.get("/supervision/overdue").get_data(as_text=True)


def test_remind_from_the_overdue_page(client: FlaskClient, auth: AuthActions, db: Database, docs: Docs) -> None:
    doc_id = docs.to_head(title="请尽快审核的文件", deadline=date(2026, 11, 2))
    auth.login("clerk")
    token = auth.csrf("/supervision/overdue")
    with db.session() as s:
        head = People(s).lz_head.id
    resp = client.post("/supervision/remind", data={"csrf_token": token, "document_id": doc_id, "target_id": head,
                                                    "note": "今天办", "back": "/supervision/overdue"},
                       follow_redirects=True)
    assert "已催办 刘志强（第1次）" in resp.get_data(as_text=True)
    again = client.post("/supervision/remind", data={"csrf_token": token, "document_id": doc_id, "target_id": head},
                        follow_redirects=True)
    assert "分钟后再催" in again.get_data(as_text=True)


def test_proxy_form_banner_and_refusal(client: FlaskClient, auth: AuthActions, db: Database) -> None:
    today = calendar.local_today()
    with db.session() as s:
        deputy = People(s).deputy.id
    auth.login("director")
    token = auth.csrf("/proxy/")
    data = {"csrf_token": token, "proxy": str(deputy), "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=3)).isoformat(), "allow_sign": "y", "reason": "外出学习"}
    page = client.post("/proxy/", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已设置职位代理" in page and 'id="proxy-banner"' in page and "李文华" in page
    again = client.post("/proxy/", data=data, follow_redirects=True).get_data(as_text=True)
    assert "时间重叠" in again
    auth.logout()
    auth.login("deputy")
    html = client.get("/").get_data(as_text=True)
    assert "您正在代理 张建国 的工作" in html
    with db.session() as s:
        assert s.scalar(select(ProxyGrant.allow_sign)) is True
    auth.logout()
    auth.login("lz_staff")
    assert client.get("/proxy/admin").status_code == 403


def test_calendar_admin(client: FlaskClient, auth: AuthActions, db: Database) -> None:
    auth.login("admin")
    page = client.get("/supervision/calendar?year=2027").get_data(as_text=True)
    assert 'id="provisional"' in page and "2027-02-08" in page
    token = auth.csrf("/supervision/calendar")
    resp = client.post("/supervision/calendar/block", data={
        "csrf_token": token, "name": "春节", "first": "2027-02-05", "last": "2027-02-12", "makeup": "2027-02-20"},
        follow_redirects=True)
    assert "已保存春节安排（9天）" in resp.get_data(as_text=True)
    with db.session() as s:
        cal = calendar.load(s)
    assert cal.is_workday(date(2027, 2, 20)) and not cal.is_workday(date(2027, 2, 12))
    bad = client.post("/supervision/calendar/block", data={
        "csrf_token": token, "name": "春节", "first": "2027-02-05", "last": "2027-02-06", "makeup": "2月20日"},
        follow_redirects=True)
    assert "格式不对" in bad.get_data(as_text=True)
    auth.logout()
    auth.login("clerk")
    assert client.post("/supervision/calendar/day", data={"csrf_token": auth.csrf("/supervision/calendar"),
                                                          "day": "2027-03-01", "kind": "off", "name": "x"}
                       ).status_code == 403


def test_circulated_archive_file_is_served_to_recipients(client: FlaskClient, auth: AuthActions, db: Database,
                                                         settings) -> None:
    from circulation import service as circulation
    from core.models.files import ArchiveFile

    target = settings.archive_dir / "BGS" / "2026" / "值班表.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("国庆值班：刘志强、杨海涛", encoding="utf-8")
    with db.session() as s:
        p = People(s)
        f = ArchiveFile(relpath="BGS/2026/值班表.txt", name="值班表.txt", title="国庆值班表", kind="txt",
                        department_id=p.office_head.department_id, classification=0)
        s.add(f)
        s.flush()
        cid = circulation.send(s, p.office_head, archive_file=f,
                               recipients=circulation.Recipients(usernames=["zl_staff"])).id
    auth.login("lz_staff")
    assert client.get(f"/circulation/{cid}/file").status_code == 404  # not a recipient
    auth.logout()
    auth.login("zl_staff")
    resp = client.get(f"/circulation/{cid}/file")
    assert resp.status_code == 200 and "国庆值班" in resp.get_data().decode("utf-8")
    resp.close()
    with db.session() as s:
        assert circulation.inbox(s, People(s).zl_staff)[0][1].read_at is not None
    target.unlink()
    gone = client.get(f"/circulation/{cid}/file", follow_redirects=True).get_data(as_text=True)
    assert "已不在资料库中" in gone
