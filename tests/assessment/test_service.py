"""目标绩效考核 rules: the office enters and imports targets (all rows or none), 自查 due dates on the calendar
or on working days, late marking, the office's summary, the year's components and the reminders."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from assessment import demo, exports, importer, service
from assessment.service import AssessmentError, ItemEntry, TargetDraft
from core import calendar, org
from core.models import AuditEvent
from core.models.assessment import AssessmentTarget, SelfCheck, SelfCheckReminder
from core.models.base import BUREAU_ZONE
from core.models.supervision import Notification

YEAR = 2026


def _user(s, name):
    return org.user_by_username(s, name)


def _dept(s, code):
    return org.department_by_code(s, code)


def _at(day: date, hour: int = 10) -> datetime:
    """A bureau wall-clock time on `day`, as aware UTC."""
    return datetime.combine(day, time(hour), BUREAU_ZONE).astimezone(UTC)


def _xlsx(rows: list[list[object]], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers or importer.TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _targets(s, settings, code: str, n: int = 2) -> list[AssessmentTarget]:
    clerk = _user(s, "clerk")
    return [service.add_target(s, settings, clerk, YEAR, TargetDraft(
        department_id=_dept(s, code).id, category="work", content=f"{code}目标{i}", measure="验收为准",
        person="负责人", milestones=("一季度节点", "二季度节点", "三季度节点", "四季度节点"), weight=float(i)))
        for i in range(1, n + 1)]


def _all(targets: list[AssessmentTarget], status: str = "done") -> dict[int, ItemEntry]:
    return {t.id: ItemEntry(status, "已按计划完成") for t in targets}


def _working(settings):
    return dataclasses.replace(settings, assessment=dataclasses.replace(settings.assessment,
                                                                         self_check_day_kind="working"))


def test_only_the_office_enters_targets_and_a_double_post_adds_nothing(settings, db):
    with db.session(write_lock=True) as s:
        draft = TargetDraft(department_id=_dept(s, "ZLC").id, category="work", content="完成人工造林1.2万亩",
                            measure="以核查验收面积为准", person="杨海涛",
                            milestones=("作业设计", "春季造林", "补植", "验收"))
        target = service.add_target(s, settings, _user(s, "office_head"), YEAR, draft)
        assert (target.q2, target.weight, target.department.code) == ("春季造林", None, "ZLC")
        for name in ("zl_head", "lz_staff", "director"):
            with pytest.raises(AssessmentError, match="由办公室负责"):
                service.add_target(s, settings, _user(s, name), YEAR, dataclasses.replace(draft, content="别的目标"))
        with pytest.raises(AssessmentError, match="已处理"):
            service.add_target(s, settings, _user(s, "clerk"), YEAR, draft)
        with pytest.raises(AssessmentError) as many:
            service.add_target(s, settings, _user(s, "clerk"), YEAR, TargetDraft(
                department_id=None, category="nonsense", content="", weight=-1))
        assert len(many.value.problems) == 4  # department, category, content, weight: all at once
        assert s.scalar(select(func.count(AssessmentTarget.id))) == 1
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "assessment.target.create")) is not None


def test_the_import_is_all_or_nothing_and_lists_every_wrong_row(settings, db):
    good = ["造林绿化处", "业务工作目标", "完成森林抚育3万亩", "以验收为准", "杨海涛", "设计", "1万亩", "2万亩",
            "3万亩", 20]
    with db.session(write_lock=True) as s:
        clerk = _user(s, "clerk")
        data = _xlsx([
            good,
            ["不存在处", "业务工作目标", "目标A", "", "", "", "", "", "", ""],
            ["林政资源管理处", "业务目标", "目标B", "", "", "", "", "", "", "十分"],
            ["林政资源管理处", "党风廉政建设目标", "", "", "", "", "", "", "", ""],
            [None] * 10,  # an empty row is skipped
            list(good),  # the same target twice in one file
        ])
        with pytest.raises(AssessmentError) as refused:
            importer.import_file(s, settings, clerk, YEAR, "目标.xlsx", data)
        text = "\n".join(refused.value.problems)
        assert "未导入任何目标：5处错误" in refused.value.problems[0]
        assert "第3行：部门「不存在处」不存在" in text
        assert "第4行：类别「业务目标」无效" in text and "第4行：分值「十分」不是数字" in text
        assert "第5行：请填写目标内容" in text
        assert "第7行：与第2行重复" in text
        assert s.scalar(select(func.count(AssessmentTarget.id))) == 0  # nothing imported
        made = importer.import_file(s, settings, clerk, YEAR, "目标.xlsx", _xlsx([good, [
            "办公室", "党风廉政建设目标", "落实主体责任", "无违纪案件", "王秀英", "签责任书", "", "", "", None]]))
        assert [(t.department.code, t.category, t.weight) for t in made] == [("ZLC", "work", 20.0),
                                                                            ("BGS", "integrity", None)]
        with pytest.raises(AssessmentError) as again:
            importer.import_file(s, settings, clerk, YEAR, "目标.xlsx", _xlsx([good]))  # a second import adds nothing
        assert "第2行：造林绿化处 2026年已有相同目标" in again.value.problems[1]
        with pytest.raises(AssessmentError, match="办公室"):
            importer.import_file(s, settings, _user(s, "zl_head"), YEAR, "目标.xlsx", _xlsx([good]))
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "assessment.targets.import")) is not None


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


def _not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("目标.xlsx", b"", "文件是空的"),
    ("目标.xls", b"PK whatever", "请上传 .xlsx"),
    ("目标.xlsx", b"PK\x03\x04 broken", "不是有效的 .xlsx"),
    ("目标.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "已加密"),
    ("目标.xlsx", b"PK" + b"\0" * (importer.MAX_BYTES + 1), "超过 2 MB"),
    ("目标.xlsx", _bomb(), "解压后过大"),
    ("目标.xlsx", _not_a_workbook(), "无法读取"),
    ("目标.xlsx", _xlsx([["造林绿化处", "业务工作目标", f"目标{i}"] for i in range(importer.MAX_ROWS + 1)]),
     "超过500行"),
    ("目标.xlsx", _xlsx([["造林绿化处", "x"]], headers=["处室", "类别"]), "表头缺少：部门、目标内容"),
    ("目标.xlsx", _xlsx([]), "只有表头"),
])
def test_bad_files_are_refused_with_what_to_do(settings, db, name, data, message):
    with db.session(write_lock=True) as s:
        with pytest.raises(AssessmentError, match=message):
            importer.import_file(s, settings, _user(s, "clerk"), YEAR, name, data)
        assert s.scalar(select(func.count(AssessmentTarget.id))) == 0


def test_the_template_offered_for_download_imports_as_it_is(settings, db):
    with db.session(write_lock=True) as s:
        made = importer.import_file(s, settings, _user(s, "clerk"), YEAR, "模板.xlsx", importer.template_bytes())
        assert [t.department.code for t in made] == ["ZLC", "BGS"]


def test_due_dates_count_calendar_days_by_default_and_working_days_when_set(settings, db):
    with db.session() as s:
        cal = calendar.load(s)
    assert settings.assessment.self_check_day_kind == "calendar" and settings.assessment.self_check_days == 5
    assert service.due_date(settings, cal, YEAR, 1) == date(2026, 4, 5)  # the seed's 4月5日, a Sunday in 清明
    assert service.due_date(settings, cal, YEAR, 3) == date(2026, 10, 5)
    assert service.due_date(settings, cal, YEAR, 4) == date(2027, 1, 5)
    working = _working(settings)
    # 国庆 1-7 October 2026 off, Saturday 10 October a 调休 working day: 8, 9, 10, 12, 13 October.
    assert service.due_date(working, cal, YEAR, 3) == date(2026, 10, 13)
    # 清明 4-6 April 2026: 1, 2, 3, 7, 8 April.
    assert service.due_date(working, cal, YEAR, 1) == date(2026, 4, 8)
    plain = calendar.WorkCalendar()  # without the holidays the same quarter would be due on 7 October
    assert service.due_date(working, plain, YEAR, 3) == date(2026, 10, 7)


def test_late_submission_is_marked_on_the_bureau_date_and_kept_after_a_return(settings, db):
    working = _working(settings)
    with db.session(write_lock=True) as s:
        own = _targets(s, settings, "LZC")
        head, clerk = _user(s, "lz_head"), _user(s, "clerk")
        # 12 October 23:30 in the bureau (15:30 UTC) is inside the working-day window (due 13 October) ...
        on_time = service.submit(s, working, head, own[0].department_id, YEAR, 3, _all(own),
                                 now=datetime(2026, 10, 12, 15, 30, tzinfo=UTC))
        assert on_time.late is False
        service.return_report(s, settings, clerk, on_time.id, "请补充林长巡林记录。")
        s.flush()
        # ... and the same moment is late on calendar days (due 5 October).
        zl = _targets(s, settings, "ZLC")
        late = service.submit(s, settings, _user(s, "zl_head"), zl[0].department_id, YEAR, 3, _all(zl),
                              now=_at(date(2026, 10, 6), 0))
        assert late.late is True
        again = service.submit(s, working, head, own[0].department_id, YEAR, 3, _all(own),
                               now=_at(date(2026, 10, 20)))
        assert again.id == on_time.id and again.late is False and again.state == "submitted"  # judged at first
        # The last minute of the due date, bureau time (16:00 UTC the day before is midnight in Shanghai).
        yb = _targets(s, settings, "YBC", 1)
        last_minute = service.submit(s, settings, clerk, yb[0].department_id, YEAR, 3, _all(yb),
                                     now=datetime(2026, 10, 5, 15, 59, tzinfo=UTC))
        assert last_minute.late is False and last_minute.on_behalf is True


def test_who_submits_what_and_every_problem_at_once(settings, db):
    with db.session(write_lock=True) as s:
        own = _targets(s, settings, "LZC", 3)
        dept = own[0].department_id
        now = _at(date(2026, 4, 2))
        with pytest.raises(AssessmentError, match="处室负责人提交"):
            service.submit(s, settings, _user(s, "lz_staff"), dept, YEAR, 1, _all(own), now=now)
        with pytest.raises(AssessmentError, match="处室负责人提交"):
            service.submit(s, settings, _user(s, "zl_head"), dept, YEAR, 1, _all(own), now=now)
        with pytest.raises(AssessmentError, match="2026-06-01 起提交"):
            service.submit(s, settings, _user(s, "lz_head"), dept, YEAR, 2, _all(own), now=now)
        entries = {own[0].id: ItemEntry("done", ""), own[1].id: ItemEntry("behind", "  ")}
        with pytest.raises(AssessmentError) as refused:
            service.submit(s, settings, _user(s, "lz_head"), dept, YEAR, 1, entries, now=now)
        assert len(refused.value.problems) == 3 and "第3项目标" in refused.value.problems[2]
        entries[own[1].id] = ItemEntry("behind", "受汛期影响，下季度补齐。")
        entries[own[0].id] = ItemEntry("done", "已完成")
        entries[own[2].id] = ItemEntry("not_started", "")
        report = service.submit(s, settings, _user(s, "lz_head"), dept, YEAR, 1, entries, "总体平稳", now=now)
        assert {i.status for i in report.items} == {"done", "behind", "not_started"} and not report.late
        with pytest.raises(AssessmentError, match="已处理"):  # a double post does not submit twice
            service.submit(s, settings, _user(s, "lz_head"), dept, YEAR, 1, entries, now=now)
        told = s.scalars(select(Notification).where(Notification.kind == "info")).all()
        assert {n.user_id for n in told} == {u.id for u in org.office_people(s, settings)}
        with pytest.raises(AssessmentError, match="办公室"):
            service.return_report(s, settings, _user(s, "lz_head"), report.id, "自己退回")
        service.return_report(s, settings, _user(s, "clerk"), report.id, "请补充佐证材料。")
        with pytest.raises(AssessmentError, match="已处理"):
            service.return_report(s, settings, _user(s, "clerk"), report.id, "再退一次")
        returned = s.scalars(select(Notification).where(Notification.kind == "returned")).all()
        assert [n.user_id for n in returned] == [_user(s, "lz_head").id]
        assert s.scalar(select(AuditEvent).where(AuditEvent.kind == "assessment.self_check.return")) is not None


def test_the_summary_shows_who_reported_who_is_late_and_who_is_missing(settings, db):
    with db.session(write_lock=True) as s:
        lz, zl, _yb = _targets(s, settings, "LZC"), _targets(s, settings, "ZLC"), _targets(s, settings, "YBC")
        service.submit(s, settings, _user(s, "lz_head"), lz[0].department_id, YEAR, 2,
                       {lz[0].id: ItemEntry("done", "完成"), lz[1].id: ItemEntry("behind", "资金未到位")},
                       now=_at(date(2026, 7, 3)))
        before = service.summary(s, settings, _user(s, "clerk"), YEAR, 2, today=date(2026, 7, 4))
        assert {r.department.code: r.state for r in before.rows} == {"LZC": "on_time", "ZLC": "pending",
                                                                     "YBC": "pending"}
        service.submit(s, settings, _user(s, "zl_head"), zl[0].department_id, YEAR, 2, _all(zl, "in_progress"),
                       now=_at(date(2026, 7, 8)))
        after = service.summary(s, settings, _user(s, "office_head"), YEAR, 2, today=date(2026, 7, 10))
        states = {r.department.code: r.state for r in after.rows}
        assert states == {"LZC": "on_time", "ZLC": "late", "YBC": "missing"}
        assert after.due == date(2026, 7, 5) and len(after.reported) == 2
        assert after.status_counts() == {"not_started": 0, "in_progress": 2, "done": 1, "behind": 1}
        lz_row = next(r for r in after.rows if r.department.code == "LZC")
        assert lz_row.statuses[lz[1].id].evidence == "资金未到位"
        for name in ("lz_head", "lz_staff", "director"):
            with pytest.raises(AssessmentError, match="办公室"):
                service.summary(s, settings, _user(s, name), YEAR, 2)
        # The exports carry the same facts.
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(exports.summary_xlsx(after))).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0][:3] == ["处室", "报送情况", "报送时间"] and len(rows) == 1 + 6
        assert rows[-1][:2] == ["野生动植物保护处", "未报送"] and "资金未到位" in [r[-1] for r in rows]
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(exports.analysis_docx(after, "示范市林业局"))).paragraphs)
        assert "2026年第二季度目标绩效自查情况分析报告" in text and "逾期报送：造林绿化处" in text
        assert "未报送：野生动植物保护处" in text and "资金未到位" in text


def test_components_are_combined_with_the_weights(settings, db):
    weights = {"targets": 0.7, "reporting": 0.15, "inspection": 0.15}
    assert service.combine({"targets": 80.0, "reporting": 100.0, "inspection": 60.0}, weights) == 80.0
    # A component without data is left out; the others' weights carry the total.
    assert service.combine({"targets": 80.0, "reporting": 100.0, "inspection": None}, weights) == pytest.approx(
        (0.7 * 80 + 0.15 * 100) / 0.85, abs=0.05)
    assert service.combine({"targets": None, "reporting": None, "inspection": None}, weights) is None
    assert service.reporting_component({1: 12.0, 2: 6.0, 3: -2.0}, [1, 2, 3, 4]) == {1: 100.0, 2: 50.0, 3: 0.0,
                                                                                    4: 0.0}
    assert service.reporting_component({}, [1, 2]) == {}
    figures = {1: {"items": 4, "on_time": 2, "overdue": 1, "closed": 2}, 2: {"items": 0, "on_time": 0, "overdue": 0,
                                                                            "closed": 0}}
    assert service.inspection_component(figures, [1, 2, 3]) == {1: 75.0}
    with db.session(write_lock=True) as s:
        lz = _targets(s, settings, "LZC")  # weights 1 and 2
        zl = _targets(s, settings, "ZLC")
        service.submit(s, settings, _user(s, "lz_head"), lz[0].department_id, YEAR, 1, _all(lz, "in_progress"),
                       now=_at(date(2026, 4, 1)))
        service.submit(s, settings, _user(s, "lz_head"), lz[0].department_id, YEAR, 2,
                       {lz[0].id: ItemEntry("behind", "原因"), lz[1].id: ItemEntry("done", "完成")},
                       now=_at(date(2026, 7, 1)))
        scores = service.target_scores(s, YEAR)  # the latest report counts: (1 x 0.3 + 2 x 1.0) / 3
        assert scores == {lz[0].department_id: 76.7, zl[0].department_id: 0.0}
        rows = [service.YearRow(_dept(s, c), {}, total) for c, total in (("LZC", 70.0), ("ZLC", 90.0),
                                                                        ("YBC", 70.0), ("FHB", None))]
        service.rank_rows(rows)
        assert [(r.department.code, r.rank) for r in rows] == [("ZLC", 1), ("LZC", 2), ("YBC", 2), ("FHB", 4)]


def test_the_year_assessment_uses_the_reporting_and_inspection_figures(settings, db):
    with db.session(write_lock=True) as s:
        lz = _targets(s, settings, "LZC")
        service.submit(s, settings, _user(s, "lz_head"), lz[0].department_id, YEAR, 1, _all(lz),
                       now=_at(date(2026, 4, 1)))
        rows = service.year_assessment(s, settings, YEAR)
        assert [r.department.code for r in rows] == ["LZC"]
        assert rows[0].components["targets"] == 100.0 and set(rows[0].components) == {"targets", "reporting",
                                                                                        "inspection"}
        assert rows[0].total == service.combine(rows[0].components, settings.assessment.component_weights)


def test_reminders_go_once_per_department_and_quarter_and_the_office_hears_who_is_missing(settings, db):
    with db.session(write_lock=True) as s:
        lz, _zl, _yb = _targets(s, settings, "LZC"), _targets(s, settings, "ZLC"), _targets(s, settings, "YBC")
        service.submit(s, settings, _user(s, "lz_head"), lz[0].department_id, YEAR, 3, _all(lz),
                       now=_at(date(2026, 10, 2)))
        assert service.remind_due(s, settings, today=date(2026, 10, 4)) == 0  # not yet due
        made = service.remind_due(s, settings, today=date(2026, 10, 5))
        notes = s.scalars(select(Notification).where(Notification.link.like("/assessment/%"),
                                                     Notification.kind.in_(("reminder", "info")))).all()
        reminded = {n.user_id for n in notes if n.kind == "reminder"}
        assert _user(s, "zl_head").id in reminded and _user(s, "lz_head").id not in reminded
        office = [n for n in notes if n.kind == "info" and "尚未报送" in n.title]
        assert office and "造林绿化处、野生动植物保护处" in office[0].title
        assert made == len(reminded) + len(office)
        assert service.remind_due(s, settings, today=date(2026, 10, 5)) == 0  # idempotent
        assert service.remind_due(s, settings, today=date(2026, 10, 8)) == 0
        s.commit()
        assert s.scalar(select(func.count(SelfCheckReminder.id))) == 3  # two departments and the office
        assert service.remind_due(s, settings, today=date(2026, 10, 20)) == 0  # past the window
    with db.session(write_lock=True) as s:  # working days: the same quarter is due on 13 October
        s.execute(SelfCheckReminder.__table__.delete())
        assert service.remind_due(s, _working(settings), today=date(2026, 10, 12)) == 0
        assert service.remind_due(s, _working(settings), today=date(2026, 10, 13)) > 0


def test_the_demo_fills_every_department_and_seeding_twice_adds_nothing(settings, db):
    with db.session(write_lock=True) as s:
        made = demo.seed(s, settings)
        assert made >= 2 * len(demo.TARGETS)
        assert demo.seed(s, settings) == 0
        year = calendar.local_today().year
        assert len(service.assessed_departments(s, year)) == len(demo.TARGETS)
        reports = s.scalars(select(SelfCheck)).all()
        quarters = {r.quarter for r in reports}
        if 3 in quarters:
            summary = service.summary(s, settings, _user(s, "clerk"), year, 3)
            assert [r.department.code for r in summary.rows if r.state == "missing"] == ["WYS"]
            late = service.summary(s, settings, _user(s, "clerk"), year, 2)
            assert [r.department.code for r in late.rows if r.state == "late"] == ["YBC"]


def test_the_worker_runs_the_reminders(settings, db):
    from intranet.worker import default_jobs

    jobs, _services = default_jobs(settings, db)
    job = next(j for j in jobs if j.name == "assessment")
    assert isinstance(job.run(), int)  # runs in its own session and commits


def test_the_year_assessment_takes_the_demo_bureaus_reporting_and_inspection_figures(settings, db):
    from inspection import demo as inspection_demo
    from inspection.report import year_figures
    from reporting import demo as reporting_demo
    from reporting.ranking import year_scores

    with db.session(write_lock=True) as s:
        reporting_demo.seed(s, settings)
        inspection_demo.seed(s, settings)
        demo.seed(s, settings)
        s.commit()
        year = calendar.local_today().year
        rows = service.year_assessment(s, settings, year)
        ids = [r.department.id for r in rows]
        reporting = service.reporting_component(year_scores(s, settings, year), ids)
        inspection = service.inspection_component(year_figures(s, settings, year), ids)
        assert len(rows) == len(demo.TARGETS)
        for row in rows:
            assert row.components["reporting"] == reporting.get(row.department.id)
            assert row.components["inspection"] == inspection.get(row.department.id)
            assert row.total == service.combine(row.components, settings.assessment.component_weights)
        assert any(r.components["reporting"] for r in rows) and any(r.components["inspection"] is not None
                                                                   for r in rows)
        assert [r.rank for r in rows] == sorted(r.rank for r in rows)
