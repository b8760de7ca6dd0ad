"""/admin/directory: status, counts, users by source; a requested sync is run by the worker's job."""

from __future__ import annotations

from directory import sync as directory_sync
from intranet.worker import default_jobs
from tests.directory.bureau import login
from tests.support.app import DEMO_PASSWORD, csrf_from


def test_status_page_and_requested_sync(slapd, directory_settings, make_app, db):
    settings = directory_settings([slapd.url])
    app = make_app(settings)
    admin = app.test_client()
    assert login(admin, "admin", DEMO_PASSWORD).status_code == 302
    page = admin.get("/admin/directory/").get_data(as_text=True)
    assert slapd.url in page and "尚未同步过" in page and "本地账户：" in page

    csrf = csrf_from(page)
    resp = admin.post("/admin/directory/sync", data={"csrf_token": csrf}, follow_redirects=True)
    assert "已请求同步" in resp.get_data(as_text=True)
    again = admin.post("/admin/directory/sync", data={"csrf_token": csrf}, follow_redirects=True)
    assert "已有一次同步在等待或进行中" in again.get_data(as_text=True)

    jobs, _services = default_jobs(settings, db)
    job = next(j for j in jobs if j.name == "directory-sync")
    report = job.run()
    assert report is not None and report.created == 4
    assert job.run() is None  # nothing requested, schedule off (sync_interval_minutes = 0)

    page = admin.get("/admin/directory/").get_data(as_text=True)
    assert "目录用户：启用 4，停用 0" in page
    assert "成功" in page and "管理员" in page
    assert 'source-directory">目录' in page and "李四" in page and "局领导" in page


def test_status_page_when_disabled_and_for_non_admins(client, auth):
    auth.login("admin")
    page = client.get("/admin/directory/").get_data(as_text=True)
    assert "目录登录未启用" in page
    auth.logout()
    auth.login("lz_staff")
    assert client.get("/admin/directory/").status_code == 403


def test_scheduled_sync_runs_when_due(slapd, directory_settings, db):
    settings = directory_settings([slapd.url], sync_interval_minutes=60)
    tick = directory_sync.scheduled_job(settings.directory, db)
    assert tick().created == 4
    assert tick() is None  # not due again for an hour
    with db.session() as s:
        assert [r.trigger for r in directory_sync.latest_runs(s)] == ["worker"]
