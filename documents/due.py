"""办理期限: the deadline a document gets by default when it is submitted (by 紧急程度, in working days).

The 督办 of those deadlines (overdue lists, 催办, figures) is the supervision package; the rule that sets
a document's deadline belongs to the document and lives here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from config.supervision import SupervisionSettings
from core.calendar import WorkCalendar, local_date
from core.models.base import utcnow
from core.models.documents import Document


def default_deadline(cfg: SupervisionSettings, cal: WorkCalendar, urgency: str, start: date) -> date:
    """Return the default deadline for an item of this urgency started on `start`."""
    days = cfg.deadline_days.get(urgency, cfg.deadline_days.get("normal", 10))
    return cal.add_workdays(start, int(days))


def apply_default_deadline(session: Session, cfg: SupervisionSettings, doc: Document,
                           *, now: datetime | None = None, cal: WorkCalendar | None = None) -> date:
    """Give a document without a deadline its default one (at submission); return the deadline."""
    if doc.deadline is None:
        from core import calendar

        cal = cal or calendar.load(session)
        doc.deadline = default_deadline(cfg, cal, doc.urgency, local_date(now or utcnow()))
    return doc.deadline
