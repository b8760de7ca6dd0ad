"""The demo bureau's notices: a pinned notice to all, a duty roster, a leaders' meeting, a department
notice, a 公示 in its period with an objection, and a closed 公示 with its outcome and handling."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from core import calendar, org
from core.models.base import utcnow
from core.models.notices import Notice
from notices import service
from notices.service import Audience, NoticeDraft


def seed(session: Session, settings: Settings) -> int:
    """Publish the demo notices once (nothing when any notice exists); return how many were made."""
    if session.scalar(select(func.count(Notice.id))):
        return 0
    found = {name: org.user_by_username(session, name) for name in
             ("clerk", "office_head", "lz_head", "lz_staff", "zl_staff", "director", "deputy")}
    user = {name: person for name, person in found.items() if person is not None}
    if len(user) < len(found):  # not the demo bureau
        return 0
    now = utcnow()
    made = [
        service.publish(session, settings, user["office_head"], NoticeDraft(
            title="关于做好2026—2027年度冬春森林防火工作的通知", pinned=True, body=(
                "各处室、各直属单位：\n"
                "当前已进入冬春森林防火紧要期。请各单位严格落实24小时值班和领导带班制度，"
                "加强野外火源管控和隐患排查，发现火情立即报告局森林防火办公室。\n"
                "值班安排见附表，请于12月5日前报送本单位值班人员名单。"), publish_at=now - timedelta(days=3)),
            now=now),
        service.publish(session, settings, user["clerk"], NoticeDraft(
            title="关于2027年元旦期间值班安排的通知", body=(
                "元旦放假期间，局机关实行24小时值班。值班人员请提前熟悉值班手册，保持通讯畅通。"),
            publish_at=now - timedelta(days=1)), now=now),
        service.publish(session, settings, user["office_head"], NoticeDraft(
            title="关于召开2027年度工作务虚会的通知", audience=Audience(roles=("leader", "dept_head")),
            body="定于12月10日上午9时在三楼会议室召开2027年度工作务虚会，请各处室负责人准备本处室工作思路（1500字以内）。",
            publish_at=now - timedelta(hours=20)), now=now),
        service.publish(session, settings, user["lz_head"], NoticeDraft(
            title="林政资源管理处周例会安排", audience=Audience(departments=("LZC",)),
            body="本周例会改在周四下午3时召开，议题：林木采伐限额执行情况。", publish_at=now - timedelta(hours=5)),
            now=now),
    ]
    current = service.publish(session, settings, user["office_head"], NoticeDraft(
        title="关于2026年度优秀公务员拟推荐人选的公示", kind="publicity", period_workdays=5, body=(
            "经处室推荐、局党组研究，拟推荐以下同志为2026年度优秀公务员：陈晓明（林政资源管理处）、"
            "周静（造林绿化处）。\n公示期内如有意见，请通过本页“意见反馈”提出，可选择匿名。")), now=now)
    service.send_objection(session, settings, user["zl_staff"], current.id,
                           "建议公示材料中补充推荐人选的主要工作实绩。", anonymous=True)
    past_day = calendar.local_today() - timedelta(days=30)
    closed = service.publish(session, settings, user["office_head"], NoticeDraft(
        title="关于林业有害生物防治专项资金分配方案的公示", kind="publicity", period_workdays=5,
        body="现将2026年林业有害生物防治专项资金分配方案予以公示，公示期5个工作日。",
        publish_at=now - timedelta(days=30)), now=now - timedelta(days=30))
    objection = service.send_objection(session, settings, user["lz_staff"], closed.id,
                                       "某县分配额度与去年疫情面积不符，建议复核。",
                                       today=closed.period_start or past_day)
    service.handle_objection(session, settings, user["clerk"], objection.id,
                             "经与计划财务处复核，已按疫情面积调整该县额度。")
    service.close(session, settings, user["clerk"], closed.id, "公示期满，已按意见调整后执行。",
                  today=(closed.period_end or past_day) + timedelta(days=1))
    # The demo's past happened in the past: the objection during the period, its handling and the close after.
    objection.created_at = closed.publish_at + timedelta(days=1, hours=2)
    objection.handled_at = closed.publish_at + timedelta(days=2, hours=3)
    closed.closed_at = closed.updated_at = closed.publish_at + timedelta(days=8)
    for name in ("lz_staff", "zl_staff", "director"):
        service.mark_read(session, made[0], user[name])
    session.commit()
    return len(made) + 2
