"""目标绩效考核 pages as the office, a department head and staff: targets, import, 自查, summary, exports."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from assessment import importer, service
from assessment.service import ItemEntry, TargetDraft
from core import calendar, org
from core.models.assessment import AssessmentTarget, SelfCheck
from core.models.base import BUREAU_ZONE
from tests.support.bureau import switch

# A quarter long past, whatever day the tests run: every due date has passed.
YEAR = calendar.local_today().year - 1
QUARTER = 2


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def _seed_targets(db, settings, codes=("LZC", "ZLC")) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    with db.session(write_lock=True) as s:
        clerk = org.user_by_username(s, "clerk")
        for code in codes:
            dept = org.department_by_code(s, code)
            out[code] = [service.add_target(s, settings, clerk, YEAR, TargetDraft(
                department_id=dept.id, category=category, content=f"{dept.name}{content}", measure="以验收为准",
                person="责任人", milestones=("一季度节点", "上半年完成60%", "三季度节点", "全年完成"))).id
                for category, content in (("work", "森林覆盖率稳定在42.5%"), ("integrity", "落实党风廉政建设责任"))]
        s.commit()
    return out


def _dept_id(db, code: str) -> int:
    with db.session() as s:
        return org.department_by_code(s, code).id


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    book.active.append(importer.TEMPLATE_HEADERS)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_office_enters_a_target_and_imports_only_a_file_without_errors(client, auth, db):
    auth.login("clerk")
    form = client.get(f"/assessment/targets/new?year={YEAR}").get_data(as_text=True)
    assert "造林绿化处" in form and "党风廉政建设目标" in form and '"integrity"' in form
    data = {"csrf_token": auth.csrf("/assessment/targets/new"), "year": str(YEAR),
            "department": str(_dept_id(db, "ZLC")), "category": "work", "content": "完成人工造林1.2万亩",
            "measure": "以核查验收面积为准", "person": "杨海涛", "q1": "作业设计", "q2": "春季造林0.8万亩",
            "q3": "", "q4": "通过验收", "weight": "20"}
    done = client.post("/assessment/targets/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已录入造林绿化处的目标" in _flashes(done)
    targets = re.search(r'<section class="card" id="targets">.*?</section>', done, re.S).group(0)
    assert "完成人工造林1.2万亩" in targets and "业务工作目标" in targets and "春季造林0.8万亩" in targets
    again = client.post("/assessment/targets/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已处理" in _flashes(again)

    template = client.get("/assessment/targets/template.xlsx")
    assert template.status_code == 200 and template.mimetype.endswith("spreadsheetml.sheet")
    headers = [c.value for c in next(load_workbook(io.BytesIO(template.data)).active.iter_rows())]
    assert headers == importer.TEMPLATE_HEADERS
    bad = _xlsx([["林政资源管理处", "业务工作目标", "林长制全覆盖"], ["林政处", "业务工作目标", "森林督查"]])
    refused = client.post("/assessment/import", data={
        "csrf_token": auth.csrf("/assessment/import"), "year": str(YEAR), "file": (io.BytesIO(bad), "目标.xlsx")},
        content_type="multipart/form-data")
    html = refused.get_data(as_text=True)
    errors = re.search(r'id="import-errors">(.*?)</div>', html, re.S).group(1)
    assert refused.status_code == 422 and "第3行：部门「林政处」不存在" in errors and "未导入任何目标" in errors
    encrypted = client.post("/assessment/import", data={
        "csrf_token": auth.csrf("/assessment/import"), "year": str(YEAR),
        "file": (io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512), "目标.xlsx")},
        content_type="multipart/form-data")
    assert encrypted.status_code == 422 and "已加密" in encrypted.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count(AssessmentTarget.id))) == 1
    good = _xlsx([["林政资源管理处", "业务工作目标", "林长制全覆盖"],
                  ["林政资源管理处", "精神文明建设目标", "志愿服务"]])
    imported = client.post("/assessment/import", data={
        "csrf_token": auth.csrf("/assessment/import"), "year": str(YEAR), "file": (io.BytesIO(good), "目标.xlsx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "已导入 2 项目标" in _flashes(imported.get_data(as_text=True))


def test_a_department_head_submits_the_self_check_and_staff_see_their_own_department(client, auth, db, settings):
    ids = _seed_targets(db, settings)
    lz = _dept_id(db, "LZC")
    url = f"/assessment/self-check?year={YEAR}&quarter={QUARTER}&department={lz}"
    auth.login("lz_head")
    page = client.get(url).get_data(as_text=True)
    assert 'id="self-check-form"' in page and "上半年完成60%" in page and "未报送" in page
    form = {"csrf_token": auth.csrf(url), "summary": "上半年目标推进总体平稳。",
            f"status-{ids['LZC'][0]}": "done", f"evidence-{ids['LZC'][0]}": "森林覆盖率42.6%",
            f"status-{ids['LZC'][1]}": "behind", f"evidence-{ids['LZC'][1]}": ""}
    refused = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "第2项目标" in _flashes(refused) and "请填写完成情况说明" in _flashes(refused)
    assert "森林覆盖率42.6%" in refused and "上半年目标推进总体平稳。" in refused  # what was typed is kept
    assert 'value="behind" selected' in refused
    form[f"evidence-{ids['LZC'][1]}"] = "廉政教育推迟到三季度"
    form["attachment"] = (io.BytesIO(b"%PDF-1.4 evidence"), "佐证材料.pdf")
    done = client.post(url, data=form, content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "自查报告已报送（逾期报送）" in _flashes(done)  # the quarter is long past its due date
    assert 'id="self-check-form"' not in done and "森林覆盖率42.6%" in done and "逾期报送" in done
    assert "佐证材料.pdf" in done
    del form["attachment"]
    twice = client.post(url, data=form, follow_redirects=True).get_data(as_text=True)
    assert "已处理" in _flashes(twice)
    with db.session() as s:
        assert s.scalar(select(func.count(SelfCheck.id))) == 1
    assert client.get("/assessment/summary").status_code == 403
    assert client.get("/assessment/targets/new").status_code == 403
    assert client.get(f"/assessment/self-check?department={_dept_id(db, 'ZLC')}").status_code == 403

    switch(client, auth, "lz_staff")
    own = client.get(url).get_data(as_text=True)
    assert 'id="self-check-form"' not in own and "廉政教育推迟到三季度" in own
    attachment = re.search(r'href="(/assessment/reports/\d+/attachment)"', own).group(1)
    got = client.get(attachment)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    got.close()
    index = client.get(f"/assessment/?year={YEAR}").get_data(as_text=True)
    assert "林政资源管理处森林覆盖率稳定在42.5%" in index and "造林绿化处森林覆盖率" not in index
    assert client.get("/assessment/summary").status_code == 403
    assert client.get(f"/assessment/import?year={YEAR}").status_code == 403
    switch(client, auth, "zl_staff")
    assert client.get(url).status_code == 403
    assert client.get(attachment).status_code == 404
    not_head = client.post(f"/assessment/self-check?year={YEAR}&quarter={QUARTER}", data={
        "csrf_token": auth.csrf("/assessment/"), f"status-{ids['ZLC'][0]}": "done",
        f"evidence-{ids['ZLC'][0]}": "完成"}, follow_redirects=True)
    assert "处室负责人提交" in _flashes(not_head.get_data(as_text=True))


def test_the_office_summary_shows_who_reported_exports_and_returns_a_report(client, auth, db, settings):
    ids = _seed_targets(db, settings, ("LZC", "ZLC", "YBC"))
    with db.session(write_lock=True) as s:
        due = service.due_date(settings, calendar.load(s), YEAR, QUARTER)
        for code, name, day in (("LZC", "lz_head", due), ("ZLC", "zl_head", date(YEAR, 7, 20))):
            service.submit(s, settings, org.user_by_username(s, name), org.department_by_code(s, code).id, YEAR,
                           QUARTER, {i: ItemEntry("in_progress", "按计划推进") for i in ids[code]},
                           now=datetime.combine(day, time(11), BUREAU_ZONE).astimezone(UTC))
        s.commit()
    auth.login("office_head")
    html = client.get(f"/assessment/summary?year={YEAR}&quarter={QUARTER}").get_data(as_text=True)
    who = re.search(r'<section class="card" id="who-reported">.*?</section>', html, re.S).group(0)
    rows = dict(re.findall(r'<tr data-dept="\d+" class="state-\w+"><td><a [^>]*>([^<]+)</a></td>\s*<td><span [^>]*>'
                           r'([^<]+)</span>', who))
    assert rows == {"林政资源管理处": "按时报送", "造林绿化处": "逾期报送", "野生动植物保护处": "未报送"}
    assert re.search(r'id="kpi-reported">2<', html) and re.search(r'id="kpi-late">1<', html)
    assert "<svg" in html and "按计划推进" in html
    xlsx = client.get(f"/assessment/summary.xlsx?year={YEAR}&quarter={QUARTER}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A1"].value == "处室" and sheet.max_row == 1 + 6
    docx = client.get(f"/assessment/analysis.docx?year={YEAR}&quarter={QUARTER}")
    assert docx.status_code == 200 and docx.data.startswith(b"PK") and "attachment" in docx.headers[
        "Content-Disposition"]

    lz = _dept_id(db, "LZC")
    url = f"/assessment/self-check?year={YEAR}&quarter={QUARTER}&department={lz}"
    with db.session() as s:
        report_id = s.scalar(select(SelfCheck.id).where(SelfCheck.department_id == lz))
    page = client.get(url).get_data(as_text=True)
    assert 'id="return-form"' in page
    returned = client.post(f"/assessment/reports/{report_id}/return", data={
        "csrf_token": auth.csrf(url), "reason": "请补充林长巡林记录。"}, follow_redirects=True)
    assert "已退回" in _flashes(returned.get_data(as_text=True))
    switch(client, auth, "lz_head")
    again = client.get(url).get_data(as_text=True)
    assert "请补充林长巡林记录。" in again and 'id="self-check-form"' in again and "按计划推进" in again


def test_the_year_page_shows_each_component_by_name(client, auth, db, settings):
    ids = _seed_targets(db, settings)
    with db.session(write_lock=True) as s:
        service.submit(s, settings, org.user_by_username(s, "lz_head"), _dept_id(db, "LZC"), YEAR, 1,
                       {i: ItemEntry("done", "完成") for i in ids["LZC"]},
                       now=datetime(YEAR, 4, 1, 3, tzinfo=UTC))
        s.commit()
    auth.login("clerk")
    html = client.get(f"/assessment/year?year={YEAR}").get_data(as_text=True)
    table = re.search(r'<section class="card" id="year-assessment">.*?</section>', html, re.S).group(0)
    for name in ("目标完成", "信息报送", "督查督办", "综合得分", "权重 0.7"):
        assert name in table
    lz_row = re.search(rf'<tr data-dept="{_dept_id(db, "LZC")}">(.*?)</tr>', table, re.S).group(1)
    assert '<td data-component="targets">100.0</td>' in lz_row
    switch(client, auth, "zl_staff")
    own = client.get(f"/assessment/year?year={YEAR}").get_data(as_text=True)
    assert "造林绿化处" in own and "林政资源管理处" not in re.search(
        r'<section class="card" id="year-assessment">.*?</section>', own, re.S).group(0)


def test_bad_query_values_fall_back_instead_of_failing(client, auth):
    auth.login("clerk")
    for url in ("/assessment/?year=abc", "/assessment/summary?year=99999&quarter=9", "/assessment/self-check?quarter=x",
                "/assessment/year?year=-1", "/assessment/self-check?department=999999"):
        assert client.get(url).status_code in (200, 404), url


def test_the_pdf_analysis_report_is_made_by_the_worker_not_the_request(client, auth, db, settings):
    from fileformats import office

    if office.soffice_path(settings.printing.soffice) is None:
        pytest.skip("LibreOffice is not installed")
    from assessment import pdf

    _seed_targets(db, settings)
    summary = f"/assessment/summary?year={YEAR}&quarter={QUARTER}"
    auth.login("lz_head")
    refused = client.post(f"/assessment/analysis-pdf?year={YEAR}&quarter={QUARTER}",
                          data={"csrf_token": auth.csrf("/assessment/")}, follow_redirects=True)
    assert "分析报告由办公室生成" in _flashes(refused.get_data(as_text=True))
    switch(client, auth, "clerk")
    asked = client.post(f"/assessment/analysis-pdf?year={YEAR}&quarter={QUARTER}",
                        data={"csrf_token": auth.csrf(summary)}, follow_redirects=True).get_data(as_text=True)
    assert "正在生成 PDF 分析报告" in _flashes(asked) and 'id="pdf-state"' in asked
    assert client.get(f"/assessment/analysis.pdf?year={YEAR}&quarter={QUARTER}").status_code == 404  # not yet
    assert pdf.generate_pending(settings, db) == 1
    page = client.get(summary).get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" id="pdf-download">', page).group(1).replace("&amp;", "&")
    got = client.get(link)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    got.close()
    assert pdf.generate_pending(settings, db) == 0
