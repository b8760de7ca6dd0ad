"""The audit log: append security-relevant events and count recent login failures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.messages import N_
from core.models import AuditEvent, User
from core.models.base import utcnow

LOGIN_SUCCESS = "login.success"
LOGIN_FAILURE = "login.failure"
LOGIN_REFUSED = "login.rate_limited"

# Every kind of audit event, as the admin pages name it (marked for translation; shown through _()).
KIND_NAMES: dict[str, str] = {
    LOGIN_SUCCESS: N_("登录成功"),
    LOGIN_FAILURE: N_("登录失败"),
    LOGIN_REFUSED: N_("登录被限制（输错次数过多）"),
    "logout": N_("退出登录"),
    "password.changed": N_("修改密码"),
    "password.change_refused": N_("修改密码被拒绝"),
    "admin.department": N_("管理员修改部门"),
    "admin.user.create": N_("管理员新建用户"),
    "admin.user.update": N_("管理员修改用户"),
    "admin.directory.sync": N_("管理员发起目录同步"),
    "archive.download": N_("下载档案文件"),
    "archive.upload": N_("上传档案文件"),
    "archive.retry": N_("重新读取档案文件"),
    "directory.renamed": N_("目录账户改名"),
    "directory.identity_changed": N_("登录名被新人员沿用，旧账户已保留停用"),
    "directory.identity_adopted": N_("确认目录账户身份"),
    "directory.identity_unconfirmed": N_("目录账户身份待确认"),
    "directory.identity_missing": N_("目录条目缺少身份标识，账户未改动"),
    "directory.password_changed": N_("目录中已修改密码，该账户的会话已结束"),
    # 政务信息报送
    "reporting.submit": N_("报送政务信息"),
    "reporting.edit": N_("修改政务信息"),
    "reporting.return": N_("退回政务信息"),
    "reporting.adopt": N_("采用政务信息"),
    "reporting.issue": N_("新建信息刊物期次"),
    "reporting.call": N_("发布约稿"),
    "reporting.unit": N_("维护报送单位"),
    # 督查督办
    "inspection.register": N_("督查督办立项"),
    "inspection.feedback": N_("督查事项进展反馈"),
    "inspection.closing": N_("督查事项办结报告"),
    "inspection.judge": N_("审核督查事项办结"),
    "inspection.confirm": N_("领导确认督查事项办结"),
    "inspection.remind": N_("督查事项催办"),
    "inspection.reassign": N_("更换督查事项责任人"),
    "inspection.file": N_("督查事项归档"),
    # 目标绩效考核
    "assessment.target.create": N_("录入考核目标"),
    "assessment.target.delete": N_("删除考核目标"),
    "assessment.targets.import": N_("导入考核目标"),
    "assessment.self_check.submit": N_("报送季度自查"),
    "assessment.self_check.return": N_("退回季度自查"),
    "assessment.analysis.pdf": N_("生成考核分析报告"),
}


def kind_name(kind: str) -> str:
    """Return the (untranslated) name of an audit kind; an unknown kind is shown as it is."""
    return KIND_NAMES.get(kind, kind)


def record(
    session: Session,
    kind: str,
    *,
    user: User | None = None,
    username: str | None = None,
    address: str | None = None,
    detail: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event (the caller commits)."""
    event = AuditEvent(
        kind=kind,
        user_id=user.id if user else None,
        username=(username if username is not None else (user.username if user else None) or "")[:128],
        address=(address or "")[:64] or None,
        detail=detail,
        data=data,
    )
    session.add(event)
    return event


def failures_since(
    session: Session, since: datetime, *, username: str | None = None, address: str | None = None
) -> tuple[int, datetime | None]:
    """Return (wrong passwords, the latest one's time) since `since` for an account and/or an address.

    Only failed checks count, never refusals: an attacker who keeps trying while refused does not
    extend the wait.
    """
    stmt = select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
        AuditEvent.kind == LOGIN_FAILURE, AuditEvent.at >= since)
    if username is not None:
        stmt = stmt.where(AuditEvent.username == username)
    if address is not None:
        stmt = stmt.where(AuditEvent.address == address)
    count, last = session.execute(stmt).one()
    return int(count or 0), last


def window_start(seconds: int) -> datetime:
    """Return the start of a sliding window ending now."""
    return utcnow() - timedelta(seconds=seconds)


def latest(session: Session, *, limit: int = 100, kinds: tuple[str, ...] = ()) -> list[AuditEvent]:
    """Return the newest audit events, optionally of some kinds only."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if kinds:
        stmt = stmt.where(or_(*(AuditEvent.kind == k for k in kinds)))
    return list(session.scalars(stmt))


def previous_sign_in(session: Session, user: User) -> AuditEvent | None:
    """Return the sign-in before the current one (上次登录: what the person did not do just now)."""
    return session.scalars(select(AuditEvent).where(
        AuditEvent.kind == LOGIN_SUCCESS, AuditEvent.user_id == user.id)
        .order_by(AuditEvent.id.desc()).offset(1).limit(1)).first()
