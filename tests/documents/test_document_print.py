"""Printing from the document page (issue 12 §4): the print page's choices, routed by the same policy,
with where it goes and why shown before anything is sent."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models.printing import PrintJob
from printing.routing import Policy, PrintRequest, route
from tests.support.bureau import page, switch


def _print_url(client, doc_id):
    html = page(client, doc_id)
    return re.search(rf'href="(/documents/{doc_id}/files/\d+/print)"', html).group(1)


def _route_box(html: str) -> str:
    return re.search(r'<section class="card" id="print-route".*?</section>', html, re.S).group(0)


def test_the_print_form_shows_where_it_goes_and_why_before_sending(client, auth, flow, db):
    doc_id = flow.draft(title="打印去向测试")
    auth.login("lz_staff")
    url = _print_url(client, doc_id)
    box = _route_box(client.get(url).get_data(as_text=True))
    assert "送林政资源管理处打印机" in box and "普通文件，在本处室打印机打印" in box
    box = _route_box(client.get(url, query_string={"media": "A3", "copies": "2"}).get_data(as_text=True))
    assert "送文印室" in box and "A3" in box and "打印 1 页 × 2 份" in box
    box = _route_box(client.get(url, query_string={"prefer_central": "y"}).get_data(as_text=True))
    assert "申请人选择由文印室打印" in box
    box = _route_box(client.get(url, query_string={"page_ranges": "5-9"}).get_data(as_text=True))
    assert "页码范围“5-9”无效：本文件共 1 页" in box
    with db.session() as s:
        assert s.scalar(select(PrintJob)) is None  # estimating printed nothing


def test_printing_sends_the_chosen_options_and_says_the_route(client, auth, flow, db):
    doc_id = flow.draft(title="双面单面测试")
    auth.login("lz_staff")
    url = _print_url(client, doc_id)
    resp = client.post(url, data={"csrf_token": auth.csrf(url), "copies": "3", "duplex": "one", "media": "A4",
                                  "quality": "normal", "page_ranges": ""}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已提交打印《双面单面测试》3 份，送林政资源管理处打印机" in html and "原因：" in html
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.copies == 3 and job.duplex is False and job.tier == "department"
        assert job.options["sides"] == "one-sided"
    # Refused choices keep what was chosen on the form and say why.
    resp = client.post(url, data={"csrf_token": auth.csrf(url), "copies": "1", "page_ranges": "7"})
    assert resp.status_code == 302 and "page_ranges=7" in resp.headers["Location"]
    follow = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "页码范围" in follow
    switch(client, auth, "zl_staff")  # may not see the document, so may not print it either
    assert client.get(url).status_code == 404


def test_a_classified_document_goes_to_the_print_room_and_reads_in_english(client, auth, flow):
    doc_id = flow.draft("lz_head", title="涉密打印测试", classification=2)
    auth.login("lz_head")
    url = _print_url(client, doc_id)
    box = _route_box(client.get(url).get_data(as_text=True))
    assert "送文印室" in box and "涉密文件只能在文印室打印" in box
    client.get("/lang/en")
    box = _route_box(client.get(url).get_data(as_text=True))
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]+>", "", box).replace("涉密打印测试", "")), box


def test_duplex_choice_overrides_the_department_default():
    policy = Policy(department_queues={"LZC": ("dept-lzc",)}, fallback_queues={}, central_department="WYS",
                    central_queues=("wys-room-1",), max_department_pages=50, hold_central=True,
                    department_duplex=True, department_grayscale=True)
    many = PrintRequest(department="LZC", pages=4)
    assert route(many, policy).options["sides"] == "two-sided-long-edge"
    assert "默认双面" in route(many, policy).reasons[-1].text
    one_sided = route(PrintRequest(department="LZC", pages=4, duplex=False), policy)
    assert one_sided.options["sides"] == "one-sided" and "双面" not in " ".join(r.text for r in one_sided.reasons)
    central = route(PrintRequest(department="LZC", pages=4, duplex=True, prefer_central=True), policy)
    assert central.tier == "central" and central.options["sides"] == "two-sided-long-edge"
    assert route(PrintRequest(department="LZC", pages=4, prefer_central=True), policy).options["sides"] == "one-sided"
