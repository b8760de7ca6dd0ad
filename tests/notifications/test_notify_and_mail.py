"""Notifications in-app and by e-mail through a real SMTP server; the daily digest; proxy summaries."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from config import Settings
from core.db import Database, connect
from core.models import User
from core.models.base import utcnow
from core.models.documents import DocumentAction
from core.models.supervision import JobRun, Notification
from documents import proxy
from documents.proxy import GrantRequest
from notifications import mail, notify
from supervision import jobs
from tests.support import free_port
from tests.support.app import make_settings
from tests.support.bureau import Docs, People, at
from tests.support.mail import Mailbox


def test_in_app_unread_count_and_marking(db: Database) -> None:
    with db.session() as s:
        p = People(s)
        n1 = notify.notify(s, p.lz_staff, "task", "新待办：关于开展春季造林绿化工作的通知", link="/documents/1")
        notify.notify(s, p.lz_staff, "circulation", "传阅：值班表")
        notify.notify(s, p.zl_staff, "task", "别人的通知")
        s.flush()
        assert notify.unread_count(s, p.lz_staff) == 2
        assert notify.get(s, p.zl_staff, n1.id) is None  # never someone else's
        assert notify.mark_read(s, p.lz_staff, n1.id) == 1
        assert notify.unread_count(s, p.lz_staff) == 1
        assert notify.mark_read(s, p.lz_staff) == 1
        assert notify.unread_count(s, p.lz_staff) == 0 and notify.unread_count(s, p.zl_staff) == 1
        assert [n.title for n in notify.latest(s, p.lz_staff)][-1].startswith("新待办")


def test_email_through_real_smtp(db: Database, mail_settings: Settings, smtp_server: Mailbox) -> None:
    with db.session() as s:
        p = People(s)
        p.lz_staff.email = "chenxm@bureau.lan"
        s.flush()
        notify.notify(s, p.lz_staff, "reminder", "催办：关于开展春季造林绿化工作的通知",
                      body="王秀英 催办：请尽快办理。", link="/documents/7")
        notify.notify(s, p.zl_staff, "task", "没有邮箱的人只在站内收到")  # no address: in-app only
    result = mail.send_pending(mail_settings, db)
    assert (result.sent, result.failed) == (1, 0)
    [msg] = smtp_server.to("chenxm@bureau.lan")
    assert msg["Subject"] == "【示范市林业局】催办：关于开展春季造林绿化工作的通知"
    assert msg["From"].addresses[0].addr_spec == "oa@bureau.lan"
    body = msg.get_content()
    assert "请尽快办理" in body and "https://oa.bureau.lan/documents/7" in body
    assert len(smtp_server.messages) == 1
    with db.session() as s:
        states = dict(s.execute(select(Notification.title, Notification.email_state)).all())
        assert states["催办：关于开展春季造林绿化工作的通知"] == "sent"
        assert states["没有邮箱的人只在站内收到"] == "none"
    assert mail.send_pending(mail_settings, db).sent == 0  # nothing sent twice


def test_smtp_down_counts_failures_then_gives_up(db: Database, settings: Settings) -> None:
    down = make_settings(settings.data_dir, EOFFICE_DATABASE_URL=settings.database_url,
                         EOFFICE_SUPERVISION_SMTP_HOST="127.0.0.1", EOFFICE_SUPERVISION_SMTP_PORT=str(free_port()),
                         EOFFICE_SUPERVISION_SMTP_MAX_ATTEMPTS="2", EOFFICE_SUPERVISION_SMTP_TIMEOUT_SECONDS="2")
    with db.session() as s:
        p = People(s)
        p.lz_staff.email = "chenxm@bureau.lan"
        notify.notify(s, p.lz_staff, "task", "新待办")
    first = mail.send_pending(down, db)
    assert first.failed == 1 and first.error
    with db.session() as s:
        assert s.scalar(select(Notification.email_state)) == "pending"
    mail.send_pending(down, db)
    with db.session() as s:
        note = s.scalar(select(Notification))
        assert (note.email_state, note.email_attempts) == ("failed", 2) and note.email_error


def test_daily_digest_once_on_working_days(db: Database, mail_settings: Settings, smtp_server: Mailbox,
                                           docs: Docs) -> None:
    doc_id = docs.to_head(title="逾期未办的文件", deadline=date(2026, 11, 2))
    with db.session() as s:
        People(s).lz_head.email = "liuzq@bureau.lan"
    saturday, monday = date(2026, 11, 28), date(2026, 11, 30)
    assert jobs.run_daily(mail_settings, db, now=at(saturday, 9)) == 0  # not a working day
    assert jobs.run_daily(mail_settings, db, now=at(monday, 7)) == 0  # before the digest hour
    assert jobs.run_daily(mail_settings, db, now=at(monday, 9)) >= 1
    assert jobs.run_daily(mail_settings, db, now=at(monday, 10)) == 0  # once a day
    with db.session() as s:
        p = People(s)
        assert s.get(JobRun, (jobs.DIGEST, monday)) is not None
        digest = s.scalar(select(Notification).where(Notification.user_id == p.lz_head.id,
                                                     Notification.kind == "overdue"))
        assert digest is not None and "逾期未办的文件" in digest.body
        # The digest was made "on Monday" by the clock handed in; the mail job measures its age limit
        # against the real clock, so the notices must be fresh whatever day the suite runs.
        s.execute(update(Notification).values(created_at=utcnow()))
    mail.send_pending(mail_settings, db)
    [msg] = smtp_server.to("liuzq@bureau.lan")
    assert "逾期" in msg.get_content()
    assert doc_id


def test_digest_claim_is_exclusive_across_connections(db: Database, settings: Settings) -> None:
    other = connect(settings.database_url)
    try:
        day = date(2026, 12, 1)
        with db.session(write_lock=True) as s1:
            assert jobs.claim(s1, "x", day) is not None
        with other.session(write_lock=True) as s2:
            assert jobs.claim(s2, "x", day) is None
    finally:
        other.engine.dispose()


def test_proxy_summary_when_window_ends(db: Database, settings: Settings, docs: Docs) -> None:
    first, last = date(2026, 11, 20), date(2026, 11, 24)
    doc_id = docs.draft(title="代理期间处理的文件")
    with db.session() as s:
        p = People(s)
        grant = proxy.create(s, p.lz_head, GrantRequest(p.lz_head, p.lz_staff, first, last), today=first)
        s.add(DocumentAction(document_id=doc_id, action="approve", actor_id=p.lz_staff.id,
                             on_behalf_of_id=p.lz_head.id, opinion="同意", at=at(date(2026, 11, 21))))
        s.add(DocumentAction(document_id=doc_id, action="comment", actor_id=p.lz_staff.id,
                             on_behalf_of_id=p.lz_head.id, opinion="窗口之后", at=at(date(2026, 11, 26))))
        gid = grant.id
    assert jobs.run_summaries(db, now=at(last, 20)) == 0  # still running
    assert jobs.run_summaries(db, now=at(last + timedelta(days=1), 8)) == 1
    assert jobs.run_summaries(db, now=at(last + timedelta(days=1), 9)) == 0  # once
    with db.session() as s:
        p = People(s)
        note = s.scalar(select(Notification).where(Notification.user_id == p.lz_head.id,
                                                   Notification.kind == "proxy"))
        assert note is not None and "代办1项" in note.title and "代理期间处理的文件" in note.body
        assert "窗口之后" not in note.body
        assert s.scalar(select(User.id).where(User.id == p.lz_head.id))
        assert proxy.state_of(s.get(type(grant), gid), at(last + timedelta(days=1))) == "ended"
