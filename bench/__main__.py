"""Run every benchmark module and write bench/results/summary-<time>.json (and latest.json).

python -m bench [--quick] [--only NAME ...]

Each module in BENCHMARKS exposes `run(quick: bool = False) -> dict` with plain numbers. Timings are
never asserted in tests; they are reported here and in the issue notes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

# Explicit registry: module name under bench/ -> what it measures.
BENCHMARKS: dict[str, str] = {
    "web": "bare Flask page vs home page through waitress (the baseline for ratios)",
    "indexer": "archive indexing throughput, drop-to-searchable latency, search p50/p95",
    "formats": "legacy office formats (LibreOffice), scans (OCR) and broken files in a mixed archive",
    "indexer_scale": "archive at 100k documents: worker peak RSS during a rebuild, search p50/p95, web RSS",
    "printing": "route + submit to a local cupsd, docx conversion",
    "directory": "LDAP login p50/p95 and sync throughput against a local slapd",
    "documents": "待办 and document pages with many documents and actions",
    "supervision": "督办 figures, overdue lists, bell count, 传阅 inbox",
    "reporting": "信息报送 通报 and ranking: 60 units, 3 years (~10,000 items), service and pages p95",
    "inspection": "督查通报 and year figures: 60 units, 3 years (~10,000 items with monthly reports), p95",
    "production": "PostgreSQL + gunicorn scale run",
}

RESULTS = Path(__file__).with_name("results")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", nargs="*", default=None, help="names from BENCHMARKS")
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    summary: dict[str, object] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "quick": args.quick,
        "results": {},
    }
    results: dict[str, object] = summary["results"]
    failed = False
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                results[name] = {"skipped": "not written yet"}
                continue
            raise
        print(f"== {name}: {BENCHMARKS[name]}", flush=True)
        started = time.perf_counter()
        try:
            figures = module.run(quick=args.quick)
            figures["wall_seconds"] = round(time.perf_counter() - started, 1)
            results[name] = figures
            print(json.dumps(figures, ensure_ascii=False, indent=2), flush=True)
        except Exception:
            failed = True
            results[name] = {"error": traceback.format_exc(limit=5)}
            print(results[name]["error"], file=sys.stderr)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    text = json.dumps(summary, ensure_ascii=False, indent=2)
    (RESULTS / f"summary-{stamp}.json").write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    print(f"summary written to {RESULTS / 'latest.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
