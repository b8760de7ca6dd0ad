"""Directory identities are stable (issue 17 §4), against a real slapd: accounts follow entryUUID through a
rename; a login name reused by a new person makes a new account; an OU move or a lost group takes the
person's tasks along the rules of the workflow."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core import audit, org
from core.models import User
from core.models.documents import StepAssignment
from core.models.org import AuditEvent
from directory import presets
from directory import sync as directory_sync
from tests.directory.bureau import PASSWORDS, dn, person
from tests.directory.slapd import GROUPS, PEOPLE


def _config(private_slapd, directory_settings):
    return presets.resolve(directory_settings([private_slapd.url]).directory)


def _user(db, username: str) -> User | None:
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is not None:
            _ = user.role_codes, user.department
            s.expunge(user)
        return user


def test_accounts_follow_the_entry_uuid_through_a_rename(private_slapd, directory_settings, db):
    config = _config(private_slapd, directory_settings)
    directory_sync.sync_all(db, config, trigger="cli")
    before = _user(db, "zhangsan")
    assert before is not None and before.directory_id and len(before.directory_id) == 36  # entryUUID, asked by name
    with db.session(write_lock=True) as s:
        s.get(User, before.id).clearance = 3  # 机密 clearance granted in eoffice
    private_slapd.modify(f"dn: {dn('zhangsan')}\nchangetype: modrdn\nnewrdn: uid=zhangsan2\ndeleteoldrdn: 1\n")
    directory_sync.sync_all(db, config, trigger="cli")
    after = _user(db, "zhangsan2")
    assert after is not None and after.id == before.id and after.clearance == 3  # the same account, renamed
    assert _user(db, "zhangsan") is None
    with db.session() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "directory.renamed")) is not None


def test_a_reused_login_name_never_hands_over_the_old_account(private_slapd, directory_settings, db):
    config = _config(private_slapd, directory_settings)
    directory_sync.sync_all(db, config, trigger="cli")
    old = _user(db, "zhangsan")
    with db.session(write_lock=True) as s:
        s.get(User, old.id).clearance = 3
    # 张三 leaves; a new 张三 joins and gets the same login name (a new entry, a new entryUUID).
    private_slapd.modify(f"dn: {dn('zhangsan')}\nchangetype: delete\n")
    private_slapd.modify(person("zhangsan", "张三（新）", "New-zs-2026", department="造林绿化处"), add=True)
    directory_sync.sync_all(db, config, trigger="cli")
    new = _user(db, "zhangsan")
    assert new is not None and new.id != old.id and new.clearance == 1 and new.display_name == "张三（新）"
    retired = _user(db, f"zhangsan#{old.id}")
    assert retired is not None and not retired.active and retired.clearance == 3
    with db.session() as s:
        events = [e.kind for e in audit.latest(s, limit=50)]
        assert "directory.identity_changed" in events


def test_an_account_without_an_identifier_adopts_one_only_from_its_last_dn(private_slapd, directory_settings, db):
    config = _config(private_slapd, directory_settings)
    directory_sync.sync_all(db, config, trigger="cli")
    with db.session(write_lock=True) as s:  # as synced before identifiers were kept
        for name in ("zhangsan", "lisi"):
            s.scalar(select(User).where(User.username == name)).directory_id = None
        s.scalar(select(User).where(User.username == "lisi")).directory_dn = "uid=lisi,ou=elsewhere,dc=x"
    report = directory_sync.sync_all(db, config, trigger="cli")
    assert _user(db, "zhangsan").directory_id  # same DN: adopted
    assert _user(db, "lisi").directory_id is None  # another DN: an admin confirms
    assert any("identity not confirmed" in n for n in report.notes)
    with db.session(write_lock=True) as s:
        directory_sync.adopt(s, config, "lisi")
    assert _user(db, "lisi").directory_id


def test_an_ou_move_and_a_lost_group_take_the_tasks_along(private_slapd, directory_settings, db, settings):
    from documents import drafting, engine, standing
    from documents.drafting import DraftFields
    from tests.support import make_pdf
    from tests.support.bureau import complete_all_of

    config = _config(private_slapd, directory_settings)
    directory_sync.sync_all(db, config, trigger="cli")
    assert "leader" in _user(db, "lisi").role_codes
    with db.session(write_lock=True) as s:
        drafter = org.user_by_username(s, "deputy")
        doc = drafting.create_document(s, drafter, kind="outgoing", fields=DraftFields(title="目录变更签发测试",
                                                                                   main_recipients="各区县林业局"))
        drafting.add_file(s, settings.files_dir, doc.id, drafter, role="main", filename="正文.pdf",
                          data=make_pdf("x"))
        doc_id = doc.id
    # Straight to 签发 for the test: the sign step's holders are the leaders, 李四 among them.
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        drafting.submit(s, settings, doc_id, org.user_by_username(s, "deputy"), expected_version=doc.version)
    complete_all_of(db, settings, doc_id, "office_head")  # 处室审核, 核稿: then 签发
    with db.session() as s:
        lisi_id = org.user_by_username(s, "lisi").id
        assert s.scalar(select(StepAssignment.id).where(StepAssignment.user_id == lisi_id,
                                                        StepAssignment.state == "pending")) is not None
    # 党组成员 no longer holds 李四: the nested group gave him 局领导.
    private_slapd.modify(f"dn: cn=党组成员,{GROUPS}\nchangetype: modify\nreplace: member\n"
                         f"member: {dn('wangwu')}\n")
    private_slapd.modify(f"dn: {dn('lisi', '造林绿化处')}\nchangetype: modrdn\nnewrdn: uid=lisi\ndeleteoldrdn: 1\n"
                         f"newsuperior: {PEOPLE}\n")
    directory_sync.sync_all(db, config, trigger="cli")
    lisi = _user(db, "lisi")
    assert "leader" not in lisi.role_codes and lisi.directory_dn == dn("lisi")
    with db.session(write_lock=True) as s:
        standing.reassign_lost(s, settings)
        held = s.scalars(select(StepAssignment).where(
            StepAssignment.user_id == lisi.id, StepAssignment.state == "pending")).all()
        assert held == []
    assert PASSWORDS  # the bureau's people are the conftest's


def _sign_in(make_app, settings, username: str, password: str):
    from tests.support.app import csrf_from

    client = make_app(settings).test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client, client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               follow_redirects=True)


def test_signing_in_with_a_reused_login_name_makes_a_new_account(private_slapd, directory_settings, make_app, db):
    """The sign-in path follows the same identity rule as the sync."""
    dsettings = directory_settings([private_slapd.url])
    _sign_in(make_app, dsettings, "zhangsan", PASSWORDS["zhangsan"])
    old = _user(db, "zhangsan")
    assert old is not None and old.directory_id
    with db.session(write_lock=True) as s:
        s.get(User, old.id).clearance = 3
    private_slapd.modify(f"dn: {dn('zhangsan')}\nchangetype: delete\n")
    private_slapd.modify(person("zhangsan", "张三（新）", "New-zs-2026", department="造林绿化处"), add=True)
    _client, page = _sign_in(make_app, dsettings, "zhangsan", "New-zs-2026")
    new = _user(db, "zhangsan")
    assert new.id != old.id and new.clearance == 1 and "张三（新）" in page.get_data(as_text=True)
    assert not _user(db, f"zhangsan#{old.id}").active


def test_an_unconfirmed_identity_is_refused_at_sign_in_with_the_reason(private_slapd, directory_settings, make_app,
                                                                        db):
    dsettings = directory_settings([private_slapd.url])
    directory_sync.sync_all(db, presets.resolve(dsettings.directory), trigger="cli")
    with db.session(write_lock=True) as s:  # synced before identifiers were kept, from another DN
        user = s.scalar(select(User).where(User.username == "zhangsan"))
        user.directory_id, user.directory_dn = None, "uid=zhangsan,ou=elsewhere,dc=x"
    _client, page = _sign_in(make_app, dsettings, "zhangsan", PASSWORDS["zhangsan"])
    assert "身份不一致" in page.get_data(as_text=True)
    assert _user(db, "zhangsan").directory_id is None  # nothing handed over


def test_an_entry_without_its_identifier_never_matches_by_name(private_slapd, directory_settings, db):
    config = _config(private_slapd, directory_settings)
    directory_sync.sync_all(db, config, trigger="cli")
    before = _user(db, "zhangsan")
    with db.session(write_lock=True) as s:
        s.get(User, before.id).clearance = 3
    # id_attribute pointing at an attribute the entries do not have (a misconfiguration after an upgrade).
    broken = presets.resolve(directory_settings([private_slapd.url], id_attribute="employeeNumber").directory)
    report = directory_sync.sync_all(db, broken, trigger="cli")
    assert any("without its identifier" in n for n in report.notes)
    after = _user(db, "zhangsan")
    assert after.id == before.id and after.directory_id == before.directory_id and after.clearance == 3
    with db.session() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "directory.identity_missing")) is not None


def test_an_ou_move_at_sign_in_takes_a_department_review_along(private_slapd, directory_settings, make_app, db,
                                                               settings):
    """李四 heads 造林绿化处 through his OU; moved out of it, his 处室审核 stays with 杨海涛 alone."""
    from documents import drafting
    from documents.drafting import DraftFields
    from tests.support import make_pdf

    groups = {f"cn=局领导,{GROUPS}": ["leader"], "文书组": ["clerk"], "eoffice-users": ["dept_head"]}
    dsettings = directory_settings([private_slapd.url], group_roles=groups)
    _sign_in(make_app, dsettings, "lisi", PASSWORDS["lisi"])
    lisi = _user(db, "lisi")
    assert lisi.department.code == "ZLC" and "dept_head" in lisi.role_codes
    with db.session(write_lock=True) as s:
        drafter = org.user_by_username(s, "zl_staff")
        doc = drafting.create_document(s, drafter, kind="outgoing", fields=DraftFields(
            title="造林处审核的目录调岗测试", main_recipients="各区县林业局"))
        drafting.add_file(s, settings.files_dir, doc.id, drafter, role="main", filename="正文.pdf", data=make_pdf("x"))
        drafting.submit(s, settings, doc.id, drafter, expected_version=doc.version)
        doc_id = doc.id
    with db.session() as s:
        holders = set(s.scalars(select(User.username).join(StepAssignment, StepAssignment.user_id == User.id).where(
            StepAssignment.document_id == doc_id, StepAssignment.state == "pending")))
    assert holders == {"zl_head", "lisi"}
    private_slapd.modify(f"dn: {dn('lisi', '造林绿化处')}\nchangetype: modrdn\nnewrdn: uid=lisi\ndeleteoldrdn: 1\n"
                         f"newsuperior: {PEOPLE}\n")
    _sign_in(make_app, dsettings, "lisi", PASSWORDS["lisi"])  # the move is seen at sign-in, and acted on
    with db.session() as s:
        holders = set(s.scalars(select(User.username).join(StepAssignment, StepAssignment.user_id == User.id).where(
            StepAssignment.document_id == doc_id, StepAssignment.state == "pending")))
    assert holders == {"zl_head"}


def test_object_guid_is_read_from_its_little_endian_bytes():
    from directory.client import stable_id

    guid = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")
    assert stable_id([guid.bytes_le]) == str(guid)  # Active Directory's binary objectGUID
    assert stable_id(["{12345678-9ABC-DEF0-1234-56789ABCDEF0}"]) == str(guid)  # ldap3's rendering
    assert stable_id([]) is None and stable_id([""]) is None
