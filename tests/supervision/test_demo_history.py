"""The demo's half year of routed 签报: real documents whose figures the 督办 page shows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from config import Settings
from core import calendar
from core.db import Database
from core.models.documents import Document, DocumentAction
from supervision import demo, figures

TODAY = date(2026, 11, 25)


def test_history_feeds_the_figures(db: Database, settings: Settings) -> None:
    with db.session(write_lock=True) as s:
        assert demo.seed_history(s, settings, count=18, today=TODAY) == 18
    with db.session() as s:
        states = dict(s.execute(select(Document.state, func.count()).group_by(Document.state)).all())
        assert states.get("filed", 0) >= 10 and sum(states.values()) == 18
        # Timestamps lie in the past, in order, on working days.
        cal = calendar.load(s)
        for doc in s.scalars(select(Document)):
            times = [a.at for a in s.scalars(select(DocumentAction).where(DocumentAction.document_id == doc.id)
                                            .order_by(DocumentAction.id))]
            assert times == sorted(times) and times[-1].date() <= TODAY
            assert cal.is_workday(calendar.local_date(times[0]))
        tbl = figures.table(s, settings.supervision, cal, figures.quarters(2026), today=TODAY)
        total_due = sum(tbl.get(p, None).due for p in tbl.periods)
        assert total_due > 0 and any(tbl.get(p, None).on_time for p in tbl.periods)
        with pytest.raises(ValueError, match="只能在空的公文库"):
            demo.seed_history(s, settings, count=1, today=TODAY)


def test_minimal_pdf_is_a_pdf() -> None:
    data = demo.minimal_pdf("x")
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
