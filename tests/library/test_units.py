"""Pure functions: normalisation, grams, the query language, folder layout, snippets, file names."""

from __future__ import annotations

import pytest

from library.layout import ignored, place
from library.query import parse
from library.records import RecordError, clean_relpath
from library.search import snippets
from library.shelves import UploadError, clean_name
from library.text import grams, join_cjk_lines, literal_grams, normalize


def test_normalize_and_grams():
    assert normalize("  成林发〔２０２３〕１２号\n\tABC  ") == "成林发〔2023〕12号 abc"
    assert grams("林业局 a bc") == {"林业", "业局", "a", "bc"}
    assert literal_grams("林业局") == ({"林业", "业局"}, True)
    assert literal_grams("林业") == ({"林业"}, False)
    assert literal_grams("局") == (set(), True)
    assert join_cjk_lines("规范化服\n务型政府\nABC\n林业") == "规范化服务型政府\nABC\n林业"
    assert join_cjk_lines("加快建设人民满意的法治机关和规范化服\n务型政府，推进林业治理体系现代化建设。\nABC\n林业") \
        == "加快建设人民满意的法治机关和规范化服务型政府，推进林业治理体系现代化建设。\nABC\n林业"


def test_only_wrapped_lines_are_joined():
    """A break is a wrap only after a full line that does not end a sentence; short lines keep their breaks."""
    assert join_cjk_lines("第一章\n总则\n第一条") == "第一章\n总则\n第一条"  # nothing full: nothing joined
    assert join_cjk_lines("第十一章\n附则\n第十二章\n罚则") == "第十一章\n附则\n第十二章\n罚则"  # bare headings
    assert join_cjk_lines("示范市林业局\n2025年6月1日") == "示范市林业局\n2025年6月1日"  # 署名 and date
    assert join_cjk_lines("示范市林业局办公室\n二〇二五年六月一日") == "示范市林业局办公室\n二〇二五年六月一日"
    body = ("　　为进一步加强森林资源保护管理工作，根据本局2023\n"  # full lines (indented first line counts its indent)
            "年度工作安排，现将成林发〔2025〕12号文件精神传\n"
            "达如下，请各区县林业主管部门认真贯彻执行，确\n"
            "保各项措施落到实处。\n"
            "第二章\n"
            "监督检查\n"
            "各区县要建立健全森林资源保护责任制度，加强古\n"
            "树名木保护管理工作的监督检查，每年报告一次。\n"  # full, but ends a sentence: kept
            "示范市林业局\n"  # 署名 and date: short lines of their own
            "2025年6月1日")
    lines = join_cjk_lines(body).split("\n")
    assert lines == [
        "　为进一步加强森林资源保护管理工作，根据本局2023年度工作安排，现将成林发〔2025〕12号文件精神传达如下，"
        "请各区县林业主管部门认真贯彻执行，确保各项措施落到实处。",
        "第二章", "监督检查",
        "各区县要建立健全森林资源保护责任制度，加强古树名木保护管理工作的监督检查，每年报告一次。",
        "示范市林业局", "2025年6月1日"]
    # Digits and Latin letters wrap only after a full line too; two short lines with digits stay apart.
    assert join_cjk_lines("联系电话\n12345\n森林防火期为每年10月1日至次年5月31日，各单位务必\n24小时值班") \
        == "联系电话\n12345\n森林防火期为每年10月1日至次年5月31日，各单位务必24小时值班"
    # A text of only full lines of one width (a narrow column) is joined throughout.
    assert join_cjk_lines("森林资源保护管理工作的监\n督检查每年报告一次情况\n请各单位认真贯彻执行确保") \
        == "森林资源保护管理工作的监督检查每年报告一次情况请各单位认真贯彻执行确保"


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
