"""The worker's 政务信息报送 job: the PDFs of issues and 通报 asked for on the pages (LibreOffice, never in
a web request), and the Monday reminders of units that missed last week's quota (checked every ten
minutes; once per unit and week)."""

from __future__ import annotations

import time
from collections.abc import Callable

from config import Settings
from core.db import Database
from reporting import documents, service

REMIND_EVERY_SECONDS = 600.0


def scheduled_job(settings: Settings, db: Database) -> Callable[[], int]:
    """Return the worker job: convert queued PDFs each run, remind about missed quotas every ten minutes."""
    last_reminder = [0.0]

    def run() -> int:
        done = documents.convert_pending(settings.files_dir, soffice=settings.printing.soffice,
                                         timeout=settings.printing.conversion_timeout_seconds)
        if time.monotonic() - last_reminder[0] >= REMIND_EVERY_SECONDS:
            last_reminder[0] = time.monotonic()
            with db.session(write_lock=True) as session:
                done += service.remind_missed(session, settings)
                session.commit()
        return done

    return run
