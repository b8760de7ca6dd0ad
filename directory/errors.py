"""What can go wrong with the directory, as reason codes the login page and the CLI explain."""

from __future__ import annotations

from core.messages import msg

# Reason code -> plain Chinese explanation (the web layer has its own translated copies).
REASONS: dict[str, str] = {
    "empty password": msg("请输入密码。"),
    "invalid input": msg("用户名或密码含有不允许的字符或过长。"),
    "unknown user": msg("用户名或密码错误。"),
    "bad credentials": msg("用户名或密码错误。"),
    "ambiguous user": msg("目录中有多个账户与该用户名匹配，请联系系统管理员。"),
    "account disabled": msg("该账户已在目录中停用，请联系系统管理员。"),
    "account locked": msg("该账户已被目录锁定（多次输错密码或被管理员锁定），请稍后再试或联系系统管理员。"),
    "password expired": msg("目录账户的密码已过期，请先在本局计算机上修改密码后再登录。"),
    "account expired": msg("目录账户已过有效期，请联系系统管理员。"),
    "must change password": msg("首次登录或密码被重置后须先修改密码：请先在本局计算机上修改密码后再登录。"),
    "logon not permitted": msg("目录不允许该账户在此时间或从此处登录，请联系系统管理员。"),
    "directory unavailable": msg("目录服务器暂时无法连接，请稍后再试；如急需登录，请联系系统管理员。"),
    "tls failed": msg("无法与目录服务器建立安全连接（证书未通过验证），请联系系统管理员。"),
    "service account refused": msg("目录服务账户无法登录目录（配置有误），请联系系统管理员。"),
    "directory error": msg("目录服务返回错误，请稍后再试或联系系统管理员。"),
    "not configured": msg("目录登录尚未配置完整，请联系系统管理员。"),
}


class DirectoryError(Exception):
    """A directory sign-in or query failed; `reason` is a key of REASONS, `detail` is for the audit log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail

    @property
    def message(self) -> str:
        """Return the plain Chinese explanation of the reason."""
        return REASONS.get(self.reason, REASONS["directory error"])


class DirectoryConfigError(ValueError):
    """The [directory] settings are incomplete or contradictory; the message says which key."""
