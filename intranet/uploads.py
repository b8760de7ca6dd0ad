"""Reading an uploaded file within the limit of its kind ([web] upload_limits_mb)."""

from __future__ import annotations

from typing import IO

from core.messages import DomainError, msg
from intranet.context import settings


class UploadTooLarge(DomainError):
    """The upload exceeds its kind's limit; the message says the limit."""


def limit_bytes(kind: str) -> int:
    """Return the largest upload of `kind` ("document", "print", "archive") in bytes."""
    return int(settings().web.upload_limits_mb.get(kind, settings().web.max_upload_mb)) * 1024 * 1024


def read_limited(stream: IO[bytes], kind: str) -> bytes:
    """Return the whole upload, or raise UploadTooLarge as soon as it passes the limit of `kind`."""
    limit = limit_bytes(kind)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(msg("文件超过 %(mb)d MB 的上限，请压缩或拆分后再上传。", mb=limit // (1024 * 1024)))
    return data
