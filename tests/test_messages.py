"""Domain messages: Chinese below the web layer, the reader's language on the page, all in the catalog."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.messages import DomainError, Message, msg, translate
from documents.errors import ConflictError, WorkflowError
from intranet.uploads import UploadTooLarge
from library.shelves import UploadError
from printing.service import PrintError
from tests.support.bureau import submit_without_main_text

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "intranet" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_a_message_is_its_chinese_text_and_remembers_its_id():
    where = msg("第%(i)s步", i=3)
    problem = msg("%(where)s：key「%(key)s」重复。", where=where, key="sign")
    assert problem == "第3步：key「sign」重复。" and isinstance(problem, str)
    english = {"第%(i)s步": "Step %(i)s", "%(where)s：key「%(key)s」重复。": '%(where)s: key "%(key)s" is repeated.'}
    assert translate(problem, lambda s: english.get(s, s)) == 'Step 3: key "sign" is repeated.'
    assert translate("普通文字", lambda s: "never") == "普通文字"  # only Messages are looked up
    again = pickle.loads(pickle.dumps(problem))
    assert isinstance(again, Message) and again.msgid == problem.msgid and again == problem
    # A translation with a broken placeholder falls back to the Chinese text instead of failing.
    assert translate(problem, lambda s: "%(nope)s") == str(problem)


def test_every_refusal_is_one_domain_error_with_its_problems():
    for kind in (WorkflowError, ConflictError, UploadError, PrintError, UploadTooLarge):
        assert issubclass(kind, DomainError)
    exc = WorkflowError(msg("提交前请处理以下问题："), problems=[msg("请填写标题。"), msg("收文请填写来文机关。")])
    assert [str(p) for p in exc.problems] == ["请填写标题。", "收文请填写来文机关。"]
    assert WorkflowError(msg("请填写标题。")).problems == ["请填写标题。"]


def test_every_domain_message_is_in_the_english_catalog():
    """The completeness test of tests/test_i18n.py covers what was extracted; this one re-extracts."""
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    keywords = {"msg": None, "N_": None}
    missing = []
    for package in ("core", "notifications", "circulation", "documents", "supervision", "demo", "directory",
                    "notices", "reporting", "inspection", "assessment", "library", "printing", "intranet"):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=keywords,
        ):
            if isinstance(message, str) and message not in translated:
                missing.append(f"{package}/{filename}: {message}")
    assert missing == [], "run scripts/update-translations.sh and translate these"


def test_a_refusal_reads_in_english_in_english_mode(client, auth):
    client.get("/lang/en")
    html, bad = submit_without_main_text(client, auth)
    flashes = " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))
    assert "Upload the main text" in flashes, flashes
    assert not re.search(r"[\u4e00-\u9fff]", flashes), flashes
    flashes = " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', bad, re.S))
    assert "setup.exe" in flashes and not re.search(r"[\u4e00-\u9fff]", flashes), flashes
