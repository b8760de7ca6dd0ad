"""The worker runs the supervision job; one tick on a fresh database does no harm and sends nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from config import Settings
from core.db import Database
from core.models.supervision import Notification
from intranet.worker import default_jobs


def test_default_jobs_include_supervision(settings: Settings, db: Database) -> None:
    jobs, services = default_jobs(settings, db)
    job = next(j for j in jobs if j.name == "supervision")
    assert job.interval_seconds == settings.supervision.interval_seconds
    job.run()  # summaries, today's digest (nothing overdue in a fresh bureau), e-mail off
    with db.session() as s:
        assert s.scalar(select(func.count(Notification.id))) == 0
    for service in services:
        assert service.name
