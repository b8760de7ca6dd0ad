"""督查督办 pages: the office registers and chases, a department head and staff see their unit's items and
report, the leader confirms; the 通报 with its exports; no raw codes on the pages."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from core import calendar, org
from core.models.inspection import InspectionItem
from inspection import demo
from tests.support.bureau import switch


def _flashes(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def _ids(db):
    with db.session() as s:
        return {n: org.user_by_username(s, n).id for n in ("director", "lz_staff", "zl_staff")}, {
            c: org.department_by_code(s, c).id for c in ("LZC", "ZLC", "JHC")}


def test_the_office_registers_chases_and_closes_an_item_through_the_pages(client, auth, db):
    users, depts = _ids(db)
    auth.login("clerk")
    form = client.get("/inspection/new?mode=manual").get_data(as_text=True)
    assert "分管领导" in form and "张建国" in form and "林政资源管理处" in form
    started = (calendar.local_today() - timedelta(days=30)).isoformat()
    resp = client.post("/inspection/new?mode=manual", data={
        "csrf_token": auth.csrf("/inspection/new?mode=manual"), "source_kind": "instruction",
        "source_text": "张建国局长批示", "content": "加快松材线虫病疫木除治", "leader_id": users["director"],
        "lead_department_id": depts["LZC"], "co_department_ids": [depts["ZLC"]], "person_id": users["lz_staff"],
        "kind": "urgent", "schedule": "weekly", "registered_on": started}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已立项" in _flashes(html) and "逾期" in html and "紧急" in html
    item_id = int(re.search(r"/inspection/(\d+)/remind", html).group(1))
    assert "in_progress" not in re.sub(r'class="[^"]*"', "", html)  # labels, never state codes
    chased = client.post(f"/inspection/{item_id}/remind", data={
        "csrf_token": auth.csrf(f"/inspection/{item_id}"), "note": "请本周报送"}, follow_redirects=True)
    assert "已催办 陈晓明" in _flashes(chased.get_data(as_text=True))
    again = client.post(f"/inspection/{item_id}/remind", data={
        "csrf_token": auth.csrf(f"/inspection/{item_id}"), "note": ""}, follow_redirects=True)
    assert "分钟后再催" in _flashes(again.get_data(as_text=True))
    moved = client.post(f"/inspection/{item_id}/person", data={
        "csrf_token": auth.csrf(f"/inspection/{item_id}"), "person_id": "not a number"}, follow_redirects=True)
    assert "请选择责任人" in _flashes(moved.get_data(as_text=True))
    overdue = client.get("/inspection/?view=overdue").get_data(as_text=True)
    assert "加快松材线虫病疫木除治" in overdue

    switch(client, auth, "lz_staff")
    mine = client.get("/inspection/?view=mine").get_data(as_text=True)
    assert "加快松材线虫病疫木除治" in mine and 'id="register"' not in mine
    assert client.get("/inspection/new").status_code == 403
    page = f"/inspection/{item_id}"
    done = client.post(f"{page}/feedback", data={"csrf_token": auth.csrf(page), "body": "已除治疫木800株。"},
                       follow_redirects=True)
    assert "进展反馈已报送" in _flashes(done.get_data(as_text=True))
    closing = client.post(f"{page}/closing", data={"csrf_token": auth.csrf(page), "report": "除治完成。"},
                          follow_redirects=True)
    assert "等待办公室审核" in _flashes(closing.get_data(as_text=True))

    switch(client, auth, "clerk")
    judged = client.post(f"{page}/judge", data={"csrf_token": auth.csrf(page), "decision": "return",
                                                "reason": "请补充除治照片。"}, follow_redirects=True)
    assert "已退回" in _flashes(judged.get_data(as_text=True)) and "请补充除治照片" in judged.get_data(as_text=True)
    switch(client, auth, "lz_staff")
    client.post(f"{page}/closing", data={"csrf_token": auth.csrf(page), "report": "除治完成，附照片。"})
    switch(client, auth, "clerk")
    client.post(f"{page}/judge", data={"csrf_token": auth.csrf(page), "decision": "accept", "reason": ""})
    twice = client.post(f"{page}/judge", data={"csrf_token": auth.csrf(page), "decision": "accept", "reason": ""},
                        follow_redirects=True)
    assert "已处理" in _flashes(twice.get_data(as_text=True))
    switch(client, auth, "director")
    confirmed = client.post(f"{page}/confirm", data={"csrf_token": auth.csrf(page)}, follow_redirects=True)
    html = confirmed.get_data(as_text=True)
    assert "已确认办结" in _flashes(html) and "已办结" in html
    with db.session() as s:
        assert s.get(InspectionItem, item_id).state == "closed"


def test_a_meeting_registers_several_items_and_bad_lines_are_named(client, auth, db):
    users, depts = _ids(db)
    auth.login("clerk")
    path = "/inspection/new?mode=meeting"
    data = {"csrf_token": auth.csrf(path), "source_kind": "meeting", "source_text": "第11次局长办公会议",
            "leader_id": users["director"], "lead_department_id": depts["ZLC"], "person_id": users["zl_staff"],
            "kind": "ordinary", "schedule": "monthly", "lines": "编制绿化方案\n储备苗木\n拨付补助资金"}
    html = client.post(path, data=data, follow_redirects=True).get_data(as_text=True)
    assert "已立项 3 项" in _flashes(html)
    plan = "/inspection/new?mode=plan"
    bad = client.post(plan, data={**data, "csrf_token": auth.csrf(plan), "source_kind": "plan",
                                  "lines": "规划修编｜没有日期"}, follow_redirects=True).get_data(as_text=True)
    assert "第1行" in _flashes(bad)
    wrong = client.post(path, data={**data, "person_id": users["lz_staff"], "lines": "一项"},
                        follow_redirects=True).get_data(as_text=True)
    assert "责任人须是主办单位" in _flashes(wrong)


def test_pages_for_office_dept_head_and_staff_with_the_demo(client, auth, db, settings):
    with db.session(write_lock=True) as s:
        demo.seed(s, settings)
    auth.login("clerk")
    for name, sees, hidden in (("clerk", ["松材线虫病", "国土绿化"], []),
                               ("lz_head", ["松材线虫病", "林地保护利用规划"], ["国土绿化"]),
                               ("zl_staff", ["国土绿化", "松材线虫病"], ["林地保护利用规划"]),
                               ("archivist", [], ["松材线虫病", "国土绿化"])):
        switch(client, auth, name)
        html = client.get("/inspection/").get_data(as_text=True)
        for text in sees:
            assert text in html, (name, text)
        for text in hidden:
            assert text not in html, (name, text)
        for link in set(re.findall(r'href="(/inspection/\d+)"', html)):
            page = client.get(link)
            assert page.status_code == 200
            body = page.get_data(as_text=True)
            assert not re.search(r">\s*(in_progress|reported|accepted|closed|instruction|meeting|weekly|LZC|ZLC)\s*<",
                                 body)
        for path in ("/inspection/?view=mine", "/inspection/?view=overdue", "/inspection/?view=soon",
                     "/inspection/?state=closed&source=meeting&overdue=1", "/inspection/report",
                     "/inspection/report?year=abc&q=9"):
            assert client.get(path).status_code == 200, (name, path)
    switch(client, auth, "clerk")
    report = client.get("/inspection/report").get_data(as_text=True)
    assert "林政资源管理处" in report and "<svg" in report
    xlsx = client.get("/inspection/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    docx = client.get("/inspection/report.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK" and "attachment" in docx.headers["Content-Disposition"]
    assert client.get("/inspection/999999").status_code == 404
    switch(client, auth, "lz_staff")
    assert "造林绿化处" not in re.search(r'<table class="grid" id="bulletin">.*?</table>',
                                     client.get("/inspection/report").get_data(as_text=True), re.S).group(0)
    with db.session() as s:
        assert s.scalars(select(InspectionItem)).first() is not None


def test_the_bulletin_pdf_is_made_by_the_worker_never_in_the_request(client, auth, settings):
    from inspection import documents

    auth.login("clerk")
    page = client.get("/inspection/report?year=2026&q=4").get_data(as_text=True)
    assert 'id="pdf-request"' in page
    asked = client.post("/inspection/report/pdf?year=2026&q=4",
                        data={"csrf_token": auth.csrf("/inspection/report?year=2026&q=4")}, follow_redirects=True)
    html = asked.get_data(as_text=True)
    assert "已提交生成 PDF" in _flashes(html) and 'id="pdf-pending"' in html
    again = client.post("/inspection/report/pdf?year=2026&q=4",
                        data={"csrf_token": auth.csrf("/inspection/report?year=2026&q=4")}, follow_redirects=True)
    assert "已处理" in _flashes(again.get_data(as_text=True))
    assert client.get("/inspection/report.pdf?year=2026&q=4").status_code == 404  # not made yet
    assert documents.convert_pending(settings.files_dir, soffice=settings.printing.soffice) == 1  # the worker
    ready = client.get("/inspection/report?year=2026&q=4").get_data(as_text=True)
    assert 'id="pdf-download"' in ready
    pdf = client.get("/inspection/report.pdf?year=2026&q=4")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    pdf.close()
    switch(client, auth, "lz_staff")
    assert 'id="pdf-request"' not in client.get("/inspection/report").get_data(as_text=True)
    refused = client.post("/inspection/report/pdf?year=2026&q=4",
                          data={"csrf_token": auth.csrf("/inspection/report")})
    assert refused.status_code == 403
