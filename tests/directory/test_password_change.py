"""A password changed in the directory ends the account's sessions in eoffice (issue 16 §2), seen at the next
sign-in or sync through pwdChangedTime (slapd's ppolicy overlay sets it on every password change)."""

from __future__ import annotations

import time

from sqlalchemy import select

from core import org
from core.models import AuditEvent
from directory import presets
from directory import sync as directory_sync
from tests.directory.bureau import PASSWORDS, dn, login


def _change_password(slapd, entry: str, password: str) -> None:
    time.sleep(1.1)  # pwdChangedTime has whole seconds: the change must be later than any earlier one
    slapd.modify(f"dn: {entry}\nchangetype: modify\nreplace: userPassword\nuserPassword: {password}\n")


def test_a_password_changed_in_the_directory_ends_sessions_at_the_next_sync(private_slapd, directory_settings,
                                                                            make_app, db):
    settings = directory_settings([private_slapd.url])
    app = make_app(settings)
    desk, phone = app.test_client(), app.test_client()
    assert login(desk, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
    assert login(phone, "zhangsan", PASSWORDS["zhangsan"]).status_code == 302
    with db.session() as s:
        first = org.user_by_username(s, "zhangsan").directory_password_changed_at
    assert first is not None  # recorded at sign-in (loaded offline, the entry has no pwdChangedTime yet)
    config = presets.resolve(settings.directory)
    directory_sync.sync_all(db, config, trigger="test")  # nothing changed: no session ends
    assert desk.get("/documents/").status_code == 200

    _change_password(private_slapd, dn("zhangsan"), "Zs-new-pass-2026")
    directory_sync.sync_all(db, config, trigger="test")
    for client in (desk, phone):  # both sessions opened with the old password are over
        resp = client.get("/documents/")
        assert resp.status_code == 302 and "/login" in resp.location
    with db.session() as s:
        user = org.user_by_username(s, "zhangsan")
        assert user.directory_password_changed_at > first
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "directory.password_changed",
                                                 AuditEvent.user_id == user.id)) is not None
    assert login(desk, "zhangsan", "Zs-new-pass-2026").status_code == 302  # the new password signs in
    assert desk.get("/documents/").status_code == 200


def test_signing_in_after_a_directory_password_change_ends_the_other_sessions(private_slapd, directory_settings,
                                                                              make_app, db):
    app = make_app(directory_settings([private_slapd.url]))
    old_desk, new_desk = app.test_client(), app.test_client()
    assert login(old_desk, "lisi", PASSWORDS["lisi"]).status_code == 302
    _change_password(private_slapd, dn("lisi", "造林绿化处"), "Ls-new-pass-2026")
    assert login(new_desk, "lisi", "Ls-new-pass-2026").status_code == 302  # sign-in sees the newer time
    assert new_desk.get("/documents/").status_code == 200  # this sign-in's session is the new one
    resp = old_desk.get("/documents/")
    assert resp.status_code == 302 and "/login" in resp.location
