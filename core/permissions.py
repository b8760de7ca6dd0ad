"""Roles and what each may do: the one table access checks read."""

from __future__ import annotations

from enum import StrEnum

from core.messages import N_


class Role(StrEnum):
    STAFF = "staff"
    DEPT_HEAD = "dept_head"
    CLERK = "clerk"
    LEADER = "leader"
    ARCHIVIST = "archivist"
    PRINT_OPERATOR = "print_operator"
    ADMIN = "admin"


ROLE_NAMES: dict[Role, str] = {
    Role.STAFF: N_("普通工作人员"),
    Role.DEPT_HEAD: N_("处室负责人"),
    Role.CLERK: N_("办公室文书"),
    Role.LEADER: N_("局领导"),
    Role.ARCHIVIST: N_("档案员"),
    Role.PRINT_OPERATOR: N_("文印室操作员"),
    Role.ADMIN: N_("系统管理员"),
}


class Permission(StrEnum):
    PORTAL = "portal"  # every signed-in user: home page, own profile, notifications
    NOTICES = "notices.use"  # read 通知公告 and 公示 for one's audience (publishing follows notices.service rules)
    DOCUMENTS = "documents.use"  # draft, handle own tasks
    DOCUMENTS_NUMBER = "documents.number"  # 登记编号, 文号 ledger
    DOCUMENTS_SIGN = "documents.sign"  # 签发
    SUPERVISION = "supervision.view"  # 督办 figures
    REPORTING = "reporting.use"  # 政务信息报送: submit for one's unit, see its items (office: org.is_office)
    INSPECTION = "inspection.use"  # 督查督办事项: see and report on one's items (立项 and judging: the office)
    ASSESSMENT = "assessment.use"  # 目标绩效考核: one's department's targets and 季度自查 (summary: the office)
    ARCHIVE_SEARCH = "archive.search"  # search what one's department and public areas hold
    ARCHIVE_READ_ALL = "archive.read_all"  # search every department's files
    ARCHIVE_MANAGE = "archive.manage"  # upload, index status, retry
    PRINT = "printing.use"
    PRINT_OPERATE = "printing.operate"  # 文印室 console
    PRINT_ADMIN = "printing.admin"  # printer states, accounting of everyone
    ADMIN = "admin.manage"  # departments, users, roles, route templates, directory


_EVERYONE = {
    Permission.PORTAL, Permission.NOTICES, Permission.DOCUMENTS, Permission.ARCHIVE_SEARCH, Permission.PRINT,
    Permission.REPORTING, Permission.INSPECTION, Permission.ASSESSMENT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.STAFF: frozenset(_EVERYONE),
    Role.DEPT_HEAD: frozenset(_EVERYONE | {Permission.SUPERVISION}),
    Role.CLERK: frozenset(_EVERYONE | {Permission.DOCUMENTS_NUMBER, Permission.SUPERVISION}),
    Role.LEADER: frozenset(
        _EVERYONE | {Permission.DOCUMENTS_SIGN, Permission.SUPERVISION, Permission.ARCHIVE_READ_ALL}
    ),
    Role.ARCHIVIST: frozenset(_EVERYONE | {Permission.ARCHIVE_READ_ALL, Permission.ARCHIVE_MANAGE}),
    Role.PRINT_OPERATOR: frozenset(_EVERYONE | {Permission.PRINT_OPERATE}),
    Role.ADMIN: frozenset(set(Permission)),
}


def permissions_for(role_codes: frozenset[str] | set[str]) -> frozenset[Permission]:
    """Return the union of permissions of the given role codes; a user without roles may only sign in."""
    perms: set[Permission] = {Permission.PORTAL}
    for code in role_codes:
        if code in Role.__members__.values():
            perms |= ROLE_PERMISSIONS[Role(code)]
    return frozenset(perms)
