"""政务信息报送 at volume: the 通报 (quarter and year) and its ranking with 3 years of data for 60 units
(about 10,000 items, 15 % adopted, some at higher levels), timed in the service and through the
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
from core.models.base import BUREAU_ZONE, utcnow
from core.models.reporting import Adoption, Issue, Item, OutsideUnit
from intranet import create_app
from reporting import ranking, service

UNITS = 60
YEARS = (2024, 2025, 2026)


def _generate(db, rnd: random.Random) -> int:
    """Fill the database: outside units up to UNITS, then items week by week, adoptions, issues."""
    with db.session() as s:
        depts = org.departments(s)
        clerk = org.user_by_username(s, "clerk")
        assert clerk is not None
        start = datetime(YEARS[0], 1, 1, tzinfo=BUREAU_ZONE)
        s.execute(insert(OutsideUnit), [{"name": f"下属单位{i:02d}", "active": True, "sort_order": 100 + i,
                                         "created_at": start} for i in range(UNITS - len(depts))])
        outside = list(s.scalars(select(OutsideUnit.id)))
        units = [(d.id, None) for d in depts] + [(None, u) for u in outside]
        keen = {unit: rnd.uniform(0.35, 1.0) for unit in units}
        items: list[dict[str, object]] = []
        monday = service.week_start(date(YEARS[0], 1, 1))
        last = date(YEARS[-1], 12, 31)
        while monday <= last:
            for unit in units:
                for _ in range(rnd.choice((1, 1, 2, 2))):
                    if rnd.random() > keen[unit]:
                        continue
                    day = monday + timedelta(days=rnd.randrange(5))
                    when = datetime.combine(day, clock(rnd.randint(8, 17), rnd.randrange(60)), BUREAU_ZONE)
                    urgent = rnd.random() < 0.02
                    items.append({
                        "department_id": unit[0], "outside_unit_id": unit[1], "title": f"信息{len(items)}",
                        "body": "正文", "category": "emergency" if urgent else "work",
                        "event_at": when - timedelta(hours=rnd.choice((1, 3, 6))) if urgent else None,
                        "late": urgent and rnd.random() < 0.3, "status": "noted", "entered_by_id": clerk.id,
                        "on_behalf": unit[1] is not None, "submitted_at": when, "week_start": monday,
                        "return_reasons": [], "times_returned": 0, "updated_at": when})
            monday += timedelta(days=7)
        s.execute(insert(Item), items)
        s.flush()
        issues = []
        for year in YEARS:
            issues += [{"publication": "信息专报", "year": year, "number": n, "created_by_id": clerk.id,
                        "created_at": datetime(year, 1, 1, tzinfo=BUREAU_ZONE) + timedelta(days=7 * n)}
                       for n in range(1, 53)]
        s.execute(insert(Issue), issues)
        issue_ids = {(r.year, r.number): r.id for r in s.scalars(select(Issue))}
        adoptions: list[dict[str, object]] = []
        for item_id, submitted in s.execute(select(Item.id, Item.submitted_at)):
            if rnd.random() > 0.15:
                continue
            day = submitted.astimezone(BUREAU_ZONE).date() + timedelta(days=2)
            week = min(52, max(1, day.isocalendar()[1]))
            adoptions.append({"item_id": item_id, "level": "office", "issue_id": issue_ids.get((day.year, week)),
                              "adopted_on": day, "note": "",
                              "recorded_by_id": clerk.id, "created_at": utcnow()})
            if rnd.random() < 0.3:
                adoptions.append({"item_id": item_id, "level": rnd.choice(service.HIGHER_LEVELS), "issue_id": None,
                                  "adopted_on": day + timedelta(days=10), "note": "", "recorded_by_id": clerk.id,
                                  "created_at": utcnow()})
        s.execute(insert(Adoption), adoptions)
        s.commit()
        return len(items)


def run(quick: bool = False) -> dict:
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    rounds = 10 if quick else 40
    out: dict[str, object] = {"units": UNITS, "years": len(YEARS)}
    with generated_bureau("eoffice-bench-reporting-", _generate, out) as (settings, db):
        with db.session() as s:
            out["adoptions"] = s.scalar(select(func.count(Adoption.id)))
            for name, period in (("service_year", ranking.Period(2026)),
                                 ("service_quarter", ranking.Period(2026, 3))):
                ranking.bulletin(s, settings, period, today=date(2027, 1, 1))  # warm the caches
                samples = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    result = ranking.bulletin(s, settings, period, today=date(2027, 1, 1))
                    samples.append(time.perf_counter() - t0)
                assert len(result.rows) == UNITS
                out.update({f"{name}_{k}": v for k, v in percentiles(samples).items()})
            t0 = time.perf_counter()
            scores = ranking.year_scores(s, settings, 2025)
            out["year_scores_ms"] = round(1000 * (time.perf_counter() - t0), 2)
            out["year_scores_departments"] = len(scores)
        server, port = _serve(create_app(settings, db=db))
        try:
            cookie = _login_cookie(port)  # the office clerk
            year_page = lambda: "/reporting/bulletin?year=2026&quarter=all"  # noqa: E731
            quarter_page = lambda: "/reporting/bulletin?year=2025&quarter=2"  # noqa: E731
            out["bulletin_year_single"] = load(port, year_page, cookie, 1, rounds)
            out["bulletin_quarter_single"] = load(port, quarter_page, cookie, 1, rounds)
            out["bulletin_year_4_clients"] = load(port, year_page, cookie, 4, max(5, rounds // 4))
            out["items_list_single"] = load(port, lambda: "/reporting/", cookie, 1, rounds)
        finally:
            server.close()
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), ensure_ascii=False, indent=2))
