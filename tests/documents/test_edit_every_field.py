"""An edit changes the field it changes and nothing else (issue 16 §7): every field of the edit form, at every
state where someone has the form (草稿, 审核中, waiting for 编号, after 编号), posted through the real page;
every other field of the document — those the form showed and those it did not (印发份数, 分发, 文号) — is
compared before and after."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date

import pytest

from tests.support.bureau import FULL_PLAN, walk_to_number

KEPT = ("title", "urgency", "classification", "main_recipients", "cc_recipients", "deadline", "retention",
        "source_organ", "source_number", "received_on", "copies", "distribution", "doc_number", "drafter_id",
        "department_id", "kind", "template_code")
# What each form field is changed to (as posted) and what the document then holds.
CHANGES = {
    "title": ("关于开展秋季森林防火检查的通知", "关于开展秋季森林防火检查的通知"),
    "urgency": ("very_urgent", "very_urgent"),
    "classification": ("0", 0),
    "main_recipients": ("各处室、各直属单位", "各处室、各直属单位"),
    "cc_recipients": ("市政府办公室", "市政府办公室"),
    "deadline": ("2026-12-30", date(2026, 12, 30)),
    "retention": ("D10", "D10"),
    "source_organ": ("省林业和草原局", "省林业和草原局"),
    "source_number": ("川林函〔2026〕99号", "川林函〔2026〕99号"),
    "received_on": ("2026-11-02", date(2026, 11, 2)),
}


def _form(page: str, doc_id: int) -> dict[str, str] | None:
    """The edit form's fields as the browser would post them, or None when the page has no edit form."""
    start = page.find(f'action="/documents/{doc_id}/edit"')
    if start < 0:
        return None
    form = page[start:page.index("</form>", start)]
    posted: dict[str, str] = {}
    for tag in re.finditer(r"<(input|select|textarea)\b([^>]*)>", form):
        name = re.search(r'name="([^"]+)"', tag.group(2))
        if name is None:
            continue
        if tag.group(1) == "input":
            value = re.search(r'value="([^"]*)"', tag.group(2))
            posted[name.group(1)] = htmllib.unescape(value.group(1)) if value else ""
        elif tag.group(1) == "select":
            body = form[tag.end():form.index("</select>", tag.end())]
            options = re.findall(r"<option\b([^>]*)>", body)
            chosen = next((o for o in options if re.search(r"\bselected\b", o)), options[0] if options else "")
            value = re.search(r'value="([^"]*)"', chosen)
            posted[name.group(1)] = value.group(1) if value else ""
        else:
            posted[name.group(1)] = htmllib.unescape(form[tag.end():form.index("</textarea>", tag.end())])
    return posted


def _fields(flow, doc_id: int) -> dict[str, object]:
    doc = flow.doc(doc_id)
    return {name: getattr(doc, name, None) for name in KEPT}


def _to(flow, state: str) -> int:
    if state == "收文草稿":
        return flow.draft("clerk", kind="incoming", title="省厅关于松材线虫病普查的通知", source_organ="省林业厅",
                          source_number="川林函〔2026〕8号", received_on=date(2026, 3, 2), cc_recipients="造林绿化处")
    doc_id = flow.draft(plan=FULL_PLAN, cc_recipients="市林业科学研究所", deadline=date(2026, 12, 1))
    if state == "审核中":
        flow.submit(doc_id)
    elif state in ("待编号", "已编号"):
        walk_to_number(flow, doc_id)
        if state == "已编号":
            flow.approve(doc_id, "clerk", copies=30, distribution_departments=["LZC", "ZLC"])
    return doc_id


@pytest.mark.parametrize("state", ["草稿", "审核中", "待编号", "已编号", "收文草稿"])
def test_each_field_edited_alone_changes_only_itself(state, flow, client, auth):
    edited = 0
    for field, (posted_value, stored) in CHANGES.items():
        doc_id = _to(flow, state)
        form = None
        for editor in ("lz_staff", "clerk", "lz_head", "office_head"):  # whoever has the edit form now
            auth.login(editor)
            form = _form(client.get(f"/documents/{doc_id}").get_data(as_text=True), doc_id)
            if form is not None:
                break
            auth.logout()
        if form is None:
            assert state not in ("草稿", "收文草稿"), "a draft is always editable by its drafter"
            return  # nobody edits at this state: nothing can be wiped through the page
        if field not in form:
            auth.logout()
            continue  # not on this kind's form (来文机关 on a 发文): kept, checked with every other field
        before = _fields(flow, doc_id)
        assert before[field] != stored, field
        resp = client.post(f"/documents/{doc_id}/edit", data={**form, field: posted_value}, follow_redirects=True)
        assert "已保存修改" in resp.get_data(as_text=True), (state, field)
        after = _fields(flow, doc_id)
        assert after[field] == stored, (state, field)
        assert {k: v for k, v in after.items() if k != field} == {k: v for k, v in before.items() if k != field}, \
            (state, field)
        edited += 1
        auth.logout()
    assert edited >= 6, (state, edited)  # title, urgency, 密级, 主送, 抄送, 期限, 保管期限 (and 来文 fields)
