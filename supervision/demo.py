"""A half year of history for the demo bureau, so the 督办 page shows real figures from the first start.

Documents (签报) are routed through the real routing services by the demo's people — drafted, submitted,
approved, signed and filed, some returned, some still open — and their timestamps are then moved back to
working days of the past months, so deadlines, on-time completion and handling times look like a bureau's.
Run once on an empty document table (`eoffice demo history`); it refuses to run twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import calendar, org
from core.calendar import LOCAL_TZ, WorkCalendar
from core.models.base import utcnow
from core.models.documents import Document, DocumentAction, FilingRecord, RouteStep, StepAssignment
from core.models.supervision import Notification
from documents import drafting, engine
from documents.drafting import DraftFields
from documents.due import default_deadline

TITLES = [
    "关于申请{m}月份森林防火巡护经费的请示", "关于{m}月份林木采伐限额执行情况的报告",
    "关于开展{m}月份林地保护专项检查的请示", "关于调整{m}月份造林苗木调拨计划的请示",
    "关于{m}月份野生动物疫源疫病监测情况的报告", "关于{m}月份政务信息报送工作的请示",
]
# drafter, their head (处室审核)
DRAFTERS = [("lz_staff", "lz_head"), ("zl_staff", "zl_head"), ("clerk", "office_head")]


def minimal_pdf(text: str = "eoffice demo") -> bytes:
    """Return a small valid one-page PDF (ASCII text) without any PDF library."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@dataclass
class Plan:
    drafter: str
    head: str
    submitted: date
    # working days each step took: 处室审核, 办公室核稿, 审批, 归档; None: stops there (still open)
    durations: list[int | None]
    urgency: str
    returned: bool


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


def _plans(cal: WorkCalendar, today: date, count: int, rnd: random.Random) -> list[Plan]:
    plans = []
    for i in range(count):
        drafter, head = DRAFTERS[i % len(DRAFTERS)]
        back = rnd.randrange(3, 175)
        submitted = today - timedelta(days=back)
        while not cal.is_workday(submitted):
            submitted -= timedelta(days=1)
        urgency = rnd.choice(["normal", "normal", "normal", "urgent", "very_urgent"])
        slow = drafter == "zl_staff"  # one department is visibly slower: the chart has something to say
        durations: list[int | None] = [rnd.randrange(0, 4 if slow else 3) for _ in range(4)]
        if urgency != "normal":
            durations = [min(d or 0, 1) for d in durations]
        if back < 25 and rnd.random() < 0.5:
            stop = rnd.randrange(0, 3)
            durations = durations[:stop] + [None] * (4 - stop)
        plans.append(Plan(drafter, head, submitted, durations, urgency, returned=rnd.random() < 0.15))
    return plans


def seed_history(session: Session, settings: Any, *, count: int = 48, today: date | None = None,
                 seed: int = 2026) -> int:
    """Route `count` 签报 through the demo bureau and date them over the past months; return how many."""
    if session.scalar(select(func.count(Document.id))):
        raise ValueError("已有公文，演示历史只能在空的公文库中生成。")
    today = today or calendar.local_today()
    cal = calendar.load(session)
    rnd = random.Random(seed)
    made = 0
    for n, plan in enumerate(_plans(cal, today, count, rnd)):
        people = {u: org.user_by_username(session, u) for u in (plan.drafter, plan.head, "office_head", "director",
                                                                 "deputy", "clerk")}
        title = TITLES[n % len(TITLES)].format(m=plan.submitted.month)
        drafter = people[plan.drafter]
        assert drafter is not None
        deadline = default_deadline(settings.supervision, cal, plan.urgency, plan.submitted)
        doc = drafting.create_document(session, drafter, kind="request", fields=DraftFields(
            title=title, urgency=plan.urgency, main_recipients="局领导", deadline=deadline))
        drafting.add_file(session, settings.files_dir, doc.id, drafter, role="main", filename="签报.pdf",
                          data=minimal_pdf(f"demo {doc.id}"))
        drafting.submit(session, settings, doc.id, drafter, expected_version=doc.version)
        if plan.returned and plan.durations[0] is not None:
            head = people[plan.head]
            assert head is not None
            engine.return_document(session, settings, doc.id, head, _pending(session, doc.id, head.id),
                                     reasons=["请补充经费测算依据", "请核对附件清单"])
            drafting.submit(session, settings, doc.id, drafter, expected_version=doc.version)
        for days, who in zip(plan.durations, [plan.head, "office_head", rnd.choice(["director", "deputy"]), "clerk"],
                             strict=True):
            if days is None:
                break
            actor = people[who]
            assert actor is not None
            engine.complete(session, settings, doc.id, actor, _pending(session, doc.id, actor.id), opinion="同意")
        _backdate(session, cal, doc.id, plan)
        made += 1
    # The history's bell notices were all written now, about months-old steps: the demo starts with them
    # read (the tasks still waiting are in 待办), so a newcomer's bell shows what is new.
    session.execute(update(Notification).where(Notification.document_id.is_not(None), Notification.read_at.is_(None))
                    .values(read_at=utcnow()))
    session.flush()
    return made


def _pending(session: Session, doc_id: int, user_id: int) -> int:
    aid = session.scalar(select(StepAssignment.id).where(
        StepAssignment.document_id == doc_id, StepAssignment.user_id == user_id, StepAssignment.state == "pending"))
    assert aid is not None, (doc_id, user_id)
    return aid


def _backdate(session: Session, cal: WorkCalendar, doc_id: int, plan: Plan) -> None:
    """Move every timestamp of the document to its planned working days, in the same order."""
    session.flush()
    actions = list(session.scalars(select(DocumentAction).where(DocumentAction.document_id == doc_id)
                                   .order_by(DocumentAction.id)))
    steps = iter([d for d in plan.durations if d is not None])
    day = plan.submitted
    cursor = _moment(plan.submitted, 8)
    times: dict[int, datetime] = {}
    for a in actions:
        planned = cursor
        if a.action in ("approve", "sign", "file"):
            days = next(steps, 0)
            if days:
                day = cal.add_workdays(day, days)
                planned = _moment(day, 9 + a.id % 7)
        # Every event after the one before it, in the order the services recorded them.
        cursor = max(cursor + timedelta(minutes=40), planned)
        times[a.id] = cursor
    for a in actions:
        session.execute(update(DocumentAction).where(DocumentAction.id == a.id).values(at=times[a.id])
                        .execution_options(synchronize_session=False))
    by_assignment = {a.assignment_id: times[a.id] for a in actions if a.assignment_id}
    ordered = sorted(times.values())
    for held in session.scalars(select(StepAssignment).where(StepAssignment.document_id == doc_id)):
        acted = by_assignment.get(held.id)
        earlier = [t for t in ordered if acted is None or t < acted]
        created = earlier[-1] if earlier else ordered[0]
        session.execute(update(StepAssignment).where(StepAssignment.id == held.id)
                        .values(created_at=created, acted_at=acted if held.acted_at else None)
                        .execution_options(synchronize_session=False))
    for step in session.scalars(select(RouteStep).where(RouteStep.document_id == doc_id)):
        done = [by_assignment[x.id] for x in step.assignments if x.id in by_assignment]
        session.execute(update(RouteStep).where(RouteStep.id == step.id).values(
            started_at=min(done) - timedelta(minutes=40) if done else ordered[-1],
            finished_at=max(done) if done and step.finished_at else None,
        ).execution_options(synchronize_session=False))
    last = ordered[-1]
    doc = session.get(Document, doc_id)
    assert doc is not None
    session.execute(update(Document).where(Document.id == doc_id).values(
        created_at=times[actions[0].id], updated_at=last,
        completed_at=last if doc.completed_at else None).execution_options(synchronize_session=False))
    session.execute(update(FilingRecord).where(FilingRecord.document_id == doc_id).values(filed_at=last)
                    .execution_options(synchronize_session=False))
    session.expire_all()


OUTGOING_TITLE = "关于做好2026—2027年度冬春森林防火工作的通知"
OUTGOING_BODY = [
    "当前已进入冬春森林防火紧要期，为切实做好森林防火工作，确保全市森林资源和人民群众生命财产安全，现将有关事项通知如下。",
    "一、提高思想认识，压实防火责任。各区县林业局要严格落实林长制和森林防火行政首长负责制，层层签订责任书，"
    "把责任落实到山头地块和具体人员。",
    "二、加强火源管控，排查整治隐患。要在重点林区、重要时段设卡布控，严禁野外用火，对林区内的坟头、"
    "农事用火点开展拉网式排查。",
    "三、强化值班值守，做好应急准备。各单位实行24小时值班和领导带班制度，保持通讯畅通，发现火情立即报告。",
]


def seed_outgoing(session: Session, settings: Any) -> int | None:
    """Route one 发文 with a Word 正文 up to 编号 (分发 left to the clerk), so the demo shows the
    发文稿纸 and the 套红 formal version the worker makes; return its id (None when any 发文 exists)."""
    import io

    from docx import Document as WordDocument

    if session.scalar(select(func.count(Document.id)).where(Document.kind == "outgoing")):
        return None
    people = {u: org.user_by_username(session, u) for u in ("lz_staff", "lz_head", "office_head", "director", "clerk")}
    if any(p is None for p in people.values()):
        return None
    body = WordDocument()
    for text in OUTGOING_BODY:
        body.add_paragraph("　　" + text)
    table = body.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for r, row in enumerate([("区县", "值班电话", "带班领导"), ("东城区", "0000-1111111", "王某"),
                             ("西山县", "0000-2222222", "李某")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    data = io.BytesIO()
    body.save(data)
    drafter = people["lz_staff"]
    assert drafter is not None
    doc = drafting.create_document(session, drafter, kind="outgoing", fields=DraftFields(
        title=OUTGOING_TITLE, urgency="urgent", main_recipients="各区县林业局，局机关各处室",
        cc_recipients="市政府办公室，市应急管理局"))
    drafting.add_file(session, settings.files_dir, doc.id, drafter, role="main", filename="冬春森林防火通知.docx",
                      data=data.getvalue())
    drafting.submit(session, settings, doc.id, drafter, expected_version=doc.version)
    for who, opinion in (("lz_head", "同意，请办公室核稿。"), ("office_head", "核稿无误。"), ("director", "同意印发。"),
                         ("clerk", "")):
        actor = people[who]
        assert actor is not None
        engine.complete(session, settings, doc.id, actor, _pending(session, doc.id, actor.id), opinion=opinion,
                          params=engine.StepInput(copies=60) if who == "clerk" else None)
    session.flush()
    return doc.id
