"""File versions of documents: content-addressed storage (SHA-256), names, previews and page counts.

pypdf and python-docx are imported here only (within the workflow package); LibreOffice runs as a
separate process with its own profile and a time limit.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAIN_EXTENSIONS = {".docx", ".pdf"}
ATTACHMENT_EXTENSIONS = {
    ".docx", ".doc", ".pdf", ".xlsx", ".xls", ".pptx", ".txt", ".wps", ".ofd", ".jpg", ".jpeg", ".png",
    ".zip", ".rar", ".7z", ".csv",
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
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
    ".zip": "application/zip",
}
CONVERT_TIMEOUT = 90


class FileRefused(ValueError):
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
        raise FileRefused("文件名无效，请重命名后再上传。")
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
    """Store an upload by its SHA-256 (once per content) after checking its type; return what was stored."""
    name = clean_filename(filename)
    ext = extension(name)
    allowed = MAIN_EXTENSIONS if role == "main" else ATTACHMENT_EXTENSIONS
    if ext not in allowed:
        kinds = "、".join(sorted(e.lstrip(".") for e in allowed))
        what = "正文" if role == "main" else "附件"
        raise FileRefused(f"{what}「{name}」的格式不支持。{what}只能是：{kinds}。")
    if not data:
        raise FileRefused(f"文件「{name}」是空文件，请检查后重新上传。")
    if ext == ".pdf" and not data.startswith(b"%PDF"):
        raise FileRefused(f"文件「{name}」不是有效的 PDF，请重新导出后上传。")
    if ext in (".docx", ".xlsx", ".pptx") and not data.startswith(b"PK"):
        raise FileRefused(f"文件「{name}」不是有效的 Office 文档，请用 Word/WPS 另存为 .docx 后上传。")
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
        raise FileRefused("存储的文件已损坏（校验值不符），请联系系统管理员从备份恢复。")
    return data


def pdf_pages(path: Path) -> int | None:
    """Return the page count of a PDF, or None when it cannot be read."""
    from pypdf import PdfReader

    try:
        return len(PdfReader(str(path)).pages)
    except Exception:
        return None


def docx_pages(path: Path) -> int | None:
    """Return the page count Word saved in docProps/app.xml, or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read("docProps/app.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    match = re.search(r"<Pages>(\d+)</Pages>", text)
    return int(match.group(1)) if match else None


def page_count(path: Path, filename: str) -> int | None:
    """Return the pages of a PDF or DOCX file, or None when unknown."""
    ext = extension(filename)
    if ext == ".pdf":
        return pdf_pages(path)
    if ext == ".docx":
        return docx_pages(path)
    return None


def docx_text(path: Path) -> str:
    """Return the paragraphs of a .docx as plain text (the preview without LibreOffice)."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception:
        return ""
    return "\n".join(p.text for p in document.paragraphs)


def soffice_binary() -> str | None:
    """Return the LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_preview_pdf(files_dir: Path, sha256: str) -> Path | None:
    """Return a PDF rendering of a stored .docx (converted once, cached), or None without LibreOffice."""
    cached = files_dir / "previews" / f"{sha256}.pdf"
    if cached.exists():
        return cached
    binary = soffice_binary()
    if binary is None:
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eoffice-preview-") as tmp:
        src = Path(tmp) / "document.docx"
        shutil.copyfile(blob_path(files_dir, sha256), src)
        profile = Path(tmp) / "profile"
        try:
            subprocess.run(
                [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", tmp, str(src)],
                check=True, capture_output=True, timeout=CONVERT_TIMEOUT,
            )
        except (subprocess.SubprocessError, OSError):
            return None
        out = Path(tmp) / "document.pdf"
        if not out.exists():
            return None
        shutil.move(str(out), cached)
    return cached
