"""From a directory entry to eoffice: which roles (from groups) and which department."""

from __future__ import annotations

from directory.client import DirectoryPerson
from directory.presets import DirectoryConfig, dn_key


def roles_for(config: DirectoryConfig, person: DirectoryPerson) -> set[str]:
    """Return the role codes the person's groups give (plus the default roles)."""
    roles = set(config.default_roles)
    for dn, cn in zip(person.groups, person.group_names, strict=False):
        roles.update(config.group_roles.get(dn_key(dn), ()))
        if cn:
            roles.update(config.group_roles.get(cn.strip().lower(), ()))
    return roles


def department_candidates(config: DirectoryConfig, person: DirectoryPerson) -> list[tuple[str | None, str]]:
    """Return (mapped code or None, directory value) to try in order: attribute values, then OUs nearest first."""
    out: list[tuple[str | None, str]] = []
    for value in (*person.departments, *person.ous):
        out.append((config.department_map.get(value.strip().lower()), value.strip()))
    return out
