"""The test bureau's directory (Chinese names, an OU, nested groups, a disabled and a locked account).

Shared by the directory tests, the end-to-end test and bench/directory.py.
"""

from __future__ import annotations

import json
from typing import Any

from tests.directory.slapd import (
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PW,
    Slapd,
    group,
    organizational_unit,
    person,
)
from tests.support.app import csrf_from

PASSWORDS = {
    "zhangsan": "Zs-pass-2024",
    "lisi": "Ls-pass-2024",
    "wangwu": "Ww-pass-2024",
    "zhaoliu": "Zl-pass-2024",
    "sunqi": "Sq-pass-2024",
    "admin": "Dir-admin-pass",
}

PEOPLE_LDIF = "\n".join([
    organizational_unit("造林绿化处"),
    person("zhangsan", "张三", PASSWORDS["zhangsan"], department="林政资源管理处", mail="zhangsan@bureau.test",
           title="科员"),
    person("lisi", "李四", PASSWORDS["lisi"], ou="造林绿化处", title="处长"),
    person("wangwu", "王五", PASSWORDS["wangwu"], department="办公室"),
    person("zhaoliu", "赵六", PASSWORDS["zhaoliu"], department="林政资源管理处"),
    person("sunqi", "孙七", PASSWORDS["sunqi"], department="林政资源管理处"),
    # Same name as the local break-glass admin: the local account must win.
    person("admin", "目录管理员", PASSWORDS["admin"]),
])


def dn(uid: str, ou: str | None = None) -> str:
    return f"uid={uid},ou={ou},{PEOPLE}" if ou else f"uid={uid},{PEOPLE}"


GROUPS_LDIF = "\n".join([
    group("eoffice-users", [dn("zhangsan"), dn("lisi", "造林绿化处"), dn("wangwu")]),
    group("党组成员", [dn("lisi", "造林绿化处")]),
    group("局领导", [f"cn=党组成员,{GROUPS}"]),  # nested: 李四 is a leader through 党组成员
    group("文书组", [dn("wangwu")]),
])

# ppolicy: "000001010000Z" = disabled by an administrator; any other time = locked out.
LOCKS_LDIF = f"""dn: {dn("zhaoliu")}
changetype: modify
add: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z

dn: {dn("sunqi")}
changetype: modify
add: pwdAccountLockedTime
pwdAccountLockedTime: 20240101000000Z
"""


def seed_bureau(slapd: Slapd) -> Slapd:
    """Start slapd with the bureau's people, then add groups and locks online (overlays see them)."""
    slapd.start(PEOPLE_LDIF)
    slapd.modify(GROUPS_LDIF, add=True)
    slapd.modify(LOCKS_LDIF)
    return slapd


def directory_section(servers: list[str], **overrides: Any) -> dict[str, Any]:
    """Return the [directory] settings for the test bureau."""
    section: dict[str, Any] = {
        "enabled": True,
        "preset": "openldap",
        "servers": servers,
        "start_tls": False,
        "connect_timeout": 1.0,
        "receive_timeout": 2,
        "login_timeout": 4.0,
        "bind_dn": SERVICE_DN,
        "bind_password": SERVICE_PW,
        "user_base": PEOPLE,
        "group_base": GROUPS,
        "page_size": 3,
        "sync_interval_minutes": 0,
        "department_map": {"林政资源管理处": "LZC", "造林绿化处": "ZLC"},
        "group_roles": {f"cn=局领导,{GROUPS}": ["leader"], "文书组": ["clerk"]},
    }
    section.update(overrides)
    return section


def to_toml(table: dict[str, Any], prefix: str = "") -> str:
    """Write a small TOML document (JSON strings and arrays are valid TOML)."""
    lines: list[str] = []
    nested: list[tuple[str, dict[str, Any]]] = []
    for key, val in table.items():
        if isinstance(val, dict):
            nested.append((key, val))
        else:
            lines.append(f"{json.dumps(key, ensure_ascii=False)} = {json.dumps(val, ensure_ascii=False)}")
    out = (f"[{prefix}]\n" if prefix else "") + "\n".join(lines) + "\n"
    for key, val in nested:
        name = f"{prefix}.{json.dumps(key, ensure_ascii=False)}" if prefix else json.dumps(key, ensure_ascii=False)
        out += "\n" + to_toml(val, name)
    return out


def login(client, username: str, password: str):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})
