"""收文 intake of scanned 来文: OCR by the worker, never in a web request; the 登记 form fills in when done.

A 来文 that is a scan (an image: .jpg .png .tif; a PDF without a text layer) is stored as any 来文 is
(core.storage, by its SHA-256) and queued here for the worker's ``intake-ocr`` job. Files live under
<files dir>/intake/ (one writer for each kind of file):
- ``queue/<sha>`` while waiting, with the file's name (written by the web, removed by the worker once
  the result is written: a job survives a worker restart; a second click on the same file finds it
  and queues nothing more);
- ``<sha>.who``: ids of the people who uploaded it, one a line (web): only they see what was read;
- ``<sha>.json`` when read: ``{"lines": [...], "marks": [...], "pages": n, "seconds": s}`` (worker), the
  lines of the first `PAGES` pages as Tesseract read them, mended by documents.intake.ocr_lines (`read_scan`);
- ``<sha>.failed``: the reason (core.messages.to_data: Chinese, translatable), shown on the form (worker);
- ``<sha>.attempts``: how often the worker began reading it (worker); after `MAX_ATTEMPTS` starts that
  did not finish (the worker died inside OCR) the file is failed.

OCR is fileformats.ocr (the runner the archive indexer uses too), with the indexer's page time limit,
PDF pages rendered at `DPI`, Tesseract's ``chi_sim`` model only (the 版头's 文号 and 密级 read better
without ``eng`` mixed in: measured in tests/documents/test_intake_scan.py), at most the first `PAGES`
pages (the 版头, title, 主送 and mostly the 署名 and date), at nice 19.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from config import Settings
from core import storage
from core.messages import from_data, msg, to_data
from documents import intake
from fileformats import ocr

SCAN_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
PAGES = 2  # the 版头 and title are on the first page; the 署名 and date on the first or second
LANGUAGES = "chi_sim"
DPI = 200  # a scanned PDF's pages rendered at 200 dpi read better than at 300 (measured on 24 scans)
MAX_ATTEMPTS = 3
SECONDS_PER_PAGE = 2  # what the page tells the clerk (measured 1.0-1.7 s a page on 2 cores)


@dataclass(frozen=True)
class ScanState:
    """`status`: "pending" (waiting or being read), "ready" (`guess` holds what was read) or "failed"
    (`reason`, in Chinese: the clerk fills the form by hand)."""

    status: str
    guess: intake.Guess = field(default_factory=intake.Guess)
    reason: str = ""


def folder(files_dir: Path) -> Path:
    """Where scanned 来文 wait for OCR and their results are kept."""
    return files_dir / "intake"


def is_scan_name(name: str) -> bool:
    """True for an image 来文 (by its extension); a PDF is a scan when it has no text layer (intake.NoTextLayer)."""
    return storage.extension(name) in SCAN_SUFFIXES


def _valid(sha: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{64}", sha or ""))


def request(files_dir: Path, sha: str, name: str, user_id: int) -> bool:
    """Queue the stored scan `sha` (named `name`) for OCR for user `user_id`; return True when it was queued
    now, False when it is already waiting, read or failed (a second click queues nothing)."""
    if not _valid(sha):
        raise ValueError("not a content hash")
    base = folder(files_dir)
    (base / "queue").mkdir(parents=True, exist_ok=True)
    who = base / f"{sha}.who"
    if str(user_id) not in _users(who):
        with who.open("a", encoding="utf-8") as out:
            out.write(f"{user_id}\n")
    if (base / f"{sha}.json").exists() or (base / f"{sha}.failed").exists():
        return False
    entry = base / "queue" / sha
    try:
        with entry.open("x", encoding="utf-8") as out:  # exclusive: two clicks at once queue one job
            out.write(storage.clean_filename(name))
    except FileExistsError:
        return False
    return True


def _users(who: Path) -> set[str]:
    try:
        return set(who.read_text(encoding="utf-8").split())
    except OSError:
        return set()


def state(files_dir: Path, sha: str, user_id: int) -> ScanState | None:
    """What OCR made of the scan `sha` for `user_id`; None when that person never uploaded it (or no such scan)."""
    if not _valid(sha):
        return None
    base = folder(files_dir)
    if str(user_id) not in _users(base / f"{sha}.who"):
        return None
    failed = base / f"{sha}.failed"
    if failed.exists():
        try:
            reason = from_data(json.loads(failed.read_text(encoding="utf-8")))
        except (ValueError, AttributeError):
            reason = msg("扫描件无法识别，请手工填写。")
        return ScanState("failed", reason=reason)
    done = base / f"{sha}.json"
    if done.exists():
        try:
            stored = json.loads(done.read_text(encoding="utf-8"))
            lines = [str(line) for line in stored["lines"]]
            marks = [str(line) for line in stored.get("marks", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            return ScanState("failed", reason=msg("识别结果已损坏，请手工填写。"))
        found = intake.guess_scanned(lines, marks)
        if found == intake.Guess():
            return ScanState("failed", reason=msg("扫描件中没有识别出来文的版头和标题，请手工填写。"))
        return ScanState("ready", found)
    if not (base / "queue" / sha).exists():  # neither queued nor done: the queue was lost; ask again
        (base / "queue").mkdir(parents=True, exist_ok=True)
        (base / "queue" / sha).touch()
    return ScanState("pending")


def read_pending(settings: Settings, *, limit: int = 1) -> int:
    """The worker's ``intake-ocr`` job: read the oldest waiting scans (at most `limit`); return how many
    were handled. Never raises for a file's fault: the reason is written for the form."""
    base = folder(settings.files_dir)
    queue = base / "queue"
    if not queue.is_dir():
        return 0
    handled = 0
    for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
        sha = entry.name
        if not _valid(sha):
            entry.unlink(missing_ok=True)
            continue
        try:
            name = entry.read_text(encoding="utf-8").strip() or f"来文{Path(sha).suffix}"
        except OSError:
            continue
        attempts_file = base / f"{sha}.attempts"
        attempts = int(attempts_file.read_text(encoding="utf-8") or 0) if attempts_file.exists() else 0
        if attempts >= MAX_ATTEMPTS:
            _write(base / f"{sha}.failed", json.dumps(to_data(msg("多次识别失败，请手工填写。")), ensure_ascii=False))
        else:
            _write(attempts_file, str(attempts + 1))  # counted before the work: a crash in OCR is an attempt
            result = read_scan(settings, sha, name)
            if isinstance(result, str):
                _write(base / f"{sha}.failed", json.dumps(to_data(result), ensure_ascii=False))
            else:
                _write(base / f"{sha}.json", json.dumps(result, ensure_ascii=False))
        entry.unlink(missing_ok=True)
        attempts_file.unlink(missing_ok=True)
        handled += 1
    return handled


def read_scan(settings: Settings, sha: str, name: str) -> dict[str, object] | str:
    """OCR the stored scan `sha` (named `name`, whose extension tells its kind) with `read_file`; return
    ``{"lines", "marks", "pages", "seconds"}`` or the reason (Chinese) it could not be read: OCR not
    installed, encrypted, unreadable, every page over the time limit (the indexer's
    ``ocr_page_timeout_seconds``)."""
    kind = storage.extension(name).lstrip(".") or "png"
    page_seconds = settings.indexer.ocr_page_timeout_seconds
    started = time.monotonic()
    try:
        if not ocr.available(LANGUAGES):
            return msg("服务器未安装文字识别（OCR）组件，无法识别扫描件，请手工填写。")
        with tempfile.TemporaryDirectory(prefix="eoffice-intake-ocr-") as tmp:
            work = Path(tmp)
            source = work / f"来文.{kind}"
            source.write_bytes(storage.read(settings.files_dir, sha))
            read = read_file(source, kind, work, page_seconds=page_seconds)
    except ocr.OcrUnavailable:
        return msg("服务器未安装文字识别（OCR）组件，无法识别扫描件，请手工填写。")
    except ocr.OcrFailed as exc:
        return {
            "encrypted": msg("来文 PDF 已加密，无法识别，请手工填写。"),
            "empty": msg("扫描件中没有可识别的页面，请手工填写。"),
            "timeout": msg("扫描件识别超时（每页超过 %(seconds)s 秒），请手工填写。", seconds=round(page_seconds)),
        }.get(exc.reason, msg("扫描件无法识别（图片可能已损坏），请手工填写。"))
    except (OSError, storage.FileRefused):
        return msg("存储的来文无法读取，请手工填写。")
    return {**read, "seconds": round(time.monotonic() - started, 2)}


def read_file(source: Path, kind: str, work: Path, *, page_seconds: float = 60.0) -> dict[str, object]:
    """OCR the local scan `source` of `kind` ("png", "pdf"...) with scratch folder `work`: the first `PAGES`
    pages, each within `page_seconds`. Return ``{"lines": [str], "marks": [str], "pages": int}``; raises
    fileformats.ocr.OcrUnavailable or OcrFailed.

    `lines` are Tesseract's reading with page layout (psm 3) mended by intake.ocr_lines; `marks` a second,
    sparse-text reading (psm 11) of the first page, made only when the first found no 紧急程度 or no 密级
    (intake.guess_scanned takes a lone 特急 or 秘密 from it; about 1 s more)."""
    limits = ocr.Limits(languages=LANGUAGES, page_timeout_seconds=page_seconds, max_pages=PAGES, dpi=DPI)
    pages = ocr.read_pages(source, kind, work, limits)
    lines = intake.ocr_lines(pages.texts)
    marks: list[str] = []
    first = intake.guess_scanned(lines)
    if not first.urgency or first.classification is None:  # a lone mark may have been skipped
        try:
            marks = intake.ocr_lines(
                ocr.read_pages(source, kind, work, dataclasses.replace(limits, max_pages=1, psm=11)).texts)
        except ocr.OcrFailed:
            marks = []
    return {"lines": lines, "marks": marks, "pages": len(pages.texts)}


def _write(path: Path, text: str) -> None:
    """Write a file whole (a reader never sees half of it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
