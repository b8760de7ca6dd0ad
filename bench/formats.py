"""The archive on what a bureau's share really holds: legacy office formats through LibreOffice, scans
through OCR, next to ordinary text files.

python -m bench --only formats [--quick]

1. LibreOffice conversions per second, one process per file (fileformats.office), on generated .doc files.
2. OCR seconds per page (Tesseract chi_sim+eng at 300 dpi) on generated scans of 公文 text.
3. End-to-end rebuild of a mixed corpus (docx, pdf, txt, .doc, .xls, .ppt, .wps, scans, and broken files):
   docs/s, outcomes, peak RSS of the indexing process and, separately, of its children (extraction
   sandboxes, LibreOffice, tesseract: RUSAGE_CHILDREN).
4. Drop-to-searchable through the running indexer (watcher, 2 s settle): one .doc and a one-page scan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.indexer import _prepare
from fileformats.office import convert
from tests.library import corpus, realfiles


def _mixed(root: Path, scratch: Path, count: int) -> int:
    """Write `count` files of every kind into root/<dept>/2025; return how many files."""
    texts = corpus.documents(count * 3, seed=11)
    made = 0
    corpus.write_docx(scratch / "seed.docx", texts[0])
    realfiles.via_libreoffice(scratch / "seed.docx", "doc", scratch / "seed.doc")
    book = scratch / "seed.xlsx"
    import openpyxl

    wb = openpyxl.Workbook()
    for line in texts[1].split("\n")[:40]:
        wb.active.append([line[:30], line[30:60]])
    wb.save(book)
    realfiles.via_libreoffice(book, "xls", scratch / "seed.xls")
    realfiles.odp(scratch / "seed.odp", texts[2].split("\n")[:6])
    realfiles.via_libreoffice(scratch / "seed.odp", "ppt", scratch / "seed.ppt")
    for i in range(count):
        folder = root / ["BGS", "LZC", "ZLC", "YBC"][i % 4] / "2025"
        folder.mkdir(parents=True, exist_ok=True)
        corpus.write_docx(folder / f"文档{i:04d}.docx", texts[3 * i])
        corpus.write_pdf(folder / f"文件{i:04d}.pdf", texts[3 * i + 1])
        corpus.write_txt(folder / f"文本{i:04d}.txt", texts[3 * i + 2], "gb18030" if i % 2 else "utf-8")
        made += 3
        if i % 5 == 0:
            for src, name in (("seed.doc", f"旧版{i:04d}.doc"), ("seed.xls", f"表格{i:04d}.xls"),
                              ("seed.ppt", f"演示{i:04d}.ppt"), ("seed.doc", f"金山{i:04d}.wps")):
                shutil.copy(scratch / src, folder / name)
                made += 1
            realfiles.scan_image([texts[3 * i][:28], texts[3 * i][28:56]]).save(folder / f"扫描{i:04d}.png")
            (folder / f"损坏{i:04d}.docx").write_bytes(b"PK\x03\x04broken")
            made += 2
    return made


def _rebuild_in_child(data_dir: Path) -> dict[str, Any]:
    code = (
        "import json, resource, sys, time\n"
        "from core.db import connect\n"
        "from config import load_settings\n"
        "from library import service\n"
        f"s = load_settings(env={{'EOFFICE_DATA_DIR': {str(data_dir)!r}}})\n"
        "db = connect(s.database_url)\n"
        "t = time.perf_counter()\n"
        "r = service.rebuild(s, db)\n"
        "r['seconds'] = round(time.perf_counter() - t, 2)\n"
        "r['rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        "r['children_rss_mb'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
        "print(json.dumps(r))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _drop_to_searchable(settings: Any, path: Path, make: Any, query: str, timeout: float = 120) -> float:
    from library.access import Scope
    from library.search import matching_ids

    staging = settings.data_dir / ("staging" + path.suffix)
    make(staging)
    os.replace(staging, path)
    started = time.monotonic()
    everything = Scope(True, True, None, 99)
    while time.monotonic() - started < timeout:
        if matching_ids(settings, everything, query):
            return round(time.monotonic() - started, 2)
        time.sleep(0.1)
    return -1.0


def run(quick: bool = False) -> dict[str, Any]:
    """Return the figures (see the module doc)."""
    from core.db import connect
    from library import ocr, service

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="eoffice-bench-formats-") as tmp:
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        marker = "钟楼湾界桩复测甲字第七号"  # in no generated document: found only in the dropped file
        corpus.write_docx(scratch / "c.docx", marker + "\n" + corpus.documents(1, seed=3)[0])
        n = 3 if quick else 8
        started = time.perf_counter()
        for i in range(n):
            convert(scratch / "c.docx", "doc", scratch / f"c{i}.doc", input_suffix=".docx")
        out["libreoffice_per_file_conversions_per_s"] = round(n / (time.perf_counter() - started), 2)

        settings = _prepare(Path(tmp) / "data")
        cfg = settings.indexer
        pages = 2 if quick else 5
        texts = corpus.documents(pages, seed=9)
        ocr_root = Path(tmp) / "ocr"
        (ocr_root / "A").mkdir(parents=True)
        seconds = []
        for i, text in enumerate(texts):
            realfiles.scan_image([text[j:j + 28] for j in range(0, 28 * 12, 28)], dpi=300).save(
                ocr_root / "A" / f"p{i}.png")
            started = time.perf_counter()
            ocr.recognize(ocr_root, f"A/p{i}.png", cfg)
            seconds.append(time.perf_counter() - started)
        out["ocr_seconds_per_page_300dpi"] = round(sum(seconds) / len(seconds), 2)

        files = _mixed(settings.archive_dir, scratch, 10 if quick else 60)
        result = _rebuild_in_child(settings.data_dir)
        out["mixed_rebuild"] = {"files": files, "seconds": result["seconds"],
                                "docs_per_s": round(files / max(0.01, result["seconds"]), 1),
                                "outcomes": result["outcomes"], "indexer_peak_rss_mb": result["rss_mb"],
                                "children_peak_rss_mb": result["children_rss_mb"]}

        db = connect(settings.database_url)
        worker = service.IndexerService(settings, db)
        worker.start()
        try:
            time.sleep(1.0)
            folder = settings.archive_dir / "FHB" / "2025"
            folder.mkdir(parents=True, exist_ok=True)
            out["drop_to_searchable_doc_s"] = _drop_to_searchable(
                settings, folder / "新到旧版文档.doc",
                lambda p: shutil.copy(scratch / "c0.doc", p), marker)
            scan_text = "关于钟楼湾林场界桩复测的紧急通知"
            out["drop_to_searchable_scan_s"] = _drop_to_searchable(
                settings, folder / "新到扫描件.png",
                lambda p: realfiles.scan_image([scan_text], dpi=300).save(p, format="PNG"), "林场界桩复测")
            out["settle_seconds"] = settings.indexer.settle_seconds
        finally:
            worker.stop()
            db.engine.dispose()
    return out
