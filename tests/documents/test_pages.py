"""The document pages through the real app: drafting with uploads, acting, lists, visibility, XSS, exports."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from core.models.documents import Document, StepAssignment
from tests.library.realfiles import docx_bytes
from tests.support import inflating_docx, make_pdf
from tests.support.bureau import field, page, submit_without_main_text, switch

XSS = "<script>alert('x')</script>"


def new_document(client, auth, title, *, filename="正文.pdf", classification="1"):
    token = auth.csrf("/documents/new?kind=outgoing")
    resp = client.post("/documents/new", data={
        "csrf_token": token, "kind": "outgoing", "title": title, "urgency": "urgent",
        "classification": classification, "retention": "D30", "main_recipients": "各区县林业局",
        "main_file": (io.BytesIO(make_pdf()), filename),
    }, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return int(resp.headers["Location"].rstrip("/").split("/")[-1])


def act(client, auth, doc_id, **data):
    html = page(client, doc_id)
    form = {"csrf_token": auth.csrf(f"/documents/{doc_id}"), "op": "complete",
            "assignment_id": field(html, "assignment_id"), "version": field(html, "version"), **data}
    return client.post(f"/documents/{doc_id}/act", data=form, follow_redirects=True)


def test_draft_submit_approve_in_the_browser_forms(client, auth, db):
    auth.login("lz_staff")
    doc_id = new_document(client, auth, "关于林木采伐许可的请示" + XSS, filename=f"{XSS}.pdf")
    html = page(client, doc_id)
    assert XSS not in html and "&lt;script&gt;" in html
    resp = client.post(f"/documents/{doc_id}/plan", data={
        "csrf_token": auth.csrf(f"/documents/{doc_id}"), "version": field(html, "version"),
        "use_countersign": "1", "departments_countersign": ["ZLC"]}, follow_redirects=True)
    assert "路由已调整" in resp.get_data(as_text=True)
    html = page(client, doc_id)
    resp = client.post(f"/documents/{doc_id}/submit", data={
        "csrf_token": auth.csrf(f"/documents/{doc_id}"), "version": field(html, "version")}, follow_redirects=True)
    assert "已提交" in resp.get_data(as_text=True)

    switch(client, auth, "lz_head")
    inbox = client.get("/documents/").get_data(as_text=True)
    assert "关于林木采伐许可的请示" in inbox and 'id="count-inbox">1<' in inbox
    assert client.get("/documents/?q=采伐").get_data(as_text=True).count(f'/documents/{doc_id}"') == 1
    html = page(client, doc_id)
    form = {"csrf_token": auth.csrf(f"/documents/{doc_id}"), "op": "complete",
            "assignment_id": field(html, "assignment_id"), "version": field(html, "version"), "opinion": "同意" + XSS}
    first = client.post(f"/documents/{doc_id}/act", data=form, follow_redirects=True).get_data(as_text=True)
    assert "已办理" in first
    again = client.post(f"/documents/{doc_id}/act", data=form, follow_redirects=True).get_data(as_text=True)
    assert "您已处理过此步骤" in again  # a double click does not act twice
    html = page(client, doc_id)
    assert XSS not in html and "同意&lt;script&gt;" in html
    assert "已办" in client.get("/documents/handled").get_data(as_text=True)

    switch(client, auth, "zl_head")
    html = act(client, auth, doc_id, opinion="会签同意").get_data(as_text=True)
    assert "办公室核稿" in html


def test_return_with_reasons_and_drafter_sees_them(client, auth):
    auth.login("lz_staff")
    doc_id = new_document(client, auth, "需要退回的文件")
    html = page(client, doc_id)
    client.post(f"/documents/{doc_id}/submit", data={"csrf_token": auth.csrf("/documents/"),
                                                     "version": field(html, "version")})
    switch(client, auth, "lz_head")
    html = page(client, doc_id)
    resp = client.post(f"/documents/{doc_id}/act", data={
        "csrf_token": auth.csrf("/documents/"), "op": "return", "assignment_id": field(html, "assignment_id"),
        "version": field(html, "version"), "reasons": "第一条问题\n\n第二条问题\n", "target_step": ""},
        follow_redirects=True)
    assert "一次性告知" in resp.get_data(as_text=True)
    switch(client, auth, "lz_staff")
    html = page(client, doc_id)
    assert "第一条问题" in html and "第二条问题" in html and "已退回修改" in html
    assert 'id="submit-button"' in html


def test_no_access_by_guessing_ids(client, auth, db):
    auth.login("lz_staff")
    doc_id = new_document(client, auth, "内部文件")
    secret_id = new_document(client, auth, "秘密文件", classification="1")
    with db.session() as s:
        s.get(Document, secret_id).classification = 2  # raised later by a cleared editor
    for username, doc, visible in [
        ("zl_staff", doc_id, False),  # another department's staff
        ("zl_head", doc_id, False),  # another department's head
        ("lz_head", doc_id, True),  # the drafter's department head
        ("director", doc_id, True),  # a leader
        ("archivist", doc_id, False),  # not filed yet
        ("lz_head", secret_id, True),  # cleared (2) head of the department
        ("deputy", secret_id, True),
    ]:
        switch(client, auth, username)
        status = client.get(f"/documents/{doc}").status_code
        assert status == (200 if visible else 404), (username, doc, status)
        if not visible:
            assert client.get(f"/documents/{doc}/sheet.pdf").status_code == 404
    switch(client, auth, "zl_staff")
    assert client.get("/documents/999999").status_code == 404


def test_classified_hidden_from_uncleared(client, auth, db):
    auth.login("clerk")  # clearance 2
    token = auth.csrf("/documents/new?kind=request")
    resp = client.post("/documents/new", data={"csrf_token": token, "kind": "request", "title": "秘密签报",
                                               "urgency": "normal", "classification": "2", "retention": "Y"})
    doc_id = int(resp.headers["Location"].rsplit("/", 1)[-1])
    with db.session() as s:
        s.execute(select(Document).where(Document.id == doc_id))
    switch(client, auth, "lz_staff")  # clearance 1
    assert client.get(f"/documents/{doc_id}").status_code == 404
    switch(client, auth, "office_head")  # head of BGS, clearance 3
    assert client.get(f"/documents/{doc_id}").status_code == 200


def test_registers_and_templates_pages(client, auth, flow):
    doc_id = flow.draft()
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    flow.approve(doc_id, "office_head")
    flow.approve(doc_id, "director")
    flow.approve(doc_id, "clerk", copies=3)
    auth.login("clerk")
    html = client.get("/documents/register").get_data(as_text=True)
    number = flow.doc(doc_id).doc_number
    assert number in html
    xlsx = client.get("/documents/register?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    csv = client.get("/documents/register?format=csv").data.decode("utf-8-sig")
    assert number in csv
    assert client.get("/documents/catalogue").status_code == 200
    assert client.get("/documents/templates").status_code == 403
    switch(client, auth, "admin")
    html = client.get("/documents/templates").get_data(as_text=True)
    assert "局领导签发" in html and "局领导批办" in html
    edit = client.get("/documents/templates/edit?code=outgoing").get_data(as_text=True)
    assert "office_review" in edit
    resp = client.post("/documents/templates/edit?code=outgoing", data={
        "csrf_token": auth.csrf("/documents/templates"), "code": "outgoing", "name": "发文", "kind": "outgoing",
        "active": "y", "action": "save", "step-0-key": "x", "step-0-name": "审核", "step-0-kind": "approve",
        "step-0-who": "nobody"})
    assert "assignee.who" in resp.get_data(as_text=True)
    switch(client, auth, "lz_staff")
    assert client.get("/documents/register").status_code == 403


def test_two_heads_click_at_once_one_wins(client, auth, flow, db, app):
    from core import org
    from core.permissions import Role

    with db.session() as s:
        org.create_user(s, "office_head2", "副主任", department_code="BGS", roles=[Role.DEPT_HEAD],
                        password="demo-Passw0rd", clearance=3)
    doc_id = flow.draft()
    flow.submit(doc_id)
    flow.approve(doc_id, "lz_head")
    other = app.test_client()
    from tests.support.app import AuthActions

    other_auth = AuthActions(other)
    auth.login("office_head")
    other_auth.login("office_head2")
    forms = []
    for c, a in ((client, auth), (other, other_auth)):
        html = c.get(f"/documents/{doc_id}").get_data(as_text=True)
        forms.append({"csrf_token": a.csrf(f"/documents/{doc_id}"), "op": "complete",
                      "assignment_id": field(html, "assignment_id"), "version": field(html, "version")})
    one = client.post(f"/documents/{doc_id}/act", data=forms[0], follow_redirects=True).get_data(as_text=True)
    two = other.post(f"/documents/{doc_id}/act", data=forms[1], follow_redirects=True).get_data(as_text=True)
    assert "已办理" in one
    assert "此步骤已由王秀英处理" in two
    with db.session() as s:
        done = s.scalars(select(StepAssignment).where(StepAssignment.document_id == doc_id,
                                                      StepAssignment.state == "done")).all()
        assert len(done) == 2  # lz_head and exactly one office head


def test_filing_through_the_page_hands_metadata_to_the_indexer(client, auth, flow, db, settings):
    from core.models.files import RecordMetadata

    doc_id = flow.draft(title="归档元数据测试")
    flow.submit(doc_id)
    for username in ("lz_head", "office_head", "director", "clerk", "clerk"):
        flow.approve(doc_id, username)
    auth.login("clerk")
    html = act(client, auth, doc_id, retention="D10").get_data(as_text=True)
    assert "已办理" in html and "已归档" in html
    number = flow.doc(doc_id).archive_number
    assert number.endswith("-D10-LZC-0001") and number in html
    with db.session() as s:
        rows = s.scalars(select(RecordMetadata)).all()
        assert sorted(r.relpath.rsplit("/", 1)[1] for r in rows) == ["发文稿纸.pdf", "正文-正文.pdf"]
        assert {r.archive_number for r in rows} == {number} and {r.retention for r in rows} == {"D10"}
        assert all((settings.archive_dir / r.relpath).is_file() for r in rows)
    sheet = client.get(f"/documents/{doc_id}/sheet.pdf")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
    switch(client, auth, "archivist")  # archivists see filed documents
    assert client.get(f"/documents/{doc_id}").status_code == 200


def test_print_the_main_text_from_the_document_page(client, auth, flow, db):
    from core.models.printing import PrintJob

    doc_id = flow.draft(title="打印测试")
    auth.login("lz_staff")
    html = page(client, doc_id)
    file_id = int(re.search(rf'/documents/{doc_id}/files/(\d+)/print', html).group(1))
    resp = client.post(f"/documents/{doc_id}/files/{file_id}/print",
                       data={"csrf_token": auth.csrf("/documents/"), "copies": "2"}, follow_redirects=True)
    assert "已提交打印《打印测试》2 份" in resp.get_data(as_text=True)
    with db.session() as s:
        job = s.scalar(select(PrintJob))
        assert job.title == "打印测试" and job.copies == 2 and job.username == "lz_staff"
    switch(client, auth, "zl_staff")  # may not see it, so may not print it
    assert client.post(f"/documents/{doc_id}/files/{file_id}/print",
                       data={"csrf_token": auth.csrf("/documents/"), "copies": "1"}).status_code == 404


def test_submit_lists_every_missing_item(client, auth):
    html, bad = submit_without_main_text(client, auth)
    assert "请上传正文" in html and 'id="doc-state">草稿<' in html
    assert "格式不支持" in bad


def test_incoming_route_through_the_pages(client, auth, flow):
    auth.login("clerk")
    token = auth.csrf("/documents/new?kind=incoming")
    resp = client.post("/documents/new", data={
        "csrf_token": token, "kind": "incoming", "title": "省林业厅关于开展松材线虫病普查的通知", "urgency": "urgent",
        "classification": "1", "retention": "D30", "source_organ": "省林业厅", "source_number": "川林函〔2026〕8号",
        "received_on": "2026-03-02", "main_file": (io.BytesIO(make_pdf()), "来文.pdf"),
    }, content_type="multipart/form-data")
    doc_id = int(resp.headers["Location"].rsplit("/", 1)[-1])
    html = page(client, doc_id)
    assert "签收登记" in html and "川林函〔2026〕8号" in html
    client.post(f"/documents/{doc_id}/submit", data={"csrf_token": auth.csrf("/documents/"),
                                                     "version": field(html, "version")})
    assert "已办理" in act(client, auth, doc_id, opinion="属我局职责").get_data(as_text=True)  # 初审
    switch(client, auth, "office_head")
    act(client, auth, doc_id, opinion="拟请林政处主办，造林处协办")  # 拟办
    switch(client, auth, "director")
    html = page(client, doc_id)
    assert 'id="lead_department"' in html
    act(client, auth, doc_id, opinion="同意", lead_department="LZC", co_departments=["ZLC"])  # 批办
    assert flow.active(doc_id) == "承办"
    for username in ("zl_head", "lz_head", "lz_head"):  # 协办, 主办, then 办结
        switch(client, auth, username)
        assert "已办理" in act(client, auth, doc_id, opinion="已办理").get_data(as_text=True)
    switch(client, auth, "clerk")
    html = act(client, auth, doc_id, retention="D30").get_data(as_text=True)
    assert "已归档" in html and "J001-WS·2026-D30-LZC-0001" in html


def test_sending_an_incoming_document_back(client, auth, flow):
    doc_id = flow.draft("clerk", kind="incoming", title="不属于本局的来文", source_organ="某公司")
    flow.submit(doc_id, "clerk")
    auth.login("clerk")
    html = page(client, doc_id)
    resp = client.post(f"/documents/{doc_id}/act", data={
        "csrf_token": auth.csrf("/documents/"), "op": "send_back", "assignment_id": field(html, "assignment_id"),
        "version": field(html, "version"), "reasons": "不属于本局职责\n未加盖公章"},
        follow_redirects=True).get_data(as_text=True)
    assert "已退回来文单位" in resp and "未加盖公章" in resp


def _upload(client, auth, doc_id: int, name: str, data: bytes) -> str:
    html = page(client, doc_id)
    client.post(f"/documents/{doc_id}/files", data={
        "csrf_token": auth.csrf("/documents/"), "version": field(html, "version"), "role": "attachment",
        "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    html = page(client, doc_id)
    row = html[html.index(name):]
    return re.search(rf'/documents/{doc_id}/files/(\d+)/preview', row).group(1)


@pytest.mark.slow
def test_docx_preview_is_converted_by_the_worker_not_the_request(client, auth, flow, db, settings):
    from core import storage

    doc_id = flow.draft(title="预览测试")
    auth.login("lz_staff")
    file_id = _upload(client, auth, doc_id, "附件.docx", docx_bytes("附件正文"))
    url = f"/documents/{doc_id}/files/{file_id}/preview"
    waiting = client.get(url)
    assert waiting.status_code == 200 and "正在生成预览" in waiting.get_data(as_text=True)
    assert storage.convert_previews(settings.files_dir, soffice=settings.printing.soffice, timeout=60) == 1
    resp = client.get(url)
    try:
        assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    finally:
        resp.close()


def test_an_inflating_docx_is_refused_with_its_reason_and_a_retry(client, auth, flow, db, settings):
    from core import storage

    doc_id = flow.draft(title="压缩炸弹测试")
    auth.login("lz_staff")
    file_id = _upload(client, auth, doc_id, "炸弹.docx", inflating_docx())
    url = f"/documents/{doc_id}/files/{file_id}/preview"
    assert "正在生成预览" in client.get(url).get_data(as_text=True)
    storage.convert_previews(settings.files_dir, soffice=settings.printing.soffice, timeout=60)
    html = client.get(url).get_data(as_text=True)
    assert "无法生成预览" in html and "压缩炸弹" in html and "重试" in html
    resp = client.post(url + "/retry", data={"csrf_token": auth.csrf("/documents/")})
    assert resp.status_code == 302 and "正在生成预览" in client.get(url).get_data(as_text=True)


def test_page_counts_of_uploads_are_read_in_a_limited_child(tmp_path):
    """A .docx whose docProps/app.xml inflates past the limit: no count, quickly, and the caller unharmed."""
    import resource
    import time

    from core import storage

    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(inflating_docx(200, "docProps/app.xml"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    assert storage.page_count(bomb, "bomb.docx") is None
    assert time.monotonic() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KB: nothing inflated here
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(make_pdf("两页中的一页"))
    assert storage.page_count(pdf, "a.pdf") == 1


def test_the_route_shown_is_the_route_submitted(client, auth, flow, db, settings):
    """提交 sends the route as the form shows it, without a separate 保存路由 (issue 12 §1.1)."""
    from core.models.documents import RouteStep

    doc_id = flow.draft(title="路由即所见测试")
    auth.login("lz_staff")
    html = page(client, doc_id)
    form = {"csrf_token": auth.csrf(f"/documents/{doc_id}"), "version": field(html, "version"), "plan_shown": "1",
            "use_countersign": "1"}
    # 会签 ticked without a department: refused with the reason, nothing submitted.
    resp = client.post(f"/documents/{doc_id}/submit", data=form, follow_redirects=True)
    assert "请为它选择至少一个会签部门" in resp.get_data(as_text=True)
    assert flow.doc(doc_id).state == "draft"
    html = page(client, doc_id)
    form.update(version=field(html, "version"), departments_countersign="ZLC")
    client.post(f"/documents/{doc_id}/submit", data=form)
    with db.session() as s:
        names = [r.name for r in s.scalars(select(RouteStep).where(RouteStep.document_id == doc_id))]
        assert any("会签" in n for n in names), names
    assert flow.doc(doc_id).state == "active"


def _flash(html: str) -> str:
    return " ".join(re.findall(r'<div class="flash success"[^>]*>(.*?)</div>', html, re.S))


def test_each_action_says_what_happened_and_where_the_document_is(client, auth, flow):
    """Issue 12 §3: who holds it now, the 文号 given, the 档号, or that the route is finished."""
    doc_id = flow.draft(title="办理结果提示测试")
    flow.submit(doc_id)
    auth.login("lz_head")
    said = _flash(act(client, auth, doc_id, opinion="同意").get_data(as_text=True))
    assert "现由" in said and "办理「办公室核稿」" in said, said
    flow.approve(doc_id, "office_head")
    switch(client, auth, "director")
    said = _flash(act(client, auth, doc_id, opinion="同意印发").get_data(as_text=True))
    assert "办理「编号」" in said, said
    switch(client, auth, "clerk")
    said = _flash(act(client, auth, doc_id, copies="5").get_data(as_text=True))
    number = flow.doc(doc_id).doc_number
    assert f"文号：{number}" in said and "办理「分发」" in said, said
    flow.approve(doc_id, "clerk")  # 分发
    said = _flash(act(client, auth, doc_id, retention="D30").get_data(as_text=True))
    assert f"档号 {flow.doc(doc_id).archive_number}" in said and "流程结束" in said, said
    client.get("/lang/en")
    other = flow.draft(title="英文提示测试")
    flow.submit(other)
    switch(client, auth, "lz_head")
    client.get("/lang/en")
    said = _flash(act(client, auth, other, opinion="ok").get_data(as_text=True))
    assert "Done." in said or "now" in said.lower(), said


def test_the_history_of_changes_reads_in_english(client, auth, flow, db, settings):
    from core import org
    from documents import drafting, engine

    doc_id = flow.draft(title="关于变更记录的通知")
    with db.session(write_lock=True) as s:
        actor = org.user_by_username(s, "lz_staff")
        doc = s.get(engine.Document, doc_id)
        drafting.update_fields(s, doc_id, actor, drafting.DraftFields(
            title="关于变更记录的通知（修改）", urgency="urgent", classification=1, main_recipients="各区县林业局"),
            expected_version=doc.version)
        s.commit()
    auth.login("lz_staff")
    chinese = page(client, doc_id)
    assert "紧急程度：「平件」改为「加急」" in chinese  # labels, not codes
    client.get("/lang/en")
    english = page(client, doc_id)
    changes = " ".join(re.findall(r'<ul class="changes">(.*?)</ul>', english, re.S))
    assert "changed to" in changes and "改为" not in changes, changes
