"""What changed in the 正文 (issue 13 §5): paragraph-aware differences between versions, read in a
limited child process, shown to whoever acted before the change (returned drafts, 复核)."""

from __future__ import annotations

import io

from docx import Document
from lxml import etree

from core import org
from documents import diffs, drafting, engine
from tests.support.bureau import page

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(paragraphs: list[str], *, tracked: tuple[str, str] | None = None, cell: str = "") -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if tracked:  # a tracked change as Word writes it: <w:del> with delText, <w:ins> with the new run
        old, new = tracked
        p = document.add_paragraph("防火期为")._p
        p.append(etree.fromstring(
            f'<w:del xmlns:w="{W}" w:id="1" w:author="x"><w:r><w:delText>{old}</w:delText></w:r></w:del>'))
        p.append(etree.fromstring(f'<w:ins xmlns:w="{W}" w:id="2" w:author="x"><w:r><w:t>{new}</w:t></w:r></w:ins>'))
    if cell:
        document.add_table(rows=1, cols=1).cell(0, 0).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_paragraphs_are_compared_and_changed_words_marked(tmp_path):
    old, new = tmp_path / "v1.docx", tmp_path / "v2.docx"
    old.write_bytes(_docx(["各区县林业局：", "请于3月底前上报。", "此段将删除。"], cell="值班电话 1234"))
    new.write_bytes(_docx(["各区县林业局：", "请于4月底前上报。", "新增一段说明。"], tracked=("10月", "11月"),
                          cell="值班电话 5678"))
    a, b = diffs.paragraphs(old), diffs.paragraphs(new)
    assert "值班电话 1234" in a and "防火期为11月" in b  # table cells read; tracked insertion kept, deletion not
    result = diffs.compare(a, b)
    statuses = [p.status for p in result]
    assert statuses[0] == "same" and "change" in statuses
    changed = next(p for p in result if p.status == "change" and any(x.text == "4" for x in p.pieces))
    assert [(x.kind, x.text) for x in changed.pieces if x.kind != "same"] == [("delete", "3"), ("insert", "4")]
    assert diffs.changed(result) >= 3


def test_not_a_word_file_cannot_be_compared(tmp_path):
    bad = tmp_path / "x.docx"
    bad.write_bytes(b"%PDF-1.4 not a zip")
    try:
        diffs.paragraphs(bad)
    except diffs.DiffUnavailable as exc:
        assert "无法比较" in str(exc)
    else:
        raise AssertionError("a PDF was read as Word")


def test_a_returned_draft_shows_the_reviewer_what_changed(flow, db, settings, client, auth):
    doc_id = flow.draft(title="关于做好春季造林工作的通知")
    with db.session(write_lock=True) as s:
        drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="main",
                          filename="正文.docx", data=_docx(["各区县林业局：", "请于3月底前完成造林任务。"]))
        s.commit()
    flow.submit(doc_id)
    aid = flow.assignment(doc_id, "lz_head")
    with db.session(write_lock=True) as s:
        engine.return_document(s, settings, doc_id, org.user_by_username(s, "lz_head"), aid,
                                 reasons=["完成时限请改为4月底"])
        s.commit()
    with db.session(write_lock=True) as s:
        drafting.add_file(s, settings.files_dir, doc_id, org.user_by_username(s, "lz_staff"), role="main",
                          filename="正文.docx", data=_docx(["各区县林业局：", "请于4月底前完成造林任务。"]))
        s.commit()
    flow.submit(doc_id)
    auth.login("lz_head")
    html = page(client, doc_id)
    assert 'id="changed-since"' in html
    link = html.split('id="changed-since"><a href="')[1].split('"')[0].replace("&amp;", "&")
    shown = client.get(link).get_data(as_text=True)
    assert "<del>3</del><ins>4</ins>" in shown and "共 1 段有修改" in shown
