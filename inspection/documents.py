"""The worker's PDF of a 督查通报: the page asks (the .docx is written at once, python-docx is fast) and the
worker converts it with LibreOffice (never in a web request); the page then offers the PDF.

A file queue under <files dir>/inspection: `<key>.docx` the source, `queue/<key>` the request, `<key>.pdf`
the result or `<key>.failed` the reason. Keys are `bulletin-<year>Q<quarter>`.
"""

from __future__ import annotations

import re

from core.pdfqueue import PdfQueue, PdfState

__all__ = ["KEY_RE", "QUEUE", "PdfState", "bulletin_key", "convert_pending", "folder", "pdf_path", "pdf_state",
           "request_pdf"]

KEY_RE = re.compile(r"^bulletin-\d{4}Q[1-4]$")


def bulletin_key(year: int, quarter: int) -> str:
    """The key of a quarter's 通报."""
    return f"bulletin-{year:04d}Q{quarter}"


QUEUE = PdfQueue("inspection", KEY_RE)
# The queue's operations under the names the pages and the worker use (core/pdfqueue.py).
folder, request_pdf, pdf_state = QUEUE.folder, QUEUE.request_pdf, QUEUE.pdf_state
pdf_path, convert_pending = QUEUE.pdf_path, QUEUE.convert_pending
