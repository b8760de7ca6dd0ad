"""What changed in the 正文 between two versions: paragraph-aware text differences.

The paragraphs of a .docx (body paragraphs and table cells, in order) are read in a limited child
process (fileformats.subproc: memory, time; the zip checked for bombs first), never in the web
process. The comparison itself is difflib on the paragraph lists, then on the characters of each
changed pair, so a changed word shows as a deletion and an insertion inside its paragraph.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from core.messages import DomainError, msg
from fileformats import subproc, zipguard

MAX_PARAGRAPHS = 5000


class DiffUnavailable(DomainError):
    """The versions cannot be compared (not Word files, damaged, too large); the message says which."""


@dataclass(frozen=True)
class Piece:
    """A run of text that is unchanged ("same"), added ("insert") or removed ("delete")."""

    kind: str
    text: str


@dataclass
class Paragraph:
    """One paragraph of the comparison: its status (same, insert, delete, change) and its pieces."""

    status: str
    pieces: list[Piece] = field(default_factory=list)


def paragraphs(path: Path, *, timeout: float = subproc.IN_REQUEST_SECONDS, memory_mb: int = 512) -> list[str]:
    """Return the paragraphs of a .docx (table cells included), read in a limited child process.

    Called inside web requests (the comparison page, the format check, 识别来文), so the child gets at
    most `timeout` seconds (2 s: subproc.IN_REQUEST_SECONDS). Raises DiffUnavailable when the file is not
    a readable Word document, is too large, or takes longer.
    """
    import zipfile

    try:
        zipguard.check(path)
    except (zipguard.ZipBomb, zipfile.BadZipFile, OSError):
        raise DiffUnavailable(msg("该版本不是可读取的 Word 文件（.docx），无法比较")) from None
    try:
        done = subproc.run_limited([sys.executable, "-m", "documents.diffs", str(path)], timeout=timeout,
                                   memory_mb=memory_mb)
    except subproc.LimitExceeded:
        raise DiffUnavailable(msg(
            "该版本过大或过于复杂，无法在线比较；请下载两个版本，在 Word 中用“比较”查看修改。")) from None
    if done.returncode != 0:
        raise DiffUnavailable(msg("该版本无法读取（文件可能已损坏），无法比较"))
    try:
        data = json.loads(done.stdout)
    except ValueError:
        raise DiffUnavailable(msg("该版本无法读取，无法比较")) from None
    return [str(p) for p in data][:MAX_PARAGRAPHS]


def compare(old: list[str], new: list[str]) -> list[Paragraph]:
    """Compare two paragraph lists; changed paragraphs carry character-level insert/delete pieces."""
    out: list[Paragraph] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out += [Paragraph("same", [Piece("same", text)]) for text in old[a0:a1]]
        elif op == "delete":
            out += [Paragraph("delete", [Piece("delete", text)]) for text in old[a0:a1]]
        elif op == "insert":
            out += [Paragraph("insert", [Piece("insert", text)]) for text in new[b0:b1]]
        else:
            pairs = max(a1 - a0, b1 - b0)
            for i in range(pairs):
                before = old[a0 + i] if a0 + i < a1 else None
                after = new[b0 + i] if b0 + i < b1 else None
                if before is None and after is not None:
                    out.append(Paragraph("insert", [Piece("insert", after)]))
                elif after is None and before is not None:
                    out.append(Paragraph("delete", [Piece("delete", before)]))
                elif before is not None and after is not None:
                    out.append(Paragraph("change", _characters(before, after)))
    return out


def _characters(before: str, after: str) -> list[Piece]:
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("same", before[a0:a1]))
        if op in ("delete", "replace"):
            pieces.append(Piece("delete", before[a0:a1]))
        if op in ("insert", "replace"):
            pieces.append(Piece("insert", after[b0:b1]))
    return pieces


def changed(result: list[Paragraph]) -> int:
    """How many paragraphs differ."""
    return sum(1 for p in result if p.status != "same")


def _main(argv: list[str]) -> int:
    from docx import Document as open_docx

    document = open_docx(argv[0])
    texts: list[str] = []
    body = document.element.body
    for block in body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            texts.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for cell in block.iter():
                if cell.tag.endswith("}tc"):
                    texts.append("".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t")))
    print(json.dumps([t for t in texts if t.strip()], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
