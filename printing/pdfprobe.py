"""Read a PDF's page count and page sizes in a child process with a time and an address-space limit.

Print uploads are counted in the web request: a hostile or broken PDF can make a parser loop or
allocate without bound, and a web thread must not hang on it. The child runs
`printing.documents.pdf_info`, prints one JSON line and exits; the caller kills it at the deadline.

Child usage (internal): python -m printing.pdfprobe PATH MEMORY_MB
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from core.messages import msg
from fileformats.subproc import LimitExceeded, run_limited
from printing.documents import DocumentError, PdfInfo, TimedOut, pdf_info

_BROKEN = msg("无法读取该 PDF 文件（{why}），文件可能已损坏或过于复杂；请重新导出 PDF 后再试。")


def probe(path: Path, *, timeout: float, memory_mb: int) -> PdfInfo:
    """Return the PDF's page facts, read in a limited child; raise DocumentError with what to do
    (TimedOut past `timeout` seconds: the child's process group is killed)."""
    command = [sys.executable, "-m", "printing.pdfprobe", str(path), str(memory_mb)]
    try:
        finished = run_limited(command, timeout=timeout, memory_mb=0, output_mb=1)
    except LimitExceeded:
        raise TimedOut(_BROKEN.format(why=msg("读取超过 %(timeout)g 秒仍未完成", timeout=timeout))) from None
    stdout, stderr = finished.stdout.decode(errors="replace"), finished.stderr.decode(errors="replace")
    lines = stdout.strip().splitlines()
    if finished.returncode != 0 or not lines:
        why = msg("内存不足") if "MemoryError" in stderr else msg(
            "读取进程异常退出，代码 %(returncode)s",
            returncode=finished.returncode,
        )
        raise DocumentError(_BROKEN.format(why=why))
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise DocumentError(answer["error"])
    return PdfInfo(answer["pages"], answer["media"], tuple(tuple(size) for size in answer["sizes_mm"]))


def _main(argv: list[str]) -> int:
    path, memory_mb = Path(argv[0]), int(argv[1])
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        info = pdf_info(path)
    except DocumentError as exc:
        print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        return 0
    except MemoryError:
        print(json.dumps({"error": _BROKEN.format(why=msg("内存不足"))}, ensure_ascii=False))
        return 0
    print(json.dumps({"pages": info.pages, "media": info.media, "sizes_mm": info.sizes_mm}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
