"""Red-header (套红) templates as data: an admin uploads a .docx with docxtpl placeholders, per 发文机关 and
document kind; the formal version of a document is laid out with the one that matches, else with the
built-in layout (documents/redhead.py). docs/documents.md, "Red-header templates", lists the
placeholders.

Files live under <files dir>/redhead_templates/ as `<sha256>.docx`; the demo bureau's template is
`builtin`: written by code (`redhead.write_template`) each time it is used, so it follows the layout.
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import DomainError, msg
from core.models import User
from core.models.documents import RedheadTemplate
from documents import redhead
from documents.states import Kind

DEMO_STORED_NAME = "demo-outgoing.docx"
MAX_NAME = 100


def folder(files_dir: Path) -> Path:
    """Where the template files are kept."""
    return files_dir / "redhead_templates"


def templates(session: Session) -> list[RedheadTemplate]:
    """Every template, by 发文机关, kind and name."""
    return list(session.scalars(select(RedheadTemplate).order_by(RedheadTemplate.organ, RedheadTemplate.kind,
                                                                 RedheadTemplate.name, RedheadTemplate.id)))


def path_of(files_dir: Path, template: RedheadTemplate) -> Path | None:
    """The template's file, or None when it is gone. A builtin one is written afresh each time (about
    50 ms; replaced atomically), so it always follows the built-in layout of this version."""
    target = folder(files_dir) / template.stored_name
    if template.builtin:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as tmp:
            pass
        try:
            redhead.write_template(Path(tmp.name)).replace(target)
        finally:
            Path(tmp.name).unlink(missing_ok=True)  # gone after the replace; left only by a failure
    return target if target.exists() else None


def choose(session: Session, files_dir: Path, organ: str, kind: str) -> Path | None:
    """The file of the template for documents of `kind` (a Kind value) issued by `organ`: the one naming
    both first, then the organ's for any kind, then any organ's for that kind, then one for all; the
    newest of equals. None (the built-in layout) when none matches or its file is gone."""
    rows = session.scalars(select(RedheadTemplate).where(RedheadTemplate.organ.in_([organ, ""]),
                                                         RedheadTemplate.kind.in_([kind, ""]))).all()
    for row in sorted(rows, key=lambda t: (t.organ != organ, t.kind != kind, -t.id)):
        found = path_of(files_dir, row)
        if found is not None:
            return found
    return None


def upload(session: Session, files_dir: Path, *, name: str, organ: str, kind: str, filename: str, data: bytes,
           actor: User) -> RedheadTemplate:
    """Check and store an uploaded template (the caller commits). Raises DomainError listing every problem
    at once: no name, an unknown kind, not a .docx, and what `redhead.check_limited` finds (not a Word
    file, a damaged zip, a placeholder syntax error, an unsafe or failing expression, no 「{{ 正文 }}」)."""
    problems = check(name=name, kind=kind, filename=filename, data=data)
    if problems:
        raise DomainError(problems[0], problems=problems)
    sha = hashlib.sha256(data).hexdigest()
    target = folder(files_dir) / f"{sha}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written even when present: a delete of the same file racing this upload removes it only after its
    # commit, and `forget_file` then sees this row.
    temporary = target.with_suffix(f".{secrets.token_hex(4)}.part")
    temporary.write_bytes(data)
    temporary.replace(target)
    row = RedheadTemplate(name=name.strip(), organ=organ.strip(), kind=kind, filename=Path(filename).name[:255],
                          stored_name=target.name, size=len(data), uploaded_by_id=actor.id)
    session.add(row)
    session.flush()
    return row


def check(*, name: str, kind: str, filename: str, data: bytes) -> list[str]:
    """Every problem of an upload, [] when it can be stored (the file is tried in a limited child)."""
    problems: list[str] = []
    if not name.strip():
        problems.append(msg("请填写模板名称"))
    elif len(name.strip()) > MAX_NAME:
        problems.append(msg("模板名称不能超过 %(n)d 个字", n=MAX_NAME))
    if kind and kind not in {k.value for k in Kind}:
        problems.append(msg("文种类别无效"))
    if not filename.lower().endswith(".docx"):
        problems.append(msg("模板须为 Word 文件（.docx），「%(name)s」不是", name=Path(filename).name))
    with tempfile.TemporaryDirectory(prefix="eoffice-redhead-") as tmp:
        candidate = Path(tmp) / "template.docx"
        candidate.write_bytes(data)
        problems.extend(redhead.check_limited(candidate))
    return problems


def delete(session: Session, template_id: int) -> RedheadTemplate | None:
    """Remove a template's row (the caller commits, then calls `forget_file` with its `stored_name`: the
    file goes only once the row is surely gone, so a failed commit never leaves a row without its file)."""
    row = session.get(RedheadTemplate, template_id)
    if row is None:
        return None
    session.delete(row)
    session.flush()
    return row


def forget_file(session: Session, files_dir: Path, stored_name: str) -> None:
    """Remove a template file no row uses any more (after the delete was committed)."""
    if session.scalar(select(RedheadTemplate.id).where(RedheadTemplate.stored_name == stored_name)) is None:
        (folder(files_dir) / stored_name).unlink(missing_ok=True)


def seed_demo(session: Session, organ: str) -> RedheadTemplate:
    """The demo bureau's 发文 template (the built-in layout written as a template), once."""
    row = session.scalar(select(RedheadTemplate).where(RedheadTemplate.builtin.is_(True),
                                                       RedheadTemplate.organ == organ))
    if row is None:
        row = RedheadTemplate(name=f"{organ}发文红头（演示）", organ=organ, kind=Kind.OUTGOING.value,
                              filename=f"{organ}发文红头.docx", stored_name=DEMO_STORED_NAME, builtin=True)
        session.add(row)
        session.flush()
    return row
