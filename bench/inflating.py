"""Memory while handling an inflating .docx (issue 16 §3): peak RSS of the web process and of its children.

Builds a ~1 MB .docx whose word/document.xml inflates to ~1 GB (and one whose docProps/app.xml does), then
runs each step the way eoffice runs it, each step in a fresh Python process so its figures are its own:

- print_web:      POST /printing/ with the file (the web request: read within the limit, record the job)
- print_worker:   the print dispatcher's conversion step for that job (zip check, then LibreOffice)
- preview_web:    POST /documents/new with the file as 正文, then GET its preview (the web request)
- preview_worker: the worker's preview conversion (storage.convert_previews)
- formal_worker:  the 套红 version with it as 正文 (redhead.build_limited: zip check, then a limited child)
- filing_web:     归档's page count of a .docx whose docProps/app.xml inflates (storage.page_counts)
- soffice_capped: LibreOffice run directly on the inflating file, zip check skipped (the limit alone)

Each step reports the process's own peak RSS (getrusage RUSAGE_SELF) and the largest peak of the
children it waited for (RUSAGE_CHILDREN), in MB. Usage: python -m bench.inflating [--json]
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from tests.support import inflating_docx

PASSWORD = "bench-Pass-123"
STEPS = ("print_web", "print_worker", "preview_web", "preview_worker", "formal_worker", "filing_web",
         "soffice_capped")


def _settings(work: Path):
    from config import load_settings

    return load_settings(env={"EOFFICE_DATA_DIR": str(work / "var"), "EOFFICE_DEMO_PASSWORD": PASSWORD})


def _prepare(work: Path) -> None:
    import demo
    from core import migrate
    from core.db import connect

    settings = _settings(work)
    db = connect(settings.database_url)
    migrate.upgrade(db)
    with db.session() as session:
        demo.seed(session, data_dir=settings.data_dir, archive_dir=settings.archive_dir, password=PASSWORD)
    db.engine.dispose()
    (work / "bomb.docx").write_bytes(inflating_docx(1000))
    (work / "bomb-app.docx").write_bytes(inflating_docx(1000, part="docProps/app.xml"))


class _Auth:
    """Sign in through the login page and read CSRF tokens from pages, as a browser does."""

    def __init__(self, client) -> None:
        self.client = client

    def csrf(self, path: str) -> str:
        import re

        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.client.get(path).get_data(as_text=True))
        assert found, path
        return found.group(1)

    def login(self, username: str) -> None:
        self.client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": self.csrf("/login")})


def _client(work: Path):
    from intranet import create_app

    app = create_app(_settings(work))
    app.config.update(TESTING=True)
    client = app.test_client()
    auth = _Auth(client)
    auth.login("lz_staff")
    return client, auth


def _step(name: str, work: Path) -> dict[str, object]:
    settings = _settings(work)
    bomb = work / "bomb.docx"
    started = time.monotonic()
    outcome = ""
    if name == "print_web":
        client, auth = _client(work)
        resp = client.post("/printing/", data={"csrf_token": auth.csrf("/printing/"), "copies": "1", "media": "auto",
                                               "document": (io.BytesIO(bomb.read_bytes()), "炸弹.docx")},
                           content_type="multipart/form-data")
        outcome = f"HTTP {resp.status_code}"
    elif name == "print_worker":
        from core.db import connect
        from printing.dispatcher import Dispatcher, TickReport

        db = connect(settings.database_url)
        Dispatcher(settings, db).convert_waiting(TickReport())
        from sqlalchemy import select

        from core.models import PrintJob

        with db.session() as s:
            job = s.scalars(select(PrintJob).order_by(PrintJob.id.desc())).first()
            outcome = f"job {job.state}: {job.message}" if job else "no job"
    elif name == "preview_web":
        client, auth = _client(work)
        token = auth.csrf("/documents/new?kind=outgoing")
        resp = client.post("/documents/new", data={
            "csrf_token": token, "kind": "outgoing", "title": "炸弹正文", "urgency": "normal", "classification": "1",
            "retention": "D30", "main_file": (io.BytesIO(bomb.read_bytes()), "正文.docx")},
            content_type="multipart/form-data")
        doc_id = int(resp.headers["Location"].rsplit("/", 1)[-1])
        html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
        import re

        file_id = re.search(rf"/documents/{doc_id}/files/(\d+)/preview", html).group(1)
        outcome = f"preview HTTP {client.get(f'/documents/{doc_id}/files/{file_id}/preview').status_code}"
    elif name == "preview_worker":
        from core import storage

        storage.convert_previews(settings.files_dir, soffice=settings.printing.soffice, timeout=120)
        failed = list((settings.files_dir / "previews").glob("*.failed"))
        outcome = failed[0].read_text(encoding="utf-8") if failed else "converted"
    elif name == "formal_worker":
        from datetime import date

        from documents import redhead

        facts = redhead.FormalFacts(organ_name="示范市林业局", doc_number="示林发〔2026〕1号", title="炸弹正文",
                                    main_recipients="各处室", signed_on=date.today(), issued_by="示范市林业局办公室",
                                    issued_on=date.today())
        try:
            redhead.build_limited(facts, bomb, work / "formal")
            outcome = "made"
        except ValueError as exc:
            outcome = str(exc)
    elif name == "filing_web":
        from core import storage

        outcome = f"pages {storage.page_counts([(work / 'bomb-app.docx', 'bomb-app.docx')])}"
    elif name == "soffice_capped":
        from fileformats import office

        try:
            office.convert(bomb, "pdf", work / "capped.pdf", input_suffix=".docx", timeout=60)
            outcome = "converted"
        except office.ConversionFailed as exc:
            outcome = str(exc)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"step": name, "self_mb": round(own), "children_mb": round(children),
            "seconds": round(time.monotonic() - started, 1), "outcome": outcome}


def run(quick: bool = False) -> dict:
    """Prepare a demo bureau and the files, run every step in its own process; return the figures."""
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="eoffice-bench-inflating-") as tmp:
        work = Path(tmp)
        _prepare(work)
        results["file_kb"] = (work / "bomb.docx").stat().st_size // 1024
        with zipfile.ZipFile(work / "bomb.docx") as z:
            results["inflated_mb"] = sum(i.file_size for i in z.infolist()) >> 20
        for step in STEPS:
            done = subprocess.run([sys.executable, "-m", "bench.inflating", "--step", step, str(work)],
                                  capture_output=True, text=True, timeout=600, check=False)
            lines = done.stdout.strip().splitlines()
            results[step] = json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr[-800:]}
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["--step"]:
        print(json.dumps(_step(sys.argv[2], Path(sys.argv[3])), ensure_ascii=False))
    else:
        figures = run()
        print(json.dumps(figures, ensure_ascii=False, indent=1))
