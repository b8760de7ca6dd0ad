"""The one writer of CSV and XLSX exports: every cell that a spreadsheet would run as a formula is defused.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula (or becomes one)
in Excel, WPS 表格 and LibreOffice Calc: ``=HYPERLINK(...)`` in a display name would be live in the
office's accounting sheet (OWASP "CSV injection"). Such text gets a leading apostrophe; numbers and
dates are written as they are. CSV carries a UTF-8 byte-order mark so Excel and WPS read the Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Return `value` safe for a spreadsheet cell: text that would start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return a CSV document (with a UTF-8 BOM character first) of `headers` and `rows`, every cell defused."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return "\ufeff" + buf.getvalue()


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return `csv_text` encoded as UTF-8 (the BOM included)."""
    return csv_text(headers, rows).encode("utf-8")


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return an XLSX workbook: one sheet named `title` (31 characters at most), bold frozen headers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Sheet1"
    sheet.append([safe_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
