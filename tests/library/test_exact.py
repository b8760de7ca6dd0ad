"""Exact Chinese search: every sampled substring query returns exactly the files whose text contains it."""

from __future__ import annotations

import random

from sqlalchemy import select

from core.models.files import ArchiveFile, ArchiveFileText
from library import service
from library.search import matching_ids
from library.text import normalize
from tests.library import corpus
from tests.library.searching import EVERYTHING


def _build(isettings, db, count=48):
    root = isettings.archive_dir
    texts = corpus.documents(count, seed=11)
    corpus.write_mixed(root / "BGS" / "2023", texts)
    from demo import place_archive_files

    place_archive_files(root)  # the real seed reports (UTF-8 and a GB18030 copy)
    result = service.rebuild(isettings, db)
    return texts, result


def test_substring_truth_recall_and_precision(isettings, db):
    texts, result = _build(isettings, db)
    assert result["files"] == len(texts) + 3
    with db.session() as session:
        rows = list(session.scalars(select(ArchiveFile)))
        stored = dict(session.execute(select(ArchiveFileText.file_id, ArchiveFileText.text)).all())
    assert {r.outcome for r in rows} == {"indexed"}, [(r.relpath, r.outcome, r.error) for r in rows]
    docs = {r.id: (normalize(stored[r.id]), normalize(r.name), normalize(r.title)) for r in rows}

    # The stored text is the content: docx and txt round-trip exactly, PDFs up to layout line breaks.
    by_name = {r.name: normalize(stored[r.id]) for r in rows}
    for i, text in enumerate(texts[:8]):
        name = next(n for n in by_name if n.startswith(f"doc{i:05d}"))
        if not name.endswith(".pdf"):
            assert by_name[name] == normalize(text.replace("\n", " ")) or by_name[name] == normalize(text)
        else:
            for line in text.split("\n"):
                assert normalize(line)[:20].replace(" ", "") in by_name[name].replace(" ", "")

    rng = random.Random(5)
    queries = set()
    bodies = [d[0] for d in docs.values()]
    while len(queries) < 600:
        body = rng.choice(bodies)
        n = rng.randint(2, 6)
        start = rng.randrange(0, len(body) - n)
        q = body[start:start + n]
        syntax = any(c in q for c in '"“”') or q.startswith("-") or ":" in q or "：" in q or q == "OR"
        if q.strip() and q == q.strip() and " " not in q and not syntax:
            queries.add(q)
    queries |= {"林业", "成林发〔2023〕12号", "gb/t 9704-2012", "office@forestry", "10月1日", "规范化服务型政府"}
    for q in sorted(queries):
        expected = {fid for fid, (body, name, title) in docs.items() if q in body or q in name or q in title}
        got = {fid for fid, _ in matching_ids(isettings, EVERYTHING, q)}
        assert got == expected, f"query {q!r}: missing {expected - got}, extra {got - expected}"


def test_single_characters_latin_and_operators(isettings, db):
    root = isettings.archive_dir
    corpus.write_txt(root / "BGS" / "2024" / "a.txt", "关于森林防火的通知 成林发〔2023〕12号 Forest Fire")
    corpus.write_txt(root / "BGS" / "2024" / "b.txt", "关于野生动物保护的通知 GB/T 9704-2012")
    corpus.write_docx(root / "LZC" / "2024" / "c.docx", "林政资源管理 行政 处罚 决定书\n森林防火")
    service.rebuild(isettings, db)

    def paths(q):
        ids = {fid for fid, _ in matching_ids(isettings, EVERYTHING, q)}
        with db.session() as session:
            return {f.name for f in session.scalars(select(ArchiveFile).where(ArchiveFile.id.in_(ids)))}

    assert paths("火") == {"a.txt", "c.docx"}
    assert paths("罚") == {"c.docx"}
    assert paths("成林发〔2023〕12号") == {"a.txt"}
    assert paths("成林发〔2023〕13号") == set()
    assert paths("２０２３") == {"a.txt"}  # full-width digits fold to ASCII
    assert paths("FOREST fire") == {"a.txt"}  # case-insensitive, words AND
    assert paths("9704") == {"b.txt"}
    assert paths("森林防火 通知") == {"a.txt"}
    assert paths("森林防火 -通知") == {"c.docx"}
    assert paths("野生动物 OR 林政") == {"b.txt", "c.docx"}
    assert paths('"行政 处罚"') == {"c.docx"}
    assert paths("行政处罚") == set()  # not in the text: exactness, no fuzzy match
    assert paths("政处") == set()
    assert paths("filename:c.docx") == {"c.docx"}
    assert paths("filename:森林") == set()
    assert paths("b.txt") == {"b.txt"}  # plain words also match names
