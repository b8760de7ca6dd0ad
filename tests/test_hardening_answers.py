"""Hardening (issue 16 §14, §9): a monitor's health token, the same answer for existing and missing 传阅 ids,
and the 套红 download name through the one safe Content-Disposition."""

from __future__ import annotations

from dataclasses import replace


def test_a_monitor_with_the_health_token_gets_details_and_without_it_only_statuses(client, settings, app):
    app.extensions["eoffice.settings"] = settings.replace(web=replace(settings.web, health_token="mon-Token-2026"))
    bare = client.get("/healthz").get_json()
    assert str(settings.data_dir) not in str(bare) and "pid" not in str(bare)
    assert set(bare["database"]) == {"status"}
    wrong = client.get("/healthz", headers={"Authorization": "Bearer not-the-token"}).get_json()
    assert wrong == bare or str(settings.data_dir) not in str(wrong)
    detailed = client.get("/healthz", headers={"Authorization": "Bearer mon-Token-2026"}).get_json()
    assert str(settings.data_dir) in str(detailed) and set(detailed["database"]) > {"status"}


def test_an_empty_health_token_accepts_no_bearer(client, settings):
    assert settings.web.health_token == ""
    answer = client.get("/healthz", headers={"Authorization": "Bearer "}).get_json()
    assert str(settings.data_dir) not in str(answer)


def test_the_formal_version_download_name_is_safe_for_any_document_number(client, auth, db, settings):
    from core.models.documents import Document
    from documents import formal
    from tests.support.bureau import Flow

    doc_id = Flow(db, settings).draft("lz_staff", title="套红下载名")
    with db.session() as session:
        doc = session.get(Document, doc_id)
        doc.doc_number = '示林发〔2026〕1号\t";x=1/..\\'  # whatever a 文号 template produced
        session.commit()
        stamp = formal.stamp_of(doc)
    base = formal.folder(settings.files_dir)  # the worker's output, as generate_pending leaves it
    base.mkdir(parents=True, exist_ok=True)
    (base / f"{doc_id}.docx").write_bytes(b"PK\x03\x04 formal")
    (base / f"{doc_id}.pdf").write_bytes(b"%PDF-1.4 formal")
    (base / f"{doc_id}.stamp").write_text(stamp, encoding="utf-8")
    auth.login("lz_staff")
    with client.get(f"/documents/{doc_id}/formal.docx") as resp:  # closed even when an assertion fails
        assert resp.status_code == 200 and resp.data.startswith(b"PK"), (resp.status_code, resp.data[:300])
        disposition = resp.headers["Content-Disposition"]
        from urllib.parse import unquote

        assert disposition.startswith("attachment; ") and disposition.count('"') <= 2 and "\t" not in disposition
        name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
        assert name.startswith("示林发〔2026〕1号") and name.endswith(".docx")
        assert not any(c in name for c in ('"', "/", "\\", "\t"))
