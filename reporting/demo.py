"""The demo bureau's year of 政务信息报送: three outside units, weekly items from every unit (some units keen,
some not), issues of 信息专报 and 工作简报 with adopted items, adoption by higher levels, a late 突发事件
during the National Day holiday, a 约稿 with replies, a returned item and a few waiting for review.

Rows are written directly (a year of history would otherwise ring the office's bell hundreds of times);
the recent ones go through the service. Seeding twice adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org
from core.models import User
from core.models.base import BUREAU_ZONE, utcnow
from core.models.reporting import Adoption, Issue, Item, OutsideUnit
from reporting import service
from reporting.service import ItemDraft, Unit

OUTSIDE = ("示范市国有林场", "示范市森林公园管理处", "示范市林木种苗站")
# How keen each unit is: the chance it sends an item in a given week.
KEEN = {"LZC": 0.95, "ZLC": 0.9, "FHB": 0.85, "BGS": 0.75, "YBC": 0.7, "ZFC": 0.55, "JHC": 0.45, "DAS": 0.25,
        "WYS": 0.15, OUTSIDE[0]: 0.8, OUTSIDE[1]: 0.6, OUTSIDE[2]: 0.35}
TOPICS = {
    "LZC": ["林木采伐限额执行情况", "森林督查图斑核查进展", "林长制巡林工作开展情况", "林地保护利用管理"],
    "ZLC": ["春季造林绿化进度", "国土绿化试点示范项目推进", "义务植树活动开展情况", "退化林修复工作"],
    "FHB": ["森林防火隐患排查整治", "野外火源管控工作", "森林消防队伍应急演练", "防火物资储备检查"],
    "BGS": ["机关作风建设", "政务公开工作", "林业系统安全生产检查", "信访维稳工作"],
    "YBC": ["候鸟迁徙季保护工作", "野生动物疫源疫病监测", "打击破坏野生动植物资源违法犯罪", "古树名木保护"],
    "ZFC": ["林业行政执法监督", "普法宣传进林区", "行政审批服务优化", "规范性文件清理"],
    "JHC": ["林业项目资金执行进度", "林业生态补偿资金发放", "预算绩效管理"],
    "DAS": ["档案数字化工作", "林权档案规范管理"],
    "WYS": ["公文印制保障"],
    OUTSIDE[0]: ["森林抚育", "苗圃育苗", "护林员队伍管理"],
    OUTSIDE[1]: ["游客服务", "森林康养基地建设", "自然教育活动"],
    OUTSIDE[2]: ["良种基地建设", "林木种苗质量抽检"],
}
BODIES = {
    "work": ("近期，{unit}围绕{topic}，细化任务分工，压实工作责任，各项工作有序推进。"
             "下一步将继续加强督促检查，确保按期完成年度目标任务。"),
    "practice": ("{unit}在{topic}中探索形成“清单化管理、闭环式推进”的做法：建立问题台账，"
                 "明确责任人和完成时限，定期调度通报，取得明显成效。"),
    "suggestion": ("在{topic}中发现部分基层单位人员力量不足、经费保障不到位等问题。"
                   "建议加大资金和人员支持力度，完善考核激励机制。"),
}


def _at(day: date, rnd: random.Random) -> datetime:
    return datetime.combine(day, time(rnd.randint(8, 17), rnd.choice((0, 10, 20, 30, 40, 50))), BUREAU_ZONE)


def seed(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Write the demo year once (nothing when any item exists or this is not the demo bureau); return how
    many items were made. Commits."""
    if session.scalar(select(func.count(Item.id))):
        return 0
    clerk, head = org.user_by_username(session, "clerk"), org.user_by_username(session, "office_head")
    if clerk is None or head is None:
        return 0
    now = now or utcnow()
    today = calendar.local_date(now)
    rnd = random.Random(14)
    cal = calendar.load(session)
    start = service.week_start(date(today.year, 1, 7))  # the year's first full week
    existing = {u.name: u for u in session.scalars(select(OutsideUnit))}
    for name in OUTSIDE:
        if name not in existing:
            existing[name] = OutsideUnit(name=name, active=True, sort_order=100 + OUTSIDE.index(name),
                                         created_at=calendar.day_start(start))
            session.add(existing[name])
    session.flush()
    targets: list[tuple[Unit, str, list[User]]] = []
    for dept in org.departments(session):
        people = list(session.scalars(select(User).where(User.department_id == dept.id, User.active.is_(True),
                                                         User.username != "admin").order_by(User.id)))
        targets.append((Unit(f"d:{dept.id}", dept.name, department_id=dept.id), dept.code, people))
    for name in OUTSIDE:
        row = existing[name]
        targets.append((Unit(f"u:{row.id}", name, outside_unit_id=row.id), name, []))
    made: list[Item] = []
    monday = service.week_start(start)
    last_week = service.week_start(today) - timedelta(days=7)
    while monday <= last_week:
        for unit, code, people in targets:
            if rnd.random() > KEEN.get(code, 0.5):
                continue
            days = [monday + timedelta(days=i) for i in range(5) if cal.is_workday(monday + timedelta(days=i))]
            if not days:
                continue
            when = _at(rnd.choice(days), rnd)
            topic = rnd.choice(TOPICS.get(code, ["重点工作"]))
            category = rnd.choices(("work", "practice", "suggestion"), (7, 2, 1))[0]
            title = f"{unit.name}{topic}" if category == "work" else (
                f"{unit.name}扎实推进{topic}" if category == "practice" else f"关于{topic}有关问题的建议")
            author = rnd.choice(people) if people else clerk
            made.append(Item(
                department_id=unit.department_id, outside_unit_id=unit.outside_unit_id, title=title,
                body=BODIES[category].format(unit=unit.name, topic=topic), category=category, late=False,
                status="noted", entered_by_id=author.id, on_behalf=not people, submitted_at=when,
                week_start=monday, return_reasons=[], times_returned=0, updated_at=when))
        monday += timedelta(days=7)
    made += _urgent(session, clerk, today, now)
    session.add_all(made)
    session.flush()
    _adopt_history(session, settings, clerk, made, rnd, today)
    extra = _recent(session, settings, clerk, head, today, now, existing)
    session.commit()
    return len(made) + extra


def _urgent(session: Session, clerk: User, today: date, now: datetime) -> list[Item]:
    """Two 突发事件 of the year: one reported within the 4 hours, one late during the National Day holiday."""
    out = []
    for code, title, event, delay, body in (
            ("YBC", "群众救助受伤国家二级保护野生动物红隼", datetime(today.year, 5, 17, 10, 5, tzinfo=BUREAU_ZONE),
             timedelta(hours=2, minutes=10), "5月17日10时许，市民在城东公园发现一只受伤红隼，野生动植物保护处接报后"
             "立即联系救护中心，经检查为翅部外伤，现已妥善救治。"),
            ("FHB", "示范市城郊林区发生一起森林火情", datetime(today.year, 10, 2, 21, 40, tzinfo=BUREAU_ZONE),
             timedelta(hours=4, minutes=35), "10月2日21时40分，城郊林区发生一起森林火情。接报后，局森林防火办公室"
             "立即启动应急预案，组织专业扑火队伍赶赴现场，于次日0时30分将明火扑灭，无人员伤亡。过火面积约0.8公顷，"
             "起火原因正在调查。")):
        dept = org.department_by_code(session, code)
        reported = event + delay
        if dept is None or reported > now:
            continue
        out.append(Item(department_id=dept.id, title=title, body=body, category="emergency", event_at=event,
                        late=delay > timedelta(hours=4), status="noted", entered_by_id=clerk.id, on_behalf=True,
                        submitted_at=reported, week_start=service.week_start(calendar.local_date(reported)),
                        return_reasons=[], times_returned=0, updated_at=reported))
    return out


def _adopt_history(session: Session, settings: Settings, clerk: User, made: list[Item], rnd: random.Random,
                   today: date) -> None:
    """About one in six items adopted into 信息专报 (two issues a month) or 工作简报 (one a month); some
    of those adopted again by 上级主管部门, the province or the nation."""
    publications = settings.reporting.publications or ("信息专报",)
    issues: dict[tuple[str, int, int], Issue] = {}
    numbers: dict[tuple[str, int], int] = {}
    for item in sorted(made, key=lambda i: i.submitted_at):
        local = item.submitted_at.astimezone(BUREAU_ZONE).date()
        forced = item.category == "emergency"
        if not forced and (rnd.random() > 0.17 or local > today - timedelta(days=10)):
            continue
        adopted_on = local + timedelta(days=rnd.randint(1, 4))
        pub = publications[0] if rnd.random() < 0.7 or len(publications) == 1 else publications[1]
        slot = (adopted_on.month * 2 + (adopted_on.day > 15)) if pub == publications[0] else adopted_on.month
        key = (pub, adopted_on.year, slot)
        if key not in issues:
            number = numbers.get((pub, adopted_on.year), 0) + 1
            numbers[(pub, adopted_on.year)] = number
            issues[key] = Issue(publication=pub, year=adopted_on.year, number=number, created_by_id=clerk.id,
                                created_at=calendar.day_start(adopted_on) + timedelta(hours=2))
            session.add(issues[key])
            session.flush()
        item.status = "adopted"
        session.add(Adoption(item_id=item.id, level="office", issue_id=issues[key].id, adopted_on=adopted_on,
                             note=issues[key].label, recorded_by_id=clerk.id,
                             created_at=calendar.day_start(adopted_on) + timedelta(hours=3)))
        roll = rnd.random()
        level = "national" if roll < 0.04 else "province" if roll < 0.14 else "department" if roll < 0.4 else ""
        higher_on = adopted_on + timedelta(days=rnd.randint(7, 25))
        if level and higher_on < today:
            note = {"department": "省林业局《林业工作动态》", "province": "省政府办公厅《政务信息》",
                    "national": "国家林业和草原局《林草工作简报》"}[level]
            session.add(Adoption(item_id=item.id, level=level, adopted_on=higher_on, note=note,
                                 recorded_by_id=clerk.id, created_at=calendar.day_start(higher_on)))
    session.flush()


def _recent(session: Session, settings: Settings, clerk: User, head: User, today: date, now: datetime,
            outside: dict[str, OutsideUnit]) -> int:
    """This week's items through the service: a late 突发事件 (during the National Day holiday), a 约稿 with
    replies, a returned item, items waiting for review."""
    count = 0
    fhb, lzc, zlc = (org.department_by_code(session, c) for c in ("FHB", "LZC", "ZLC"))
    lz_staff, zl_staff, lz_head = (org.user_by_username(session, n) for n in ("lz_staff", "zl_staff", "lz_head"))
    if lzc is None or zlc is None or lz_staff is None or zl_staff is None or lz_head is None:
        return count
    farm = outside[OUTSIDE[0]]
    this_monday = service.week_start(today)
    call = service.publish_call(session, settings, head, "冬春森林防火工作信息", (
        "请各单位围绕冬春森林防火，报送隐患排查、火源管控、队伍建设等方面的工作动态和经验做法，"
        "每单位不少于1篇。"), max(today + timedelta(days=10), this_monday), [
        f"d:{lzc.id}", f"d:{zlc.id}", f"d:{fhb.id}" if fhb else f"d:{lzc.id}", f"u:{farm.id}"], today=today)
    call.created_at = now - timedelta(hours=30)
    moment = max(calendar.day_start(this_monday) + timedelta(hours=1), now - timedelta(hours=20))
    replies = [
        service.submit(session, settings, lz_staff, ItemDraft(
            title="林政资源管理处开展林区野外用火专项检查", category="work", call_id=call.id, body=(
                "入冬以来，林政资源管理处联合森林防火办公室开展林区野外用火专项检查，检查重点林区12处，"
                "发现并整改隐患9处。")), now=moment),
        service.submit(session, settings, clerk, ItemDraft(
            title="国有林场“网格化”护林防火见成效", category="practice", call_id=call.id, body=(
                "国有林场将经营区划分为36个网格，每个网格明确一名护林员，实行每日巡护打卡，"
                "今冬以来未发生森林火情。")), unit_key=f"u:{farm.id}", now=moment + timedelta(minutes=30)),
    ]
    returned = service.submit(session, settings, zl_staff, ItemDraft(
        title="造林绿化处工作情况", category="work",
        body="本周，造林绿化处开展了有关工作，取得了一定成效。"), now=moment + timedelta(hours=1))
    service.return_item(session, settings, clerk, returned.id, [
        "标题过于笼统，请点明具体工作内容，如“××县完成冬季造林×万亩”。",
        "正文缺少数据和事例，请补充完成面积、投入资金等具体数字。",
        "请注明信息来源（县区或项目名称）。"], now=moment + timedelta(hours=2))
    waiting = service.submit(session, settings, lz_head, ItemDraft(
        title="我市完成2026年度森林督查图斑核查", category="work", body=(
            "截至11月底，全市完成国家下发森林督查疑似图斑核查1268个，核查率100%，"
            "对发现的违法图斑已全部移交查处。")), now=moment + timedelta(hours=3))
    assert waiting.id
    return count + len(replies) + 2
