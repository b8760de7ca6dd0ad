"""Freeze at 签发 and 复核; the 收文 route with 退回来文 and 主办/协办; filing with 档号 and 处理单."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select

from core import org
from core.models.documents import DocumentAction, FilingRecord
from documents import drafting, engine, exports, filing
from documents.drafting import DraftFields
from tests.support import make_pdf


def test_change_after_signing_goes_back_to_signer(flow, db, settings):
    doc_id = flow.draft()
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "office_head")
    flow.approve(doc_id, "director")
    signed = flow.doc(doc_id).frozen_hash
    assert flow.active(doc_id) == "编号"
    # The drafter replaces the 正文 after sign-off.
    with db.session(write_lock=True) as s:
        drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="main",
                          filename="正文（修改）.pdf", data=make_pdf("changed"))
    assert flow.active(doc_id) == "复核（签发后内容变更）"
    assert flow.assignment(doc_id, "director") and not flow.assignment(doc_id, "clerk")
    with db.session() as s:
        review = s.scalar(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                       DocumentAction.action == "review"))
        assert any("正文" in c and "内容已更换" in c for c in review.data["changes"])
    flow.approve(doc_id, "director", "复核同意")
    doc = flow.doc(doc_id)
    assert doc.frozen_hash != signed
    assert flow.active(doc_id) == "编号"
    # A change of a key field is caught too.
    with db.session(write_lock=True) as s:
        fields = drafting.fields_of(doc)
        fields.title = doc.title + "（修订）"
        drafting.update_fields(s, doc_id, org.user_by_username(s, "lz_staff"), fields, expected_version=doc.version)
    assert flow.active(doc_id) == "复核（签发后内容变更）"
    with db.session() as s:
        review = s.scalars(select(DocumentAction).where(DocumentAction.document_id == doc_id,
                                                        DocumentAction.action == "review")).all()[-1]
        assert any(c.startswith("标题") for c in review.data["changes"])


def test_incoming_route_with_lead_and_co_departments(flow, db, settings):
    doc_id = flow.draft("clerk", kind="incoming", title="省林业厅关于森林防火的通知",
                        source_organ="省林业厅", source_number="川林函〔2026〕8号", received_on=date(2026, 3, 2))
    flow.submit(doc_id, "clerk")
    assert flow.active(doc_id) == "初审"
    flow.approve(doc_id, "clerk", "属我局办理")
    flow.approve(doc_id, "office_head", "拟请林政处主办，造林处协办")
    flow.approve(doc_id, "director", "同意", lead_department="LZC", co_departments=["ZLC"])
    assert flow.active(doc_id) == "承办"
    flow.approve(doc_id, "zl_head", "已配合")
    assert flow.active(doc_id) == "承办"  # the 主办 has not finished
    flow.approve(doc_id, "lz_head", "已办理")
    assert flow.active(doc_id) == "办结"
    flow.approve(doc_id, "lz_head", "办结")
    flow.approve(doc_id, "clerk", retention="D10")
    doc = flow.doc(doc_id)
    assert doc.state == "filed" and doc.archive_number.endswith("-D10-LZC-0001")
    assert doc.archive_number.startswith("J001-WS·2026-")  # the year it was received
    with db.session() as s:
        record = s.scalar(select(FilingRecord).where(FilingRecord.document_id == doc_id))
        sheet = PdfReader(io.BytesIO((settings.archive_dir / record.folder / "收文处理笺.pdf").read_bytes()))
        first = sheet.pages[0].extract_text()
    for box in ("收文处理笺", "来文机关", "省林业厅", "川林函〔2026〕8号", "2026-03-02", "拟办意见", "领导批示",
                "承办情况", "主办部门"):
        assert box in first, box
    assert "拟请林政处主办，造林处协办 —— 王秀英" in first and "已配合 —— 杨海涛" in first and "同意 —— 张建国" in first


def test_incoming_sent_back_at_screening(flow, db, settings):
    doc_id = flow.draft("clerk", kind="incoming", title="非本局业务来文", source_organ="某公司")
    flow.submit(doc_id, "clerk")
    aid = flow.assignment(doc_id, "clerk")
    with db.session(write_lock=True) as s:
        engine.send_back(s, doc_id, org.user_by_username(s, "clerk"), aid,
                           reasons=["不属于本局职责范围", "未加盖公章"])
    doc = flow.doc(doc_id)
    assert doc.state == "sent_back"
    assert flow.assignment(doc_id, "office_head") is None


def test_archive_numbers_per_year_retention_department(flow, db, settings):
    assert filing.archive_number("J012", "WS", 2023, "Y", "BGS", 1) == "J012-WS·2023-Y-BGS-0001"
    numbers = []
    for retention in ("Y", "Y", "D30"):
        doc_id = flow.draft()
        with db.session(write_lock=True) as s:
            doc = s.get(engine.Document, doc_id)
            numbers.append(filing.file_document(s, settings, doc, org.user_by_username(s, "clerk"),
                                                retention=retention).archive_number)
    assert [n.rsplit("-", 3)[1:] for n in numbers] == [["Y", "LZC", "0001"], ["Y", "LZC", "0002"],
                                                       ["D30", "LZC", "0001"]]


def test_processing_sheet_and_catalogue(flow, db, settings):
    doc_id = flow.draft(title="关于<script>alert(1)</script>的报告")
    flow.submit(doc_id)
    aid = flow.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "lz_head"), aid,
                                 reasons=["数据需核实", "格式不规范"])
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head", "同意上报")
    flow.approve(doc_id, "office_head")
    flow.approve(doc_id, "director", "同意")
    flow.approve(doc_id, "clerk", copies=5)
    flow.approve(doc_id, "clerk")
    flow.approve(doc_id, "clerk", retention="D30")
    with db.session() as s:
        record = s.scalar(select(FilingRecord).where(FilingRecord.document_id == doc_id))
        assert record.pages == 1
        sheet = settings.archive_dir / record.folder / "发文稿纸.pdf"
        reader = PdfReader(io.BytesIO(sheet.read_bytes()))
        assert len(reader.pages) >= 2  # the 稿纸 on its page, then the 办理过程
        first = reader.pages[0].extract_text()
        for box in ("发文稿纸", "签发", "会签", "核稿", "处室审核", "拟稿单位", "文号", "密级", "缓急", "主送", "抄送",
                    "标题", "附件"):
            assert box in first, box
        assert "同意上报 —— 刘志强" in first and "同意 —— 张建国" in first and "档号" in first
        fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
        embedded = [f for page in reader.pages for f in page["/Resources"]["/Font"].values()
                    if "/DescendantFonts" in f or "/FontDescriptor" in f]
        assert any("EofficeCJK" in name or "Hei" in name for name in fonts), fonts
        assert embedded  # the Chinese font travels with the PDF (no boxes for · on other machines)
        year = record.year
        rows = exports.catalogue_rows(s, year)
        assert rows[0][1] == record.archive_number and rows[0][4].startswith("关于<script>")
        csv_bytes = exports.to_csv(exports.CATALOGUE_HEADERS, rows)
        assert csv_bytes.startswith("\ufeff件号".encode())
        xlsx = exports.to_xlsx("归档文件目录", exports.CATALOGUE_HEADERS, rows)
        from openpyxl import load_workbook

        sheet_rows = list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))
        assert sheet_rows[1][1] == record.archive_number


def test_formula_cells_are_neutralised():
    data = exports.to_csv(["题名"], [["=HYPERLINK(\"http://x\")"], ["正常"]]).decode("utf-8-sig")
    assert "'=HYPERLINK" in data and "\n正常" in data.replace("\r", "")


def test_draft_fields_validated(db):
    with db.session(write_lock=True) as s:
        staff = org.user_by_username(s, "lz_staff")
        try:
            drafting.create_document(s, staff, kind="outgoing",
                                     fields=DraftFields(title="", classification=3, urgency="bad"))
        except engine.WorkflowError as exc:
            assert len(exc.problems) == 3
        else:
            raise AssertionError("accepted")


def test_return_before_signing_drops_the_old_fingerprint(flow, db, settings):
    doc_id = flow.draft()
    flow.submit(doc_id)
    for username in ("lz_head", "office_head", "director"):
        flow.approve(doc_id, username)
    assert flow.doc(doc_id).frozen_hash
    aid = flow.assignment(doc_id, "clerk")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "clerk"), aid,
                                 reasons=["请办公室重新核稿"], target_step_id=flow.step_id(doc_id, "办公室核稿"))
    assert flow.doc(doc_id).frozen_hash is None
    # An edit now needs no 复核: the signer will sign again in the normal course.
    with db.session(write_lock=True) as s:
        drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="attachment",
                          filename="附件.pdf", data=make_pdf("a"))
    assert flow.active(doc_id) == "办公室核稿"
    flow.approve(doc_id, "office_head")
    flow.approve(doc_id, "director")
    assert flow.doc(doc_id).frozen_snapshot["files"][1]["filename"] == "附件.pdf"


def test_rolled_back_filing_leaves_no_folder_and_gives_the_number_back(flow, db, settings):
    doc_id = flow.draft(title="关于回滚归档的测试报告")
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        record = filing.file_document(s, settings, doc, org.user_by_username(s, "clerk"), retention="D10")
        folder = settings.archive_dir / record.folder
        number = record.archive_number
        assert (folder / "发文稿纸.pdf").is_file()
        s.rollback()  # e.g. a later step of the same action failed
    assert not folder.exists()
    with db.session(write_lock=True) as s:
        doc = s.get(engine.Document, doc_id)
        again = filing.file_document(s, settings, doc, org.user_by_username(s, "clerk"), retention="D10")
        assert again.archive_number == number
    assert (settings.archive_dir / again.folder / "发文稿纸.pdf").is_file()
