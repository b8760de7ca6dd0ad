"""The extractor registry: which function reads which file type, and what a reading produced.

Runs inside the sandbox children (indexer.sandbox), never in the worker itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer import extract_docx, extract_pdf, extract_text
from indexer.text import join_cjk_lines


@dataclass(frozen=True)
class Extracted:
    """The result of reading one file: an outcome (see archive.models.files.OUTCOMES) and the text."""

    outcome: str
    text: str = ""
    title: str | None = None
    year: int | None = None
    error: str | None = None


class ExtractionError(Exception):
    """The file is unreadable in a known way; `outcome` says which (encrypted, no_text, damaged, empty)."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Content:
    text: str
    title: str | None = None
    year: int | None = None


Extractor = Callable[[Path], Content]


def default_registry() -> dict[str, Extractor]:
    """Return every extractor by lower-case extension."""
    return {
        "docx": extract_docx.read,
        "pdf": extract_pdf.read,
        "txt": extract_text.read,
        "md": extract_text.read,
        "csv": extract_text.read,
    }


def extract_file(path: Path, *, max_chars: int, registry: dict[str, Extractor] | None = None) -> Extracted:
    """Read `path` with the extractor for its type and classify the outcome; never raises."""
    registry = registry or default_registry()
    kind = path.suffix.lower().lstrip(".")
    reader = registry.get(kind)
    if reader is None:
        return Extracted("unsupported")
    try:
        if path.stat().st_size == 0:
            return Extracted("empty", error="文件大小为0字节")
        content = reader(path)
    except ExtractionError as exc:
        return Extracted(exc.outcome, error=str(exc))
    except MemoryError:
        return Extracted("damaged", error="解析时超出内存限制")
    except Exception as exc:  # any parser failure means a damaged file, recorded with the reason
        return Extracted("damaged", error=f"{type(exc).__name__}: {exc}"[:500])
    text = content.text
    if kind == "pdf":
        text = join_cjk_lines(text)
    text = text.strip()
    if not text:
        outcome = "no_text" if kind == "pdf" else "empty"
        error = "PDF 没有文字层（可能是扫描件），需要 OCR 后才能按内容检索" if kind == "pdf" else "文件中没有文字"
        return Extracted(outcome, title=content.title, year=content.year, error=error)
    error = None
    if len(text) > max_chars:
        text = text[:max_chars]
        error = f"文字过长，只索引了前 {max_chars} 个字符"
    return Extracted("indexed", text, content.title, content.year, error)
