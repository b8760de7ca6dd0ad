"""The worker's timed supervision work: e-mail, the daily overdue digest, proxy window summaries.

`tick` runs every [supervision] interval_seconds. The digest runs once per working day after
`digest_hour`: a row in supervision_job_run (primary key name + day) makes it exactly once even when
two workers raced for it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org
from core.calendar import LOCAL_TZ
from core.clearance import cleared
from core.db import Database
from core.messages import msg
from core.models import User
from core.models.base import utcnow
from core.models.supervision import JobRun
from documents import proxy
from notifications import mail, notify
from supervision import deadlines, tasks

log = logging.getLogger("eoffice.supervision")
DIGEST = "overdue-digest"


def claim(session: Session, name: str, day: date) -> JobRun | None:
    """Record that job `name` runs for `day`; None when it already ran (or another worker claimed it)."""
    if session.get(JobRun, (name, day)) is not None:
        return None
    run = JobRun(name=name, day=day, at=utcnow(), count=0)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    return run


def overdue_digest(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Notify every holder of overdue items, and each department head of their department's; return how many."""
    cfg = settings.supervision
    cal = calendar.load(session)
    today = today or calendar.local_today()
    items = deadlines.overdue(deadlines.open_items(session, cfg, cal, today=today))
    per_user: dict[int, list[deadlines.OpenItem]] = defaultdict(list)
    users: dict[int, User] = {}
    for item in items:
        for holder in item.holders:
            if holder.active:  # nothing goes to an inactive account (its tasks are moved by the sweep)
                per_user[holder.id].append(item)
                users[holder.id] = holder
    per_head: dict[int, list[deadlines.OpenItem]] = defaultdict(list)
    for item in items:
        for holder in item.holders:
            # The holder's active department heads; when there is none (or the holder's only head is the
            # inactive holder), the bureau's active leaders are told instead (heads_of falls back).
            for head in org.heads_of(session, holder):
                if not cleared(head, item.document.classification):
                    continue  # the digest names the document: only to people cleared for it
                if item not in per_head[head.id]:
                    per_head[head.id].append(item)
                    users[head.id] = head
    sent = 0
    for user_id, mine in per_user.items():
        lines = "\n".join(f"《{i.document.title}》 {i.due:%Y-%m-%d} (+{i.overdue_days})" for i in mine)
        if notify.notify(session, users[user_id], "overdue", msg("您有%(n)d件逾期待办", n=len(mine)),
                         body=msg("以下事项已超过办理期限（期限及逾期工作日数），请尽快办理：\n%(lines)s", lines=lines),
                         link="/supervision/mine") is not None:
            sent += 1
    for head_id, theirs in per_head.items():
        if head_id in per_user and set(map(id, theirs)) <= set(map(id, per_user[head_id])):
            continue
        lines = "\n".join(f"《{i.document.title}》 {'、'.join(h.display_name for h in i.holders)} (+{i.overdue_days})"
                          for i in theirs)
        if notify.notify(session, users[head_id], "overdue", msg("有%(n)d件逾期事项需要督促", n=len(theirs)),
                         body=msg("以下事项已超过办理期限（办理人及逾期工作日数），请督促：\n%(lines)s", lines=lines),
                         link="/supervision/overdue") is not None:
            sent += 1
    return sent


def digest_due(settings: Settings, now: datetime, cal: calendar.WorkCalendar) -> bool:
    """Return True when today's digest should go out now (a working day, after the digest hour)."""
    local = now.astimezone(LOCAL_TZ)
    return cal.is_workday(local.date()) and local.hour >= settings.supervision.digest_hour


def run_daily(settings: Settings, db: Database, *, now: datetime | None = None) -> int:
    """Send today's overdue digest if it is due and has not gone out; return how many were notified."""
    now = now or utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    # Look first without the write lock: on most ticks there is nothing to do.
    with db.session() as session:
        if not digest_due(settings, now, calendar.load(session)):
            return 0
        if session.get(JobRun, (DIGEST, today)) is not None:
            return 0
    with db.session(write_lock=True) as session:
        run = claim(session, DIGEST, today)
        if run is None:
            return 0
        run.count = overdue_digest(session, settings, today=today)
        log.info("overdue digest sent notifications=%d", run.count)
        return run.count


def run_summaries(db: Database, *, now: datetime | None = None) -> int:
    """Send the summary of every proxy window that has ended; return how many windows were summarised."""
    now = now or utcnow()
    with db.session() as session:
        if not proxy.ended_without_summary(session, now):
            return 0
    with db.session(write_lock=True) as session:
        ended = proxy.ended_without_summary(session, now)
        for grant in ended:
            tasks.send_summary(session, grant, now=now)
        return len(ended)


def scheduled_job(settings: Settings, db: Database) -> Callable[[], None]:
    """Return the worker's periodic supervision job."""

    def tick() -> None:
        run_summaries(db)
        run_daily(settings, db)
        mail.send_pending(settings, db)

    return tick
