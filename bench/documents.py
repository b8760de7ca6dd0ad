"""待办 and document pages with many documents: 100k documents and 1M actions (full), 10k / 100k (quick).

A fresh SQLite demo bureau gets generated 发文 with their seven route steps, assignments and ten
actions each (30% still in flow, 70% filed); the office clerk holds the numbering, distribution and
filing steps, so their 待办 is the largest in the bureau. Then, through waitress (the production WSGI
server), 20 concurrent clients load the 待办 page and random document pages; a bare Flask page on the
same server is the baseline for the ratios. Single-client p50/p95 are measured first.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import insert, select

import demo
from bench.web import PASSWORD, _login_cookie, _serve, load
from config import load_settings
from core import migrate, org
from core.db import connect
from core.models.documents import Document, DocumentAction, RouteStep, RouteTemplate, StepAssignment
from intranet import create_app

CHUNK = 20_000
TOPICS = ["造林", "防火", "林政", "财务"]
PRIORITY = {"very_urgent": 0, "urgent": 1, "normal": 2}


def _generate(db, n_docs: int, actions_per_doc: int, rnd: random.Random) -> list[int]:
    """Insert the documents; return the ids of documents the clerk may open (filed, clerk on the route)."""
    with db.session() as s:
        template = s.scalar(select(RouteTemplate).where(RouteTemplate.code == "outgoing"))
        steps_spec = template.steps
        by_name = {u.username: u for u in org.users(s)}
        staff = [u for u in by_name.values() if u.department_id is not None]
        heads = {u.department_id: u for u in by_name.values() if "dept_head" in u.role_codes}
        clerk, office_head, director = by_name["clerk"].id, by_name["office_head"].id, by_name["director"].id
        template_id = template.id
    start = datetime(2026, 1, 5, tzinfo=UTC)
    visible: list[int] = []
    docs: list[dict] = []
    steps: list[dict] = []
    assignments: list[dict] = []
    actions: list[dict] = []
    step_id = 0

    def flush() -> None:
        with db.session() as s:
            for model, rows in ((Document, docs), (RouteStep, steps), (StepAssignment, assignments),
                                (DocumentAction, actions)):
                if rows:
                    s.execute(insert(model), rows)
                    rows.clear()

    for doc_id in range(1, n_docs + 1):
        drafter = rnd.choice(staff)
        head = heads.get(drafter.department_id, by_name["lz_head"])
        created = start + timedelta(minutes=rnd.randrange(0, 60 * 24 * 300))
        active_at = rnd.randrange(1, 8) if rnd.random() < 0.3 else None  # 1-based position of the open step
        holders = [head.id, by_name["zl_head"].id, office_head, director, clerk, clerk, clerk]
        docs.append({
            "id": doc_id, "kind": "outgoing", "title": f"关于{rnd.choice(TOPICS)}工作的通知{doc_id}",
            "urgency": rnd.choice(["normal", "normal", "normal", "urgent", "very_urgent"]), "classification": 1,
            "main_recipients": "各区县林业局", "cc_recipients": "", "department_id": drafter.department_id,
            "drafter_id": drafter.id, "template_id": template_id, "route_plan": {}, "route_round": 1,
            "state": "active" if active_at else "filed", "version": 10, "co_departments": [], "distribution": {},
            "retention": "D30", "created_at": created, "updated_at": created + timedelta(days=3),
            "doc_number": None if active_at and active_at <= 5 else f"示林发〔2026〕{doc_id}号",
        })
        if not active_at:
            visible.append(doc_id)
        for position, spec in enumerate(steps_spec, start=1):
            step_id += 1
            if not active_at or position < active_at:
                state = "done"
            else:
                state = "active" if position == active_at else "waiting"
            steps.append({"id": step_id, "document_id": doc_id, "route_round": 1, "position": position,
                          "key": spec["key"], "name": spec["name"], "kind": spec["kind"],
                          "mode": spec.get("mode", "one"),
                          "spec": spec, "state": state, "round": 0 if state == "waiting" else 1})
            if state != "waiting":
                assignments.append({"step_id": step_id, "document_id": doc_id, "user_id": holders[position - 1],
                                    "round": 1, "lead": False, "state": "done" if state == "done" else "pending",
                                    "priority": PRIORITY[docs[-1]["urgency"]],
                                    "created_at": created + timedelta(hours=position)})
        kinds = ["create", "revise", "submit"] + ["approve"] * 4 + ["comment"] * (actions_per_doc - 7)
        for i, kind in enumerate(kinds[:actions_per_doc]):
            actor = holders[min(i, 6)] if i > 2 else drafter.id
            actions.append({"document_id": doc_id, "action": kind, "actor_id": actor,
                            "opinion": "同意" if kind in ("approve", "comment") else None,
                            "step_name": steps_spec[min(i, 6)]["name"], "at": created + timedelta(hours=i)})
        if len(actions) >= CHUNK:
            flush()
    flush()
    return visible


def run(quick: bool = False) -> dict[str, object]:
    """Generate the documents, then time the pages alone and under 20 concurrent clients."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    n_docs, per_doc = (10_000, 10) if quick else (100_000, 10)
    clients, per_client, single = (20, 10, 40) if quick else (20, 40, 100)
    rnd = random.Random(5)
    out: dict[str, object] = {"documents": n_docs, "actions": n_docs * per_doc, "clients": clients}
    with tempfile.TemporaryDirectory(prefix="eoffice-bench-documents-") as tmp:
        settings = load_settings(env={"EOFFICE_DATA_DIR": tmp, "EOFFICE_DEMO_PASSWORD": PASSWORD})
        db = connect(settings.database_url)
        migrate.upgrade(db)
        with db.session() as s:
            demo.seed(s, data_dir=Path(tmp), archive_dir=settings.archive_dir, password=PASSWORD)
        t0 = time.perf_counter()
        visible = _generate(db, n_docs, per_doc, rnd)
        out["generate_seconds"] = round(time.perf_counter() - t0, 1)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        with db.session() as s:
            clerk = org.user_by_username(s, "clerk")
            out["clerk_inbox"] = s.query(StepAssignment).filter_by(user_id=clerk.id, state="pending").count()
        bare = Flask("bare")
        bare.add_url_rule("/", "bare", lambda: "ok")
        bare_server, bare_port = _serve(bare)
        app_server, app_port = _serve(create_app(settings, db=db))
        try:
            cookie = _login_cookie(app_port)  # the office clerk
            inbox_path = lambda: "/documents/"  # noqa: E731
            doc_path = lambda: f"/documents/{rnd.choice(visible)}"  # noqa: E731
            out["inbox_single"] = load(app_port, inbox_path, cookie, 1, single)
            out["document_single"] = load(app_port, doc_path, cookie, 1, single)
            baseline = load(bare_port, lambda: "/", "", clients, per_client * 5)
            inbox = load(app_port, inbox_path, cookie, clients, per_client)
            page = load(app_port, doc_path, cookie, clients, per_client)
        finally:
            bare_server.close()
            app_server.close()
            db.engine.dispose()
    out.update({
        "bare_flask": baseline, "inbox_concurrent": inbox, "document_concurrent": page,
        "inbox_rps_ratio_to_bare": round(inbox["rps"] / baseline["rps"], 3),
        "document_rps_ratio_to_bare": round(page["rps"] / baseline["rps"], 3),
    })
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), ensure_ascii=False, indent=2))
