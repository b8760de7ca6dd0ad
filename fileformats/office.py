"""The one way eoffice runs LibreOffice: convert an office file in a throwaway profile, within limits.

Used by printing (.docx → PDF), document previews and the archive's legacy formats (.doc/.wps/.xls/
.et/.ppt/.dps/.rtf/.odt → OOXML, read by the archive's own readers). Each call:
- copies the input into a private temporary folder under a neutral name with the suffix that decides
  LibreOffice's import filter (a Kingsoft .wps is handed over as .doc: LibreOffice would take .wps for
  MS Works), so a name with a leading dash or a newline never reaches the command line;
- uses its own user profile (two conversions sharing one collide) and HOME inside that folder;
- runs under fileformats.subproc limits: address space `memory_mb` (default 1024 MB, enough: soffice.bin
  needs well under that for ordinary files), wall-clock `timeout`, written-file size, its own
  process group killed on timeout, death with its parent.

The measured cost is about 1.8 s per call on the 2-core machine, most of it start-up (docs/library.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from fileformats.subproc import LimitExceeded, run_limited

DEFAULT_MEMORY_MB = 1024
# The 公文 font names (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312) mapped to the free faces installed.
FONTS_CONF = Path(__file__).with_name("fonts.conf")


class ConversionFailed(RuntimeError):
    """LibreOffice is missing, timed out (`timed_out`), or produced nothing; the message says which (Chinese)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def soffice_path(configured: str = "soffice") -> str | None:
    """Return the LibreOffice program for the configured name or path, or None when it is not installed."""
    return shutil.which(configured) or (shutil.which("libreoffice") if configured == "soffice" else None)


def convert(source: Path, fmt: str, target: Path, *, input_suffix: str, soffice: str = "soffice",
            timeout: float = 120.0, memory_mb: int = DEFAULT_MEMORY_MB) -> Path:
    """Convert `source` to `fmt` ("pdf", "docx", "xlsx", "pptx", ...) and write it to `target`; return target.

    `input_suffix` (".doc", ".docx", ...) chooses the import filter. Raises ConversionFailed with a
    message for the user when LibreOffice is not installed, runs past `timeout` seconds (its whole
    process tree is killed), or produces no output (damaged or password-protected input).
    """
    exe = soffice_path(soffice)
    if exe is None:
        raise ConversionFailed("服务器未安装 LibreOffice，无法转换该格式；请管理员安装 LibreOffice（make run 会安装）")
    with tempfile.TemporaryDirectory(prefix="eoffice-office-") as tmp:
        work = Path(tmp)
        src = work / f"input{input_suffix}"
        shutil.copyfile(source, src)
        env = {"HOME": str(work), "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "SAL_USE_VCLPLUGIN": "svp", "FONTCONFIG_FILE": str(FONTS_CONF)}
        command = [exe, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--invisible",
                   "--norestore", "--nologo", "--nolockcheck", "--convert-to", fmt, "--outdir", str(work / "out"),
                   str(src)]
        try:
            done = run_limited(command, timeout=timeout, memory_mb=memory_mb, cwd=work, env=env)
        except LimitExceeded:
            raise ConversionFailed(f"LibreOffice 转换超过 {timeout:g} 秒仍未完成，已终止", timed_out=True) from None
        produced = work / "out" / f"input.{fmt.split(':', 1)[0]}"
        if not produced.exists() or produced.stat().st_size == 0:
            why = "内存不足" if done.returncode < 0 else "文件可能已损坏或有密码保护"
            raise ConversionFailed(f"LibreOffice 无法转换该文件（{why}）")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), target)
    return target
