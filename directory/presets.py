"""OpenLDAP and Active Directory presets, and the resolved configuration the client works with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from config.directory import DirectorySettings
from core.permissions import Role
from directory.errors import DirectoryConfigError

# AD's matching rules: LDAP_MATCHING_RULE_BIT_AND and LDAP_MATCHING_RULE_IN_CHAIN (transitive groups).
AD_BIT_AND = "1.2.840.113556.1.4.803"
AD_IN_CHAIN = "1.2.840.113556.1.4.1941"
AD_ACCOUNTDISABLE = 2


@dataclass(frozen=True)
class Preset:
    login_attribute: str
    # The directory's stable identifier of an entry (kept on the account; follows renames). OpenLDAP's
    # entryUUID is operational: it is returned only when asked for by name. AD's objectGUID is binary.
    id_attribute: str
    user_filter: str
    disabled_filter: str
    locked_filter: str
    group_filter: str
    member_attribute: str
    display_name: str
    department: str
    email: str
    title: str
    # AD: one search with the in-chain rule finds every group, however deeply nested.
    in_chain_groups: bool
    follow_referrals: bool
    # AD puts a sub-code ("data 775") in the text of a failed bind: locked, expired, disabled...
    ad_bind_codes: bool


PRESETS: dict[str, Preset] = {
    "openldap": Preset(
        login_attribute="uid",
        id_attribute="entryUUID",
        user_filter="(objectClass=inetOrgPerson)",
        # ppolicy: 000001010000Z is "locked by an administrator until unlocked"; any value is a lockout.
        disabled_filter="(pwdAccountLockedTime=000001010000Z)",
        locked_filter="(pwdAccountLockedTime=*)",
        group_filter="(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        member_attribute="member",
        display_name="displayName",
        department="departmentNumber",
        email="mail",
        title="title",
        in_chain_groups=False,
        follow_referrals=False,
        ad_bind_codes=False,
    ),
    "ad": Preset(
        login_attribute="sAMAccountName",
        id_attribute="objectGUID",
        # Computers are users too in AD: keep to people.
        user_filter="(&(objectCategory=person)(objectClass=user))",
        disabled_filter=f"(userAccountControl:{AD_BIT_AND}:={AD_ACCOUNTDISABLE})",
        locked_filter="(lockoutTime>=1)",
        group_filter="(objectClass=group)",
        member_attribute="member",
        display_name="displayName",
        department="department",
        email="mail",
        title="title",
        in_chain_groups=True,
        # Referrals point at other domain controllers (often unreachable names): never chase them.
        follow_referrals=False,
        ad_bind_codes=True,
    ),
}


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    use_ssl: bool

    @property
    def url(self) -> str:
        return f"{'ldaps' if self.use_ssl else 'ldap'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class DirectoryConfig:
    """Everything the client needs, presets applied, secrets loaded (never printed: repr hides them)."""

    preset: str
    servers: tuple[ServerAddress, ...]
    start_tls: bool
    validate_certificate: bool
    ca_file: str
    connect_timeout: float
    receive_timeout: float
    login_timeout: float
    bind_dn: str
    bind_password: str = field(repr=False)
    user_base: str = ""
    user_filter: str = ""
    login_attribute: str = "uid"
    id_attribute: str = "entryUUID"
    disabled_filter: str = ""
    locked_filter: str = ""
    display_name_attribute: str = "displayName"
    department_attribute: str = ""
    email_attribute: str = "mail"
    title_attribute: str = "title"
    group_base: str = ""
    group_filter: str = ""
    member_attribute: str = "member"
    nested_groups: bool = True
    in_chain_groups: bool = False
    follow_referrals: bool = False
    ad_bind_codes: bool = False
    # Keys folded to lower case for matching.
    department_map: dict[str, str] = field(default_factory=dict)
    group_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_roles: tuple[str, ...] = ()
    page_size: int = 500
    max_deactivate_fraction: float = 0.5

    @property
    def user_attributes(self) -> list[str]:
        # pwdChangedTime (OpenLDAP ppolicy, operational: asked for by name) and pwdLastSet (AD): when the
        # password last changed; a server ignores the one it does not know.
        names = [self.login_attribute, self.display_name_attribute, "cn", self.department_attribute,
                 self.email_attribute, self.title_attribute, self.id_attribute, "pwdChangedTime", "pwdLastSet"]
        return sorted({n for n in names if n})


def parse_server(text: str) -> ServerAddress:
    """Parse ldap://host[:port], ldaps://host[:port] or host[:port] (plain LDAP)."""
    raw = text.strip()
    if "://" not in raw:
        raw = "ldap://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise DirectoryConfigError(f"directory.servers: '{text}' is not ldap://host[:port] or ldaps://host[:port]")
    use_ssl = parts.scheme == "ldaps"
    try:
        port = parts.port or (636 if use_ssl else 389)
    except ValueError:
        raise DirectoryConfigError(f"directory.servers: '{text}' has a bad port") from None
    return ServerAddress(parts.hostname, port, use_ssl)


def dn_key(dn: str) -> str:
    """Fold a DN for comparison: lower case, no spaces around separators."""
    parts = [p.strip() for p in dn.split(",")]
    return ",".join("=".join(s.strip() for s in p.split("=", 1)) for p in parts).lower()


def naming_context(dn: str) -> str:
    """Return the dc=... tail of a DN (where groups live when group_base is not set)."""
    parts = [p.strip() for p in dn.split(",")]
    tail = [p for p in parts if p.lower().startswith("dc=")]
    return ",".join(tail) or dn


# AD writes "... data 775, ..." in the diagnostic message of a failed bind (result 49).
AD_BIND_CODES: dict[str, str] = {
    "525": "unknown user",
    "52e": "bad credentials",
    "530": "logon not permitted",  # outside permitted hours
    "531": "logon not permitted",  # not from this workstation
    "532": "password expired",
    "533": "account disabled",
    "568": "logon not permitted",  # too many security IDs
    "701": "account expired",
    "773": "must change password",
    "775": "account locked",
}


def ad_bind_reason(message: str) -> str | None:
    """Return the reason code for an AD bind failure message ("... data 775, v4563"), or None."""
    marker = " data "
    at = (message or "").lower().find(marker)
    if at < 0:
        return None
    code = message[at + len(marker):].split(",", 1)[0].strip().lower()
    return AD_BIND_CODES.get(code)


def resolve(settings: DirectorySettings) -> DirectoryConfig:
    """Apply the preset to the settings, read the bind password file, and check what is required."""
    preset = PRESETS[settings.preset]
    if not settings.servers:
        raise DirectoryConfigError("directory.servers is empty: list at least one ldap:// or ldaps:// server")
    if not settings.user_base:
        raise DirectoryConfigError("directory.user_base is empty: name where the user entries live")
    if settings.ca_file and not Path(settings.ca_file).is_file():
        raise DirectoryConfigError(f"directory.ca_file: '{settings.ca_file}' is not a readable file")
    password = settings.bind_password
    if settings.bind_password_file:
        path = Path(settings.bind_password_file)
        try:
            password = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DirectoryConfigError(
                f"directory.bind_password_file: cannot read '{path}' ({exc.strerror})"
            ) from None
    if settings.bind_dn and not password:
        raise DirectoryConfigError(
            "directory.bind_dn is set but no password: set EOFFICE_DIRECTORY_BIND_PASSWORD or bind_password_file"
        )
    known_roles = {r.value for r in Role}
    group_roles: dict[str, tuple[str, ...]] = {}
    for key, roles in settings.group_roles.items():
        unknown = set(roles) - known_roles
        if unknown:
            raise DirectoryConfigError(
                f"directory.group_roles.{key}: unknown role(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(known_roles))}"
            )
        group_roles[dn_key(key)] = tuple(roles)
    unknown_default = set(settings.default_roles) - known_roles
    if unknown_default:
        raise DirectoryConfigError(f"directory.default_roles: unknown role(s) {', '.join(sorted(unknown_default))}")
    if settings.page_size < 1:
        raise DirectoryConfigError("directory.page_size must be at least 1")
    attrs = settings.attributes
    return DirectoryConfig(
        preset=settings.preset,
        servers=tuple(parse_server(s) for s in settings.servers),
        start_tls=settings.start_tls,
        validate_certificate=settings.validate_certificate,
        ca_file=settings.ca_file,
        connect_timeout=settings.connect_timeout,
        receive_timeout=settings.receive_timeout,
        login_timeout=settings.login_timeout,
        bind_dn=settings.bind_dn,
        bind_password=password,
        user_base=settings.user_base,
        user_filter=settings.user_filter or preset.user_filter,
        login_attribute=settings.login_attribute or preset.login_attribute,
        id_attribute=settings.id_attribute or preset.id_attribute,
        disabled_filter=settings.disabled_filter or preset.disabled_filter,
        locked_filter=settings.locked_filter or preset.locked_filter,
        display_name_attribute=attrs.display_name or preset.display_name,
        department_attribute=attrs.department or preset.department,
        email_attribute=attrs.email or preset.email,
        title_attribute=attrs.title or preset.title,
        group_base=settings.group_base or naming_context(settings.user_base),
        group_filter=settings.group_filter or preset.group_filter,
        member_attribute=settings.member_attribute or preset.member_attribute,
        nested_groups=settings.nested_groups,
        in_chain_groups=preset.in_chain_groups and settings.nested_groups,
        follow_referrals=preset.follow_referrals,
        ad_bind_codes=preset.ad_bind_codes,
        department_map={k.strip().lower(): v.strip().upper() for k, v in settings.department_map.items()},
        group_roles=group_roles,
        default_roles=tuple(settings.default_roles),
        page_size=settings.page_size,
        max_deactivate_fraction=settings.max_deactivate_fraction,
    )
