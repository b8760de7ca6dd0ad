"""The demo bureau 示范市林业局: departments, accounts and a few real documents in the archive folder."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import org
from core.models import User
from core.permissions import Role
from documents import redhead_templates
from documents.routes import seed_templates

DEMO_DATA = Path(__file__).with_name("data")
DEMO_ORGAN = "示范市林业局"

DEPARTMENTS: list[tuple[str, str]] = [
    ("BGS", "办公室"),
    ("JHC", "计划财务处"),
    ("LZC", "林政资源管理处"),
    ("ZLC", "造林绿化处"),
    ("YBC", "野生动植物保护处"),
    ("FHB", "森林防火办公室"),
    ("ZFC", "政策法规处"),
    ("DAS", "档案室"),
    ("WYS", "文印室"),
]

# (login, display name, department, roles, clearance 0..4)
ACCOUNTS: list[tuple[str, str, str, tuple[str, ...], int]] = [
    ("admin", "系统管理员", "BGS", (Role.ADMIN,), 1),
    ("director", "张建国", "BGS", (Role.LEADER,), 4),
    ("deputy", "李文华", "BGS", (Role.LEADER,), 3),
    ("office_head", "王秀英", "BGS", (Role.DEPT_HEAD,), 3),
    ("clerk", "赵丽娟", "BGS", (Role.CLERK,), 2),
    ("lz_head", "刘志强", "LZC", (Role.DEPT_HEAD,), 2),
    ("lz_staff", "陈晓明", "LZC", (Role.STAFF,), 1),
    ("zl_head", "杨海涛", "ZLC", (Role.DEPT_HEAD,), 2),
    ("zl_staff", "周静", "ZLC", (Role.STAFF,), 1),
    ("archivist", "吴淑芬", "DAS", (Role.ARCHIVIST,), 3),
    ("printroom", "孙立新", "WYS", (Role.PRINT_OPERATOR,), 2),
]

# Real reports from bureaus like the demo one, placed as <department>/<year>/<file> in the archive.
ARCHIVE_FILES: list[tuple[str, str, str, str]] = [
    # (source file in demo_data/, department, year, name in the archive)
    ("chengdu-forestry-self-inspection-2023.txt", "BGS", "2023", "成都市林业局规范化服务型政府建设工作自查报告.txt"),
    ("henan-forestry-office-work.txt", "BGS", "2024", "河南省林业厅努力推动机关工作上水平.txt"),
]


@dataclass(frozen=True)
class DemoResult:
    password: str
    generated: bool
    credentials_file: Path
    accounts: list[str]


def is_empty(session: Session) -> bool:
    """Return True when no user exists yet (a fresh database)."""
    return not session.scalar(select(func.count(User.id)))


def seed(session: Session, *, data_dir: Path, archive_dir: Path, password: str = "") -> DemoResult:
    """Create the demo bureau; the password is generated when not given and written to the data dir."""
    generated = not password
    if generated:
        password = secrets.token_urlsafe(9)
    org.ensure_roles(session)
    for order, (code, name) in enumerate(DEPARTMENTS):
        org.save_department(session, code, name, sort_order=(order + 1) * 10)
    for username, display, dept, roles, clearance in ACCOUNTS:
        if org.user_by_username(session, username) is None:
            org.create_user(
                session, username, display, department_code=dept, roles=list(roles),
                password=password, clearance=clearance,
            )
    credentials = data_dir / "demo-credentials.txt"
    _write_private(
        credentials,
        "示范市林业局 演示账户 / demo accounts\n"
        + "".join(f"{u:<12} {d}\n" for u, d, *_ in ACCOUNTS)
        + f"\n密码 / password: {password}\n",
    )
    place_archive_files(archive_dir)
    seed_templates(session)  # 发文 / 收文 / 签报 route templates
    redhead_templates.seed_demo(session, DEMO_ORGAN)  # the 发文 red-header template (套红)
    return DemoResult(password, generated, credentials, [a[0] for a in ACCOUNTS])


def place_archive_files(archive_dir: Path) -> list[Path]:
    """Copy the demo documents into the archive folder (UTF-8, plus a GB18030 copy) if absent."""
    placed: list[Path] = []
    for source, dept, year, name in ARCHIVE_FILES:
        target = archive_dir / dept / year / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(DEMO_DATA / source, target)
        placed.append(target)
    # Desktops in the bureau still save GBK text: keep one such file in the demo.
    text = (DEMO_DATA / ARCHIVE_FILES[1][0]).read_text(encoding="utf-8")
    gbk = archive_dir / "LZC" / "2024" / "机关工作经验材料（GBK编码）.txt"
    if not gbk.exists():
        gbk.parent.mkdir(parents=True, exist_ok=True)
        gbk.write_bytes(text.encode("gb18030", errors="replace"))
    placed.append(gbk)
    return placed


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
