"""The directory client on its own: filters (AD ones as strings), the empty-password defence, presets."""

from __future__ import annotations

import subprocess
import time

import pytest

from config.directory import DirectorySettings
from directory import client, presets
from directory.errors import DirectoryConfigError, DirectoryError
from tests.directory.bureau import PASSWORDS, dn
from tests.directory.slapd import Slapd
from tests.support.app import make_settings


def settings_for(tmp_path, **directory: object) -> DirectorySettings:
    from tests.directory.bureau import to_toml

    path = tmp_path / "d.toml"
    path.write_text(to_toml({"directory": directory}), encoding="utf-8")
    return make_settings(tmp_path / "var", EOFFICE_CONFIG=str(path)).directory


AD = {
    "enabled": True, "preset": "ad", "servers": ["ldaps://dc1.bureau.lan", "dc2.bureau.lan"],
    "bind_dn": "CN=eoffice,OU=Service,DC=bureau,DC=lan", "bind_password": "x-secret",
    "user_base": "OU=Staff,DC=bureau,DC=lan",
}


def test_active_directory_preset_generates_the_right_filters(tmp_path):
    config = presets.resolve(settings_for(tmp_path, **AD))
    assert [s.url for s in config.servers] == ["ldaps://dc1.bureau.lan:636", "ldap://dc2.bureau.lan:389"]
    assert config.group_base == "DC=bureau,DC=lan"
    assert client.all_users_filter(config) == (
        "(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=*)"
        "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
    )
    assert client.login_filter(config, "zhang*)(x") == (
        "(&(&(objectCategory=person)(objectClass=user))(sAMAccountName=zhang\\2a\\29\\28x))"
    )
    assert client.groups_of_filter(config, "CN=张三,OU=Staff,DC=bureau,DC=lan") == (
        "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=CN=张三,OU=Staff,DC=bureau,DC=lan))"
    )
    assert config.follow_referrals is False and config.in_chain_groups is True
    upn = presets.resolve(settings_for(tmp_path, **AD, login_attribute="userPrincipalName"))
    assert "(userPrincipalName=zhang@bureau.lan)" in client.login_filter(upn, "zhang@bureau.lan")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563", "bad credentials"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563", "account locked"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v4563",
         "password expired"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 533, v4563",
         "account disabled"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 773, v4563",
         "must change password"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 701, v4563",
         "account expired"),
        ("invalid credentials", None),
    ],
)
def test_ad_bind_sub_codes_are_explained(message, reason):
    assert presets.ad_bind_reason(message) == reason
    if reason:
        assert DirectoryError(reason).message  # each has a plain Chinese explanation


def test_openldap_login_filter_escapes_injection(tmp_path):
    config = presets.resolve(settings_for(tmp_path, enabled=True, servers=["ldap://x"], user_base="dc=x"))
    assert client.login_filter(config, "*") == "(&(objectClass=inetOrgPerson)(uid=\\2a))"
    assert client.login_filter(config, ")(uid=*") == "(&(objectClass=inetOrgPerson)(uid=\\29\\28uid=\\2a))"
    assert client.all_users_filter(config) == (
        "(&(objectClass=inetOrgPerson)(uid=*)(!(pwdAccountLockedTime=000001010000Z)))"
    )


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"servers": []}, "directory.servers"),
        ({"servers": ["http://x"]}, "ldap://host"),
        ({"user_base": ""}, "directory.user_base"),
        ({"bind_password": ""}, "EOFFICE_DIRECTORY_BIND_PASSWORD"),
        ({"group_roles": {"cn=x": ["boss"]}}, "unknown role"),
        ({"ca_file": "/nonexistent/ca.pem"}, "directory.ca_file"),
    ],
)
def test_configuration_mistakes_name_the_key(tmp_path, overrides, words):
    base = {"enabled": True, "servers": ["ldap://x"], "user_base": "dc=x", "bind_dn": "cn=s", "bind_password": "p"}
    with pytest.raises(DirectoryConfigError, match=words):
        presets.resolve(settings_for(tmp_path, **{**base, **overrides}))


def test_bind_password_from_a_file_is_never_shown(tmp_path):
    secret = tmp_path / "bind.secret"
    secret.write_text("file-Secret-99\n")
    config = presets.resolve(settings_for(
        tmp_path, enabled=True, servers=["ldap://x"], user_base="dc=x", bind_dn="cn=s",
        bind_password_file=str(secret),
    ))
    assert config.bind_password == "file-Secret-99"
    assert "file-Secret-99" not in repr(config)


@pytest.fixture(scope="module")
def ad_like_slapd(tmp_path_factory):
    """A slapd that, like Active Directory, treats a DN with an empty password as a successful anonymous bind."""
    from tests.directory.bureau import PEOPLE_LDIF

    server = Slapd(tmp_path_factory.mktemp("adlike"), allow_bind_anon_dn=True).start(PEOPLE_LDIF)
    yield server
    server.stop()


def test_empty_password_is_refused_before_any_bind(ad_like_slapd, tmp_path):
    # The danger is real: this server says a DN with an empty password is fine.
    probe = subprocess.run(["ldapwhoami", "-x", "-H", ad_like_slapd.url, "-D", dn("zhangsan"), "-w", ""],
                           capture_output=True, text=True)
    assert probe.returncode == 0 and probe.stdout.strip() == "anonymous"
    from tests.directory.bureau import directory_section

    config = presets.resolve(settings_for(tmp_path, **directory_section([ad_like_slapd.url])))
    for empty in ("", "   ", "\t"):
        with pytest.raises(DirectoryError) as caught:
            client.authenticate(config, "zhangsan", empty)
        assert caught.value.reason == "empty password"
    # The right password still works on the same server.
    assert client.authenticate(config, "zhangsan", PASSWORDS["zhangsan"]).display_name == "张三"


def test_anonymous_bind_is_not_taken_as_the_user(ad_like_slapd, tmp_path):
    """Second line of defence: who-am-i must name the user, not "anonymous"."""
    from tests.directory.bureau import directory_section

    config = presets.resolve(settings_for(tmp_path, **directory_section([ad_like_slapd.url])))
    address = config.servers[0]
    # ldap3 refuses to send a DN with an empty password, so reach the same state the way AD would
    # leave it after such a bind: a connection that "bound" fine but is anonymous.
    conn = client._open(config, address, time.monotonic() + 5, user=None, password=None)
    try:
        assert conn.bind() is True
        with pytest.raises(DirectoryError) as caught:
            client._confirm_identity(conn, dn("zhangsan"), {}, config, address)
        assert caught.value.reason == "bad credentials" and "who-am-i" in caught.value.detail
    finally:
        client._close(conn)


def test_person_carries_groups_through_nesting(slapd, tmp_path):
    from tests.directory.bureau import directory_section

    config = presets.resolve(settings_for(tmp_path, **directory_section([slapd.url])))
    person = client.authenticate(config, "LiSi", PASSWORDS["lisi"])  # case does not matter
    assert person.login == "lisi" and person.ous == ("造林绿化处", "people")
    assert set(person.group_names) == {"eoffice-users", "党组成员", "局领导"}
    flat = presets.resolve(settings_for(tmp_path, **directory_section([slapd.url], nested_groups=False)))
    assert set(client.authenticate(flat, "lisi", PASSWORDS["lisi"]).group_names) == {"eoffice-users", "党组成员"}
