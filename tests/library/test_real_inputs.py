"""What a bureau's shared folder really holds: handed cases, every office format, and poison files that
must never harm another file (issue 11)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from core.models.files import ArchiveFile, ArchiveFileText, IndexTask
from fileformats.names import display_name, fs_form, stored_form
from library import pipeline as pipeline_module
from library import scan, service
from library.extract import extract_file
from tests.library import corpus, realfiles
from tests.library.searching import hits

CASES = Path(__file__).resolve().parent.parent / "data" / "cases"


def _rows(db) -> dict[str, ArchiveFile]:
    with db.session() as session:
        rows = {r.relpath: r for r in session.scalars(select(ArchiveFile))}
        for r in rows.values():
            session.expunge(r)
        return rows


def _text(db, relpath: str) -> str:
    with db.session() as session:
        fid = session.scalar(select(ArchiveFile.id).where(ArchiveFile.relpath == relpath))
        return session.scalar(select(ArchiveFileText.text).where(ArchiveFileText.file_id == fid)) or ""


def _gbk_name(folder: Path, name: str) -> Path:
    """Return the path of a file whose name on disk is the GBK bytes of `name` (Chinese Windows zips)."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name.encode("gbk")))


# ---------------------------------------------------------------------------------------- handed cases


def test_handed_archive_cases(isettings, db):
    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    for name in ("防火提示.docx", "修订稿.docx", "导出名单.txt", "通报.pdf"):
        shutil.copy(CASES / name, root / name)
    _gbk_name(root, "会议纪要.txt").write_bytes("会议纪要：湿地保护条例学习安排".encode())
    result = service.rebuild(isettings, db)
    assert result["outcomes"] == {"indexed": 5}, result
    assert hits(isettings, "森林防火责任书") == {"BGS/2025/防火提示.docx"}
    assert _text(db, "BGS/2025/防火提示.docx").count("森林防火责任书签订情况") == 1  # DrawingML, not again from VML
    assert _text(db, "BGS/2025/修订稿.docx") == "各区县要加强古树名木保护管理工作。"
    assert hits(isettings, "古树名木") >= {"BGS/2025/修订稿.docx", "BGS/2025/导出名单.txt"}
    assert "BGS/2025/修订稿.docx" not in hits(isettings, "野生动物")  # the deletion is not in the final view
    assert hits(isettings, "银杏") == {"BGS/2025/导出名单.txt"}
    assert hits(isettings, "古树名木普查") == {"BGS/2025/导出名单.txt"}
    assert hits(isettings, "野生动物保护") == {"BGS/2025/通报.pdf"}
    (gbk,) = hits(isettings, "湿地保护条例学习")
    rows = _rows(db)
    assert rows[gbk].name == "会议纪要.txt" and rows[gbk].title == "会议纪要"
    assert os.fsencode(isettings.archive_dir / fs_form(gbk)).endswith("会议纪要.txt".encode("gbk"))
    assert hits(isettings, "会议纪要") == {gbk}  # found by its decoded name too
    assert service.verify(db.session().__enter__(), isettings).clean


# ---------------------------------------------------------------------------------------- names


def test_stored_names_round_trip_and_stay_distinct():
    utf8 = "BGS/2025/会议纪要.txt"
    gbk = os.fsdecode("BGS/2025/会议纪要.txt".encode("gbk"))
    assert stored_form(utf8) == utf8
    assert stored_form(gbk) != utf8 and fs_form(stored_form(gbk)) == gbk
    assert display_name(stored_form(gbk)) == display_name(utf8) == utf8  # they look alike...
    broken = os.fsdecode(b"BGS/\xff\xfe-x.txt")  # ...and bytes that are neither UTF-8 nor GB18030
    assert display_name(stored_form(broken)) == "BGS/\\xff\\xfe-x.txt"
    assert display_name("a\nb.txt") == "a\\nb.txt"  # a name always stays on one line


def test_two_names_that_decode_alike_are_two_files(isettings, db):
    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    (root / "会议纪要.txt").write_text("第一份：森林督查会议", encoding="utf-8")
    _gbk_name(root, "会议纪要.txt").write_text("第二份：湿地督查会议", encoding="utf-8")
    service.rebuild(isettings, db)
    first, second = hits(isettings, "森林督查"), hits(isettings, "湿地督查")
    assert len(first) == len(second) == 1 and first != second
    assert {r.name for r in _rows(db).values()} == {"会议纪要.txt"}


def test_a_gbk_named_file_downloads_and_prints_by_id(isettings, db, client, auth):
    """A PDF whose name on disk is GBK bytes: downloaded over HTTP with its Chinese name (RFC 5987
    filename*), and sent to print by id through printing's public request_print."""
    from urllib.parse import quote

    from core import org
    from printing import service as printing
    from tests.support import make_pdf

    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    data = make_pdf("GBK name")
    _gbk_name(root, "会议纪要.pdf").write_bytes(data)
    service.rebuild(isettings, db)
    (row,) = _rows(db).values()
    assert row.name == "会议纪要.pdf" and row.relpath != "BGS/2025/会议纪要.pdf"  # the raw bytes stay its identity
    auth.login("archivist")
    resp = client.get(f"/search/files/{row.id}/download")
    assert resp.status_code == 200 and resp.get_data() == data
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('会议纪要.pdf')}" in disposition, disposition
    resp.close()
    with db.session() as session:
        user = org.user_by_username(session, "archivist")
        job = printing.request_print(session, isettings, user, printing.ArchiveSource(row.id), printing.PrintOptions())
        session.commit()
        assert job.state == "queued", job.message
        assert job.title == row.title and job.source_kind == "archive" and job.document_pages == 1
        assert (isettings.data_dir / job.original_path).read_bytes() == data


# ---------------------------------------------------------------------------------------- Word's corners


def test_word_structures_read_like_the_reader_sees_them(tmp_path):
    realfiles.rich_docx(tmp_path / "rich.docx")
    text = extract_file(tmp_path / "rich.docx", max_chars=10_000).text
    assert "内容控件里的湿地公园名录" in text  # content control
    assert "域结果二〇二五" in text and "DATE" not in text  # field result, not its code
    assert "脚注说明松材线虫病疫区" in text  # footnote
    assert "批注：请核实退耕还林面积" in text  # comment, marked as such
    realfiles.strict_docx(tmp_path / "strict.docx", "严格格式林长制")
    assert extract_file(tmp_path / "strict.docx", max_chars=100).text == "严格格式林长制"
    realfiles.macro_docx(tmp_path / "m.docm", "宏文档天然林")
    assert extract_file(tmp_path / "m.docm", max_chars=100).text == "宏文档天然林"
    # WPS saves OOXML under a .doc name: taken by content, not by extension.
    corpus.write_docx(tmp_path / "src.docx", "金山文字另存的文档")
    shutil.copy(tmp_path / "src.docx", tmp_path / "wps保存.doc")
    assert extract_file(tmp_path / "wps保存.doc", max_chars=100).text == "金山文字另存的文档"


def test_text_and_layout_kinds(tmp_path):
    (tmp_path / "be.txt").write_bytes("林区道路养护统计".encode("utf-16-be"))  # no BOM, CJK only
    assert extract_file(tmp_path / "be.txt", max_chars=100).text == "林区道路养护统计"
    (tmp_path / "le.txt").write_bytes("No,名称\r\n1,油松".encode("utf-16-le"))
    assert extract_file(tmp_path / "le.txt", max_chars=100).text == "No,名称\r\n1,油松"
    realfiles.surrogate_pdf(tmp_path / "s.pdf", "湿地保护")
    result = extract_file(tmp_path / "s.pdf", max_chars=100)
    assert result.outcome == "indexed" and result.text == "湿地保护"
    result.text.encode("utf-8")  # encodable: no lone surrogate left
    realfiles.gbk_html(tmp_path / "a.htm", "网页标题", "网页正文的林业有害生物")
    result = extract_file(tmp_path / "a.htm", max_chars=100)
    assert result.text == "网页正文的林业有害生物" and result.title == "网页标题"
    realfiles.ofd(tmp_path / "a.ofd", "版式文件标题", [["国家公园", "建设方案"], ["第二页内容"]])
    result = extract_file(tmp_path / "a.ofd", max_chars=100)
    assert "国家公园建设方案" in result.text and result.title == "版式文件标题" and result.year == 2025
    realfiles.odt(tmp_path / "a.odt", ["开放文档格式的退耕还林"], deleted="被删除的内容")
    assert extract_file(tmp_path / "a.odt", max_chars=100).text == "开放文档格式的退耕还林"


# ---------------------------------------------------------------------------------------- PDF line wraps


def test_pdf_wraps_join_and_short_lines_stay(isettings, db):
    """Wrapped lines of a 公文 PDF are joined (next to digits too); headings, 署名 and date keep their breaks.

    Made twice: with reportlab's CID font STSong-Light and with the TrueType font eoffice embeds (in a child:
    reportlab's TTF loader leaves a file handle for the garbage collector)."""
    import subprocess
    import sys

    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    realfiles.wrapped_gongwen(root / "宋体.pdf")
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from tests.library.realfiles import "
                    "wrapped_gongwen; wrapped_gongwen(Path(sys.argv[1]), 'ttf')", str(root / "嵌入字体.pdf")],
                   check=True, cwd=Path(__file__).resolve().parents[2])
    from pypdf import PdfReader

    raw = PdfReader(root / "宋体.pdf").pages[0].extract_text()
    assert "2023\n年度" in raw and "12\n号" in raw and "天然林\n保护修复" in raw  # the wraps are really there
    result = service.rebuild(isettings, db)
    assert result["outcomes"] == {"indexed": 2}
    both = {"BGS/2025/宋体.pdf", "BGS/2025/嵌入字体.pdf"}
    for relpath in both:
        lines = _text(db, relpath).split("\n")
        assert lines[:3] == ["示范市林业局关于加强森林资源保护的通知", "第一章", "总则"], lines
        assert lines[-2:] == ["示范市林业局", "2025年6月1日"], lines
        assert len(lines) == 10, lines  # title, 2 headings, paragraph, 2 headings, 2 paragraphs, 署名, date
        assert lines[4:6] == ["第二章", "监督检查"], lines
    for phrase in ("2023年度工作安排", "〔2025〕12号文件", "天然林保护修复", "认真贯彻执行"):
        assert hits(isettings, phrase) == both, phrase
    assert hits(isettings, "第一章总则") == set()  # headings are lines of their own...
    assert hits(isettings, "示范市林业局2025年") == set()  # ...and so are the 署名 and the date
    assert hits(isettings, "示范市林业局 2025年6月1日") == both


def test_a_pdf_pypdf_rejects_is_read_by_pdftotext(isettings, db, tmp_path):
    """Stream lengths that are wrong make pypdf raise; the fallback reads the file: indexed, not 损坏."""
    from pypdf import PdfReader

    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    realfiles.wrong_lengths_pdf(root / "长度错误.pdf", "关于开展松材线虫病疫情普查的通知")
    with pytest.raises(Exception):  # noqa: B017 - pypdf's own exception type varies with the damage
        [page.extract_text() for page in PdfReader(root / "长度错误.pdf").pages]
    result = service.rebuild(isettings, db)
    assert result["outcomes"] == {"indexed": 1}, [(r.name, r.outcome, r.error) for r in _rows(db).values()]
    assert hits(isettings, "松材线虫病疫情普查") == {"BGS/2025/长度错误.pdf"}
    truncated = tmp_path / "截断.pdf"  # what no reader recovers stays damaged, with the reason
    truncated.write_bytes((root / "长度错误.pdf").read_bytes()[:400])
    result = extract_file(truncated, max_chars=100)
    assert result.outcome == "damaged" and "PDF 已损坏" in result.error


@pytest.mark.slow
def test_libreoffice_pdf_paragraphs_read_as_lines(tmp_path):
    """A PDF laid out by a real LibreOffice from Word paragraphs: each paragraph comes back as one line."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraphs = ["示范市林业局关于加强森林资源保护的通知", "第一章", "总则",
                  "为进一步加强森林资源保护管理工作，根据本局2023年度工作安排，现将有关事项通知如下，请各单位结合"
                  "实际认真贯彻执行，确保各项措施落到实处，按照成林发〔2025〕12号文件要求，各区县要建立健全森林资源"
                  "保护责任制度，加强古树名木保护管理工作的监督检查。",
                  "第二章", "监督检查",
                  "各区县林业主管部门应当于每年十二月底前书面报告本辖区天然林保护修复制度方案的落实情况，由局办公室"
                  "汇总后报送市人民政府，同时抄送省林业和草原局。",
                  "示范市林业局", "2025年6月1日"]
    document = docx.Document()
    for text in paragraphs:
        run = document.add_paragraph().add_run(text)
        run.font.size = Pt(16)
        run.font.name = "WenQuanYi Micro Hei"
        run._element.rPr.rFonts.set(qn("w:eastAsia"), "WenQuanYi Micro Hei")
    document.save(str(tmp_path / "src.docx"))
    realfiles.via_libreoffice(tmp_path / "src.docx", "pdf", tmp_path / "out.pdf")
    from pypdf import PdfReader

    assert PdfReader(tmp_path / "out.pdf").pages[0].extract_text().count("\n") > len(paragraphs)  # it did wrap
    assert extract_file(tmp_path / "out.pdf", max_chars=10_000).text.split("\n") == paragraphs


def test_radicals_supplement_is_folded(isettings, db):
    corpus.write_txt(isettings.archive_dir / "BGS" / "2025" / "radical.txt", "⻓江流域防护林体系建设")
    service.rebuild(isettings, db)
    assert hits(isettings, "长江流域") == {"BGS/2025/radical.txt"}
    assert hits(isettings, "⻓江流域") == {"BGS/2025/radical.txt"}  # the query is folded alike


@pytest.mark.slow
def test_legacy_office_formats_by_content(isettings, db, tmp_path):
    """.doc/.wps/.xls/.et/.ppt/.dps/.pptx/.rtf written by a real LibreOffice, each found by its words."""
    root = isettings.archive_dir / "ZLC" / "2025"
    root.mkdir(parents=True)
    corpus.write_docx(tmp_path / "src.docx", "旧版文档里的森林督查")
    realfiles.via_libreoffice(tmp_path / "src.docx", "doc", root / "旧版.doc")
    shutil.copy(root / "旧版.doc", root / "金山.wps")
    book = openpyxl.Workbook()
    book.active.append(["单位", "造林面积"])
    book.active.append(["城关镇", "人工造林一千二百亩"])
    book.save(root / "统计.xlsx")
    realfiles.via_libreoffice(root / "统计.xlsx", "xls", root / "统计.xls")
    shutil.copy(root / "统计.xls", root / "金山表格.et")
    realfiles.odp(tmp_path / "src.odp", ["林长制考核幻灯片", "生态护林员"])
    realfiles.via_libreoffice(tmp_path / "src.odp", "pptx", root / "汇报.pptx")
    realfiles.via_libreoffice(tmp_path / "src.odp", "ppt", root / "汇报.ppt")
    shutil.copy(root / "汇报.ppt", root / "金山演示.dps")
    realfiles.rtf(root / "说明.rtf", "RTF文档中的自然保护地")
    result = service.rebuild(isettings, db)
    assert result["outcomes"] == {"indexed": 9}, [(r.name, r.error) for r in _rows(db).values() if r.error]
    base = "ZLC/2025/"
    assert hits(isettings, "森林督查") == {base + "旧版.doc", base + "金山.wps"}
    assert hits(isettings, "人工造林一千二百亩") == {base + n for n in ("统计.xlsx", "统计.xls", "金山表格.et")}
    assert hits(isettings, "林长制考核") == {base + n for n in ("汇报.pptx", "汇报.ppt", "金山演示.dps")}
    assert hits(isettings, "自然保护地") == {base + "说明.rtf"}


# ---------------------------------------------------------------------------------------- poison


def test_poison_files_never_harm_healthy_ones(isettings, db, tmp_path):
    """One poison of each kind in a folder of healthy files: every healthy file searchable, each poison listed."""
    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    for i in range(24):
        corpus.write_txt(root / f"健康{i:02d}.txt", f"健康文件第{i:02d}号造林绿化")
    realfiles.surrogate_pdf(root / "代理字符.pdf", "湿地保护")
    _gbk_name(root, "国标名称.txt").write_text("国标文件名的内容", encoding="utf-8")
    Path(os.fsdecode(os.fsencode(root) + b"/\xff\xfe.txt")).write_text("无法解码的文件名", encoding="utf-8")
    (root / "换行\n名称.txt").write_text("换行文件名的内容", encoding="utf-8")
    (root / "-leading-dash.txt").write_text("短横线开头的文件名", encoding="utf-8")
    (root / ("长" * 80 + ".txt")).write_text("很长的文件名", encoding="utf-8")
    secret = isettings.data_dir / "secret_key"
    secret.write_text("TOP-SECRET-KEY-VALUE")
    (root / "链接.txt").symlink_to(secret)
    os.link(secret, root / "硬链接.txt")
    os.mkfifo(root / "管道.txt")
    (root / "损坏.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    (root / "乱码.txt").write_bytes(bytes(range(256)) * 20)
    result = service.rebuild(isettings, db)
    rows = _rows(db)
    by_name = {r.name: r for r in rows.values()}
    for i in range(24):
        assert hits(isettings, f"健康文件第{i:02d}号") == {f"BGS/2025/健康{i:02d}.txt"}
    assert by_name["代理字符.pdf"].outcome == "indexed" and hits(isettings, "湿地保护")
    assert by_name["国标名称.txt"].outcome == "indexed" and len(hits(isettings, "国标文件名的内容")) == 1
    assert by_name["\\xff\\xfe.txt"].outcome == "indexed" and len(hits(isettings, "无法解码的文件名")) == 1
    assert by_name["换行\\n名称.txt"].outcome == "indexed"
    assert hits(isettings, "短横线开头的文件名") == {"BGS/2025/-leading-dash.txt"}
    assert hits(isettings, "很长的文件名")
    assert by_name["链接.txt"].outcome == "skipped" and "符号链接" in by_name["链接.txt"].error
    assert by_name["硬链接.txt"].outcome == "skipped" and "硬链接" in by_name["硬链接.txt"].error
    assert "管道.txt" not in by_name  # not a file: not listed, never opened
    assert by_name["损坏.docx"].outcome == "damaged" and by_name["损坏.docx"].error
    assert by_name["乱码.txt"].outcome == "damaged"
    assert hits(isettings, "TOP-SECRET") == set()
    with db.session() as session:
        assert "TOP-SECRET" not in " ".join(session.scalars(select(ArchiveFileText.text)))
        assert service.verify(session, isettings).clean
    assert result["outcomes"]["indexed"] == 30 and result["outcomes"]["skipped"] == 2


def test_a_failed_index_write_is_halved_to_the_culprit(isettings, db, monkeypatch):
    """An index write that fails for one file: the batch is halved, every other file goes in."""
    root = isettings.archive_dir / "BGS" / "2025"
    for i in range(16):
        corpus.write_txt(root / f"f{i:02d}.txt", f"批次文件{i:02d}号")
    with db.session(write_lock=True) as session:
        scan.reconcile(session, isettings, settle_seconds=0)
        culprit = session.scalar(select(ArchiveFile.id).where(ArchiveFile.relpath == "BGS/2025/f07.txt"))
    real_make_doc = pipeline_module.make_doc

    def failing(row, text):  # fault injection: the index rejects this one document
        if row.id == culprit:
            raise ValueError("index rejected the document")
        return real_make_doc(row, text)

    monkeypatch.setattr(pipeline_module, "make_doc", failing)
    writer = service.engine.IndexWriter(isettings.index_dir)
    pool = service.make_pool(isettings)
    try:
        pipe = pipeline_module.Pipeline(isettings, db, writer, pool)
        assert pipe.run_batch().indexed == 15  # the healthy 15 go in at the first try
        for _ in range(pipeline_module.MAX_ATTEMPTS - 1):  # the culprit alone fails as a batch of its own
            with pytest.raises(ValueError, match="index rejected"):
                pipe.run_batch()
    finally:
        pool.close()
        writer.close()
    for i in range(16):
        expected = set() if i == 7 else {f"BGS/2025/f{i:02d}.txt"}
        assert hits(isettings, f"批次文件{i:02d}号") == expected
    with db.session() as session:
        assert session.scalar(select(IndexTask)) is None
        row = session.get(ArchiveFile, culprit)
        assert row.outcome == "damaged" and "多次写入索引失败" in row.error


def _one_batch(settings, db) -> None:
    """Run one batch of the index writer, as the worker does after a scan."""
    writer = service.engine.IndexWriter(settings.index_dir)
    pool = service.make_pool(settings)
    try:
        pipeline_module.Pipeline(settings, db, writer, pool).run_batch()
    finally:
        pool.close()
        writer.close()


def test_a_file_that_vanishes_between_scan_and_read(isettings, db):
    """Listed by the scan, gone when its turn comes: left pending (never 损坏), then dropped by the next scan."""
    root = isettings.archive_dir / "BGS" / "2025"
    for i in range(4):
        corpus.write_txt(root / f"留下{i}.txt", f"留下的文件第{i}号")
    corpus.write_txt(root / "消失.txt", "很快消失的文件")
    with db.session(write_lock=True) as session:
        assert scan.reconcile(session, isettings, settle_seconds=0).added == 5
    (root / "消失.txt").unlink()
    _one_batch(isettings, db)
    rows = _rows(db)
    assert rows["BGS/2025/消失.txt"].outcome == "pending"  # not damaged: nothing was wrong with the file
    assert all(rows[f"BGS/2025/留下{i}.txt"].outcome == "indexed" for i in range(4))
    assert hits(isettings, "留下的文件第2号") == {"BGS/2025/留下2.txt"}
    with db.session(write_lock=True) as session:
        assert scan.reconcile(session, isettings, settle_seconds=0).deleted == 1
    _one_batch(isettings, db)
    assert "BGS/2025/消失.txt" not in _rows(db)
    with db.session() as session:
        assert service.verify(session, isettings).clean


def test_a_file_changed_while_read_is_read_again(isettings, db):
    """Written to after the scan or while a reader had it: pending, never 损坏; read again after the next scan."""
    from library import extract_docx
    from library.extract import default_registry
    from library.sandbox import _extract_job

    root = isettings.archive_dir / "BGS" / "2025"
    corpus.write_txt(root / "追加.txt", "第一次写入的内容")
    with db.session(write_lock=True) as session:
        scan.reconcile(session, isettings, settle_seconds=0)
    with (root / "追加.txt").open("a", encoding="utf-8") as fh:  # another program goes on writing
        fh.write("，随后追加的湿地名录")
    _one_batch(isettings, db)
    row = _rows(db)["BGS/2025/追加.txt"]
    assert row.outcome == "pending"  # not the size the scan saw: left for the next scan
    with db.session(write_lock=True) as session:
        assert scan.reconcile(session, isettings, settle_seconds=0).changed == 1
    _one_batch(isettings, db)
    assert _rows(db)["BGS/2025/追加.txt"].outcome == "indexed"
    assert hits(isettings, "随后追加的湿地名录") == {"BGS/2025/追加.txt"}

    # Cut short while a reader has it open (a Word file being saved over): pending, not 损坏.
    corpus.write_docx(root / "保存中.docx", "正在保存的文档内容")
    size = (root / "保存中.docx").stat().st_size

    def read_while_saved(path: Path):
        with (root / "保存中.docx").open("r+b") as fh:  # Word rewrites the file in place meanwhile
            fh.truncate(size // 2)
        return extract_docx.read(path)

    registry = {**default_registry(), "docx": read_while_saved}
    result = _extract_job((str(isettings.archive_dir), "BGS/2025/保存中.docx", size, None), 1000, registry)
    assert result.outcome == "pending" and "读取时被修改" in (result.error or "")
    corpus.write_docx(root / "保存中.docx", "正在保存的文档内容")  # saved: read as usual
    size = (root / "保存中.docx").stat().st_size
    saved = _extract_job((str(isettings.archive_dir), "BGS/2025/保存中.docx", size, None), 1000)
    assert saved.text == "正在保存的文档内容"


def test_unreadable_files_and_folders_as_an_unprivileged_reader(isettings, db):
    """No permission (the worker as root cannot be denied: `eoffice index rebuild` runs here without the
    capabilities that let root read anything, as a worker under its own account would): an unreadable
    file is listed with the reason; the files of an unreadable folder stay indexed and searchable, and
    `index verify` names the folder. Readable again, everything is read."""
    import subprocess
    import sys

    from tests.support.app import settings_env

    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and util-linux setpriv to drop the capabilities that bypass permissions")
    unprivileged = [setpriv, "--inh-caps=-dac_override,-dac_read_search",
                    "--bounding-set=-dac_override,-dac_read_search", str(Path(sys.executable).with_name("eoffice"))]
    env = {**os.environ, **settings_env(isettings)}
    corpus.write_txt(isettings.archive_dir / "BGS" / "2025" / "可读.txt", "可以读取的普通文件")
    closed = isettings.archive_dir / "LZC" / "2025"
    corpus.write_txt(closed / "已索引.txt", "早已索引的林政文件")
    service.rebuild(isettings, db)
    denied = isettings.archive_dir / "BGS" / "2025" / "无权限.txt"
    corpus.write_txt(denied, "没有权限读取的内容")
    denied.chmod(0)
    closed.chmod(0)
    try:
        done = subprocess.run([*unprivileged, "index", "rebuild"], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        rows = _rows(db)
        assert rows["BGS/2025/无权限.txt"].outcome == "skipped" and "权限" in rows["BGS/2025/无权限.txt"].error
        assert rows["LZC/2025/已索引.txt"].outcome == "indexed"  # kept: its folder is only unreadable
        assert hits(isettings, "早已索引的林政文件") == {"LZC/2025/已索引.txt"}
        assert hits(isettings, "可以读取的普通文件") == {"BGS/2025/可读.txt"}
        done = subprocess.run([*unprivileged, "index", "verify"], env=env, capture_output=True, text=True)
        assert done.returncode == 1 and "无法读取的文件夹" in done.stdout and "LZC/2025" in done.stdout, done.stdout
        assert "在数据库中、不在文件夹中" not in done.stdout
    finally:
        closed.chmod(0o755)
        denied.chmod(0o644)
    service.rebuild(isettings, db)
    assert _rows(db)["BGS/2025/无权限.txt"].outcome == "indexed"
    assert hits(isettings, "没有权限读取的内容") == {"BGS/2025/无权限.txt"}
    with db.session() as session:
        assert service.verify(session, isettings).clean


def test_a_folder_swapped_for_a_link_drops_its_files(isettings, db):
    """A folder replaced by a symbolic link (to a copy elsewhere): the link is listed, never followed, and the
    files the folder held leave search, even though the same names exist behind the link."""
    root = isettings.archive_dir / "BGS" / "2025"
    corpus.write_txt(root / "甲.txt", "文件夹被换成链接之前的内容")
    service.rebuild(isettings, db)
    assert hits(isettings, "换成链接之前") == {"BGS/2025/甲.txt"}
    elsewhere = isettings.data_dir / "outside"
    root.rename(elsewhere)
    root.symlink_to(elsewhere, target_is_directory=True)
    result = service.rebuild(isettings, db)
    rows = _rows(db)
    assert "BGS/2025/甲.txt" not in rows and hits(isettings, "换成链接之前") == set()
    assert rows["BGS/2025"].outcome == "skipped" and "符号链接" in rows["BGS/2025"].error
    assert result["scan"]["deleted"] == 1


def test_a_file_swapped_for_a_link_is_never_read(isettings, db, client, auth):
    """Indexed, then swapped for a symlink to the secret key and retried: neither index nor download reads it."""
    root = isettings.archive_dir / "BGS" / "2025"
    corpus.write_txt(root / "swap.txt", "交换前的正常内容")
    service.rebuild(isettings, db)
    (root / "swap.txt").unlink()
    secret = isettings.data_dir / "secret_key"
    (root / "swap.txt").symlink_to(secret)
    with db.session(write_lock=True) as session:
        scan.reconcile(session, isettings, settle_seconds=0)
        service.retry(session)
        session.commit()
    service.rebuild(isettings, db)
    row = _rows(db)["BGS/2025/swap.txt"]
    assert row.outcome == "skipped"
    assert hits(isettings, "交换前") == set()
    auth.login("archivist")
    resp = client.get(f"/search/files/{row.id}/download")
    assert resp.status_code == 302 and secret.read_bytes() not in resp.get_data()
    resp.close()


def test_download_name_is_safe_for_any_name(isettings, db, client, auth):
    root = isettings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    (root / 'a\r\nSet-Cookie: x=1;"名单".txt').write_text("下载文件名测试内容", encoding="utf-8")
    service.rebuild(isettings, db)
    (fid,) = [r.id for r in _rows(db).values()]
    auth.login("archivist")
    resp = client.get(f"/search/files/{fid}/download")
    assert resp.status_code == 200 and resp.get_data() == "下载文件名测试内容".encode()
    disposition = resp.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert all("x=1" not in cookie for cookie in resp.headers.getlist("Set-Cookie"))
    assert "filename*=UTF-8''" in disposition
    resp.close()


# ---------------------------------------------------------------------------------------- printing


def test_printing_reads_text_and_pages_like_the_archive(settings, tmp_path):
    import subprocess
    import sys

    from click.testing import CliRunner
    from pypdf import PdfReader

    from intranet.cli import cli
    from tests.support.app import settings_env

    # In a child: reportlab's TTF loader leaves a file handle for the garbage collector.
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from printing.documents import "
                    "text_to_pdf; text_to_pdf(Path(sys.argv[1]), Path(sys.argv[2]))",
                    str(CASES / "工作要点.txt"), str(tmp_path / "out.pdf")], check=True)
    assert "2025年工作要点（讨论稿）" in PdfReader(tmp_path / "out.pdf").pages[0].extract_text()
    runner, env = CliRunner(), settings_env(settings)
    result = runner.invoke(cli, ["print", "route", str(CASES / "年度报告.pdf"), "--as", "lz_staff",
                                 "--pages", "1-2", "--json"], env=env)
    answer = json.loads(result.output)
    assert (answer["tier"], answer["queue"], answer["media"]) == ("department", "dept-lzc", "A4"), answer
    result = runner.invoke(cli, ["print", "route", str(CASES / "年度报告.pdf"), "--as", "lz_staff", "--json"], env=env)
    assert json.loads(result.output)["media"] == "A3"  # page 3 is A3: the whole report needs the print room


# ---------------------------------------------------------------------------------------- scans (OCR)


@pytest.mark.slow
def test_scans_are_read_by_ocr(isettings, db, client, auth):
    """An image, an image-only PDF and a TIFF: searchable by their words after rebuild, marked as OCR'd."""
    settings = isettings.replace(indexer=dataclasses.replace(isettings.indexer, ocr_dpi=150))
    root = settings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    realfiles.scan_image(["关于做好森林防火工作的通知"]).save(root / "来文扫描.png")
    realfiles.scan_image(["天然林保护修复方案"]).save(root / "传真件.tif")
    realfiles.scan_pdf(root / "收文扫描.pdf", [["退耕还林检查验收"], ["第二页古树名木普查"]])
    result = service.rebuild(settings, db)
    assert result["outcomes"] == {"ocr": 3}, [(r.name, r.outcome, r.error) for r in _rows(db).values()]
    assert hits(settings, "森林防火工作") == {"BGS/2025/来文扫描.png"}
    assert hits(settings, "天然林保护") == {"BGS/2025/传真件.tif"}
    assert hits(settings, "古树名木普查") == {"BGS/2025/收文扫描.pdf"}
    auth.login("archivist")
    page = client.get("/search/?q=退耕还林检查").get_data(as_text=True)
    assert "收文扫描" in page and "已识别（OCR）" in page


def test_scanned_pages_of_a_text_pdf_are_found(tmp_path):
    """Only pages that draw an image and have no text layer are given to OCR."""
    from fileformats.ocr import scan_pages

    realfiles.mixed_pdf(tmp_path / "m.pdf", [("text", ["第一页正文"]), ("scan", ["扫描页"]), ("text", ["第三页"]),
                                             ("text", []), ("scan", ["又一扫描页"])])
    assert scan_pages(tmp_path / "m.pdf") == [2, 5]  # page 4 is blank: nothing to read
    result = extract_file(tmp_path / "m.pdf", max_chars=1000)
    assert result.outcome == "indexed" and result.scan_pages == 2 and "第一页正文" in result.text


@pytest.mark.slow
def test_each_tiff_frame_and_each_scanned_page_is_a_page(isettings, db):
    """A multi-page TIFF is read frame by frame and a text PDF's scanned pages are read, both within the page cap;
    the text layer of the PDF is searchable before OCR has run."""
    from library import ocr_queue

    settings = isettings.replace(indexer=dataclasses.replace(isettings.indexer, ocr_dpi=150, ocr_max_pages=2))
    root = settings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    realfiles.multipage_tiff(root / "传真.tif", [["第一帧天然林保护"], ["第二帧湿地公园建设"], ["第三帧古树名木"]])
    realfiles.mixed_pdf(root / "报告.pdf", [("text", ["林业有害生物防治年度报告"]), ("scan", ["签字页松材线虫监测"]),
                                          ("text", ["第三页造林绿化统计"]), ("scan", ["第二张扫描页退耕还林"]),
                                          ("scan", ["第三张扫描页森林防火"])])
    with db.session(write_lock=True) as session:
        scan.reconcile(session, settings, settle_seconds=0)
    _one_batch(settings, db)  # the writer alone: text now, scans queued
    rows = _rows(db)
    assert rows["BGS/2025/报告.pdf"].outcome == "ocr_queued" and "3 页是扫描图像" in rows["BGS/2025/报告.pdf"].error
    assert hits(settings, "林业有害生物防治") == {"BGS/2025/报告.pdf"}  # the text layer, before OCR
    assert hits(settings, "松材线虫监测") == set()
    while ocr_queue.read_next(settings, db):
        pass
    _one_batch(settings, db)
    rows = _rows(db)
    assert rows["BGS/2025/报告.pdf"].outcome == "ocr" and rows["BGS/2025/传真.tif"].outcome == "ocr"
    assert hits(settings, "天然林保护") == hits(settings, "湿地公园建设") == {"BGS/2025/传真.tif"}
    assert hits(settings, "古树名木") == set()  # the third frame is past the cap of 2 pages...
    assert rows["BGS/2025/传真.tif"].error == "只识别了前 2 页（共 3 页）"  # ...and the file says so
    for words in ("林业有害生物防治", "造林绿化统计", "松材线虫监测", "退耕还林"):  # text pages stay, scans added
        assert hits(settings, words) == {"BGS/2025/报告.pdf"}, words
    assert hits(settings, "森林防火") == set()  # the third scanned page is past the cap
    assert rows["BGS/2025/报告.pdf"].error == "只识别了前 2 页（共 3 页）"


@pytest.mark.slow
def test_a_jbig2_scan_is_read(isettings, db, tmp_path):
    """A black-and-white scan stored as JBIG2: pypdf decodes its image (through jbig2dec), poppler renders
    it for OCR, and its words are found."""
    from pypdf import PdfReader

    if shutil.which("jbig2dec") is None:
        pytest.skip("jbig2dec is installed by make test (scripts/debian-packages.sh)")
    settings = isettings.replace(indexer=dataclasses.replace(isettings.indexer, ocr_dpi=150))
    root = settings.archive_dir / "BGS" / "2025"
    root.mkdir(parents=True)
    realfiles.jbig2_pdf(root / "黑白扫描.pdf", ["关于野生动物疫源疫病监测的函"])
    (image,) = PdfReader(root / "黑白扫描.pdf").pages[0].images
    decoded = image.image.convert("L")
    assert decoded.size == (1240, 1753) and decoded.getextrema() == (0, 255)  # ink on white, not noise
    result = service.rebuild(settings, db)
    assert result["outcomes"] == {"ocr": 1}, [(r.name, r.outcome, r.error) for r in _rows(db).values()]
    assert hits(settings, "疫源疫病监测") == {"BGS/2025/黑白扫描.pdf"}


@pytest.mark.slow
def test_ocr_never_holds_text_files_back(isettings, db):
    """A 20-page scan dropped first, a .txt after it: the .txt is searchable while the scan is still read."""
    from tests.support import wait_for

    settings = isettings.replace(indexer=dataclasses.replace(isettings.indexer, ocr_dpi=150))
    service_ = service.IndexerService(settings, db)
    service_.start()
    try:
        root = settings.archive_dir / "YBC" / "2025"
        root.mkdir(parents=True)
        staging = settings.data_dir / "staging.pdf"
        realfiles.scan_pdf(staging, [[f"第{i + 1}页野生动物疫源疫病监测"] for i in range(20)])
        os.replace(staging, root / "二十页扫描件.pdf")
        wait_for(lambda: _rows(db).get("YBC/2025/二十页扫描件.pdf") is not None
                 and _rows(db)["YBC/2025/二十页扫描件.pdf"].outcome == "ocr_queued", timeout=30)
        corpus.write_txt(root / "随后的通知.txt", "随后放入的湿地保护通知")
        wait_for(lambda: hits(settings, "随后放入的湿地保护") == {"YBC/2025/随后的通知.txt"}, timeout=30)
        assert _rows(db)["YBC/2025/二十页扫描件.pdf"].outcome == "ocr_queued"  # still being read
        wait_for(lambda: _rows(db)["YBC/2025/二十页扫描件.pdf"].outcome == "ocr", timeout=180)
        # The stored text comes first; the writer indexes it with its next batch.
        wait_for(lambda: hits(settings, "疫源疫病监测") == {"YBC/2025/二十页扫描件.pdf"}, timeout=30)
        assert _text(db, "YBC/2025/二十页扫描件.pdf").count("疫源疫病") >= 15  # (nearly) every page was read
    finally:
        service_.stop()


def test_traditional_and_simplified_fold_by_setting(isettings, db):
    from library.text import set_variant_folding

    corpus.write_txt(isettings.archive_dir / "LZC" / "2025" / "繁體.txt", "林業資源保護條例學習")
    corpus.write_txt(isettings.archive_dir / "LZC" / "2025" / "简体.txt", "林业资源保护工作")
    service.rebuild(isettings, db)
    both = {"LZC/2025/繁體.txt", "LZC/2025/简体.txt"}
    assert hits(isettings, "林業資源保護") == hits(isettings, "林业资源保护") == both
    assert hits(isettings, "条例学习") == {"LZC/2025/繁體.txt"}
    # Turned off: the worker notices the index was built folded and re-indexes every file from stored text.
    off = isettings.replace(indexer=dataclasses.replace(isettings.indexer, fold_variants=False))
    try:
        worker = service.IndexerService(off, db, watch=False)
        assert service.ensure_variant_mode(off, db) == 2
        worker.writer = service.engine.IndexWriter(off.index_dir)
        pool = service.make_pool(off)
        try:
            pipeline_module.Pipeline(off, db, worker.writer, pool).run_batch()
        finally:
            pool.close()
            worker.writer.close()
        assert hits(off, "林業資源保護") == {"LZC/2025/繁體.txt"}
        assert hits(off, "林业资源保护") == {"LZC/2025/简体.txt"}
        assert service.ensure_variant_mode(off, db) == 0  # recorded: nothing more to do
    finally:
        set_variant_folding(True)
