"""通知公告 pages: the office posts, everyone sees it on the front page, receipts, 公示 objections."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import select

from core import org
from core.models.base import utcnow
from core.models.notices import Notice, NoticeReceipt, Objection
from notices import service
from notices.service import NoticeDraft
from tests.support import make_pdf
from tests.support.bureau import switch


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def test_the_office_posts_a_notice_everyone_sees_it_and_receipts_show(client, auth, db):
    auth.login("clerk")
    resp = client.post("/notices/new", data={
        "csrf_token": auth.csrf("/notices/new"), "kind": "notice", "title": "关于做好冬季森林防火工作的通知",
        "body": "各处室：\n请做好冬季森林防火值班。", "everyone": "y", "pinned": "y", "period_workdays": "5",
        "attachments": (io.BytesIO(make_pdf("fire")), "值班表.pdf"),
    }, content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已发布《关于做好冬季森林防火工作的通知》" in _flashes(html) and "值班表.pdf" in html
    notice_id = int(re.search(r"/notices/(\d+)/remind", html).group(1))
    switch(client, auth, "lz_staff")
    home = client.get("/").get_data(as_text=True)
    front = re.search(r'<section class="card" id="home-notices">.*?</section>', home, re.S).group(0)
    assert "关于做好冬季森林防火工作的通知" in front and "置顶" in front and "未读" in front
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    assert "请做好冬季森林防火值班。" in page and 'id="receipts"' not in page  # staff do not see who read
    attachment = re.search(rf'href="(/notices/{notice_id}/attachments/\d+)"', page).group(1)
    got = client.get(attachment)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    got.close()
    assert "未读" not in re.search(r'id="home-notices">.*?</section>', client.get("/").get_data(as_text=True),
                                   re.S).group(0)
    switch(client, auth, "clerk")
    page = client.get(f"/notices/{notice_id}").get_data(as_text=True)
    receipts = re.search(r'<section class="card" id="receipts">.*?</section>', page, re.S).group(0)
    assert "已读 1 人" in receipts and "陈晓明" not in re.search(r'id="unread-people">(.*?)</p>', receipts).group(1)
    reminded = client.post(f"/notices/{notice_id}/remind", data={"csrf_token": auth.csrf(f"/notices/{notice_id}")},
                           follow_redirects=True)
    assert "已提醒" in _flashes(reminded.get_data(as_text=True))
    with db.session() as s:
        assert s.scalar(select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_id,
                                                    NoticeReceipt.user_id == org.user_by_username(s, "lz_staff").id))


def test_a_department_head_is_limited_to_their_department_and_staff_cannot_publish(client, auth):
    auth.login("lz_head")
    form = client.get("/notices/new").get_data(as_text=True)
    assert 'name="everyone"' not in form and "林政资源管理处" in form and "造林绿化处" not in form
    refused = client.post("/notices/new", data={"csrf_token": auth.csrf("/notices/new"), "kind": "notice",
                                                "title": "全局通知", "departments": ["ZLC"], "period_workdays": "5"},
                          follow_redirects=True)
    assert "交办公室发布" in _flashes(refused.get_data(as_text=True))
    switch(client, auth, "lz_staff")
    assert client.get("/notices/new").status_code == 403
    assert 'id="new-notice"' not in client.get("/notices/").get_data(as_text=True)


def test_a_publicity_takes_objections_in_its_period_only_and_reads_in_english(client, auth, db, settings):
    with db.session(write_lock=True) as s:
        office = org.user_by_username(s, "office_head")
        current = service.publish(s, settings, office, NoticeDraft(title="拟提拔干部任前公示", kind="publicity"))
        past = service.publish(s, settings, office, NoticeDraft(
            title="上季度先进个人公示", kind="publicity", publish_at=utcnow() - timedelta(days=40)))
        s.commit()
        current_id, past_id = current.id, past.id
    auth.login("zl_staff")
    html = client.post(f"/notices/{current_id}/objections", data={
        "csrf_token": auth.csrf(f"/notices/{current_id}"), "body": "该同志群众基础需进一步了解", "anonymous": "y"},
        follow_redirects=True).get_data(as_text=True)
    assert "意见已提交" in _flashes(html)
    late = client.get(f"/notices/{past_id}").get_data(as_text=True)
    assert 'id="objection-form"' not in late and "公示期外不接受意见" in late
    refused = client.post(f"/notices/{past_id}/objections", data={
        "csrf_token": auth.csrf(f"/notices/{past_id}"), "body": "过期的意见"}, follow_redirects=True)
    assert "不再接受意见" in _flashes(refused.get_data(as_text=True))
    with db.session() as s:
        assert [o.body for o in s.scalars(select(Objection))] == ["该同志群众基础需进一步了解"]
    switch(client, auth, "clerk")
    page = client.get(f"/notices/{current_id}").get_data(as_text=True)
    assert "该同志群众基础需进一步了解" in page and "周静" in page  # the office sees who sent it
    assert "匿名（仅办公室可见姓名）" in page  # and that the name must go no further
    client.get("/lang/en")
    english = client.get(f"/notices/{past_id}").get_data(as_text=True)
    assert "Objections are accepted only during the notice period." in english
    with db.session() as s:
        assert s.get(Notice, past_id).period_end < s.get(Notice, current_id).period_end


def test_opening_a_notice_while_another_write_runs_waits_instead_of_failing(client, auth, db, settings):
    """Found by a newcomer's walk: the read receipt is a write in a GET; it takes the lock up front."""
    import threading
    import time

    from sqlalchemy import text

    with db.session(write_lock=True) as s:
        notice_id = service.publish(s, settings, org.user_by_username(s, "clerk"), NoticeDraft(title="并发阅读测试")).id
        s.commit()
    auth.login("lz_staff")
    client.get("/")  # signed in; the next request reads the user first, then writes the receipt
    started = threading.Event()

    def hold_the_write_lock() -> None:
        with db.session(write_lock=True) as s:
            s.execute(text("UPDATE notice SET pinned = pinned"))
            started.set()
            time.sleep(1.0)
            s.commit()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    started.wait(5)
    resp = client.get(f"/notices/{notice_id}")
    holder.join()
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    with db.session() as s:
        assert s.scalar(select(NoticeReceipt).where(NoticeReceipt.notice_id == notice_id))


def test_notifications_read_in_the_readers_language(client, auth, db, settings):
    with db.session(write_lock=True) as s:
        service.publish(s, settings, org.user_by_username(s, "clerk"), NoticeDraft(title="停电通知"))
        s.commit()
    auth.login("lz_staff")
    assert "通知公告：停电通知" in client.get("/notifications/").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/notifications/").get_data(as_text=True)
    assert "Notices: 停电通知" in english and "通知公告：" not in english
