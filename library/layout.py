"""Metadata from the folder layout: <department code or name>/<year>/... under the archive folder.

    BGS/2023/自查报告.docx        department 办公室 (by code), year 2023
    办公室/2023年/通知.pdf         department by name, "2023年" and "2023年度" count as years
    公开/制度汇编.pdf              a public area (settings [indexer] public_folders): every user sees it
    其他/x.txt                    an unknown top folder: archivists and leaders only
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Department

_YEAR = re.compile(r"^((?:19|20)\d{2})(?:年度?)?$")
# Office lock and temp files, desktop litter, our own upload temp files, hidden files.
_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class Placement:
    name: str
    kind: str
    department_id: int | None
    public: bool
    year: int | None
    title: str


def ignored(name: str) -> bool:
    """Return True for files and folders the archive never takes (lock, temp, hidden)."""
    low = name.lower()
    return (
        low in _IGNORED_NAMES
        or name.startswith(("~$", ".~lock", "."))
        or low.endswith((".tmp", ".part", ".crdownload", "~"))
    )


def department_lookup(session: Session) -> dict[str, int]:
    """Return department ids by lower-case code and by name."""
    out: dict[str, int] = {}
    for dept_id, code, name in session.execute(select(Department.id, Department.code, Department.name)):
        out[code.lower()] = dept_id
        out[name] = dept_id
    return out


def place(relpath: str, departments: dict[str, int], public_folders: tuple[str, ...]) -> Placement:
    """Return what the path says about a file."""
    path = PurePosixPath(relpath)
    parts = path.parts
    dept_id = None
    public = False
    if len(parts) > 1:
        top = parts[0]
        dept_id = departments.get(top.lower(), departments.get(top))
        public = dept_id is None and top.lower() in {f.lower() for f in public_folders}
    year = None
    for part in parts[1:-1]:
        match = _YEAR.match(part)
        if match:
            year = int(match.group(1))
            break
    return Placement(
        name=path.name,
        kind=path.suffix.lower().lstrip(".")[:16],
        department_id=dept_id,
        public=public,
        year=year,
        title=path.stem,
    )
