"""Printing: route + submit a PDF job to a local cupsd (p50/p95, jobs per second); docx conversion time.

Runs against a private cupsd started here (tests/printing/cupsd.py) with capture queues, on a fresh
SQLite demo bureau. One job = request_print (read the PDF, route, record) + commit + the dispatcher's
submission to CUPS (pycups in its deadline thread) + recording the CUPS job id.
"""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import demo
from config import load_settings
from core import migrate, org
from core.db import connect
from printing import service
from printing.dispatcher import Dispatcher, TickReport
from printing.routing import PrintRequest, route
from tests.printing.cupsd import Cupsd
from tests.printing.jobs import DEPARTMENT_QUEUES, ROOM, make_pdf

PASSWORD = "bench-Pass-123"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _docx(path: Path, pages: int) -> None:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for n in range(pages):
        document.add_paragraph(f"第 {n + 1} 页：关于开展森林防火检查工作的通知。" * 8)
        if n + 1 < pages:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(path)


def run(quick: bool = False) -> dict:
    jobs = 40 if quick else 300
    out: dict[str, float] = {"jobs": jobs}
    server = Cupsd().start()
    try:
        for q in (*DEPARTMENT_QUEUES, *ROOM):
            server.add_queue(q)
        with tempfile.TemporaryDirectory(prefix="eoffice-bench-printing-") as tmp:
            data_dir = Path(tmp) / "var"
            settings = load_settings(env={"EOFFICE_DATA_DIR": str(data_dir), "EOFFICE_DEMO_PASSWORD": PASSWORD})
            settings = settings.replace(printing=dataclasses.replace(
                settings.printing, cups_server=server.server,
                department_queues={"LZC": ("dept-lzc",), "BGS": ("dept-bgs",)}, central_queues=ROOM,
            ))
            db = connect(settings.database_url)
            migrate.upgrade(db)
            with db.session() as s:
                demo.seed(s, data_dir=data_dir, archive_dir=settings.archive_dir, password=PASSWORD)
            disp = Dispatcher(settings, db)
            states = disp.refresh_printers()
            pdf = make_pdf(3)

            # Pure routing.
            request = PrintRequest(department="LZC", pages=3)
            started = time.perf_counter()
            for _ in range(10_000):
                route(request, disp.policy, states)
            out["route_us"] = round((time.perf_counter() - started) / 10_000 * 1e6, 2)

            timings = []
            begin = time.perf_counter()
            for n in range(jobs):
                t0 = time.perf_counter()
                with db.session() as s:
                    user = org.user_by_username(s, "lz_staff")
                    service.request_print(s, settings, user, service.UploadedFile(f"memo-{n}.pdf", pdf),
                                          service.PrintOptions())
                disp.submit_queued(states, TickReport())
                timings.append((time.perf_counter() - t0) * 1000)
            total = time.perf_counter() - begin
            out["route_submit_p50_ms"] = round(statistics.median(timings), 1)
            out["route_submit_p95_ms"] = round(_percentile(timings, 0.95), 1)
            out["jobs_per_second"] = round(jobs / total, 1)
            deadline = time.monotonic() + 60
            while len(server.captured()) < jobs and time.monotonic() < deadline:
                time.sleep(0.2)
            out["printed"] = len(server.captured())

            # .docx -> PDF with LibreOffice: a cold 1-page run and a 10-page one.
            if shutil.which(settings.printing.soffice):
                from printing.documents import docx_to_pdf

                sizes = (1, 10) if quick else (1, 10, 30)
                for pages in sizes:
                    src = Path(tmp) / f"doc{pages}.docx"
                    _docx(src, pages)
                    t0 = time.perf_counter()
                    docx_to_pdf(src, Path(tmp) / f"doc{pages}.pdf", soffice=settings.printing.soffice,
                                timeout=300, lock_dir=Path(tmp))
                    out[f"docx_{pages}p_seconds"] = round(time.perf_counter() - t0, 2)
                first, last = sizes[0], sizes[-1]
                out["docx_seconds_per_extra_page"] = round(
                    (out[f"docx_{last}p_seconds"] - out[f"docx_{first}p_seconds"]) / (last - first), 3)
            db.engine.dispose()
    finally:
        server.cleanup()
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
