"""Settings of the bureau's directory (OpenLDAP / Active Directory) login.

Empty strings mean "take the value from the preset" (directory/presets.py), so a bureau
usually sets only servers, the service account, the bases and the two maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class DirectoryAttributes:
    """Which directory attribute holds each user field ("" = the preset's choice)."""

    display_name: str
    department: str
    email: str
    title: str


@dataclass(frozen=True)
class DirectorySettings:
    enabled: bool
    preset: Literal["openldap", "ad"]
    # Tried in order; the next one is used when one cannot be reached. ldap://host[:port] or ldaps://host[:port].
    servers: tuple[str, ...]
    # Upgrade ldap:// connections with StartTLS (ignored for ldaps://).
    start_tls: bool
    # Refuse servers whose certificate does not chain to ca_file (or the system CAs when empty).
    validate_certificate: bool
    ca_file: str
    connect_timeout: float
    receive_timeout: float
    # Upper bound for one whole sign-in against the directory, all servers included.
    login_timeout: float
    bind_dn: str
    # Prefer EOFFICE_DIRECTORY_BIND_PASSWORD or bind_password_file over writing the secret here.
    bind_password: str = field(repr=False)
    bind_password_file: str
    user_base: str
    # Extra filter ANDed to the login match ("" = the preset's, e.g. (objectClass=inetOrgPerson)).
    user_filter: str
    # Attribute the typed login name is matched against: uid, sAMAccountName or userPrincipalName.
    login_attribute: str
    # The entry's stable identifier ("" = the preset's: entryUUID on OpenLDAP, objectGUID on AD).
    id_attribute: str
    # A user matching this filter is disabled; one matching locked_filter is locked ("" = preset).
    disabled_filter: str
    locked_filter: str
    attributes: DirectoryAttributes
    group_base: str
    group_filter: str
    member_attribute: str
    nested_groups: bool
    # Directory value of the department attribute, or an OU name from the user's DN -> department code.
    department_map: dict[str, str]
    # Group DN (or just its cn) -> role codes; directory users always get default_roles as well.
    group_roles: dict[str, tuple[str, ...]]
    default_roles: tuple[str, ...]
    page_size: int
    # The worker syncs every N minutes; 0 = only on demand (`eoffice directory sync`, admin page).
    sync_interval_minutes: float
    # Never deactivate more than this share of directory users in one sync (a wrong base would
    # otherwise disable everybody); `eoffice directory sync --force` overrides it.
    max_deactivate_fraction: float
