"""Pure functions: normalisation, grams, the query language, folder layout, snippets, file names."""

from __future__ import annotations

import pytest

from indexer.layout import ignored, place
from indexer.library import UploadError, clean_name
from indexer.query import parse
from indexer.records import RecordError, clean_relpath
from indexer.search import snippets
from indexer.text import grams, join_cjk_lines, literal_grams, normalize


def test_normalize_and_grams():
    assert normalize("  成林发〔２０２３〕１２号\n\tABC  ") == "成林发〔2023〕12号 abc"
    assert grams("林业局 a bc") == {"林业", "业局", "a", "bc"}
    assert literal_grams("林业局") == ({"林业", "业局"}, True)
    assert literal_grams("林业") == ({"林业"}, False)
    assert literal_grams("局") == (set(), True)
    assert join_cjk_lines("规范化服\n务型政府\nABC\n林业") == "规范化服务型政府\nABC\n林业"


def test_query_language():
    q = parse('林业 "行政 处罚" -草原 OR 湿地 filename:通知 OR 文件名：报告')
    shapes = [([lit.text for lit in g.literals], g.negated, [lit.name_only for lit in g.literals]) for g in q.groups]
    assert shapes == [
        (["林业"], False, [False]),
        (["行政 处罚"], False, [False]),
        (["草原"], True, [False]),
        (["湿地"], False, [False]),
        (["通知", "报告"], False, [True, True]),
    ]
    assert not parse("   ") and not parse("-草原")
    assert q.highlight_terms == sorted(["行政 处罚", "林业", "湿地"], key=lambda t: (-len(t), t))


def test_layout():
    depts = {"bgs": 1, "办公室": 1, "lzc": 3}
    p = place("BGS/2023年/子目录/通知.DOCX", depts, ("公开",))
    assert (p.department_id, p.year, p.kind, p.title, p.public) == (1, 2023, "docx", "通知", False)
    p = place("办公室/2024年度/x.pdf", depts, ("公开",))
    assert (p.department_id, p.year) == (1, 2024)
    p = place("公开/制度汇编.pdf", depts, ("公开",))
    assert (p.department_id, p.public, p.year) == (None, True, None)
    assert place("其他/x.txt", depts, ("公开",)).public is False
    for name in ("~$通知.docx", ".~lock.通知.docx#", "x.tmp", "Thumbs.db", "desktop.ini", ".hidden"):
        assert ignored(name)
    assert not ignored("通知.docx")


def test_snippets_mark_matches_in_original_text():
    text = "关于ＡＢＣ项目的通知。\n森林防火  工作要点：今冬明春森林防火。"
    runs = snippets(text, ["abc", "森林防火 工作"])
    marked = [piece for frag in runs for piece, hit in frag if hit]
    assert marked == ["ＡＢＣ", "森林防火  工作"]
    assert snippets("无关内容", ["林业"]) == [[("无关内容", False)]]


def test_names_and_paths_are_cleaned():
    assert clean_name("C:\\Users\\a\\关于《通知》的报告.docx") == "关于《通知》的报告.docx"
    assert clean_name("a/b/../报告?.txt") == "报告_.txt"
    with pytest.raises(UploadError):
        clean_name("~$锁文件.docx")
    assert clean_relpath("/BGS/2024/x.docx") == "BGS/2024/x.docx"
    with pytest.raises(RecordError):
        clean_relpath("BGS/../../etc/passwd")
