"""Organisation services: departments, users, roles, local passwords."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from core.messages import DomainError, msg
from core.models import Department, Role, RoleAssignment, User
from core.models.base import utcnow
from core.models.org import new_session_token
from core.permissions import ROLE_NAMES, Permission, permissions_for
from core.permissions import Role as RoleCode

MAX_USERNAME = 128
MAX_PASSWORD = 1024
# Used to spend the same time on unknown users as on known ones (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class OrgError(DomainError):
    """A change to the organisation was refused; the message is shown to the admin."""


def normalize_username(raw: str) -> str:
    """Return the canonical login name: NFKC, stripped, lower case, control characters shown as U+FFFD.

    A NUL or other control character can never be part of a login name; replacing them (rather than
    dropping them) keeps "admin\\x00" from turning into "admin" and keeps them out of SQL and LDAP.
    """
    name = unicodedata.normalize("NFKC", raw or "").strip().lower()
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in name)


def ensure_roles(session: Session) -> dict[str, Role]:
    """Create the built-in roles if missing and return them by code."""
    existing = {r.code: r for r in session.scalars(select(Role))}
    for code, name in ROLE_NAMES.items():
        if code.value not in existing:
            role = Role(code=code.value, name=name)
            session.add(role)
            existing[code.value] = role
    session.flush()
    return existing


def departments(session: Session, *, include_inactive: bool = False) -> list[Department]:
    """Return departments in display order."""
    stmt = select(Department).order_by(Department.sort_order, Department.code)
    if not include_inactive:
        stmt = stmt.where(Department.active.is_(True))
    return list(session.scalars(stmt))


def department_by_code(session: Session, code: str) -> Department | None:
    """Return the department with this code (case-insensitive) or None."""
    return session.scalar(select(Department).where(Department.code == code.strip().upper()))


def save_department(
    session: Session, code: str, name: str, *, sort_order: int = 100, active: bool = True
) -> Department:
    """Create or update a department by code."""
    code = code.strip().upper()
    name = name.strip()
    if not code or not code.isascii() or not code.replace("_", "").isalnum() or len(code) > 32:
        raise OrgError(msg("部门代码只能使用英文字母、数字和下划线，例如 BGS。"))
    if not name or len(name) > 100:
        raise OrgError(msg("请填写部门名称（不超过100个字符）。"))
    dept = department_by_code(session, code)
    if dept is None:
        dept = Department(code=code, name=name, sort_order=sort_order, active=active)
        session.add(dept)
    else:
        dept.name, dept.sort_order, dept.active = name, sort_order, active
    session.flush()
    return dept


def user_by_username(session: Session, username: str) -> User | None:
    """Return the user with this login name, roles loaded, or None."""
    stmt = (
        select(User)
        .where(User.username == normalize_username(username))
        .options(selectinload(User.role_assignments).joinedload(RoleAssignment.role))
    )
    return session.scalar(stmt)


def users_with_role(session: Session, role: str, department_id: int | None = None) -> list[User]:
    """Return the active holders of `role` (in one department when given), by id."""
    stmt = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(Role.code == role, User.active.is_(True)).order_by(User.id).distinct())
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return list(session.scalars(stmt))


def users(session: Session) -> list[User]:
    """Return every user with department and roles loaded, by department then name."""
    stmt = (
        select(User)
        .outerjoin(Department)
        .options(
            selectinload(User.role_assignments).joinedload(RoleAssignment.role),
            selectinload(User.department),
        )
        .order_by(Department.sort_order, User.username)
    )
    return list(session.scalars(stmt))


def create_user(
    session: Session,
    username: str,
    display_name: str,
    *,
    department_code: str | None,
    roles: list[str] | tuple[str, ...] = (RoleCode.STAFF,),
    password: str | None = None,
    source: str = "local",
    clearance: int = 1,
    email: str | None = None,
    title: str | None = None,
) -> User:
    """Create a user with roles; a local user needs a password."""
    name = normalize_username(username)
    if not name or len(name) > MAX_USERNAME or any(c.isspace() for c in name):
        raise OrgError(msg("登录名不能为空、不能含空格，且不超过128个字符。"))
    if user_by_username(session, name) is not None:
        raise OrgError(msg("登录名 %(name)s 已存在。", name=name))
    display_name = display_name.strip()
    if not display_name:
        raise OrgError(msg("请填写姓名。"))
    dept = department_by_code(session, department_code) if department_code else None
    if department_code and dept is None:
        raise OrgError(msg("没有代码为 %(department_code)s 的部门。", department_code=department_code))
    if source == "local":  # refused before the account object exists, so nothing half-made is flushed
        problems = [msg("本地账户需要设置密码。")] if not password else password_problems(password, name, display_name)
        if problems:
            raise OrgError("\n".join(problems))
    user = User(
        username=name,
        display_name=display_name,
        department=dept,
        source=source,
        clearance=clearance,
        email=email,
        title=title,
    )
    if source == "local" and password:
        set_password(user, password)
    session.add(user)
    session.flush()
    set_roles(session, user, roles)
    return user


MIN_PASSWORD = 8


def password_problems(password: str, username: str = "", display_name: str = "") -> list[str]:
    """Return every reason a new password is refused (empty: acceptable), in Chinese, all at once.

    Rules: 8 to 1024 characters; not one character repeated (eight spaces, aaaaaaaa); not containing the
    login name; not among the common or easily guessed passwords, judged by zxcvbn (its frequency
    lists of leaked passwords, keyboard patterns, dates and names, with the person's own names as
    extra words): a score below 2 of 4 is refused.
    """
    problems: list[str] = []
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        problems.append(msg(
            "密码长度须为%(MIN_PASSWORD)s至%(MAX_PASSWORD)s个字符。",
            MIN_PASSWORD=MIN_PASSWORD, MAX_PASSWORD=MAX_PASSWORD,
        ))
    if password and len(set(password)) == 1:
        problems.append(msg("密码不能是同一个字符的重复（如八个空格或 aaaaaaaa）。"))
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        problems.append(msg("密码不能包含登录名。"))
    if not problems and password:
        from zxcvbn import zxcvbn

        if zxcvbn(password[:100], user_inputs=[u for u in (username, display_name) if u])["score"] < 2:
            problems.append(msg(
                "密码太常见或太容易被猜到（如 12345678、password1、键盘连续字母、姓名加年份），请换一个更长、不常见的"
                "密码，例如几个词加数字和符号。",
            ))
    return problems


def set_password(user: User, password: str) -> None:
    """Check the password policy (`password_problems`), hash and set it; ends the account's other sessions.

    Raises OrgError listing every problem.
    """
    problems = password_problems(password, user.username or "", user.display_name or "")
    if problems:
        raise OrgError("\n".join(problems))
    user.password_hash = generate_password_hash(password, method="scrypt")
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of the account (the per-account session token is replaced)."""
    user.session_token = new_session_token()


def check_local_password(user: User | None, password: str) -> bool:
    """Return True when `user` is an active local account and the password matches."""
    if user is None or not user.password_hash or len(password) > MAX_PASSWORD:
        check_password_hash(_DUMMY_HASH, password[:MAX_PASSWORD])
        return False
    return check_password_hash(user.password_hash, password)


def set_roles(
    session: Session, user: User, role_codes: list[str] | tuple[str, ...] | set[str], *, source: str = "manual"
) -> None:
    """Make the user's roles from `source` exactly `role_codes`, keeping grants from other sources."""
    roles = ensure_roles(session)
    wanted = set(role_codes)
    unknown = wanted - set(roles)
    if unknown:
        raise OrgError(msg("未知角色：%(value)s", value=', '.join(sorted(unknown))))
    current = {a.role.code: a for a in user.role_assignments if a.source == source}
    before = user.role_codes
    for code, assignment in current.items():
        if code not in wanted:
            user.role_assignments.remove(assignment)
    for code in wanted - set(current):
        user.role_assignments.append(RoleAssignment(role=roles[code], source=source))
    if user.id is not None and user.role_codes != before:
        end_sessions(user)  # what the person may do changed: they sign in again (a same-roles sync ends nothing)
    session.flush()


def update_user(
    session: Session,
    user: User,
    *,
    display_name: str,
    department_code: str | None,
    active: bool,
    roles: list[str],
    clearance: int,
) -> None:
    """Apply an admin's edit of a user (manual roles only; directory roles come from groups)."""
    dept = department_by_code(session, department_code) if department_code else None
    if department_code and dept is None:
        raise OrgError(msg("没有代码为 %(department_code)s 的部门。", department_code=department_code))
    if not display_name.strip():
        raise OrgError(msg("请填写姓名。"))
    user.display_name = display_name.strip()
    user.department = dept
    if user.active and not active:
        end_sessions(user)
    user.active = active
    user.clearance = clearance
    set_roles(session, user, roles)


def permissions_of(user: User) -> frozenset[Permission]:
    """Return what the user may do, from all their roles."""
    if not user.active:
        return frozenset()
    return permissions_for(user.role_codes)


def mark_login(user: User) -> None:
    """Record the time of a successful sign-in."""
    user.last_login_at = utcnow()


def office_code(settings: Any) -> str:
    """Return the office department's code (settings [supervision] office_department, default BGS)."""
    return str(settings.supervision.office_department)


def is_office(settings: Any, user: User) -> bool:
    """The office ("the office" of issue 14): administrators, and the office department's 文书 and
    处室负责人. It publishes notices, reviews 信息报送, registers 督查督办 items and collects 自查."""
    if Permission.ADMIN in permissions_of(user):
        return True
    in_office = user.department is not None and user.department.code == office_code(settings)
    return in_office and bool(user.role_codes & {RoleCode.CLERK, RoleCode.DEPT_HEAD})


def office_people(session: Session, settings: Any) -> list[User]:
    """Return the office's active people (its 文书 and 处室负责人), who are told of what reaches the office."""
    dept = session.scalar(select(Department).where(Department.code == office_code(settings)))
    if dept is None:
        return []
    people = session.scalars(select(User).where(User.department_id == dept.id, User.active.is_(True)))
    return [u for u in people if is_office(settings, u)]

def heads_of(session: Session, user: User) -> list[User]:
    """Return whom a reminder escalates to: the heads of the user's department, else the bureau's leaders."""
    def holders_of(role: str, department_id: int | None) -> list[User]:
        stmt = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                .join(Role, Role.id == RoleAssignment.role_id)
                .where(Role.code == role, User.active.is_(True), User.id != user.id))
        if department_id is not None:
            stmt = stmt.where(User.department_id == department_id)
        return list(dict.fromkeys(session.scalars(stmt.order_by(User.id))))

    heads = holders_of(RoleCode.DEPT_HEAD, user.department_id) if user.department_id else []
    return heads or holders_of(RoleCode.LEADER, None)
