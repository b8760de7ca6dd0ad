"""The one module that talks to the directory (ldap3): sign-in, paged listing, step-by-step checks.

Sign-in is search-then-bind: bind as the service account, find the user by the typed name passed
through `escape_filter_chars`, require exactly one entry, bind as that DN on a fresh connection and
confirm the identity with who-am-i. Every socket has a connect and a receive timeout and the whole
sign-in shares one deadline, so a refused or frozen server costs at most the time left; servers are
tried in order (a plain loop rather than ldap3's ServerPool, whose active mode can loop forever).
"""

from __future__ import annotations

import contextlib
import functools
import math
import ssl
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPCertificateError,
    LDAPCommunicationError,
    LDAPException,
    LDAPStartTLSError,
)
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from core.messages import msg
from directory.errors import DirectoryError
from directory.presets import DirectoryConfig, ServerAddress, ad_bind_reason, dn_key

MAX_LOGIN = 128
MAX_PASSWORD = 1024
INVALID_CREDENTIALS = 49
# Deepest group nesting followed on directories without AD's in-chain rule (cycles are cut too).
MAX_NESTING = 16


@dataclass(frozen=True)
class DirectoryPerson:
    """A user entry as eoffice needs it."""

    dn: str
    login: str
    display_name: str
    departments: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()  # OU names in the DN, nearest first
    email: str | None = None
    title: str | None = None
    groups: tuple[str, ...] = ()  # DNs of every group the user belongs to (nested ones included)
    group_names: tuple[str, ...] = ()  # their cn values
    uid: str | None = None  # the entry's stable identifier (entryUUID / objectGUID), lower-case UUID text
    password_changed_at: datetime | None = None  # pwdChangedTime (OpenLDAP) / pwdLastSet (AD), UTC


@dataclass
class CheckStep:
    """One line of `eoffice directory test`."""

    ok: bool
    title: str
    detail: str = ""
    data: dict[str, object] = field(default_factory=dict)


class _Unreachable(Exception):
    """This server cannot be used now (refused, timed out, TLS failed): try the next one."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# --- filters (plain strings: the AD ones are tested as generated text) -------------------------


def login_filter(config: DirectoryConfig, name: str) -> str:
    """Return the filter that finds the user typing `name` (escaped: no injection)."""
    return f"(&{config.user_filter}({config.login_attribute}={escape_filter_chars(name)}))"


def all_users_filter(config: DirectoryConfig) -> str:
    """Return the filter of every enabled user the sync takes over."""
    disabled = f"(!{config.disabled_filter})" if config.disabled_filter else ""
    return f"(&{config.user_filter}({config.login_attribute}=*){disabled})"


def groups_of_filter(config: DirectoryConfig, dn: str) -> str:
    """Return the filter of the groups holding `dn` (all of them at once with AD's in-chain rule)."""
    rule = ":1.2.840.113556.1.4.1941:" if config.in_chain_groups else ""
    return f"(&{config.group_filter}({config.member_attribute}{rule}={escape_filter_chars(dn)}))"


# --- sign-in ------------------------------------------------------------------------------------


def check_input(username: str, password: str) -> str:
    """Return the login name to search for, or raise before anything reaches the directory."""
    name = unicodedata.normalize("NFKC", username or "").strip()
    if not password or not password.strip():
        # AD (and slapd with `allow bind_anon_dn`) treat a DN with an empty password as an anonymous
        # bind that "succeeds": never send one.
        raise DirectoryError("empty password")
    if not name or len(name) > MAX_LOGIN or len(password) > MAX_PASSWORD:
        raise DirectoryError("invalid input", "name or password too long or empty")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name) or "\x00" in password:
        raise DirectoryError("invalid input", "control character in name or password")
    return name


def authenticate(config: DirectoryConfig, username: str, password: str) -> DirectoryPerson:
    """Check the name and password against the directory and return the person with their groups."""
    name = check_input(username, password)
    deadline = time.monotonic() + config.login_timeout
    failures: list[_Unreachable] = []
    for address in config.servers:
        try:
            return _authenticate_on(config, address, name, password, deadline)
        except _Unreachable as exc:
            failures.append(exc)
            if time.monotonic() >= deadline:
                break
    raise _all_down(config, failures)


def _authenticate_on(
    config: DirectoryConfig, address: ServerAddress, name: str, password: str, deadline: float
) -> DirectoryPerson:
    service = _service_connection(config, address, deadline)
    try:
        entries = _search(service, config.user_base, login_filter(config, name), config.user_attributes,
                          size_limit=2)
        if not entries:
            raise DirectoryError("unknown user", f"no entry for the name on {address.url}")
        if len(entries) > 1:
            raise DirectoryError("ambiguous user", f"several entries match on {address.url}")
        dn, attributes = entries[0]
        user = _open(config, address, deadline, user=dn, password=password)
        try:
            bound = _call(user.bind, address)
            if not bound:
                raise DirectoryError(_bind_failure(config, service, user.result, dn), _result_text(user.result))
            _confirm_identity(user, dn, attributes, config, address)
        finally:
            _close(user)
        if config.disabled_filter and _matches(service, dn, config.disabled_filter, address):
            raise DirectoryError("account disabled", "the entry matches directory.disabled_filter")
        groups = _groups_of(service, config, dn, address)
        return _person(config, dn, attributes, groups)
    finally:
        _close(service)


def _bind_failure(config: DirectoryConfig, service: Connection, result: dict, dn: str) -> str:
    message = str(result.get("message") or "")
    if config.ad_bind_codes:
        reason = ad_bind_reason(message)
        if reason:
            return reason
    if result.get("result") == INVALID_CREDENTIALS:
        # OpenLDAP's ppolicy only says "invalid credentials": look at the entry to explain a lockout.
        try:
            if config.disabled_filter and _matches(service, dn, config.disabled_filter, None):
                return "account disabled"
            if config.locked_filter and _matches(service, dn, config.locked_filter, None):
                return "account locked"
        except (DirectoryError, _Unreachable):
            pass
        return "bad credentials"
    return "directory error"


def _confirm_identity(
    user: Connection, dn: str, attributes: dict, config: DirectoryConfig, address: ServerAddress
) -> None:
    """Make sure the bind made us this user and not anonymous (never trust "bind returned True")."""
    who = _call(user.extend.standard.who_am_i, address) or ""
    who = who.decode() if isinstance(who, bytes) else str(who)
    if who.lower().startswith("dn:") and dn_key(who[3:]) == dn_key(dn):
        return
    if who.lower().startswith("u:"):
        # AD answers u:DOMAIN\sAMAccountName.
        account = who[2:].rsplit("\\", 1)[-1].lower()
        names = {str(v).lower() for v in _values(attributes, "sAMAccountName")}
        names |= {str(v).lower() for v in _values(attributes, config.login_attribute)}
        if account in names:
            return
    raise DirectoryError("bad credentials", f"who-am-i answered {who!r} instead of the user's DN")


# --- groups and people --------------------------------------------------------------------------


def _groups_of(
    service: Connection, config: DirectoryConfig, dn: str, address: ServerAddress
) -> list[tuple[str, str]]:
    """Return (dn, cn) of the user's groups, following nesting when asked to."""
    found: dict[str, tuple[str, str]] = {}
    frontier = [dn]
    depth = 0
    while frontier and depth < MAX_NESTING:
        clauses = "".join(
            f"({config.member_attribute}={escape_filter_chars(member)})" for member in frontier
        )
        flt = groups_of_filter(config, dn) if depth == 0 else f"(&{config.group_filter}(|{clauses}))"
        frontier = []
        for group_dn, attrs in _search(service, config.group_base, flt, ["cn"]):
            key = dn_key(group_dn)
            if key not in found:
                found[key] = (group_dn, _first(attrs, "cn") or "")
                frontier.append(group_dn)
        if config.in_chain_groups or not config.nested_groups:
            break
        depth += 1
    return list(found.values())


def _person(config: DirectoryConfig, dn: str, attributes: dict, groups: list[tuple[str, str]]) -> DirectoryPerson:
    login = _first(attributes, config.login_attribute) or ""
    ous = tuple(value for attr, value, _sep in parse_dn(dn, escape=False) if attr.lower() == "ou")
    display = _first(attributes, config.display_name_attribute) or _first(attributes, "cn") or login
    return DirectoryPerson(
        uid=stable_id(_values(attributes, config.id_attribute)),
        dn=dn,
        login=login,
        display_name=display.strip()[:100],
        departments=tuple(str(v).strip() for v in _values(attributes, config.department_attribute) if str(v).strip()),
        ous=ous,
        email=(_first(attributes, config.email_attribute) or None),
        title=(_first(attributes, config.title_attribute) or None),
        groups=tuple(g[0] for g in groups),
        group_names=tuple(g[1] for g in groups),
        password_changed_at=password_changed_at(attributes),
    )


def password_changed_at(attributes: dict) -> datetime | None:
    """When the entry's password last changed, in UTC: OpenLDAP's pwdChangedTime (GeneralizedTime,
    RFC 4517 §3.3.13, e.g. 20261130224512Z) or AD's pwdLastSet (100 ns intervals since 1601-01-01 UTC;
    0 = must change at next logon). None when the entry does not say."""
    raw = _first(attributes, "pwdChangedTime")
    if raw:
        text = str(raw).strip()
        with contextlib.suppress(ValueError):
            digits = text.rstrip("Z").split(".", 1)[0]
            if text.endswith("Z") and len(digits) == 14 and digits.isdigit():
                return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    ticks = _first(attributes, "pwdLastSet")
    if ticks is not None and str(ticks).strip().isdigit() and int(str(ticks)) > 0:
        return datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(str(ticks)) // 10)
    return None


def list_people(
    config: DirectoryConfig, *, on_page: Callable[[int], None] | None = None
) -> Iterator[DirectoryPerson]:
    """Yield every enabled user (paged), with their groups resolved from one listing of all groups."""
    deadline = time.monotonic() + 24 * 3600  # a sync is bounded per request by receive_timeout
    with _first_service(config, deadline) as (service, address):
        parents = _group_parents(service, config, address)
        for batch in _paged(service, config.user_base, all_users_filter(config), config.user_attributes,
                            config.page_size, address):
            for dn, attributes in batch:
                groups = _closure(dn, parents, config.nested_groups)
                yield _person(config, dn, attributes, groups)
            if on_page:
                on_page(len(batch))


def lookup(config: DirectoryConfig, username: str) -> DirectoryPerson:
    """Return the directory entry of a login name, read with the service account (no password needed).

    Raises DirectoryError("ambiguous user" / "bad credentials" when absent, or "directory unavailable").
    """
    with _first_service(config, time.monotonic() + 30) as (service, address):
        entries = _search(service, config.user_base, login_filter(config, username), config.user_attributes,
                          size_limit=2)
        if len(entries) != 1:
            raise DirectoryError("ambiguous user" if entries else "bad credentials",
                                 f"{len(entries)} entries for {username}")
        dn, attributes = entries[0]
        return _person(config, dn, attributes, _groups_of(service, config, dn, address))


@contextmanager
def _first_service(config: DirectoryConfig, deadline: float) -> Iterator[tuple[Connection, ServerAddress]]:
    """Yield a service-account connection to the first server that answers (failover in order), closed after.

    Raises DirectoryError ("directory unavailable") when none answers.
    """
    failures: list[_Unreachable] = []
    for address in config.servers:
        try:
            service = _service_connection(config, address, deadline)
        except _Unreachable as exc:
            failures.append(exc)
            continue
        try:
            yield service, address
        finally:
            _close(service)
        return
    raise _all_down(config, failures)


def _group_parents(
    service: Connection, config: DirectoryConfig, address: ServerAddress
) -> dict[str, list[tuple[str, str]]]:
    """Map each member DN (folded) to the (dn, cn) of the groups that list it directly."""
    parents: dict[str, list[tuple[str, str]]] = {}
    flt = config.group_filter
    for batch in _paged(service, config.group_base, flt, ["cn", config.member_attribute], config.page_size, address):
        for group_dn, attrs in batch:
            entry = (group_dn, _first(attrs, "cn") or "")
            for member in _values(attrs, config.member_attribute):
                parents.setdefault(dn_key(str(member)), []).append(entry)
    return parents


def _closure(dn: str, parents: dict[str, list[tuple[str, str]]], nested: bool) -> list[tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    frontier = [dn_key(dn)]
    depth = 0
    while frontier and depth < MAX_NESTING:
        following = []
        for key in frontier:
            for group in parents.get(key, ()):
                gkey = dn_key(group[0])
                if gkey not in found:
                    found[gkey] = group
                    following.append(gkey)
        if not nested:
            break
        frontier = following
        depth += 1
    return list(found.values())


# --- `eoffice directory test` ---------------------------------------------------------------------


def check(config: DirectoryConfig, username: str | None = None) -> Iterator[CheckStep]:
    """Check the configuration step by step: each server, TLS, the service bind, a user and their groups."""
    deadline = time.monotonic() + 3600
    working: ServerAddress | None = None
    for address in config.servers:
        tls = "LDAPS" if address.use_ssl else ("StartTLS" if config.start_tls else msg("明文"))
        try:
            conn = _open(config, address, deadline, user=None, password=None)
        except _Unreachable as exc:
            yield CheckStep(False, msg("连接 %(url)s（%(tls)s）", url=address.url, tls=tls), _explain(exc))
            continue
        _close(conn)
        yield CheckStep(True, msg("连接 %(url)s（%(tls)s）", url=address.url, tls=tls),
                        msg("证书已验证") if (address.use_ssl or config.start_tls) and config.validate_certificate
                        else (msg("未加密：密码以明文传输，生产环境请使用 StartTLS 或 LDAPS") if tls == "明文"
                              else msg("警告：未验证证书")))
        working = working or address
    if working is None:
        yield CheckStep(False, msg("目录服务器"), msg("没有可用的服务器：请检查地址、端口、防火墙和证书（ca_file）。"))
        return
    try:
        service = _service_connection(config, working, deadline)
    except DirectoryError as exc:
        yield CheckStep(False, msg(
            "服务账户绑定 %(value)s",
            value=config.bind_dn or '（匿名）',
        ), exc.message + msg(
            "（%(detail)s）",
            detail=exc.detail,
        ))
        return
    except _Unreachable as exc:
        yield CheckStep(False, msg("服务账户绑定 %(value)s", value=config.bind_dn or '（匿名）'), _explain(exc))
        return
    try:
        yield CheckStep(True, msg("服务账户绑定 %(value)s", value=config.bind_dn or msg("（匿名）")),
                        msg("通过 %(url)s", url=working.url))
        try:
            sample = _search(service, config.user_base, all_users_filter(config), [config.login_attribute],
                             size_limit=5)
        except DirectoryError as exc:
            yield CheckStep(False, msg("在 %(user_base)s 中查找用户", user_base=config.user_base), exc.detail)
            return
        yield CheckStep(bool(sample), msg("在 %(user_base)s 中查找用户", user_base=config.user_base),
                        msg("过滤器 %(value)s：", value=all_users_filter(config)) +
                        (", ".join(_first(a, config.login_attribute) or dn for dn, a in sample)
                         if sample else msg("没有找到任何用户：请检查 user_base、user_filter 和 login_attribute")))
        if not username:
            return
        entries = _search(service, config.user_base, login_filter(config, username), config.user_attributes,
                          size_limit=2)
        if len(entries) != 1:
            yield CheckStep(False, msg("查找用户 %(username)s", username=username),
                            msg("没有找到") if not entries else msg("找到多个条目：login_attribute 不唯一"))
            return
        dn, attributes = entries[0]
        groups = _groups_of(service, config, dn, working)
        person = _person(config, dn, attributes, groups)
        yield CheckStep(True, msg("查找用户 %(username)s", username=username), dn, data={"person": person})
        yield CheckStep(True, msg("所属组"), "；".join(person.groups) or msg("（无）"), data={"person": person})
    finally:
        _close(service)


def _explain(exc: _Unreachable) -> str:
    if exc.reason == "tls failed":
        return msg(
            "TLS 失败：%(detail)s。请检查 ca_file 是否为签发服务器证书的 CA，以及证书中的主机名/IP。",
            detail=exc.detail,
        )
    return msg("无法连接：%(detail)s。请检查地址、端口、防火墙，或服务器是否已停止响应。", detail=exc.detail)


# --- connections --------------------------------------------------------------------------------


def _tls(config: DirectoryConfig) -> Tls:
    return Tls(
        validate=ssl.CERT_REQUIRED if config.validate_certificate else ssl.CERT_NONE,
        ca_certs_file=config.ca_file or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )


def _open(
    config: DirectoryConfig, address: ServerAddress, deadline: float, *, user: str | None, password: str | None
) -> Connection:
    """Open (and StartTLS) a connection to one server within the time left; do not bind yet."""
    remaining = deadline - time.monotonic()
    if remaining < 0.05:
        raise _Unreachable("directory unavailable", f"{address.url}: time budget used up")
    server = Server(
        address.host, port=address.port, use_ssl=address.use_ssl, tls=_tls(config),
        connect_timeout=min(config.connect_timeout, remaining), get_info=NONE,
    )
    conn = Connection(
        # ldap3 packs the receive timeout into SO_RCVTIMEO as whole seconds: round up, at least 1.
        server, user=user, password=password,
        receive_timeout=max(1, math.ceil(min(config.receive_timeout, remaining))),
        auto_referrals=config.follow_referrals, raise_exceptions=False, read_only=True,
    )
    try:
        conn.open()
        if config.start_tls and not address.use_ssl and not conn.start_tls():
            raise _Unreachable("tls failed", f"{address.url}: StartTLS refused ({_result_text(conn.result)})")
    except _Unreachable:
        _close(conn)
        raise
    except LDAPException as exc:
        _close(conn)
        raise _unreachable(address, exc) from None
    return conn


def _service_connection(config: DirectoryConfig, address: ServerAddress, deadline: float) -> Connection:
    conn = _open(config, address, deadline, user=config.bind_dn or None, password=config.bind_password or None)
    if not _call(conn.bind, address):
        result = _result_text(conn.result)
        _close(conn)
        raise DirectoryError("service account refused", f"{address.url}: {result}")
    return conn


def _unreachable(address: ServerAddress, exc: LDAPException) -> _Unreachable:
    text = str(exc)
    if isinstance(exc, LDAPStartTLSError | LDAPCertificateError) or "CERTIFICATE" in text.upper():
        return _Unreachable("tls failed", f"{address.url}: {text[:300]}")
    return _Unreachable("directory unavailable", f"{address.url}: {text[:300]}")


def _call(operation: Callable[[], object], address: ServerAddress) -> object:
    """Run one LDAP operation, turning socket trouble into _Unreachable."""
    try:
        return operation()
    except LDAPCommunicationError as exc:
        raise _unreachable(address, exc) from None
    except LDAPException as exc:
        raise DirectoryError("directory error", f"{address.url}: {type(exc).__name__}: {str(exc)[:300]}") from None


def _search(
    conn: Connection, base: str, flt: str, attributes: list[str], *, size_limit: int = 0,
    scope: Literal["BASE", "LEVEL", "SUBTREE"] = SUBTREE, address: ServerAddress | None = None,
) -> list[tuple[str, dict]]:
    """Search and return (dn, attributes) of the entries (references from referrals are dropped)."""
    where = address or ServerAddress(str(conn.server.host), int(conn.server.port), bool(conn.server.ssl))
    _call(lambda: conn.search(base, flt, search_scope=scope, attributes=attributes, size_limit=size_limit),
          where)
    code = conn.result.get("result")
    # 4 = sizeLimitExceeded: we asked for 2 to detect "more than one", that is an answer too.
    if code not in (0, 4, 32):  # 32 = noSuchObject: base missing, nothing found
        raise DirectoryError("directory error", f"search in {base}: {_result_text(conn.result)}")
    return _entries(conn)


def _entries(conn: Connection) -> list[tuple[str, dict]]:
    return [(e["dn"], dict(e.get("attributes") or {})) for e in (conn.response or [])
            if e.get("type") == "searchResEntry"]


def _paged(
    conn: Connection, base: str, flt: str, attributes: list[str], page_size: int, address: ServerAddress
) -> Iterator[list[tuple[str, dict]]]:
    cookie: bytes | None = None
    while True:
        _call(functools.partial(conn.search, base, flt, search_scope=SUBTREE, attributes=attributes,
                                paged_size=page_size, paged_cookie=cookie), address)
        code = conn.result.get("result")
        if code not in (0, 32):
            raise DirectoryError("directory error", f"paged search in {base}: {_result_text(conn.result)}")
        yield _entries(conn)
        control = (conn.result.get("controls") or {}).get("1.2.840.113556.1.4.319") or {}
        cookie = (control.get("value") or {}).get("cookie")
        if not cookie:
            return


def _matches(conn: Connection, dn: str, flt: str, address: ServerAddress | None) -> bool:
    return bool(_search(conn, dn, flt, ["1.1"], scope=BASE, address=address))


def _close(conn: Connection) -> None:
    # Closing a dead socket must not hide the real outcome.
    with contextlib.suppress(LDAPException, OSError):
        conn.unbind()
    # ldap3 leaves the socket of a failed open() behind.
    sock = getattr(conn, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


def _all_down(config: DirectoryConfig, failures: list[_Unreachable]) -> DirectoryError:
    detail = "; ".join(f.detail for f in failures) or "no server tried"
    if failures and all(f.reason == "tls failed" for f in failures):
        return DirectoryError("tls failed", detail)
    return DirectoryError("directory unavailable", detail)


def _result_text(result: dict | None) -> str:
    result = result or {}
    text = f"{result.get('result')} {result.get('description') or ''}".strip()
    message = str(result.get("message") or "").strip()
    return f"{text}: {message}" if message else text


def stable_id(values: list) -> str | None:
    """Return an entry's stable identifier as lower-case UUID text: entryUUID as given, objectGUID from its
    16 little-endian bytes (or ldap3's "{...}" rendering of them)."""
    if not values:
        return None
    raw = values[0]
    if isinstance(raw, bytes | bytearray):
        if len(raw) == 16:
            return str(uuid.UUID(bytes_le=bytes(raw)))
        raw = raw.decode("ascii", errors="replace")
    text = str(raw).strip().strip("{}").lower()
    return text[:64] or None


def _values(attributes: dict, name: str) -> list:
    if not name:
        return []
    for key, value in attributes.items():
        if key.lower() == name.lower():
            if isinstance(value, list | tuple):
                return [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
            return [] if value in (None, "") else [value]
    return []


def _first(attributes: dict, name: str) -> str | None:
    values = _values(attributes, name)
    return str(values[0]) if values else None
