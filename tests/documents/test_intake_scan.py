"""收文 intake of scanned 来文 (issue 13 §4): read by the real Tesseract in the worker's job, the form filled.

The scans are 公文 pages laid out as GB/T 9704 puts them (tests/support/scans.py: red 发文机关标志, 文号,
title over one or two lines, 主送, body, 署名, date), at 200 and 300 dpi, as PNG and as image-only PDF,
some turned a little, some salted with specks. Every field is checked on each; the accuracy per field is
printed and must stay above the floor asserted below (measured: see docs/documents.md).
"""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import date
from pathlib import Path

import pytest

from documents import intake, intake_scan
from fileformats import ocr
from tests.support import scans

pytestmark = pytest.mark.slow

ORGANS = ["示范市林业和草原局", "省林业和草原局", "示范市人民政府办公室", "示范市财政局", "示范市应急管理局",
          "示范县人民政府"]
CODES = ["示林发", "省林发", "示政办发", "示财农", "示应急函", "示县政"]
TITLES = [["关于做好2026年冬春森林防火", "工作的通知"], ["关于下达林业有害生物防治专项资金的通知"],
          ["关于开展松材线虫病疫情专项", "普查的通知"], ["关于报送林长制工作落实情况的函"],
          ["关于印发示范市古树名木保护", "管理办法的通知"], ["关于加强野生动物保护工作的通知"]]
RECIPIENTS = ["各区县林业局", "各市（州）林业和草原局", "局机关各处室，各直属单位", "示范市林业局"]
URGENCY = {"": "", "特急": "very_urgent", "加急": "urgent"}


def corpus(count: int = 12) -> list[tuple[scans.Laid, str, dict[str, object]]]:
    """(来文, file kind, how it is scanned): PNG and image-only PDF, 200 and 300 dpi, turned, noisy."""
    out = []
    for i in range(count):
        laid = scans.Laid(ORGANS[i % 6], f"{CODES[i % 6]}〔2026〕{7 + 13 * i}号", TITLES[i % 6], RECIPIENTS[i % 4],
                          date(2026, 1 + i % 12, 1 + (3 + 5 * i) % 28), classification="秘密★1年" if i % 4 == 1 else "",
                          urgency=["", "", "特急", "加急"][i % 4] if i % 3 else "")
        how = {"dpi": 300 if i % 2 else 200, "angle": [0, 0.7, -0.5, 0][i % 4], "noise": 0.002 if i % 5 == 2 else 0.0,
               "seed": i}
        out.append((laid, "pdf" if i % 3 == 1 else "png", how))
    return out


def test_scanned_incoming_documents_are_read_field_by_field(tmp_path):
    assert ocr.available(intake_scan.LANGUAGES), "tesseract-ocr and tesseract-ocr-chi-sim are needed"
    fields = ("organ", "number", "title", "recipients", "date", "classification", "urgency")
    scores = dict.fromkeys(fields, 0)
    failures: list[str] = []
    seconds: list[float] = []
    samples = corpus()
    for i, (laid, kind, how) in enumerate(samples):
        work = tmp_path / str(i)
        work.mkdir()
        path = scans.save(laid, work / f"来文.{kind}", **how)
        started = time.monotonic()
        read = intake_scan.read_file(path, kind, work)  # what the worker's job does with a stored scan
        found = intake.guess_scanned(read["lines"], read["marks"])
        seconds.append(time.monotonic() - started)
        checks = {
            "organ": found.source_organ == laid.organ, "number": found.source_number == laid.number,
            "title": found.title == laid.title, "recipients": found.main_recipients == laid.recipients,
            "date": found.signed_on == laid.signed_on,
            "classification": found.classification == (2 if laid.classification else None),
            "urgency": found.urgency == URGENCY[laid.urgency],
        }
        for name, ok in checks.items():
            scores[name] += ok
            if not ok:
                failures.append(f"{i} {kind} {how} {name}: {found}")
    accuracy = {name: round(score / len(samples), 2) for name, score in scores.items()}
    print("scanned intake accuracy over", len(samples), "scans:", accuracy,
          f"mean {sum(seconds) / len(seconds):.2f} s a scan, max {max(seconds):.2f} s")
    # Floors a little under what was measured (docs/documents.md): a character misread by OCR (函 as 画,
    # 资 as 换) costs a whole field; the clerk checks each one.
    floors = {"organ": 0.8, "number": 0.7, "title": 0.5, "recipients": 0.75, "date": 0.75, "classification": 0.9,
              "urgency": 0.75}
    assert all(accuracy[name] >= floor for name, floor in floors.items()), (accuracy, failures)


def test_ocr_mending_of_a_scanned_head():
    lines = intake.ocr_lines(["特急\n示范市财政局文人\n\n示财农【2026]j 46与\n天于报送林长制工作落实情况的函\n"
                              "示范市林业局;\n正文。\n示范市财政局\n2026年4月9日\n"])
    found = intake.guess_scanned(lines)
    assert (found.source_organ, found.source_number, found.title, found.main_recipients, found.urgency) == (
        "示范市财政局", "示财农〔2026〕46号", "关于报送林长制工作落实情况的函", "示范市林业局", "very_urgent")
    # The 署名 in body type wins over a 红头 misread by a character.
    assert intake.guess_scanned(["示泄市财政局文件", "示财农〔2026〕46号", "关于报送的函", "示范市林业局：",
                                 "正文。", "示范市财政局", "2026年4月9日"]).source_organ == "示范市财政局"


def _upload(client, token: str, path: Path):
    return client.post("/documents/intake", data={"csrf_token": token, "intake_file": (path.open("rb"), path.name)},
                       content_type="multipart/form-data")


def test_a_scan_is_queued_once_read_by_the_worker_and_fills_the_form(client, auth, db, settings, tmp_path):
    from sqlalchemy import select

    from core.models.documents import Document, DocumentFile

    laid = scans.Laid("示范市应急管理局", "示应急函〔2026〕35号", ["关于加强汛期安全防范工作的通知"], "各区县林业局",
                      date(2026, 6, 8), urgency="加急")
    path = scans.save(laid, tmp_path / "扫描来文.png", dpi=200)
    auth.login("clerk")
    token = auth.csrf("/documents/new?kind=incoming")
    html = _upload(client, token, path).get_data(as_text=True)
    assert 'id="intake-scan"' in html and "正在识别文字" in html and 'id="new-document"' in html
    assert "js/intake-scan.js" in html and "<script>" not in html  # polling from a static file (CSP)
    sha = re.search(r'name="intake_sha" value="([0-9a-f]{64})"', html).group(1)
    queue = intake_scan.folder(settings.files_dir) / "queue"
    assert [p.name for p in queue.iterdir()] == [sha]
    again = _upload(client, token, path).get_data(as_text=True)  # a second click
    assert 'id="intake-scan"' in again and [p.name for p in queue.iterdir()] == [sha]
    result = client.get(f"/documents/intake/{sha}/result").get_json()
    assert result["status"] == "pending"

    assert intake_scan.read_pending(settings) == 1  # the worker's job, run here
    assert intake_scan.read_pending(settings) == 0  # queued once
    result = client.get(f"/documents/intake/{sha}/result").get_json()
    assert result["status"] == "ready", result
    # OCR may misread a character (函 as 本): the 文号's year and number and the title's words are checked.
    number, title = result["fields"]["source_number"], result["fields"]["title"]
    assert number.endswith("〔2026〕35号") and "安全防范工作的通知" in title, result
    page = client.get(f"/documents/intake/{sha}?name=扫描来文.png").get_data(as_text=True)
    assert 'id="intake-note"' in page and f'value="{number}"' in page and f'value="{title}"' in page

    resp = client.post("/documents/new?kind=incoming", data={
        "csrf_token": token, "kind": "incoming", "title": "关于加强汛期安全防范工作的通知", "urgency": "urgent",
        "classification": "0", "retention": "D30", "source_organ": "示范市应急管理局",
        "source_number": "示应急函〔2026〕35号", "received_on": "2026-06-09", "intake_sha": sha,
        "intake_name": "扫描来文.png"})
    assert resp.status_code == 302
    with db.session() as s:
        doc = s.scalar(select(Document).where(Document.source_number == "示应急函〔2026〕35号"))
        main = s.scalar(select(DocumentFile).where(DocumentFile.document_id == doc.id))
        assert (main.sha256, main.filename, main.role) == (sha, "扫描来文.png", "main")
    auth.logout()
    auth.login("lz_staff")  # someone else never sees what was read of another's upload
    assert client.get(f"/documents/intake/{sha}/result").status_code in (403, 404)


def test_a_pdf_without_text_is_a_scan_too_and_the_clerk_typing_meanwhile_keeps_the_file(client, auth, settings,
                                                                                      tmp_path):
    laid = scans.Laid("示范市财政局", "示财农〔2026〕9号", ["关于下达专项资金的通知"], "各区县林业局", date(2026, 2, 3))
    path = scans.save(laid, tmp_path / "来文.pdf", dpi=200)
    auth.login("clerk")
    token = auth.csrf("/documents/new?kind=incoming")
    html = _upload(client, token, path).get_data(as_text=True)
    assert 'id="intake-scan"' in html and "没有文字层" not in html


def test_without_tesseract_the_clerk_is_told_and_fills_by_hand(client, auth, settings, tmp_path, monkeypatch):
    laid = scans.Laid("示范市财政局", "示财农〔2026〕9号", ["关于下达专项资金的通知"], "各区县林业局", date(2026, 2, 3))
    path = scans.save(laid, tmp_path / "来文.png", dpi=150)
    auth.login("clerk")
    token = auth.csrf("/documents/new?kind=incoming")
    sha = re.search(r'name="intake_sha" value="([0-9a-f]{64})"',
                    _upload(client, token, path).get_data(as_text=True)).group(1)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a server without tesseract (nor anything else)
    assert intake_scan.read_pending(settings) == 1
    monkeypatch.undo()
    result = client.get(f"/documents/intake/{sha}/result").get_json()
    assert result["status"] == "failed" and "未安装文字识别" in result["message"]
    page = client.get(f"/documents/intake/{sha}?name=来文.png").get_data(as_text=True)
    assert 'id="intake-scan-failed"' in page and "未安装文字识别" in page and 'name="intake_sha"' in page
    refused = client.post("/documents/new?kind=incoming", data={  # no title: refused, the 来文 still kept
        "csrf_token": token, "kind": "incoming", "title": "", "urgency": "normal", "classification": "0",
        "retention": "D30", "source_organ": "示范市财政局", "received_on": "2026-02-04", "intake_sha": sha,
        "intake_name": "来文.png"}).get_data(as_text=True)
    assert 'id="intake-kept"' in refused and f'name="intake_sha" value="{sha}"' in refused
    assert 'value="示范市财政局"' in refused  # what the clerk typed


def test_unreadable_encrypted_and_slow_scans_say_so(settings, tmp_path):
    from reportlab.pdfgen import canvas

    from core import storage

    files = settings.files_dir
    broken = storage.store(files, "坏.png", b"\x89PNG\r\n\x1a\n not an image", role="scan")
    assert "无法识别" in str(intake_scan.read_scan(settings, broken.sha256, "坏.png"))

    image = tmp_path / "page.png"
    scans.save(scans.Laid("示范市财政局", "示财农〔2026〕9号", ["关于下达专项资金的通知"], "各区县林业局",
                          date(2026, 2, 3)), image, dpi=100)
    c = canvas.Canvas(str(tmp_path / "enc.pdf"), encrypt="secret")
    c.drawImage(str(image), 0, 0, width=595, height=842)
    c.save()
    locked = storage.store(files, "加密.pdf", (tmp_path / "enc.pdf").read_bytes(), role="scan")
    assert "已加密" in str(intake_scan.read_scan(settings, locked.sha256, "加密.pdf"))

    slow = settings.replace(indexer=dataclasses.replace(settings.indexer, ocr_page_timeout_seconds=0.05))
    page = storage.store(files, "来文.png", image.read_bytes(), role="scan")
    assert "超时" in str(intake_scan.read_scan(slow, page.sha256, "来文.png"))


def test_the_worker_runs_the_intake_job(settings, db):
    from intranet.worker import default_jobs

    jobs, _services = default_jobs(settings, db)
    assert "intake-ocr" in [job.name for job in jobs]


def test_a_job_survives_a_worker_that_died_while_reading(settings, tmp_path):
    """The queue entry stays until the result is written: a worker killed inside OCR reads it again after its
    restart; three starts that never finished fail the file with a reason instead of looping."""
    from core import storage

    laid = scans.Laid("示范市财政局", "示财农〔2026〕9号", ["关于下达专项资金的通知"], "各区县林业局", date(2026, 2, 3))
    stored = storage.store(settings.files_dir, "来文.png", scans.save(laid, tmp_path / "s.png", dpi=200).read_bytes(),
                           role="scan")
    base = intake_scan.folder(settings.files_dir)
    assert intake_scan.request(settings.files_dir, stored.sha256, "来文.png", 7)
    assert not intake_scan.request(settings.files_dir, stored.sha256, "来文.png", 7)  # queued once
    (base / f"{stored.sha256}.attempts").write_text("1", encoding="utf-8")  # the worker died in OCR once
    assert intake_scan.state(settings.files_dir, stored.sha256, 7).status == "pending"
    assert intake_scan.read_pending(settings) == 1  # after the restart
    done = intake_scan.state(settings.files_dir, stored.sha256, 7)
    assert done.status == "ready" and done.guess.source_number.endswith("〔2026〕9号")
    assert intake_scan.state(settings.files_dir, stored.sha256, 8) is None  # not this person's upload

    other = storage.store(settings.files_dir, "又一份.png", b"\x89PNG\r\n\x1a\n" + b"x" * 50, role="scan")
    intake_scan.request(settings.files_dir, other.sha256, "又一份.png", 7)
    (base / f"{other.sha256}.attempts").write_text(str(intake_scan.MAX_ATTEMPTS), encoding="utf-8")
    assert intake_scan.read_pending(settings) == 1
    failed = intake_scan.state(settings.files_dir, other.sha256, 7)
    assert failed.status == "failed" and "多次识别失败" in failed.reason
    assert not list((base / "queue").iterdir())
