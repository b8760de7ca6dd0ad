"""督查督办 at volume: the quarterly 督查通报 and the year's figures with 3 years of items for 60 units
(about 10,000 items, monthly 进展反馈 with most reports in), timed in the service and through the
production server (waitress, as bench/web.py), one client and four at once.

Issue 14 asks p95 ≤ 300 ms for the 通报 and ranking pages on the 2-core machine.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import func, insert, select

from bench.web import _login_cookie, _serve, generated_bureau, load, percentiles
from core import org
from core.models import Department
from core.models.base import BUREAU_ZONE
from core.models.inspection import InspectionFeedback, InspectionItem
from inspection import report
from intranet import create_app

UNITS = 60
YEARS = (2024, 2025, 2026)
ITEMS = 10_000
TODAY = date(2026, 11, 30)


def _generate(db, rnd: random.Random) -> int:
    """Fill the database: departments up to UNITS, then ITEMS items with their monthly reports."""
    with db.session() as s:
        have = len(org.departments(s))
        s.execute(insert(Department), [{"code": f"U{i:02d}", "name": f"下属处室{i:02d}", "active": True,
                                        "source": "local", "sort_order": 200 + i} for i in range(UNITS - have)])
        s.flush()
        units = [d.id for d in org.departments(s)]
        clerk, leader = org.user_by_username(s, "clerk"), org.user_by_username(s, "director")
        assert clerk is not None and leader is not None
        first = date(YEARS[0], 1, 1)
        span = (TODAY - first).days
        items = []
        for n in range(ITEMS):
            registered = first + timedelta(days=rnd.randrange(span))
            deadline = registered + timedelta(days=rnd.choice((7, 30, 30, 60, 90, 180)))
            done = rnd.random() < 0.8 and deadline - timedelta(days=20) < TODAY
            completed = registered + timedelta(days=rnd.randrange(1, (deadline - registered).days + 30)) \
                if done else None
            if completed is not None and completed > TODAY:
                completed = None
            items.append({
                "source_kind": rnd.choice(("instruction", "meeting", "plan", "document", "manual")),
                "source_text": "", "content": f"督查事项{n}", "leader_id": leader.id,
                "lead_department_id": rnd.choice(units), "co_departments": [], "person_id": clerk.id,
                "kind": "urgent" if rnd.random() < 0.2 else "ordinary", "registered_on": registered,
                "deadline": deadline, "schedule": "monthly", "state": "closed" if completed else "in_progress",
                "closing_report": "", "return_reason": "", "completed_on": completed,
                "created_by_id": clerk.id,
                "created_at": datetime.combine(registered, clock(9), BUREAU_ZONE),
                "updated_at": datetime.combine(registered, clock(9), BUREAU_ZONE),
            })
        s.execute(insert(InspectionItem), items)
        feedback = []
        for item_id, registered, deadline, completed in s.execute(select(
                InspectionItem.id, InspectionItem.registered_on, InspectionItem.deadline,
                InspectionItem.completed_on)):
            end = min(completed or TODAY, deadline, TODAY)
            day = registered + timedelta(days=28)
            while day < end:
                if rnd.random() < 0.85:
                    feedback.append({"item_id": item_id, "kind": "progress", "body": "进展", "user_id": clerk.id,
                                     "department_id": None,
                                     "at": datetime.combine(day, clock(10), BUREAU_ZONE)})
                day += timedelta(days=30)
        for chunk in range(0, len(feedback), 5000):
            s.execute(insert(InspectionFeedback), feedback[chunk:chunk + 5000])
        s.commit()
        return len(items)


def run(quick: bool = False) -> dict:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    rounds = 10 if quick else 40
    out: dict[str, object] = {"units": UNITS, "years": len(YEARS)}
    with generated_bureau("eoffice-bench-inspection-", _generate, out) as (settings, db):
        with db.session() as s:
            out["feedback"] = s.scalar(select(func.count(InspectionFeedback.id)))
            samples = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                rows = report.lines(s, settings, 2026, 3, today=TODAY)
                samples.append(time.perf_counter() - t0)
            assert len(rows) == UNITS
            out.update({f"service_quarter_{k}": v for k, v in percentiles(samples).items()})
            samples = []
            for _ in range(max(3, rounds // 4)):
                t0 = time.perf_counter()
                report.year_figures(s, settings, 2025)
                samples.append(time.perf_counter() - t0)
            out.update({f"year_figures_{k}": v for k, v in percentiles(samples).items()})
        server, port = _serve(create_app(settings, db=db))
        try:
            cookie = _login_cookie(port)  # the office clerk
            quarter_page = lambda: "/inspection/report?year=2026&q=3"  # noqa: E731
            out["report_quarter_single"] = load(port, quarter_page, cookie, 1, rounds)
            out["report_quarter_4_clients"] = load(port, quarter_page, cookie, 4, max(5, rounds // 4))
        finally:
            server.close()
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), ensure_ascii=False, indent=2))
