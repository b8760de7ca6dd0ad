"""政务信息报送 pages: a unit reports, the office returns with reasons and adopts into an issue, the issue
and the 通报 documents, on-behalf entry, refusals for people outside the office, every page renders."""

from __future__ import annotations

import io
import re
import shutil
from datetime import timedelta

import docx
import openpyxl
import pytest
from sqlalchemy import func, select

from core import org
from core.models.base import BUREAU_ZONE, utcnow
from core.models.reporting import Adoption, Item, OutsideUnit
from reporting import demo, documents
from tests.support import make_pdf
from tests.support.bureau import switch


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def _post(client, auth, url, form_page, **data):
    return client.post(url, data={"csrf_token": auth.csrf(form_page), **data}, follow_redirects=True)


def _new(client, auth, **data):
    form = {"csrf_token": auth.csrf("/reporting/new"), "category": "work", "body": "正文。", **data}
    return client.post("/reporting/new", data=form, content_type="multipart/form-data", follow_redirects=True)


def test_a_unit_reports_the_office_returns_with_reasons_then_adopts_into_an_issue(client, auth, db, settings):
    auth.login("lz_staff")
    html = _new(client, auth, title="全市林长制巡林工作情况", body="本月各级林长巡林1200余人次。",
                attachments=(io.BytesIO(make_pdf("patrol")), "巡林统计.pdf")).get_data(as_text=True)
    assert "已报送《全市林长制巡林工作情况》" in _flashes(html) and "巡林统计.pdf" in html
    item_id = int(re.search(r"/reporting/items/(\d+)/attachments", html).group(1))
    assert 'id="review"' not in html  # no review forms for the unit
    again = _new(client, auth, title="全市林长制巡林工作情况").get_data(as_text=True)
    assert "已处理" in _flashes(again)  # a double post does not make a second item
    switch(client, auth, "clerk")
    page = f"/reporting/items/{item_id}"
    html = _post(client, auth, f"{page}/return", page,
                 reasons="补充各县区巡林数据\n\n标题请点明成效").get_data(as_text=True)
    assert "已退回" in _flashes(html)
    again = _post(client, auth, f"{page}/return", page, reasons="再退一次").get_data(as_text=True)
    assert "已处理" in _flashes(again)
    switch(client, auth, "lz_staff")
    html = client.get(page).get_data(as_text=True)
    reasons = re.search(r'id="return-reasons".*?</div>', html, re.S).group(0)
    assert "补充各县区巡林数据" in reasons and "标题请点明成效" in reasons
    edit = client.get(f"{page}/edit").get_data(as_text=True)
    assert "补充各县区巡林数据" in edit and "重新报送" in edit
    html = client.post(f"{page}/edit", data={
        "csrf_token": auth.csrf(f"{page}/edit"), "category": "work", "title": "全市林长巡林1200余人次",
        "body": "本月各县区林长巡林1200余人次，发现并整改问题35个。"}, follow_redirects=True).get_data(as_text=True)
    assert "已修改并重新报送" in _flashes(html) and "待审核" in html
    switch(client, auth, "clerk")
    html = client.get(page).get_data(as_text=True)
    assert 'value="new:信息专报"' in html
    html = _post(client, auth, f"{page}/adopt", page, issue="new:信息专报").get_data(as_text=True)
    year = utcnow().astimezone(BUREAU_ZONE).year
    assert f"已采用到信息专报 {year}年第1期" in _flashes(html)
    again = _post(client, auth, f"{page}/adopt", page, issue="new:信息专报").get_data(as_text=True)
    assert "已处理" in _flashes(again)
    today = utcnow().astimezone(BUREAU_ZONE).date().isoformat()
    html = _post(client, auth, f"{page}/higher", page, level="province", adopted_on=today,
                 note="省政府办公厅《政务信息》").get_data(as_text=True)
    assert "已登记上级采用情况" in _flashes(html) and "省级采用" in html
    with db.session() as s:
        assert s.scalar(select(func.count(Adoption.id)).where(Adoption.item_id == item_id)) == 2
        issue_id = s.scalar(select(Adoption.issue_id).where(Adoption.item_id == item_id, Adoption.level == "office"))
    html = client.get(f"/reporting/issues/{issue_id}").get_data(as_text=True)
    assert f"信息专报 {year}年第1期" in html and "全市林长巡林1200余人次" in html
    got = client.get(f"/reporting/issues/{issue_id}/document.docx")
    text = [p.text for p in docx.Document(io.BytesIO(got.data)).paragraphs]
    assert text[0] == "信息专报" and text[1] == f"{year}年第1期" and "全市林长巡林1200余人次" in text
    assert "（林政资源管理处）" in text
    # The PDF is asked for here and made by the worker, never in the request.
    html = _post(client, auth, f"/reporting/issues/{issue_id}/pdf", f"/reporting/issues/{issue_id}").get_data(
        as_text=True)
    assert "PDF 生成中" in html and client.get(f"/reporting/issues/{issue_id}/document.pdf").status_code == 404
    assert (documents.folder(settings.files_dir) / "queue" / f"issue-{issue_id}").exists()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_worker_job_makes_the_issue_pdf(client, auth, db, settings):
    from reporting.jobs import scheduled_job

    auth.login("clerk")
    with db.session(write_lock=True) as s:
        from reporting import service
        from reporting.service import ItemDraft

        item = service.submit(s, settings, org.user_by_username(s, "lz_staff"),
                              ItemDraft(title="防火检查", body="正文"))
        issue_id = service.adopt(s, settings, org.user_by_username(s, "clerk"), item.id, "new:信息专报").issue_id
        s.commit()
    _post(client, auth, f"/reporting/issues/{issue_id}/pdf", f"/reporting/issues/{issue_id}")
    assert scheduled_job(settings, db)() >= 1
    got = client.get(f"/reporting/issues/{issue_id}/document.pdf")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    got.close()


def test_the_office_enters_for_an_outside_unit_and_others_are_refused(client, auth, db):
    auth.login("clerk")
    html = _post(client, auth, "/reporting/units", "/reporting/units", name="示范市国有林场").get_data(as_text=True)
    assert "已保存下属单位" in _flashes(html) and "示范市国有林场" in html
    with db.session() as s:
        farm_id = s.scalar(select(OutsideUnit.id).where(OutsideUnit.name == "示范市国有林场"))
    assert f'value="u:{farm_id}"' in client.get("/reporting/new").get_data(as_text=True)
    html = _new(client, auth, unit=f"u:{farm_id}", title="林场开展冬季防火巡护").get_data(as_text=True)
    assert "办公室代录：赵丽娟" in html and "示范市国有林场" in html
    item_id = int(re.search(r"/reporting/items/(\d+)/edit", html).group(1))
    with db.session() as s:
        item = s.get(Item, item_id)
        assert item.on_behalf and item.outside_unit_id == farm_id
        assert item.entered_by_id == org.user_by_username(s, "clerk").id
    switch(client, auth, "lz_staff")
    page = f"/reporting/items/{item_id}"
    assert client.get(page).status_code == 404  # another unit's item
    assert client.get("/reporting/units").status_code == 403
    own = _new(client, auth, title="林政处信息").get_data(as_text=True)
    own_id = int(re.search(r"/reporting/items/(\d+)/edit", own).group(1))
    own_page = f"/reporting/items/{own_id}"
    token = auth.csrf(own_page)
    for url, data in ((f"{own_page}/return", {"reasons": "不行"}), (f"{own_page}/adopt", {"issue": "new:信息专报"}),
                      (f"{own_page}/noted", {}),
                      (f"{own_page}/higher", {"level": "province", "adopted_on": "2026-01-05"})):
        html = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True).get_data(as_text=True)
        assert "由办公室办理" in _flashes(html), url
    html = client.post("/reporting/new", data={"csrf_token": token, "unit": f"u:{farm_id}", "category": "work",
                                               "title": "冒名代报", "body": "正文"},
                       follow_redirects=True).get_data(as_text=True)
    assert "只有办公室可以代其他单位录入信息" in _flashes(html)
    for url, data in (("/reporting/calls", {"theme": "约稿", "deadline": "2099-01-01", "units": ["d:1"]}),
                      ("/reporting/issues", {"publication": "信息专报"}),
                      ("/reporting/units", {"name": "新单位"})):
        html = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True).get_data(as_text=True)
        assert "由办公室办理" in _flashes(html), url
    assert client.post("/reporting/bulletin/pdf", data={"csrf_token": token}).status_code == 403
    assert client.post("/reporting/new", data={"title": "没有令牌", "body": "x"}).status_code in (400, 302)


def test_a_late_emergency_through_the_form_is_marked_and_counted(client, auth):
    auth.login("zl_staff")
    event = (utcnow() - timedelta(hours=5)).astimezone(BUREAU_ZONE).strftime("%Y-%m-%dT%H:%M")
    html = _new(client, auth, category="emergency", event_at=event, title="某林区发生森林火情").get_data(as_text=True)
    assert "记为迟报" in _flashes(html) and 'id="urgent-clock"' in html
    missing = _new(client, auth, category="emergency", title="缺少发生时间的突发事件").get_data(as_text=True)
    assert "突发事件请填写事件发生时间" in _flashes(missing)
    html = client.get("/reporting/bulletin").get_data(as_text=True)
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*造林绿化处.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[-2] == "1"  # 突发事件迟报


def test_every_page_renders_for_the_office_and_for_staff_with_the_demo_year(client, auth, db, settings):
    with db.session(write_lock=True) as s:
        made = demo.seed(s, settings)
        assert made > 200
    with db.session(write_lock=True) as s:
        assert demo.seed(s, settings) == 0  # idempotent
        count = s.scalar(select(func.count(Item.id)))
        issue_id = s.scalar(select(Adoption.issue_id).where(Adoption.issue_id.is_not(None)).limit(1))
        late = s.scalar(select(Item).where(Item.late.is_(True)))
        returned = s.scalar(select(Item).where(Item.status == "returned"))
        assert late is not None and returned is not None and returned.return_reasons
        lz_item = s.scalar(select(Item.id).where(Item.department_id == org.department_by_code(s, "LZC").id).limit(1))
    pages = ["/reporting/", "/reporting/new", "/reporting/calls", "/reporting/calls/1", "/reporting/issues",
             f"/reporting/issues/{issue_id}", "/reporting/bulletin", "/reporting/bulletin?year=2026&quarter=all",
             "/reporting/bulletin?year=abc&quarter=9", f"/reporting/items/{lz_item}",
             "/reporting/?status=adopted&category=work&year=2026"]
    auth.login("clerk")
    for url in [*pages, "/reporting/units", f"/reporting/items/{late.id}", f"/reporting/items/{returned.id}"]:
        assert client.get(url).status_code == 200, url
    html = client.get("/reporting/calls/1").get_data(as_text=True)
    missing = re.search(r'id="call-missing">(.*?)</p>', html).group(1)
    assert "造林绿化处" in missing and "林政资源管理处" not in missing
    html = client.get("/reporting/bulletin?year=2026&quarter=all").get_data(as_text=True)
    assert "<svg" in html and "前列" in html and "后列" in html
    book = openpyxl.load_workbook(io.BytesIO(client.get("/reporting/bulletin/export.xlsx?year=2026&quarter=all").data))
    rows = list(book.active.values)
    assert rows[0][:3] == ("排名", "单位", "报送") and len(rows) > 10
    text = [p.text for p in docx.Document(io.BytesIO(client.get(
        "/reporting/bulletin/document.docx?year=2026&quarter=all").data)).paragraphs]
    assert text[0] == "关于2026年度政务信息报送情况的通报"
    switch(client, auth, "lz_staff")
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert client.get(f"/reporting/items/{late.id}").status_code == 404  # 森林防火办公室's item
    listed = client.get("/reporting/").get_data(as_text=True)
    assert "林政资源管理处" in listed and "森林防火办公室" not in listed
    with db.session() as s:
        assert s.scalar(select(func.count(Item.id))) == count


def test_the_item_list_pages_through_everything(client, auth, db, settings):
    """The office's list is long: every item can be reached, page by page, and the total is said."""
    from reporting import service
    from reporting.service import ItemDraft

    with db.session(write_lock=True) as s:
        head = org.user_by_username(s, "lz_head")
        for n in range(60):
            service.submit(s, settings, head, ItemDraft(title=f"分页测试信息{n:02d}", body="正文"))
    auth.login("clerk")
    first = client.get("/reporting/").get_data(as_text=True)
    assert 'id="item-pager"' in first and "分页测试信息59" in first and "分页测试信息00" not in first
    second = client.get("/reporting/?page=2").get_data(as_text=True)
    assert "分页测试信息00" in second
    assert client.get("/reporting/?page=999999").status_code == 200
