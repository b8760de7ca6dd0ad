"""督办 and notifications at volume: the 办结率 dashboard over a year of generated documents, the overdue
list, the bell's unread count and the 传阅 inbox.

A fresh SQLite demo bureau gets N documents spread over 2026 (deadlines, first submissions, completions
on time or late, open ones with pending steps), then the same queries the pages run are timed.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from bench.web import demo_bureau, percentiles
from circulation import service as circulation
from core import calendar, org
from core.calendar import LOCAL_TZ
from core.models.documents import Document, DocumentAction, RouteStep, RouteTemplate, StepAssignment
from core.models.supervision import Notification
from notifications import notify
from supervision import deadlines, figures

PASSWORD = "bench-Pass-123"


def _generate(db, n: int) -> None:
    rnd = random.Random(6)
    with db.session() as s:
        cal = calendar.load(s)
        users = [u for u in org.users(s) if u.department is not None]
        template = s.scalar(select(RouteTemplate).where(RouteTemplate.kind == "outgoing"))
        docs, actions = [], []
        start_id = 1
        for i in range(n):
            drafter = rnd.choice(users)
            submitted = date(2026, 1, 5) + timedelta(days=rnd.randrange(0, 320))
            due = cal.add_workdays(submitted, rnd.choice([1, 3, 10, 10, 10]))
            roll = rnd.random()
            done = None if roll < 0.1 else cal.add_workdays(submitted, rnd.randrange(0, 14))
            docs.append({
                "id": start_id + i, "kind": "outgoing", "title": f"生成文件{i}", "urgency": "normal",
                "classification": 1,
                "main_recipients": "", "cc_recipients": "", "department_id": drafter.department_id,
                "drafter_id": drafter.id, "deadline": due, "template_id": template.id, "route_plan": {},
                "route_round": 1, "state": "filed" if done else "active", "version": 1, "co_departments": [],
                "distribution": {}, "retention": "D30",
                "created_at": datetime(submitted.year, submitted.month, submitted.day, 8, tzinfo=LOCAL_TZ),
                "updated_at": datetime(submitted.year, submitted.month, submitted.day, 8, tzinfo=LOCAL_TZ),
                "completed_at": datetime(done.year, done.month, done.day, 16, tzinfo=LOCAL_TZ) if done else None,
            })
            actions.append({"document_id": start_id + i, "action": "submit", "actor_id": drafter.id,
                            "at": datetime(submitted.year, submitted.month, submitted.day, 9, tzinfo=LOCAL_TZ)})
        s.execute(insert(Document), docs)
        s.execute(insert(DocumentAction), actions)
        steps, assignments = [], []
        for d in docs:
            if d["state"] == "active":
                steps.append({"id": d["id"], "document_id": d["id"], "route_round": 1, "position": 1,
                              "key": "dept_review", "name": "处室审核", "kind": "approve", "mode": "one", "spec": {},
                              "state": "active", "round": 1})
                assignments.append({"step_id": d["id"], "document_id": d["id"], "user_id": rnd.choice(users).id,
                                    "round": 1, "state": "pending", "lead": False, "created_at": d["created_at"]})
        if steps:
            s.execute(insert(RouteStep), steps)
            s.execute(insert(StepAssignment), assignments)


def run(quick: bool = False) -> dict:
    n = 3000 if quick else 30000
    out: dict[str, float] = {"documents": n}
    with demo_bureau("eoffice-bench-supervision-") as (settings, db):
        t0 = time.perf_counter()
        _generate(db, n)
        out["generate_s"] = round(time.perf_counter() - t0, 2)
        cfg = settings.supervision
        today = date(2026, 11, 25)
        with db.session() as s:
            cal = calendar.load(s)
            t0 = time.perf_counter()
            tbl = figures.table(s, cfg, cal, figures.months(2026), today=today)
            out["dashboard_year_by_month_s"] = round(time.perf_counter() - t0, 3)
            out["due_in_year"] = sum(tbl.get(p, None).due for p in tbl.periods)
            t0 = time.perf_counter()
            figures.table(s, cfg, cal, figures.quarters(2026), today=today)
            out["dashboard_year_by_quarter_s"] = round(time.perf_counter() - t0, 3)
            t0 = time.perf_counter()
            items = deadlines.open_items(s, cfg, cal, today=today)
            out["overdue_list_s"] = round(time.perf_counter() - t0, 3)
            out["open_items"] = len(items)
            out["overdue_items"] = len(deadlines.overdue(items))
            lz = org.user_by_username(s, "lz_staff")
            assert lz is not None
            for i in range(500 if quick else 5000):
                notify.notify(s, lz, "task", f"新待办 {i}")
            s.flush()
            samples = []
            for _ in range(200):
                t0 = time.perf_counter()
                notify.unread_count(s, lz)
                samples.append(time.perf_counter() - t0)
            out.update({f"bell_unread_{k}": v for k, v in percentiles(samples).items()})
            sender = org.user_by_username(s, "office_head")
            assert sender is not None
            t0 = time.perf_counter()
            any_doc = s.get(Document, 1)
            for _ in range(50 if quick else 300):
                circulation.send(s, sender, document=any_doc,
                                 recipients=circulation.Recipients(department_codes=["LZC", "ZLC", "BGS"]))
            out["circulation_send_ms_each"] = round(1000 * (time.perf_counter() - t0) / (50 if quick else 300), 2)
            samples = []
            for _ in range(100):
                t0 = time.perf_counter()
                circulation.inbox(s, lz, unread_only=True)
                samples.append(time.perf_counter() - t0)
            out.update({f"circulation_inbox_{k}": v for k, v in percentiles(samples).items()})
            out["notifications"] = int(s.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
                                       or 0)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), ensure_ascii=False, indent=2))
