"""Route templates are edited with a form (issue 12 §3): one row per step, JSON only as an export."""

from __future__ import annotations

import json

import lxml.html
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.models.documents import RouteTemplate, SequenceCounter
from documents import ledger


def _form_data(html: str) -> list[tuple[str, str]]:
    """What a browser would send for the route form as shown (checked boxes, selected options)."""
    form = lxml.html.fromstring(html).get_element_by_id("route-form")
    data: list[tuple[str, str]] = []
    for el in form.xpath(".//input|.//select|.//textarea"):
        name = el.get("name")
        if not name:
            continue
        if el.tag == "select":
            data += [(name, o.get("value")) for o in el.xpath(".//option[@selected]")]
            if not el.get("multiple") and not el.xpath(".//option[@selected]"):
                first = el.xpath(".//option")
                data += [(name, first[0].get("value"))] if first else []
        elif el.get("type") == "checkbox":
            if el.get("checked") is not None:
                data.append((name, el.get("value") or "y"))
        elif el.tag == "textarea":
            data.append((name, el.text or ""))
        else:
            data.append((name, el.get("value") or ""))
    return data


def _steps(db, code):
    with db.session() as s:
        return s.scalar(select(RouteTemplate).where(RouteTemplate.code == code)).steps


def test_saving_the_form_unchanged_keeps_the_route_exactly(client, auth, db):
    auth.login("admin")
    before = _steps(db, "outgoing")
    html = client.get("/documents/templates/edit?code=outgoing").get_data(as_text=True)
    assert "局领导签发" in html and "steps" not in lxml.html.fromstring(html).xpath("//textarea/@name")
    resp = client.post("/documents/templates/edit?code=outgoing",
                       data=MultiDict([*_form_data(html), ("action", "save")]))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert _steps(db, "outgoing") == before
    for code in ("incoming", "request"):
        before = _steps(db, code)
        html = client.get(f"/documents/templates/edit?code={code}").get_data(as_text=True)
        client.post(f"/documents/templates/edit?code={code}", data=MultiDict([*_form_data(html), ("action", "save")]))
        assert _steps(db, code) == before


def test_add_reorder_remove_and_change_a_countersign(client, auth, db):
    auth.login("admin")
    html = client.get("/documents/templates/edit?code=request").get_data(as_text=True)
    data = dict_multi = _form_data(html)
    # 添加步骤 gives a blank row and saves nothing.
    added = client.post("/documents/templates/edit?code=request", data=MultiDict([*data, ("action", "add")]))
    page = added.get_data(as_text=True)
    assert page.count('class="route-step card"') == len(_steps(db, "request")) + 1
    data = _form_data(page)
    n = len(_steps(db, "request"))  # the new row's index
    values = dict(data)
    assert values[f"step-{n}-name"] == ""
    data = [(k, v) for k, v in data if not k.startswith(f"step-{n}-")] + [
        (f"step-{n}-name", "分管领导阅"), (f"step-{n}-key", "deputy_read"), (f"step-{n}-kind", "approve"),
        (f"step-{n}-who", "person"), (f"step-{n}-username", "deputy"), (f"step-{n}-order", "3.5"),
    ]
    # The 会签 becomes "any one department finishes", and the office check is removed.
    data = [(k, v) for k, v in data if k != "step-1-mode"] + [("step-1-mode", "any"), ("step-2-remove", "1")]
    resp = client.post("/documents/templates/edit?code=request", data=MultiDict([*data, ("action", "save")]))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    steps = _steps(db, "request")
    assert [s["key"] for s in steps] == ["dept_review", "countersign", "deputy_read", "sign", "file"]
    assert steps[1]["mode"] == "any" and steps[2]["assignee"] == {"who": "person", "username": "deputy"}
    assert dict_multi  # the original form data was read


def test_every_problem_is_named_and_nothing_is_saved(client, auth, db):
    auth.login("admin")
    before = _steps(db, "outgoing")
    html = client.get("/documents/templates/edit?code=outgoing").get_data(as_text=True)
    data = [(k, v) for k, v in _form_data(html) if k not in ("step-0-name", "step-4-code", "step-1-key")]
    data += [("step-0-name", ""), ("step-4-code", ""), ("step-1-key", "dept_review")]
    page = client.post("/documents/templates/edit?code=outgoing", data=MultiDict([*data, ("action", "save")]))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "第1步：请填写步骤名称" in text and "第2步：key「dept_review」重复" in text
    assert "第5步：编号步骤需要 code" in text
    assert _steps(db, "outgoing") == before


def test_the_next_number_is_previewed_and_never_taken(client, auth, db, settings):
    auth.login("admin")
    year = ledger.local_year()
    html = client.get("/documents/templates/edit?code=outgoing").get_data(as_text=True)
    with db.session() as s:
        last = s.scalar(select(SequenceCounter.last_value).where(SequenceCounter.scope == f"wh:示林发:{year}")) or 0
    expected = f"示林发〔{year}〕{last + 1}号"
    assert f'<output class="number-preview" aria-live="polite">{expected}</output>' in html
    for _ in range(2):
        assert client.get("/documents/templates/number-preview?code={organ}函").get_json() == {
            "number": f"示林函〔{year}〕1号"}
    with db.session() as s:
        assert s.scalar(select(SequenceCounter).where(SequenceCounter.scope == f"wh:示林函:{year}")) is None
    exported = client.get("/documents/templates/outgoing.json")
    assert "attachment" in exported.headers["Content-Disposition"]
    assert json.loads(exported.get_data(as_text=True))["steps"] == _steps(db, "outgoing")
    auth.logout()
    auth.login("clerk")
    assert client.get("/documents/templates/number-preview?code=x").status_code == 403
