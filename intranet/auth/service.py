"""Signing in: rate limits, local password check, audit. Views call `sign_in` and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from archive import audit, org
from archive.models import User
from config import Settings


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    error: str | None = None
    rate_limited: bool = False


def sign_in(session: Session, settings: Settings, username: str, password: str, address: str) -> LoginOutcome:
    """Check the credentials and record the attempt; the caller commits."""
    name = org.normalize_username(username)[: org.MAX_USERNAME]
    limits = settings.security
    by_user, by_address = audit.recent_failures(
        session, username=name, address=address, since=audit.window_start(limits.login_window_seconds)
    )
    if by_user >= limits.login_max_failures or by_address >= limits.login_max_failures_per_address:
        audit.record(session, audit.LOGIN_REFUSED, username=name, address=address, detail="too many failures")
        minutes = max(1, limits.login_window_seconds // 60)
        return LoginOutcome(
            error=_("登录失败次数过多，该账户或地址已被暂时锁定。请%(minutes)d分钟后再试，或联系系统管理员。",
                    minutes=minutes),
            rate_limited=True,
        )

    user, reason = _check(session, name, password)
    if user is None:
        audit.record(session, audit.LOGIN_FAILURE, username=name, address=address, detail=reason)
        return LoginOutcome(error=_failure_message(reason))
    org.mark_login(user)
    audit.record(session, audit.LOGIN_SUCCESS, user=user, address=address)
    return LoginOutcome(user=user)


def _check(session: Session, name: str, password: str) -> tuple[User | None, str]:
    if not name:
        return None, "empty username"
    if not password or not password.strip():
        return None, "empty password"
    if len(password) > org.MAX_PASSWORD:
        return None, "password too long"
    user = org.user_by_username(session, name)
    if not org.check_local_password(user, password):
        return None, "bad credentials"
    assert user is not None
    if not user.active:
        return None, "account disabled"
    return user, "ok"


def _failure_message(reason: str) -> str:
    if reason == "empty username":
        return _("请输入用户名。")
    if reason == "empty password":
        return _("请输入密码。")
    if reason == "account disabled":
        return _("该账户已停用，请联系系统管理员。")
    return _("用户名或密码错误。请检查后重试；忘记密码请联系系统管理员。")
