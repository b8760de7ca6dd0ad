"""Red-header (套红) templates an admin uploads (issue 13 §2): rendered with docxtpl in a sandbox in the
limited child and measured on the PDF like the built-in layout; a bad template refused at upload with
every reason; a Jinja attack refused or harmless; the page for admins only; the demo bureau's template
used for its 发文."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from core.models.documents import RedheadTemplate
from documents import formal, redhead, redhead_templates
from tests.support.bureau import numbered_document
from tests.support.gbt9704 import CLASSIFIED, FACTS, body_docx, check_colophon, check_head

pytestmark = pytest.mark.slow


def _template_with(tmp_path: Path, *paragraphs: str) -> Path:
    """A small template: the given paragraphs (placeholders in them) in a fresh document."""
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    target = tmp_path / "模板.docx"
    doc.save(str(target))
    return target


@pytest.mark.parametrize("upward", [False, True], ids=["下行文", "上行文"])
def test_the_demo_template_gives_the_standard_layout(tmp_path, upward):
    template = redhead.write_template(tmp_path / "demo.docx")
    assert redhead.check_limited(template) == []
    facts = dataclasses.replace(FACTS, upward=upward, signer="张建国" if upward else "", **CLASSIFIED)
    _docx, pdf = redhead.build_limited(facts, body_docx(tmp_path / "正文.docx", 3), tmp_path / "out", template=template)
    check_head(pdf, facts)
    check_colophon(pdf)
    text = "".join(line.text for page in redhead.pdf_lines(pdf) for line in page)
    for element in ("000001", "秘密★1年", "特急", "各区县林业局，局机关各处室：", "单元00", "附件：1.值班表",
                    "2.联系方式", "2026年3月5日", "抄送：市政府办公室，市应急管理局。", "2026年3月6日印发"):
        assert element in text, element
    assert "{{" not in text and "{%" not in text


def test_a_template_of_its_own_is_used_as_written(tmp_path):  # Chinese and ASCII placeholder names alike
    template = _template_with(tmp_path, "{{ organ_mark }}", "{{ 发文字号 }}　{{ title }}", "{{ body }}",
                              "{% if 抄送 %}抄送：{{ 抄送 }}{% endif %}", "{{ 印发机关 }}{{ 印发日期 }}印发")
    assert redhead.check_limited(template) == []
    _docx, pdf = redhead.build_limited(FACTS, body_docx(tmp_path / "正文.docx", 1), tmp_path / "out", template=template)
    text = [line.text for page in redhead.pdf_lines(pdf) for line in page]
    assert text[:2] == ["示范市林业局文件", "示林发〔2026〕12号关于做好冬春森林防火工作的通知"]
    assert "单元00" in "".join(text) and "抄送：市政府办公室，市应急管理局" in text


def test_bad_templates_are_refused_with_every_reason(tmp_path):
    not_docx = tmp_path / "a.docx"
    not_docx.write_bytes(b"%PDF-1.4 not a word file")
    problems = [str(p) for p in redhead.check_limited(not_docx)]
    assert problems == ["模板不是有效的 Word 文件（.docx）：文件已损坏或不是 zip 格式"]
    good = redhead.write_template(tmp_path / "good.docx").read_bytes()
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good[: len(good) // 2])  # a cut zip
    assert "文件已损坏" in "".join(redhead.check_limited(broken))
    no_word = tmp_path / "zip.docx"
    with zipfile.ZipFile(no_word, "w") as z:
        z.writestr("hello.txt", "a zip, not a Word file")
    assert [str(p) for p in redhead.check_limited(no_word)] == ["模板不是有效的 Word 文件（.docx）"]
    # A syntax error and no 正文 marker: both reasons at once.
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, "{{ 发文字号 ", "{% if %}"))]
    assert len(problems) == 2, problems
    assert "没有「{{ 正文 }}」" in problems[0] and "占位符写法有误" in problems[1]
    # The marker must stand alone in its paragraph.
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, "正文如下：{{ 正文 }}"))]
    assert problems == ["「{{ 正文 }}」须单独成段（不在表格或文本框中），同一段落中不能有其他文字"]
    in_table = Document()
    in_table.add_table(rows=1, cols=1).cell(0, 0).text = "{{ 正文 }}"
    in_table.save(str(tmp_path / "table.docx"))
    assert [str(p) for p in redhead.check_limited(tmp_path / "table.docx")] == problems
    # An expression that fails on the values (not only the sandbox's refusals) is a reason too.
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, "{{ 1 / 0 }}", "{{ 正文 }}"))]
    assert len(problems) == 1 and "无法计算" in problems[0], problems
    # Two markers: the 正文 would go in once and the second would stay as text.
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, "{{ 正文 }}", "{{ body }}"))]
    assert problems == ["「{{ 正文 }}」只能出现一次（模板中有 2 处）"], problems


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__ }}",
    "{{ 标题.__class__.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.system('touch /tmp/pwned-i13') }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 9 ** 9 }}",
])
def test_a_jinja_attack_is_refused(tmp_path, attack):
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, attack, "{{ 正文 }}"))]
    assert problems and "不被允许" in problems[0], problems
    assert not Path("/tmp/pwned-i13").exists()


@pytest.mark.parametrize("attack", [
    # The sandbox escapes closed in jinja2 3.1.5 / 3.1.6 (CVE-2024-56326, CVE-2025-27516): str.format reached
    # through a stored reference or the |attr filter. pyproject.toml requires jinja2 >= 3.1.6.
    "{% set f = '{0.__class__.__init__.__globals__}'.format %}【{{ f(cycler) }}】",
    "【{{ '{0.__class__.__init__.__globals__}'|attr('format')(cycler) }}】",
])
def test_format_strings_reach_nothing_unsafe(tmp_path, attack):
    template = _template_with(tmp_path, attack, "{{ 正文 }}")
    problems = [str(p) for p in redhead.check_limited(template)]
    if problems:  # refused
        assert "不被允许" in problems[0], problems
        return
    rendered = redhead.render_template(template, redhead.sample_facts())  # or rendered harmlessly
    text = "".join(p.text for p in rendered.paragraphs)
    assert "【" in text and "__builtins__" not in text and "<class" not in text and "function" not in text, text


def test_an_attack_that_reached_the_worker_fails_the_formal_version_with_the_reason(tmp_path):
    template = _template_with(tmp_path, "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ 正文 }}")
    with pytest.raises(ValueError, match="不被允许"):
        redhead.build_limited(FACTS, None, tmp_path / "out", template=template)
    assert not (tmp_path / "out" / "套红.pdf").exists()


def test_a_loop_that_blows_up_is_stopped_by_the_child_limit(tmp_path):
    loops = "{% for a in range(100000) %}{% for b in range(100000) %}{{ a }}{% endfor %}{% endfor %}"
    problems = [str(p) for p in redhead.check_limited(_template_with(tmp_path, loops, "{{ 正文 }}"))]  # 2 s
    assert problems and ("已终止" in problems[0] or "渲染失败" in problems[0]), problems


def test_values_are_escaped_not_markup(tmp_path):
    template = _template_with(tmp_path, "{{ 标题 }}", "{{ 正文 }}")
    facts = dataclasses.replace(FACTS, title='关于<w:p>&"测试"的通知')
    _docx, pdf = redhead.build_limited(facts, None, tmp_path / "out", template=template)
    assert redhead.pdf_lines(pdf)[0][0].text == '关于<w:p>&"测试"的通知'


def _upload(client, auth, name: str, filename: str, data: bytes, kind: str = "outgoing"):
    token = auth.csrf("/documents/redhead-templates")
    return client.post("/documents/redhead-templates", data={
        "csrf_token": token, "name": name, "organ": "示范市林业局", "kind": kind,
        "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data", follow_redirects=True)


def test_the_admin_page_lists_uploads_downloads_and_deletes(client, auth, db, settings, tmp_path):
    auth.login("admin")
    page = client.get("/documents/redhead-templates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "示范市林业局发文红头（演示）" in html  # the demo bureau's template
    good = redhead.write_template(tmp_path / "mine.docx").read_bytes()
    html = _upload(client, auth, "办公室签报红头", "签报.docx", good, kind="request").get_data(as_text=True)
    assert "已上传" in html and "办公室签报红头" in html
    with db.session() as s:
        row = s.scalar(select(RedheadTemplate).where(RedheadTemplate.name == "办公室签报红头"))
        assert row.kind == "request" and row.organ == "示范市林业局"
        template_id = row.id
    download = client.get(f"/documents/redhead-templates/{template_id}.docx")
    assert download.status_code == 200 and download.data == good
    download.close()
    # A bad upload: every reason listed at once, nothing stored.
    html = _upload(client, auth, "", "坏.txt", b"{{ broken").get_data(as_text=True)
    for reason in ("请填写模板名称", "模板须为 Word 文件（.docx）", "文件已损坏或不是 zip 格式"):
        assert reason in html, reason
    attack = Document()
    attack.add_paragraph("{{ ''.__class__.__mro__ }}")
    attack.add_paragraph("{{ 正文 }}")
    buffer = io.BytesIO()
    attack.save(buffer)
    html = _upload(client, auth, "攻击", "攻击.docx", buffer.getvalue()).get_data(as_text=True)
    assert "不被允许" in html and "已上传" not in html
    with db.session() as s:
        assert s.scalar(select(RedheadTemplate).where(RedheadTemplate.name == "攻击")) is None
    token = auth.csrf("/documents/redhead-templates")
    html = client.post(f"/documents/redhead-templates/{template_id}/delete", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已删除" in html
    with db.session() as s:
        assert s.get(RedheadTemplate, template_id) is None


def test_the_page_is_refused_to_others(client, auth):
    auth.login("clerk")
    assert client.get("/documents/redhead-templates").status_code == 403
    assert client.get("/documents/redhead-templates/1.docx").status_code == 403


def test_the_demo_bureaus_outgoing_documents_use_its_template(flow, db, settings, tmp_path):
    with db.session() as s:
        chosen = redhead_templates.choose(s, settings.files_dir, "示范市林业局", "outgoing")
        assert chosen is not None and chosen.name == redhead_templates.DEMO_STORED_NAME
        assert redhead_templates.choose(s, settings.files_dir, "示范市林业局", "request") is None  # built-in
    doc_id = numbered_document(flow, db, settings, word=True)
    assert formal.generate_pending(settings, db) == 1
    pdf = formal.folder(settings.files_dir) / f"{doc_id}.pdf"
    number = flow.doc(doc_id).doc_number
    facts = dataclasses.replace(FACTS, doc_number=number, title="关于开展古树名木普查的通知")
    check_head(pdf, facts)
    check_colophon(pdf, cc=False)
