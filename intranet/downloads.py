"""Sending a file to the browser as a download: a safe Content-Disposition for any name, and archive files
read without following links.

Names come from people and from other systems: Chinese, with quotes, CR/LF, semicolons or slashes.
`download_name` turns any name into one that is safe in a header (control characters and path
separators replaced); werkzeug then writes both the ASCII ``filename=`` and the RFC 5987 ``filename*=``
(RFC 6266 §4.3), so every browser shows the Chinese name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Response, send_file

from core.models.files import ArchiveFile
from library.safeopen import open_fd

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\"]')


def download_name(name: str, fallback: str = "download") -> str:
    """Return `name` safe for a Content-Disposition header: no control characters, quotes or slashes."""
    cleaned = _UNSAFE.sub("_", name).strip().strip(".") or fallback
    return cleaned[:200]


def send_archive_file(root: Path, row: ArchiveFile) -> Response:
    """Send an archive file as an attachment, opened without following links (library.safeopen) and only
    when it is still the file the scan saw (its device and inode, `row.identity`).

    Raises library.safeopen.UnsafeFile (`.missing` when it is gone, `.changed` when it was swapped) for the
    caller to explain.
    """
    fd = open_fd(root, row.relpath, expected_identity=row.identity)
    fh = os.fdopen(fd, "rb")
    try:
        return send_file(fh, as_attachment=True, download_name=download_name(row.name),
                         mimetype="application/octet-stream")
    except BaseException:
        fh.close()
        raise
