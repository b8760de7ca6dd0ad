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

from archive.models.files import ArchiveFile, ArchiveFileText, IndexTask
from fileformats.names import display_name, fs_form, stored_form
from indexer import pipeline as pipeline_module
from indexer import scan, service
from indexer.extract import extract_file
from tests.indexer import corpus, realfiles
from tests.indexer.conftest import hits

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
    from tests.conftest import settings_env

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
    from indexer.text import set_variant_folding

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
