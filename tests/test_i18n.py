"""Languages: Chinese by default, a complete English catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[1] / "intranet" / "translations" / "en" / "LC_MESSAGES"


def test_english_catalog_is_complete_and_compiled():
    with (CATALOG / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="en")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert untranslated == [], "run scripts/update-translations.sh and translate these"
    assert (CATALOG / "messages.mo").exists(), "run make translations"


def test_chinese_is_the_default_and_english_is_selectable(client, auth):
    auth.login("clerk")
    assert '<html lang="zh-CN">' in client.get("/").get_data(as_text=True)
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign out" in html and "Office clerk" in html
    client.get("/lang/zh_CN")
    assert "退出" in client.get("/").get_data(as_text=True)
