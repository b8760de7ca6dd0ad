"""Signing in: rate limits, local password check, directory login, audit. Views call `sign_in` and nothing else.

Local accounts are checked first and never touch the directory, so the break-glass admin signs in
even when every directory server is down. Any other name goes to the directory when it is enabled;
the directory user is created or updated on each successful sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from config import Settings
from core import audit, org
from core.models import User
from core.models.base import utcnow
from directory import client, presets
from directory import sync as directory_sync
from directory.errors import DirectoryConfigError, DirectoryError
from documents import standing

# Directory reason codes (directory/errors.py) -> what the login page says.
DIRECTORY_MESSAGES = {
    "invalid input": _l("用户名或密码含有不允许的字符或过长，请检查后重试。"),
    "ambiguous user": _l("目录中有多个账户与该用户名匹配，无法确定是谁，请联系系统管理员。"),
    "account disabled": _l("该账户已停用，请联系系统管理员。"),
    "account locked": _l("该账户已被目录锁定（多次输错密码或被管理员锁定），请稍后再试或联系系统管理员解锁。"),
    "password expired": _l("您的目录账户密码已过期：请先在本局计算机上修改密码，然后再登录。"),
    "account expired": _l("您的目录账户已过有效期，请联系系统管理员。"),
    "must change password": _l("您须先修改目录账户密码（首次登录或密码已被重置）：请在本局计算机上修改后再登录。"),
    "logon not permitted": _l("目录不允许该账户在此时间或从此处登录，请联系系统管理员。"),
    "directory unavailable": _l("目录服务器暂时无法连接，请稍后再试；如急需登录，请联系系统管理员。"),
    "tls failed": _l("无法与目录服务器建立安全连接（证书未通过验证），请联系系统管理员。"),
    "service account refused": _l("目录登录配置有误（服务账户无法登录目录），请联系系统管理员。"),
    "not configured": _l("目录登录尚未配置完整，请联系系统管理员。"),
    "directory error": _l("目录服务返回错误，请稍后再试或联系系统管理员。"),
    "directory disabled": _l("目录登录当前未启用，请联系系统管理员。"),
    "identity unconfirmed": _l("目录中的该账户与本系统中同名账户的身份不一致（可能是新同事沿用了旧登录名），"
                               "请联系系统管理员确认后再登录。"),
}


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    error: str | None = None
    rate_limited: bool = False
    retry_after: int = 0  # seconds, for the Retry-After header of a 429


# The first wait after the limit is reached; each further wrong password doubles it, up to the window.
FIRST_WAIT_SECONDS = 30


def waiting_seconds(failures: int, last: datetime | None, threshold: int, window: int) -> int:
    """Return how many seconds must still pass before the next try (0: go ahead).

    Below `threshold` wrong passwords nothing waits; at the threshold the wait is FIRST_WAIT_SECONDS from
    the last wrong password, doubling with each one more, never longer than `window` seconds.
    """
    if failures < threshold or last is None:
        return 0
    wait = min(window, FIRST_WAIT_SECONDS * 2 ** min(20, failures - threshold))
    remaining = wait - (utcnow() - last).total_seconds()
    return max(0, int(remaining + 0.999))


def sign_in(session: Session, settings: Settings, username: str, password: str, address: str) -> LoginOutcome:
    """Check the credentials and record the attempt; the caller commits.

    Wrong passwords are limited per (account, address): after `login_max_failures` from one address
    that account waits there, growing with each further wrong password, answered at once (never a sleep);
    the owner at their own desk is not locked out by someone guessing elsewhere. An address that tries
    many accounts (`login_max_failures_per_address`) waits for all of them. Every refusal is audited.
    """
    typed = org.normalize_username(username)
    name = typed[: org.MAX_USERNAME]
    limits = settings.security
    since = audit.window_start(limits.login_window_seconds)
    pair = audit.failures_since(session, since, username=name, address=address)
    spray = audit.failures_since(session, since, address=address)
    wait = max(waiting_seconds(*pair, limits.login_max_failures, limits.login_window_seconds),
               waiting_seconds(*spray, limits.login_max_failures_per_address, limits.login_window_seconds))
    if wait:
        audit.record(session, audit.LOGIN_REFUSED, username=name, address=address,
                     detail=f"too many failures from this address; wait {wait} s")
        return LoginOutcome(
            error=_("从这台电脑输错密码的次数过多，请%(seconds)d秒后再试；如忘记密码，请联系系统管理员。",
                    seconds=wait),
            rate_limited=True, retry_after=wait,
        )

    user, reason, detail = _check(session, settings, typed, password)
    if user is None:
        audit.record(session, audit.LOGIN_FAILURE, username=name, address=address,
                     detail=f"{reason}: {detail}"[:1000] if detail else reason)
        return LoginOutcome(error=_failure_message(reason))
    org.mark_login(user)
    audit.record(session, audit.LOGIN_SUCCESS, user=user, address=address,
                 detail="directory" if user.source == directory_sync.SOURCE else None)
    return LoginOutcome(user=user)


def _check(session: Session, settings: Settings, name: str, password: str) -> tuple[User | None, str, str]:
    """Return (user, "ok", "") or (None, reason, detail for the audit log)."""
    if not name:
        return None, "empty username", ""
    if not password or not password.strip():
        return None, "empty password", ""
    if len(password) > org.MAX_PASSWORD or len(name) > org.MAX_USERNAME:
        return None, "invalid input", "name or password too long"
    if "\ufffd" in name or "\x00" in password:
        return None, "invalid input", "control character in name or password"
    user = org.user_by_username(session, name)
    if user is not None and user.source == directory_sync.SOURCE:
        if not settings.directory.enabled:
            return None, "directory disabled", ""
        return _check_directory(session, settings, name, password)
    if user is not None or not settings.directory.enabled:
        if not org.check_local_password(user, password):
            return None, "bad credentials", ""
        assert user is not None
        if not user.active:
            return None, "account disabled", ""
        return user, "ok", ""
    return _check_directory(session, settings, name, password)


def _check_directory(session: Session, settings: Settings, name: str, password: str) -> tuple[User | None, str, str]:
    try:
        config = presets.resolve(settings.directory)
    except DirectoryConfigError as exc:
        return None, "not configured", str(exc)
    # End the read snapshot before a call that may take seconds: on SQLite a snapshot that another
    # writer overtook cannot be upgraded to a write afterwards. Nothing is pending yet.
    session.rollback()
    try:
        person = client.authenticate(config, name, password)
    except DirectoryError as exc:
        return None, exc.reason, f"directory: {exc.detail}"
    user = directory_sync.apply_person(session, config, person)
    if user is None:
        holder = org.user_by_username(session, org.normalize_username(person.login))
        if holder is not None and holder.source == directory_sync.SOURCE:
            return None, "identity unconfirmed", f"directory: {person.dn} ({person.uid}) is not the entry last seen"
        return None, "bad credentials", f"directory: {person.login} is held by a local account"
    if not user.active:
        return None, "account disabled", "directory: deactivated in eoffice"
    # The directory may have changed the person's groups or OU just now: tasks they lost move on.
    standing.reassign_lost(session, settings, user_ids=[user.id])
    return user, "ok", ""


def _failure_message(reason: str) -> str:
    if reason == "empty username":
        return _("请输入用户名。")
    if reason == "empty password":
        return _("请输入密码。")
    if reason == "account disabled":
        return _("该账户已停用，请联系系统管理员。")
    if reason in DIRECTORY_MESSAGES:
        return str(DIRECTORY_MESSAGES[reason])
    return _("用户名或密码错误。请检查后重试；忘记密码请联系系统管理员。")
