"""File versions of documents: content-addressed storage (SHA-256), names, previews and page counts.

Nothing here parses an uploaded file in the calling process: page counts come from a limited child
(fileformats.probe), previews from LibreOffice in the worker (fileformats.office).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.messages import DomainError, msg
from fileformats import office, probe, subproc, zipguard

MAIN_EXTENSIONS = {".docx", ".pdf", ".ofd"}  # OFD (GB/T 33190): 收文 from other organs often arrive so
# A scanned 来文 (收文 intake, documents.intake_scan) becomes the 正文 as it came: role "scan" only.
SCAN_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
ATTACHMENT_EXTENSIONS = {
    ".docx", ".doc", ".pdf", ".xlsx", ".xls", ".pptx", ".txt", ".wps", ".ofd", ".jpg", ".jpeg", ".png",
    ".zip", ".rar", ".7z", ".csv",
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".ofd": "application/ofd",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".zip": "application/zip",
}


class FileRefused(DomainError):
    """The upload cannot be stored; the message says why and what to do."""


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    filename: str
    content_type: str


def clean_filename(raw: str) -> str:
    """Return a safe display name: no path, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "", name).strip().strip(".")
    if not name:
        raise FileRefused(msg("文件名无效，请重命名后再上传。"))
    stem, dot, ext = name.rpartition(".")
    if dot and len(name) > 200:
        name = stem[: 200 - len(ext) - 1] + "." + ext
    return name[:200]


def extension(name: str) -> str:
    """Return the lower-case extension with its dot ('' when none)."""
    return Path(name).suffix.lower()


def blob_path(files_dir: Path, sha256: str) -> Path:
    """Return where the content with this hash is stored."""
    return files_dir / sha256[:2] / sha256


def store(files_dir: Path, filename: str, data: bytes, *, role: str) -> Stored:
    """Store an upload by its SHA-256 (once per content) after checking its type; return what was stored.

    `role`: "main" (正文: .docx .pdf .ofd), "scan" (a 来文 for the 正文 of a 收文, also a scanned image:
    .jpg .png .tif) or anything else for an attachment. Raises FileRefused saying why.
    """
    name = clean_filename(filename)
    ext = extension(name)
    allowed = {"main": MAIN_EXTENSIONS, "scan": MAIN_EXTENSIONS | SCAN_EXTENSIONS}.get(role, ATTACHMENT_EXTENSIONS)
    if ext not in allowed:
        kinds = "、".join(sorted(e.lstrip(".") for e in allowed))
        what = msg("正文") if role in ("main", "scan") else msg("附件")
        raise FileRefused(msg(
            "%(what)s「%(name)s」的格式不支持。%(what)s只能是：%(kinds)s。",
            what=what, name=name, kinds=kinds,
        ))
    if not data:
        raise FileRefused(msg("文件「%(name)s」是空文件，请检查后重新上传。", name=name))
    if ext == ".pdf" and not data.startswith(b"%PDF"):
        raise FileRefused(msg("文件「%(name)s」不是有效的 PDF，请重新导出后上传。", name=name))
    if ext in (".docx", ".xlsx", ".pptx") and not data.startswith(b"PK"):
        raise FileRefused(msg(
            "文件「%(name)s」不是有效的 Office 文档，请用 Word/WPS 另存为 .docx 后上传。",
            name=name,
        ))
    sha = hashlib.sha256(data).hexdigest()
    target = blob_path(files_dir, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    return Stored(sha, len(data), name, CONTENT_TYPES.get(ext, "application/octet-stream"))


def read(files_dir: Path, sha256: str) -> bytes:
    """Return stored content, checking it still has its hash."""
    data = blob_path(files_dir, sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise FileRefused(msg("存储的文件已损坏（校验值不符），请联系系统管理员从备份恢复。"))
    return data


def page_count(path: Path, filename: str) -> int | None:
    """Return the pages of a PDF or DOCX file, or None when unknown (read in a limited child: fileformats.probe)."""
    return probe.page_count(path, filename)


def page_counts(files: list[tuple[Path, str]]) -> list[int | None]:
    """The pages of each (path, file name), read in one limited child within 2 s in all (a web request)."""
    return probe.page_counts(files, timeout=subproc.IN_REQUEST_SECONDS)


def preview_pdf(files_dir: Path, sha256: str) -> tuple[str, Path | str | None]:
    """Return the state of the PDF preview of a stored .docx, asking the worker for it when missing.

    ("ready", path) once converted; ("failed", reason) when the conversion failed (reason in Chinese);
    ("pending", None) while the worker converts it. The web request never converts: LibreOffice on an
    uploaded file runs only in the worker, under fileformats.office limits (`convert_previews`).
    """
    cache = files_dir / "previews"
    ready = cache / f"{sha256}.pdf"
    if ready.exists():
        return "ready", ready
    failed = cache / f"{sha256}.failed"
    if failed.exists():
        return "failed", failed.read_text(encoding="utf-8")
    queue = cache / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (queue / sha256).touch()
    return "pending", None


def retry_preview(files_dir: Path, sha256: str) -> None:
    """Forget a failed conversion so the next view asks the worker again."""
    (files_dir / "previews" / f"{sha256}.failed").unlink(missing_ok=True)


def convert_previews(files_dir: Path, *, soffice: str, timeout: float, limit: int = 20) -> int:
    """Convert the previews the web asked for (worker job); return how many were done or failed.

    Each .docx is checked for a zip bomb first, then converted by LibreOffice with the limits of
    fileformats.office (memory, time, process group killed on timeout). A failure is remembered with
    its reason so the page can say it and offer a retry.
    """
    queue = files_dir / "previews" / "queue"
    if not queue.is_dir():
        return 0
    done = 0
    for entry in sorted(queue.iterdir(), key=lambda p: p.stat().st_mtime)[:limit]:
        sha = entry.name
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            entry.unlink(missing_ok=True)
            continue
        target = files_dir / "previews" / f"{sha}.pdf"
        failed = files_dir / "previews" / f"{sha}.failed"
        try:
            source = blob_path(files_dir, sha)
            zipguard.check(source)
            office.convert(source, "pdf", target, input_suffix=".docx", soffice=soffice, timeout=timeout)
        except (zipguard.ZipBomb, office.ConversionFailed) as exc:
            failed.write_text(str(exc), encoding="utf-8")
        except (zipfile.BadZipFile, OSError):
            failed.write_text(msg("文件不是有效的 Word 文档（.docx），无法生成预览；请下载后查看。"), encoding="utf-8")
        entry.unlink(missing_ok=True)
        done += 1
    return done
