"""办结率, overdue counts and handling time computed from a known fixture; the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlalchemy import select

from config import Settings
from core import calendar
from core.db import Database
from core.models.documents import Document, DocumentAction, RouteTemplate
from supervision import figures
from supervision.figures import Period
from tests.support.bureau import People, at

TODAY = date(2026, 11, 25)


def make(s, dept: str, *, submitted: date, deadline: date | None, completed: date | None = None,
         state: str | None = None, urgency: str = "normal", lead: str | None = None) -> int:
    p = People(s)
    drafter = {"LZC": p.lz_staff, "ZLC": p.zl_staff, "BGS": p.clerk}[dept]
    template = s.scalar(select(RouteTemplate).where(RouteTemplate.kind == "outgoing"))
    doc = Document(kind="outgoing", title=f"{dept}-{submitted}-{deadline}", urgency=urgency, classification=1,
                   department_id=drafter.department_id, drafter_id=drafter.id, template_id=template.id,
                   state=state or ("filed" if completed else "active"), deadline=deadline,
                   created_at=at(submitted, 8), completed_at=at(completed, 16) if completed else None,
                   route_plan={}, co_departments=[], distribution={}, version=1)
    if lead:
        doc.lead_department_id = next(d.id for d in [p.zl_head.department, p.lz_head.department, p.clerk.department]
                                      if d.code == lead)
    s.add(doc)
    s.flush()
    s.add(DocumentAction(document_id=doc.id, action="submit", actor_id=drafter.id, at=at(submitted, 9)))
    return doc.id


def fixture(s) -> None:
    # LZC, October 2026: 3 due; 2 on time, 1 late.
    make(s, "LZC", submitted=date(2026, 9, 28), deadline=date(2026, 10, 12), completed=date(2026, 10, 9))  # 4 wd
    make(s, "LZC", submitted=date(2026, 10, 12), deadline=date(2026, 10, 16), completed=date(2026, 10, 16))  # 4 wd
    make(s, "LZC", submitted=date(2026, 10, 19), deadline=date(2026, 10, 20), completed=date(2026, 10, 22))  # late
    # ZLC, October: 1 due, still open after its deadline (late, and open-overdue now).
    make(s, "ZLC", submitted=date(2026, 10, 26), deadline=date(2026, 10, 30))
    # ZLC, November: 1 due later this month, open, not late yet (today is 11-25).
    make(s, "ZLC", submitted=date(2026, 11, 20), deadline=date(2026, 11, 30))
    # A 收文 owned by BGS with 主办 LZC counts for LZC: due in November, done on time.
    make(s, "BGS", submitted=date(2026, 11, 2), deadline=date(2026, 11, 6), completed=date(2026, 11, 5), lead="LZC")
    # No deadline set: the default (平件, 10 working days) from 2026-11-02 is 11-16; done 11-17: late.
    make(s, "LZC", submitted=date(2026, 11, 2), deadline=None, completed=date(2026, 11, 17))
    # Drafts and cancelled ones never count.
    make(s, "LZC", submitted=date(2026, 10, 5), deadline=date(2026, 10, 9), state="draft")
    make(s, "LZC", submitted=date(2026, 10, 5), deadline=date(2026, 10, 9), state="cancelled")


def test_monthly_and_quarterly_figures(db: Database, settings: Settings) -> None:
    cfg = settings.supervision
    with db.session() as s:
        fixture(s)
    with db.session() as s:
        cal = calendar.load(s)
        p = People(s)
        lzc, zlc = p.lz_staff.department_id, p.zl_staff.department_id
        october = figures.compute(s, cfg, cal, Period(2026, month=10), today=TODAY)
        assert (october[lzc].due, october[lzc].on_time, october[lzc].late) == (3, 2, 1)
        assert abs(october[lzc].rate - 2 / 3) < 1e-9
        assert october[lzc].completed == 3
        # Working days: 9-28 -> 10-09 is 4 (the 国庆 block), 10-12 -> 10-16 is 4, 10-19 -> 10-22 is 3.
        assert sorted(october[lzc].handling_days) == [3, 4, 4]
        assert abs(october[lzc].average_days - 11 / 3) < 1e-9
        assert (october[zlc].due, october[zlc].on_time, october[zlc].late, october[zlc].open_overdue) == (1, 0, 1, 1)
        assert october[None].due == 4 and october[None].on_time == 2
        november = figures.compute(s, cfg, cal, Period(2026, month=11), today=TODAY)
        assert (november[lzc].due, november[lzc].on_time, november[lzc].late) == (2, 1, 1)
        assert (november[zlc].due, november[zlc].late) == (1, 0)
        q4 = figures.compute(s, cfg, cal, Period(2026, quarter=4), today=TODAY)
        assert (q4[lzc].due, q4[lzc].on_time) == (5, 3)
        assert q4[None].due == 7 and q4[None].open_overdue == 1
        # A department head's view: only their own department.
        only = figures.compute(s, cfg, cal, Period(2026, quarter=4), today=TODAY, department_ids=[zlc])
        assert set(only) == {zlc, None} and only[None].due == 2


def test_csv_export(db: Database, settings: Settings) -> None:
    with db.session() as s:
        fixture(s)
    with db.session() as s:
        tbl = figures.table(s, settings.supervision, calendar.load(s), figures.quarters(2026), today=TODAY)
        text = figures.to_csv(tbl)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:6] == ["期间", "部门代码", "部门", "应办结", "按期办结", "逾期"]
    q4_lzc = next(r for r in rows if r[0] == "2026年第4季度" and r[1] == "LZC")
    assert q4_lzc[3:7] == ["5", "3", "2", "60.0"]
    total = next(r for r in rows if r[0] == "2026年第4季度" and r[2] == "全局合计")
    assert total[3] == "7"
    q1 = next(r for r in rows if r[0] == "2026年第1季度" and r[1] == "LZC")
    assert q1[3] == "0" and q1[6] == ""  # nothing due: no rate rather than 0%
