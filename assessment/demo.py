"""The demo bureau's 目标绩效考核: this year's 目标责任书 for every demo department and the 自查 of the
quarters already ended (up to three): most departments on time, 野生动植物保护处 late in the second
quarter, 文印室 missing the third."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment import service
from assessment.service import ItemEntry, TargetDraft
from config import Settings
from core import calendar, org
from core.models.assessment import AssessmentTarget
from core.models.base import BUREAU_ZONE

# department code -> [(category, content, measure, person, (q1, q2, q3, q4), points)]
TARGETS: dict[str, list[tuple[str, str, str, str, tuple[str, str, str, str], float]]] = {
    "BGS": [
        ("work", "政务信息报送全年不少于120条，被省级以上采用不少于10条", "以信息专报采用统计为准", "王秀英",
         ("报送30条", "累计报送60条，省级采用3条", "累计报送90条，省级采用6条", "全年120条，省级采用10条"), 15),
        ("work", "督查督办事项按期办结率达到95%以上", "以督查督办台账统计为准", "赵丽娟",
         ("建立年度督查台账", "办结率不低于90%", "办结率不低于93%", "全年办结率95%以上"), 15),
        ("integrity", "落实党风廉政建设主体责任，全年无违纪违法案件", "纪检组年度检查无问题", "王秀英",
         ("签订党风廉政建设责任书", "开展廉政警示教育", "开展作风建设专项检查", "完成年度述责述廉"), 10),
        ("civility", "巩固全国文明单位创建成果", "通过年度复查", "赵丽娟",
         ("制定年度创建方案", "开展志愿服务活动2次", "开展志愿服务活动4次", "通过复查"), 5),
    ],
    "JHC": [
        ("work", "林业专项资金预算执行率达到95%以上", "以财政国库支付数据为准", "计划财务处负责人",
         ("资金下达到位", "执行率达到45%", "执行率达到75%", "执行率达到95%"), 20),
        ("work", "完成2025年度林业建设项目绩效评价", "评价报告通过局党组审定", "计划财务处负责人",
         ("制定评价方案", "完成现场评价", "形成评价报告", "审定并公开"), 10),
        ("integrity", "严格执行财经纪律，审计问题整改率100%", "以审计整改销号为准", "计划财务处负责人",
         ("梳理审计问题清单", "整改完成60%", "整改完成90%", "全部整改销号"), 10),
    ],
    "LZC": [
        ("work", "全市森林覆盖率稳定在42.5%以上", "以年度森林督查和林草湿数据融合成果为准", "刘志强",
         ("部署年度森林督查", "完成遥感判读", "完成现地核实", "成果通过省级审核"), 20),
        ("work", "全面推行林长制，各级林长巡林全覆盖", "以林长制考核细则为准", "刘志强",
         ("印发年度林长工作要点", "市级林长巡林1次以上", "县级林长巡林全覆盖", "完成年度林长制考核"), 15),
        ("work", "林木采伐限额执行率不超过100%，违法采伐案件查处率100%", "以采伐管理系统和案件台账为准", "陈晓明",
         ("下达年度采伐指标", "开展上半年采伐检查", "开展打击毁林专项行动", "全年限额不突破"), 10),
        ("integrity", "规范林木采伐审批，办理时限压缩至5个工作日", "以政务服务平台记录为准", "陈晓明",
         ("梳理审批流程", "实现网上办理", "办理时限不超过5个工作日", "开展群众满意度回访"), 5),
    ],
    "ZLC": [
        ("work", "完成人工造林1.2万亩、森林抚育3万亩", "以省林业局核查验收面积为准", "杨海涛",
         ("完成作业设计和苗木准备", "完成春季造林0.8万亩", "完成森林抚育2万亩", "全面完成并通过核查"), 20),
        ("work", "新增城市绿地80公顷，建成口袋公园10个", "以住建部门验收为准", "周静",
         ("完成选址规划", "开工建设6个口袋公园", "建成8个口袋公园", "全部建成并验收"), 15),
        ("civility", "组织全民义务植树活动，尽责率达到65%", "以义务植树尽责统计为准", "周静",
         ("组织春季义务植树", "开展网络认种认养", "开展秋季义务植树", "尽责率达到65%"), 5),
    ],
    "YBC": [
        ("work", "完成野生动物疫源疫病监测，报告及时率100%", "以国家监测系统记录为准", "野生动植物保护处负责人",
         ("部署监测站点", "完成春季候鸟监测", "完成夏季监测", "完成秋冬季候鸟监测"), 15),
        ("work", "开展打击破坏野生动植物资源专项行动", "以专项行动总结为准", "野生动植物保护处负责人",
         ("制定行动方案", "开展市场清查", "开展联合执法", "完成总结报告"), 10),
    ],
    "FHB": [
        ("work", "森林火灾受害率控制在0.9‰以内，无重特大森林火灾", "以森林防火统计报表为准", "森林防火办公室负责人",
         ("落实春防责任", "完成防火期总结", "完成防火设施检修", "完成冬防部署"), 20),
        ("work", "完成森林防火隔离带建设50公里", "以工程验收为准", "森林防火办公室负责人",
         ("完成设计", "完成20公里", "完成40公里", "全部完成并验收"), 10),
        ("integrity", "规范防火物资采购和管理", "审计无问题", "森林防火办公室负责人",
         ("完成物资清点", "完成集中采购", "开展物资检查", "完成年度盘点"), 5),
    ],
    "ZFC": [
        ("work", "完成《示范市古树名木保护条例》立法调研", "形成草案报市人大", "政策法规处负责人",
         ("组建起草小组", "完成实地调研", "形成草案征求意见稿", "草案报送市人大"), 15),
        ("work", "行政执法案卷评查合格率达到95%以上", "以年度案卷评查结果为准", "政策法规处负责人",
         ("制定评查方案", "完成上半年评查", "完成整改", "完成年度评查"), 10),
    ],
    "DAS": [
        ("work", "完成2025年度文书档案归档，归档率100%", "以档案室接收登记为准", "吴淑芬",
         ("下发归档通知", "完成接收50%", "完成接收90%", "全部归档并编目"), 10),
        ("civility", "开展档案开放利用服务，查档满意率95%以上", "以查档登记和回访为准", "吴淑芬",
         ("公布查档指南", "开展档案宣传日活动", "完成满意度回访", "完成年度统计"), 5),
    ],
    "WYS": [
        ("work", "文件印制差错率为零，急件当日印发", "以印制登记为准", "孙立新",
         ("完成设备检修", "上半年零差错", "前三季度零差错", "全年零差错"), 10),
        ("integrity", "涉密文件印制全程登记，无失泄密事件", "保密检查无问题", "孙立新",
         ("签订保密承诺书", "开展保密自查", "配合保密检查", "完成年度保密总结"), 5),
    ],
}

# (quarter, department code) -> (status per target in order, days after the quarter's end submitted)
STATUS_PLAN = {
    1: ["in_progress", "in_progress", "done", "not_started"],
    2: ["in_progress", "done", "in_progress", "behind"],
    3: ["done", "in_progress", "done", "in_progress", "behind"],
}
LATE = (2, "YBC")  # submitted after the due date
MISSING = (3, "WYS")  # not submitted


def _evidence(status: str, milestone: str) -> str:
    if status == "done":
        return f"已完成：{milestone}。相关台账和佐证材料已归档。"
    if status == "behind":
        return f"计划“{milestone}”未能按期完成，主要受汛期和资金拨付进度影响；已调整计划，下季度补齐进度。"
    if status == "in_progress":
        return f"正在推进：{milestone}，进度符合年度计划。"
    return ""


def seed(session: Session, settings: Settings) -> int:
    """Enter the demo targets and 自查 once (nothing when any target exists); return how many targets."""
    if session.scalar(select(func.count(AssessmentTarget.id))):
        return 0
    clerk = org.user_by_username(session, "clerk")
    if clerk is None:  # not the demo bureau
        return 0
    today = calendar.local_today()
    year = today.year
    made = 0
    departments = {}
    for code, rows in TARGETS.items():
        department = org.department_by_code(session, code)
        if department is None:
            continue
        departments[code] = department
        for category, content, measure, person, milestones, points in rows:
            service.add_target(session, settings, clerk, year, TargetDraft(
                department_id=department.id, category=category, content=content, measure=measure, person=person,
                milestones=milestones, weight=points))
            made += 1
    found = (org.user_by_username(session, n) for n in ("office_head", "lz_head", "zl_head"))
    heads = {u.department_id: u for u in found if u is not None}
    cal = calendar.load(session)
    for quarter in (1, 2, 3):
        if service.quarter_end(year, quarter) >= today:
            break
        due = service.due_date(settings, cal, year, quarter)
        for offset, (code, department) in enumerate(departments.items()):
            if (quarter, code) == MISSING:
                continue
            if (quarter, code) == LATE:
                submitted = datetime.combine(due + timedelta(days=4), time(10, 30), BUREAU_ZONE)
            else:  # a day to four days before the due date, during office hours
                submitted = datetime.combine(due - timedelta(days=1 + offset % 4), time(9 + offset % 8, 10),
                                             BUREAU_ZONE)
            own = service.targets(session, year, department.id)
            plan = STATUS_PLAN[quarter]
            entries = {}
            for index, target in enumerate(own):
                status = plan[(index + offset) % len(plan)]
                entries[target.id] = ItemEntry(status, _evidence(status, target.milestone(quarter)))
            actor = heads.get(department.id, clerk)
            service.submit(session, settings, actor, department.id, year, quarter, entries,
                           f"{department.name}{year}年第{quarter}季度目标推进总体平稳，详见各项目标完成情况。",
                           now=submitted.astimezone(UTC), tell=False)
    session.commit()
    return made

