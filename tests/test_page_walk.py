"""Every page, as every demo account, in both languages: no raw codes, one way to show a time, English
complete (issue 12 §3).

The lists of codes come from the code's own tables (departments, roles, 密级, retention, audit kinds,
printer queues). A page's visible text is its text nodes plus the attributes a person reads (title,
placeholder, aria-label, button values), without scripts and styles. Text stored by people (titles,
names, opinions, file names: every string column of the database) is taken out before the checks, so
what remains is what the product itself says.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from sqlalchemy import JSON, String, Text, select

import demo
from core import audit
from core.models import Department
from core.models.base import Base
from core.permissions import ROLE_NAMES
from documents.states import CLASSIFICATION_NAMES, RETENTION_NAMES
from intranet.i18n import LANGUAGES

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
BARE_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\+00:00|\bUTC\b")
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Routes that are not pages a person reads, or that change the session.
# Configuration pages show codes on purpose (the admin sets them), next to their names.
CODE_PAGES = ("admin.", "directory.", "documents.templates", "documents.edit_template")
NOT_PAGES = {"static", "auth.language", "health.healthz", "notifications.go", "printing.jobs_fragment"}
PARAMS = {
    "doc_id": "document", "file_id": None, "circulation_id": "circulation", "user_id": "user_account",
    "job_id": "print_job", "notification_id": "notification", "notice_id": "notice",
    # A parameter name used by two areas is looked up as "<blueprint>.<name>" first.
    "reporting.item_id": "reporting_item", "call_id": "reporting_call", "issue_id": "reporting_issue",
    "inspection.item_id": "inspection_item", "report_id": "assessment_self_check",
}


# Columns holding the product's own codes, not text people wrote: never taken out of a page.
CODE_COLUMNS = {"code", "kind", "state", "retention", "queue", "status", "action", "archive_file.outcome", "role",
                "key", "scope",
                "department_code", "media", "category", "fonds", "locale", "who", "mode", "slot", "tier", "quality",
                "source_kind", "trigger", "email_state", "action_queue", "urgency", "department.source",
                "user_account.source", "role_assignment.source", "read_receipt.source"}
# Chinese a page shows on purpose in English too: search examples are words of the archive.
EXAMPLES = ("行政处罚", "成林发〔2023〕12号", "〔2025〕12号")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in CODE_COLUMNS for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _data_strings(db: Any) -> list[str]:
    """Every string people stored (string and JSON columns, codes excepted), longest first."""
    found: set[str] = set()
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, String | Text | JSON) and c.name not in CODE_COLUMNS
                       and f"{table.name}.{c.name}" not in CODE_COLUMNS]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                for value in (s for item in row for s in _strings(item)):
                    if len(value.strip()) > 1 or CJK.search(value):
                        found.add(value.strip())
                        found.update(part for part in re.split(r"[\s/\\]+", value) if CJK.search(part))
    return sorted((s for s in found if s), key=len, reverse=True)


def _visible(html: str) -> tuple[str, str]:
    """Return (visible text without <time> elements, visible text with them)."""
    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//template"):
        bad.drop_tree()
    attributes = [v for attr in READ_ATTRIBUTES for v in tree.xpath(f"//@{attr}")]
    attributes += tree.xpath("//input[@type='submit' or @type='button']/@value")
    everything = " ".join([tree.text_content(), *attributes])
    for element in tree.xpath("//time"):
        element.drop_tree()
    return " ".join([tree.text_content(), *attributes]), everything


def _urls(app: Any, db: Any) -> list[tuple[str, str]]:
    ids: dict[str, list[int]] = {}
    with db.session() as session:
        for name in {t for t in PARAMS.values() if t}:
            table = Base.metadata.tables.get(name)
            if table is not None:
                ids[name] = [r[0] for r in session.execute(select(table.c.id).order_by(table.c.id.desc()).limit(3))]
        doc_files = Base.metadata.tables["document_file"]
        doc_file = session.execute(select(doc_files.c.document_id, doc_files.c.id).limit(1)).first()
        archive_file = session.execute(select(Base.metadata.tables["archive_file"].c.id).limit(1)).first()
    out: list[tuple[str, str]] = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        args = set(rule.arguments)
        if not args:
            out.append((rule.endpoint, rule.rule))
        elif args == {"doc_id"}:
            out += [(rule.endpoint, rule.rule.replace("<int:doc_id>", str(i))) for i in ids["document"]]
        elif args == {"doc_id", "file_id"} and doc_file:
            out.append((rule.endpoint, rule.rule.replace("<int:doc_id>", str(doc_file[0]))
                        .replace("<int:file_id>", str(doc_file[1]))))
        elif args == {"file_id"} and archive_file:
            out.append((rule.endpoint, rule.rule.replace("<int:file_id>", str(archive_file[0]))))
        elif len(args) == 1:
            (arg,) = args
            table = PARAMS.get(f"{rule.endpoint.split('.')[0]}.{arg}") or PARAMS.get(arg)
            out += [(rule.endpoint, re.sub(r"<int:\w+>", str(i), rule.rule)) for i in ids.get(table or "", [])[:1]]
    return out


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 30):match.end() + 30]


@pytest.fixture
def history(settings, db):
    from circulation import service as circulation
    from core import org
    from core.models.documents import Document
    from supervision import demo as supervision_demo

    with db.session(write_lock=True) as session:
        supervision_demo.seed_history(session, settings)
        # A 传阅 too, so its pages are walked: the office sends a routed 签报 to two departments.
        sender = org.user_by_username(session, "clerk")
        doc = session.scalars(select(Document).order_by(Document.id.desc())).first()
        circulation.send(session, sender, document=doc, note="请各处室阅知",
                         recipients=circulation.Recipients(department_codes=["LZC", "ZLC"]))
        session.commit()
    from notices import demo as notices_demo

    with db.session(write_lock=True) as session:
        assert notices_demo.seed(session, settings) == 6
    # The seeds' other offices, as `make run` fills them.
    from assessment import demo as assessment_demo
    from inspection import demo as inspection_demo
    from reporting import demo as reporting_demo

    for office in (reporting_demo, inspection_demo, assessment_demo):
        with db.session(write_lock=True) as session:
            office.seed(session, settings)
    return db


@pytest.mark.slow
def test_every_page_as_every_role_speaks_the_bureaus_language(app, history):
    from tests.support.app import AuthActions

    db = history
    data = _data_strings(db)
    bureau = app.extensions["eoffice.settings"]
    data += [bureau.organ_name, bureau.organ_code]  # the bureau's own names are settings, not text of ours
    with db.session() as session:
        departments = [d.code for d in session.scalars(select(Department))]
    codes = set(departments) | {str(r) for r in ROLE_NAMES} | set(RETENTION_NAMES) - {"Y"} | set(audit.KIND_NAMES)
    printing = app.extensions["eoffice.settings"].printing
    codes |= {q for queues in printing.department_queues.values() for q in queues} | set(printing.central_queues)
    english_words = {c for c in codes if c.isalpha() and c.islower()}  # staff, leader: words in English
    code_pattern = re.compile(r"(?<![\w.@/-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
                              + r")(?![\w.@/-])")
    assert CLASSIFICATION_NAMES  # the 密级 names are data of the same table the pages use
    urls = _urls(app, db)
    assert any(e == "documents.show" for e, _ in urls) and any(e == "admin.edit_user" for e, _ in urls)
    problems: list[str] = []
    seen_ok = 0
    for username, *_rest in demo.ACCOUNTS:
        client = app.test_client()
        AuthActions(client).login(username)
        for lang in ("zh_CN", "en"):
            client.get(f"/lang/{lang}")
            for endpoint, url in urls:
                resp = client.get(url)
                if resp.status_code != 200 or not resp.content_type.startswith("text/html"):
                    resp.close()
                    continue
                seen_ok += 1
                text, _with_times = _visible(resp.get_data(as_text=True))
                for value in data:
                    text = text.replace(value, " ")
                for name in (*LANGUAGES.values(), *EXAMPLES):  # the language switch names each language in itself
                    text = text.replace(name, " ")
                where = f"{username} {lang} {url}"
                for match in BARE_TIME.finditer(text):
                    problems.append(f"{where}: time not through the filter: {_around(text, match)!r}")
                for match in ([] if endpoint.startswith(CODE_PAGES) else code_pattern.finditer(text)):
                    if lang == "en" and match.group(0) in english_words:
                        continue
                    problems.append(f"{where}: raw code {match.group(0)!r} in …{_around(text, match)!r}")
                if lang == "en":
                    for match in CJK.finditer(text):
                        problems.append(f"{where}: untranslated {match.group(0)!r} in …{_around(text, match)!r}")
    assert seen_ok > 200
    unique = sorted(set(problems))
    assert unique == [], f"{len(unique)} problems:\n" + "\n".join(unique[:300])
