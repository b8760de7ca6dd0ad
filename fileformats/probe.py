"""Read facts of an uploaded file (page count) in a child process with time and memory limits.

The web process never parses an uploaded file itself: a hostile PDF can loop, a .docx can inflate to
gigabytes. `page_count` starts ``python -m fileformats.probe`` with RLIMIT_AS, waits at most `timeout`
seconds (the child is killed with its process group), and answers None when the file cannot tell.

Child usage (internal): python -m fileformats.probe pages PATH
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

from fileformats import zipguard
from fileformats.subproc import LimitExceeded, run_limited

_PAGES = re.compile(rb"<(?:\w+:)?Pages>(\d+)</(?:\w+:)?Pages>")


def page_count(path: Path, filename: str, *, timeout: float = 5.0, memory_mb: int = 512) -> int | None:
    """Return the pages of a PDF or a .docx (as Word saved them), or None when unknown, damaged or too slow."""
    kind = Path(filename).suffix.lower()
    if kind not in (".pdf", ".docx"):
        return None
    try:
        done = run_limited([sys.executable, "-m", "fileformats.probe", "pages", str(path), kind], timeout=timeout,
                           memory_mb=memory_mb, output_mb=1)
    except (LimitExceeded, OSError):
        return None
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    pages = answer.get("pages")
    return pages if isinstance(pages, int) and pages >= 0 else None


def page_counts(files: list[tuple[Path, str]], *, timeout: float = 2.0, memory_mb: int = 512) -> list[int | None]:
    """Return the pages of each (path, file name) like `page_count`, all read in ONE limited child within
    `timeout` seconds in all (a web request's budget: 归档 counts every file of a 公文); None for a file
    that cannot tell, and for every file when the child runs out of time."""
    wanted = [(path, Path(name).suffix.lower()) for path, name in files]
    asked = [(path, kind) for path, kind in wanted if kind in (".pdf", ".docx")]
    answers: list[int | None] = []
    if asked:
        command = [sys.executable, "-m", "fileformats.probe", "pages-many"]
        for path, kind in asked:
            command += [str(path), kind]
        try:
            done = run_limited(command, timeout=timeout, memory_mb=memory_mb, output_mb=1)
            answers = [p if isinstance(p, int) and p >= 0 else None
                       for p in json.loads(done.stdout.decode().strip().splitlines()[-1])["pages"]]
        except (LimitExceeded, OSError, ValueError, IndexError, KeyError, TypeError):
            answers = []
    found = iter(answers if len(answers) == len(asked) else [None] * len(asked))
    return [next(found) if kind in (".pdf", ".docx") else None for _path, kind in wanted]


def _pages(path: Path, kind: str) -> int | None:
    if kind == ".pdf":
        from pypdf import PdfReader

        return len(PdfReader(str(path)).pages)
    zipguard.check(path)
    with zipfile.ZipFile(path) as package:
        data = zipguard.read_part(package, "docProps/app.xml", limit=1 << 20)
    match = _PAGES.search(data or b"")
    return int(match.group(1)) if match else None


def _main(argv: list[str]) -> int:
    if argv[:1] == ["pages"]:
        try:
            pages = _pages(Path(argv[1]), argv[2])
        except Exception:
            pages = None
        print(json.dumps({"pages": pages}))
        return 0
    if argv[:1] == ["pages-many"]:
        counts: list[int | None] = []
        for path, kind in zip(argv[1::2], argv[2::2], strict=True):
            try:
                counts.append(_pages(Path(path), kind))
            except Exception:
                counts.append(None)
        print(json.dumps({"pages": counts}))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
