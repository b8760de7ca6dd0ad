"""The demo bureau's 督查督办事项: a 批示件 (from a 收文 when the demo has one) overdue and chased, a meeting's
three decisions, a key-task plan with milestones, progress reports, and one item 办结 and confirmed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org
from core.models.documents import Document
from core.models.inspection import InspectionItem
from inspection import service
from inspection.service import ItemDraft


def _at(day: date, hour: int = 10) -> datetime:
    """A believable moment of a past local day (aware UTC)."""
    return calendar.day_start(day) + timedelta(hours=hour)


def seed(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Register the demo items once (nothing when any item exists or the accounts are missing); return how
    many were made. The caller's transaction is committed."""
    if session.scalar(select(func.count(InspectionItem.id))):
        return 0
    names = ("clerk", "office_head", "director", "deputy", "lz_head", "lz_staff", "zl_head", "zl_staff")
    found = {name: org.user_by_username(session, name) for name in names}
    user = {name: person for name, person in found.items() if person is not None}
    depts = {code: org.department_by_code(session, code) for code in ("LZC", "ZLC", "JHC", "FHB")}
    if len(user) < len(names) or any(d is None for d in depts.values()):
        return 0
    dept = {code: d.id for code, d in depts.items() if d is not None}
    today = today or calendar.local_today()
    clerk = user["clerk"]
    made: list[InspectionItem] = []

    def register(draft: ItemDraft, registered: date) -> InspectionItem:
        draft.registered_on = registered
        item = service.register(session, settings, clerk, draft, today=today, now=_at(registered, 9))
        item.created_at = item.updated_at = _at(registered, 9)
        made.append(item)
        return item

    # 1. A 批示件: from a 收文 when the demo has one, urgent, weekly reports, now overdue and chased.
    incoming = session.scalar(select(Document).where(Document.kind == "incoming").order_by(Document.id))
    start = today - timedelta(days=20)
    instruction = register(ItemDraft(
        source_kind="instruction", document_id=incoming.id if incoming else None,
        source_text="" if incoming else "张建国局长在《松材线虫病疫情监测情况报告》上的批示",
        content="" if incoming else "落实张建国局长批示：加快松材线虫病疫木除治，确保年底前完成清理任务",
        leader_id=user["director"].id, lead_department_id=dept["LZC"], co_department_ids=(dept["ZLC"],),
        person_id=user["lz_staff"].id, kind="urgent", schedule="weekly"), start)
    service.submit_feedback(session, settings, user["lz_staff"], instruction.id,
                            "已组织东城区、西山县开展疫木普查，发现疫木1260株，除治方案已报分管领导。",
                            now=_at(start + timedelta(days=4), 16))
    service.remind(session, settings, clerk, instruction.id, note="请于本周内报送除治进度。",
                   now=_at(today - timedelta(days=2), 10))

    # 2. A meeting's three decisions (会议议定事项), monthly reports.
    meeting_day = today - timedelta(days=12)
    base = ItemDraft(source_kind="meeting", source_text="2026年第11次局长办公会议",
                     leader_id=user["deputy"].id, lead_department_id=dept["ZLC"], person_id=user["zl_staff"].id,
                     kind="ordinary", schedule="monthly", registered_on=meeting_day)
    for n, (line, co, progress) in enumerate((
            ("抓紧编制2027年国土绿化实施方案，12月底前报局党组审议", (), "实施方案初稿已完成，正在征求各区县意见。"),
            ("做好冬春季义务植树苗木储备，摸清各苗圃可供苗木数量", (), "已摸清市属3个苗圃可供苗木12.6万株。"),
            ("会同计划财务处落实2026年造林补助资金拨付", (dept["JHC"],), "首批拨付文件正在会签。"))):
        item = register(ItemDraft(**{**base.__dict__, "content": line, "co_department_ids": co}), meeting_day)
        service.submit_feedback(session, settings, user["zl_staff"], item.id, progress,
                                now=_at(meeting_day + timedelta(days=3 + n), 15))

    # 3. A key-task plan (重点工作): two items with milestones.
    plan_day = today - timedelta(days=8)
    plan = ItemDraft(source_kind="plan", source_text="2026年度重点工作任务分解方案", leader_id=user["director"].id,
                     lead_department_id=dept["LZC"], person_id=user["lz_staff"].id, schedule="milestones")
    for content, steps in (
            ("完成林地保护利用规划修编", ((30, "完成规划修编初稿"), (75, "通过专家评审并报批"))),
            ("推进林长制考核办法落地", ((20, "起草考核办法征求意见稿"), (50, "印发实施")))):
        register(ItemDraft(**{**plan.__dict__, "content": content, "milestones": tuple(
            (plan_day + timedelta(days=d), what) for d, what in steps)}), plan_day)

    # 4. An item 办结 and confirmed by its leader.
    done_day = today - timedelta(days=40)
    done = register(ItemDraft(
        source_kind="manual", source_text="局党组会议交办", content="开展古树名木资源普查成果核查，形成核查报告",
        leader_id=user["deputy"].id, lead_department_id=dept["ZLC"], person_id=user["zl_staff"].id,
        schedule="none"), done_day)
    service.submit_feedback(session, settings, user["zl_staff"], done.id, "已完成城区古树名木外业核查，共核查326株。",
                            now=_at(done_day + timedelta(days=7), 11))
    service.submit_closing(session, settings, user["zl_staff"], done.id,
                           "核查工作已全部完成，形成《古树名木资源普查成果核查报告》，新增挂牌保护古树18株。",
                           now=_at(done_day + timedelta(days=18), 16))
    service.judge(session, settings, clerk, done.id, accept=True, now=_at(done_day + timedelta(days=19), 10))
    service.confirm(session, settings, user["deputy"], done.id, now=_at(done_day + timedelta(days=20), 9))

    # 5. Items of the other units that have people (办公室, 档案室, 文印室), so the 通报 and the year's
    # assessment show more than two departments: one closed on time, one in progress, one overdue.
    others = (
        ("BGS", "clerk", "修订局机关公文处理办法，统一发文稿纸和套红模板", 60, 25, True),
        ("DAS", "archivist", "完成2025年度文书档案整理归档和移交进馆准备", 45, 30, False),
        ("WYS", "printroom", "建立涉密文件印制登记和销毁台账", 35, -5, False),
    )
    for code, person_name, content, ago, deadline_in, closed in others:
        unit, person = org.department_by_code(session, code), org.user_by_username(session, person_name)
        if unit is None or person is None or not person.active:
            continue
        day = today - timedelta(days=ago)
        item = register(ItemDraft(
            source_kind="manual", source_text="局长办公会议交办", content=content, leader_id=user["director"].id,
            lead_department_id=unit.id, person_id=person.id, schedule="monthly",
            deadline=today + timedelta(days=deadline_in)), day)
        service.submit_feedback(session, settings, person, item.id, "已制定工作方案，正在推进。",
                                now=_at(day + timedelta(days=10), 15))
        if closed:
            service.submit_closing(session, settings, person, item.id, "已按要求完成，相关制度已印发执行。",
                                   now=_at(today - timedelta(days=6), 16))
            service.judge(session, settings, clerk, item.id, accept=True, now=_at(today - timedelta(days=5), 10))
            service.confirm(session, settings, user["director"], item.id, now=_at(today - timedelta(days=4), 9))
    session.commit()
    return len(made)
