"""Route templates as data: the step specification, its validation, the seeded templates, and who
holds a step (assignee resolution).

A template is a list of steps; each step is a dict:
  key       unique in the template, ASCII            name   shown to people (处室审核)
  kind      a StepKind (approve, screen, countersign, sign, instruct, handle, number, distribute, file)
  assignee  who holds the step:
              {"who": "person", "username": "director"}
              {"who": "drafter"}
              {"who": "drafter_dept_role", "role": "dept_head"}      处室负责人 of the drafter's department
              {"who": "dept_role", "department": "BGS", "role": "dept_head"}
              {"who": "role", "role": "leader"}                      anyone holding the role
              {"who": "departments", "role": "dept_head"}            countersign: one unit per department
              {"who": "lead_departments", "role": "dept_head"}       承办: 主办 + 协办 chosen at 批办
              {"who": "lead_department_role", "role": "dept_head"}   the 主办 department's head
  optional  the drafter may leave the step out
  mode      countersign / handle: all | any | quorum (with "quorum": n)
  departments / allowed   countersign: default department codes, and those the drafter may pick ("*" = any)
  code      number: the 文号 code, "{organ}" is the bureau's organ code (示林发)
  auto      number: issued by the system as soon as the step is reached
  fonds / category   file: 全宗号 and 门类代码 (WS)
  acknowledge  distribute: recipients confirm receipt with 签收 (true); otherwise opening counts as read
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import org
from core.clearance import cleared
from core.messages import N_, msg
from core.models import Department, Role, User
from core.models.base import utcnow
from core.models.documents import Document, RouteStep, RouteTemplate
from core.permissions import Permission
from documents.errors import WorkflowError
from documents.states import PARALLEL_KINDS, Kind, StepKind

WHO = {
    "person", "drafter", "drafter_dept_role", "dept_role", "role", "departments", "lead_departments",
    "lead_department_role",
}
MODES = {"one", "all", "any", "quorum"}
# How the route form names the choices (translated where shown).
WHO_NAMES = {
    "drafter_dept_role": N_("拟稿处室的某角色（如处室负责人）"),
    "dept_role": N_("指定部门的某角色"),
    "role": N_("具有某角色的任何人"),
    "person": N_("指定人员"),
    "drafter": N_("拟稿人本人"),
    "departments": N_("会签：每个所选部门的某角色"),
    "lead_departments": N_("承办：主办和协办部门的某角色"),
    "lead_department_role": N_("主办部门的某角色"),
}
MODE_NAMES = {"all": N_("全部完成"), "any": N_("任一完成"), "quorum": N_("达到人数"), "one": N_("一人办理")}
# Kinds that need a permission on top of being named by the route.
KIND_PERMISSION = {StepKind.SIGN: Permission.DOCUMENTS_SIGN, StepKind.NUMBER: Permission.DOCUMENTS_NUMBER}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

_DEPT_HEAD = {"who": "drafter_dept_role", "role": "dept_head"}
_OFFICE_HEAD = {"who": "dept_role", "department": "BGS", "role": "dept_head"}
_OFFICE_CLERK = {"who": "dept_role", "department": "BGS", "role": "clerk"}
_LEADER = {"who": "role", "role": "leader"}
_FILE = {"key": "file", "name": msg(
    "归档",
), "kind": "file", "assignee": _OFFICE_CLERK, "fonds": "J001", "category": "WS"}

# The demo bureau's templates (seeded by seed_templates()).
SEED_TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "outgoing",
        "name": msg("发文"),
        "kind": Kind.OUTGOING,
        "steps": [
            {"key": "dept_review", "name": msg("处室审核"), "kind": "approve", "assignee": _DEPT_HEAD},
            {"key": "countersign", "name": msg("会签"), "kind": "countersign", "optional": True, "mode": "all",
             "assignee": {"who": "departments", "role": "dept_head"}, "departments": [], "allowed": "*"},
            {"key": "office_review", "name": msg("办公室核稿"), "kind": "approve", "assignee": _OFFICE_HEAD},
            {"key": "sign", "name": msg("局领导签发"), "kind": "sign", "assignee": _LEADER},
            {"key": "number", "name": msg("编号"), "kind": "number", "assignee": _OFFICE_CLERK, "code": "{organ}发"},
            {"key": "distribute", "name": msg("分发"), "kind": "distribute", "assignee": _OFFICE_CLERK},
            _FILE,
        ],
    },
    {
        "code": "incoming",
        "name": msg("收文"),
        "kind": Kind.INCOMING,
        "steps": [
            {"key": "screen", "name": msg("初审"), "kind": "screen", "assignee": _OFFICE_CLERK},
            {"key": "propose", "name": msg("拟办"), "kind": "approve", "assignee": _OFFICE_HEAD},
            {"key": "instruct", "name": msg("局领导批办"), "kind": "instruct", "assignee": _LEADER},
            {"key": "handle", "name": msg("承办"), "kind": "handle", "mode": "all",
             "assignee": {"who": "lead_departments", "role": "dept_head"}},
            {"key": "conclude", "name": msg("办结"), "kind": "approve",
             "assignee": {"who": "lead_department_role", "role": "dept_head"}},
            _FILE,
        ],
    },
    {
        "code": "request",
        "name": msg("签报"),
        "kind": Kind.REQUEST,
        "steps": [
            {"key": "dept_review", "name": msg("处室审核"), "kind": "approve", "assignee": _DEPT_HEAD},
            {"key": "countersign", "name": msg("会签"), "kind": "countersign", "optional": True, "mode": "all",
             "assignee": {"who": "departments", "role": "dept_head"}, "departments": [], "allowed": "*"},
            {"key": "office_review", "name": msg("办公室核稿"), "kind": "approve", "assignee": _OFFICE_HEAD},
            {"key": "sign", "name": msg("局领导审批"), "kind": "sign", "assignee": _LEADER},
            _FILE,
        ],
    },
]

# What the draft stage is called per kind (shown as the first node of the route).
DRAFT_STAGE = {Kind.OUTGOING: msg("拟稿"), Kind.INCOMING: msg("签收登记"), Kind.REQUEST: msg("起草")}


def validate_steps(session: Session, steps: Any) -> list[dict[str, Any]]:
    """Check a template's step list and return it normalised; raise WorkflowError listing every problem."""
    problems: list[str] = []
    if not isinstance(steps, list) or not steps:
        raise WorkflowError(msg("路由模板至少需要一个步骤（步骤列表不能为空）。"))
    dept_codes = {d.code for d in org.departments(session, include_inactive=True)}
    role_codes = {r.code for r in session.scalars(select(Role))} | {"dept_head", "clerk", "leader"}
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(steps, start=1):
        where = msg("第%(i)s步", i=i)
        if not isinstance(raw, dict):
            problems.append(msg("%(where)s：应为一个对象（{...}）。", where=where))
            continue
        step = dict(raw)
        key, name, kind = step.get("key"), step.get("name"), step.get("kind")
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(msg("%(where)s：key 须为小写英文字母开头的标识，例如 dept_review。", where=where))
        elif key in seen:
            problems.append(msg("%(where)s：key「%(key)s」重复。", where=where, key=key))
        else:
            seen.add(key)
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append(msg("%(where)s：请填写步骤名称（name，不超过100字）。", where=where))
        if kind not in StepKind.__members__.values():
            problems.append(msg(
                "%(where)s：kind「%(kind)s」不是已知的步骤类型（%(value)s）。",
                where=where, kind=kind, value=', '.join(StepKind),
            ))
            continue
        assignee = step.get("assignee")
        if not isinstance(assignee, dict) or assignee.get("who") not in WHO:
            problems.append(msg(
                "%(where)s：assignee.who 须为 %(value)s 之一。",
                where=where, value=', '.join(sorted(WHO)),
            ))
            continue
        who = assignee["who"]
        if who == "person" and not org.user_by_username(session, str(assignee.get("username", ""))):
            problems.append(msg(
                "%(where)s：没有登录名为「%(value)s」的用户。",
                where=where, value=assignee.get('username'),
            ))
        if who in ("drafter_dept_role", "dept_role", "role", "departments", "lead_departments",
                   "lead_department_role") and assignee.get("role") not in role_codes:
            problems.append(msg("%(where)s：角色「%(value)s」不存在。", where=where, value=assignee.get('role')))
        if who == "dept_role" and assignee.get("department") not in dept_codes:
            problems.append(msg(
                "%(where)s：部门代码「%(value)s」不存在。",
                where=where, value=assignee.get('department'),
            ))
        parallel = kind in PARALLEL_KINDS
        if parallel != (who in ("departments", "lead_departments")):
            problems.append(
                msg(
                    "%(where)s：会签/承办步骤须按部门指定办理人（departments / lead_departments），其他步骤不可。",
                    where=where,
                )
            )
        mode = step.get("mode", "all" if parallel else "one")
        if mode not in MODES or (parallel and mode == "one"):
            problems.append(msg("%(where)s：mode 须为 all、any 或 quorum。", where=where))
        if mode == "quorum" and (not isinstance(step.get("quorum"), int) or step["quorum"] < 1):
            problems.append(msg("%(where)s：quorum 模式需要正整数 quorum。", where=where))
        step["mode"] = mode
        if kind == StepKind.COUNTERSIGN:
            allowed = step.get("allowed", "*")
            default = step.get("departments", [])
            if allowed != "*" and (not isinstance(allowed, list) or set(allowed) - dept_codes):
                problems.append(msg("%(where)s：allowed 须为 \"*\" 或部门代码列表。", where=where))
            if not isinstance(default, list) or set(default) - dept_codes:
                problems.append(msg("%(where)s：departments 须为部门代码列表。", where=where))
            step.setdefault("allowed", "*")
            step.setdefault("departments", [])
        if kind == StepKind.NUMBER and not str(step.get("code", "")).strip():
            problems.append(msg("%(where)s：编号步骤需要 code（文号代字，例如 {organ}发）。", where=where))
        if kind == StepKind.DISTRIBUTE and not isinstance(step.setdefault("acknowledge", False), bool):
            problems.append(msg("%(where)s：acknowledge 须为 true 或 false（收件人是否须点“签收”）。", where=where))
        if kind == StepKind.FILE:
            step.setdefault("fonds", "J001")
            step.setdefault("category", "WS")
            if not re.match(r"^[A-Za-z0-9]{1,16}$", str(step["fonds"])):
                problems.append(msg("%(where)s：全宗号 fonds 只能是字母和数字。", where=where))
        out.append(step)
    if problems:
        raise WorkflowError(msg("路由模板有以下问题：\n") + "\n".join(problems), problems=problems)
    return out


def seed_templates(session: Session) -> list[RouteTemplate]:
    """Create the demo route templates (发文, 收文, 签报) when missing."""
    made: list[RouteTemplate] = []
    for spec in SEED_TEMPLATES:
        existing = session.scalar(select(RouteTemplate).where(RouteTemplate.code == spec["code"]))
        if existing is None:
            steps = validate_steps(session, spec["steps"])
            existing = RouteTemplate(code=spec["code"], name=spec["name"], kind=str(spec["kind"]), steps=steps)
            session.add(existing)
        made.append(existing)
    session.flush()
    return made


def templates(session: Session, *, kind: str | None = None, include_inactive: bool = False) -> list[RouteTemplate]:
    """Return route templates, optionally of one kind."""
    stmt = select(RouteTemplate).order_by(RouteTemplate.id)
    if kind:
        stmt = stmt.where(RouteTemplate.kind == kind)
    if not include_inactive:
        stmt = stmt.where(RouteTemplate.active.is_(True))
    return list(session.scalars(stmt))


def save_template(
    session: Session, *, code: str, name: str, kind: str, steps: Any, active: bool, actor: User
) -> RouteTemplate:
    """Create or update a route template after validating its steps (documents already routed keep theirs)."""
    code = code.strip().lower()
    if not _KEY.match(code):
        raise WorkflowError(msg("模板代码须为小写英文字母开头的标识，例如 outgoing。"))
    if kind not in Kind.__members__.values():
        raise WorkflowError(msg("请选择公文种类（发文、收文或签报）。"))
    if not name.strip():
        raise WorkflowError(msg("请填写模板名称。"))
    clean = validate_steps(session, steps)
    template = session.scalar(select(RouteTemplate).where(RouteTemplate.code == code))
    if template is None:
        template = RouteTemplate(code=code)
        session.add(template)
    template.name, template.kind, template.steps, template.active = name.strip(), kind, clean, active
    template.updated_at, template.updated_by_id = utcnow(), actor.id
    session.flush()
    return template


def plan_steps(session: Session, template: RouteTemplate, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply the drafter's plan (skipped optional steps, chosen countersign departments) to the template."""
    skip = set(plan.get("skip", []))
    chosen: dict[str, list[str]] = plan.get("departments", {})
    dept_codes = {d.code for d in org.departments(session)}
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    for step in template.steps:
        if step["key"] in skip:
            if not step.get("optional"):
                problems.append(msg("步骤「%(value)s」是必经步骤，不能省略。", value=step['name']))
                continue
            continue
        step = dict(step)
        if step["kind"] == StepKind.COUNTERSIGN:
            codes: list[str] = chosen[step["key"]] if step["key"] in chosen else list(step.get("departments", []))
            allowed = dept_codes if step.get("allowed", "*") == "*" else set(step["allowed"])
            bad = [c for c in codes if c not in allowed]
            if bad:
                problems.append(msg(
                    "步骤「%(value)s」不能选择部门：%(value2)s。",
                    value=step['name'], value2=', '.join(bad),
                ))
            if not codes:
                if step.get("optional") and "skip" not in plan:
                    continue  # the template's default: an optional 会签 nobody asked for
                # Asked for (required, or ticked in the form): a choice that cannot be honoured is refused.
                problems.append(msg(
                    "您选择了「%(value)s」，请为它选择至少一个会签部门（或取消勾选此步骤）。",
                    value=step['name'],
                ))
            if step.get("mode") == "quorum" and len(codes) < int(step.get("quorum", 1)):
                problems.append(msg(
                    "「%(value)s」需要至少 %(value2)s 个部门。",
                    value=step['name'], value2=step['quorum'],
                ))
            step["departments"] = list(dict.fromkeys(codes))
        out.append(step)
    if problems:
        raise WorkflowError(msg("路由设置有以下问题：\n") + "\n".join(problems), problems=problems)
    if not out:
        raise WorkflowError(msg("路由至少需要一个步骤。"))
    return out


def resolve_assignees(
    session: Session, doc: Document, step: RouteStep, *, allow_self_approval: bool = False,
    office_department: str = "BGS",
) -> list[tuple[User, Department | None, bool]]:
    """Return (person, unit department, is 主办) for everyone who may act on the step now.

    Nobody approves their own draft: on an 审核 step (StepKind.APPROVE) the drafter is left out, the
    step going to the unit's other holders, else to the office department's 处室负责人 (unless
    `allow_self_approval`, setting [security] allow_self_approval). Raises WorkflowError when a unit
    has nobody who may act (active, the role and permission, cleared for the 密级).
    """
    spec = step.spec["assignee"]
    who, role = spec["who"], spec.get("role")
    units: list[tuple[list[User], Department | None, bool]] = []
    if who == "person":
        user = org.user_by_username(session, spec["username"]) if "username" in spec else None
        if "user_id" in spec:
            user = session.get(User, spec["user_id"])
        units.append(([user] if user else [], None, False))
    elif who == "drafter":
        units.append(([doc.drafter], None, False))
    elif who == "drafter_dept_role":
        units.append((_holders(session, role, doc.department_id), None, False))
    elif who == "dept_role":
        dept = org.department_by_code(session, spec["department"])
        units.append((_holders(session, role, dept.id) if dept else [], None, False))
    elif who == "role":
        units.append((_holders(session, role, None), None, False))
    elif who == "departments":
        for code in step.spec.get("departments", []):
            dept = org.department_by_code(session, code)
            if dept is not None:
                units.append((_holders(session, role, dept.id), dept, False))
    elif who == "lead_departments":
        lead = doc.lead_department
        if lead is not None:
            units.append((_holders(session, role, lead.id), lead, True))
        for code in doc.co_departments or []:
            dept = org.department_by_code(session, code)
            if dept is not None and (lead is None or dept.id != lead.id):
                units.append((_holders(session, role, dept.id), dept, False))
    elif who == "lead_department_role":
        units.append((_holders(session, role, doc.lead_department_id) if doc.lead_department_id else [], None, False))

    needed = KIND_PERMISSION.get(StepKind(step.kind))
    out: list[tuple[User, Department | None, bool]] = []
    empty: list[str] = []
    own_draft = step.kind == StepKind.APPROVE and not allow_self_approval

    def may_act(u: User) -> bool:
        return (u.active and cleared(u, doc.classification) and (needed is None or needed in org.permissions_of(u))
                and not (own_draft and u.id == doc.drafter_id))

    for people, dept, is_lead in units:
        eligible = [u for u in people if may_act(u)]
        if not eligible and own_draft and any(u.id == doc.drafter_id for u in people):
            # The drafter is the unit's only holder: the office's 处室负责人 reviews instead.
            office = org.department_by_code(session, office_department)
            eligible = [u for u in _holders(session, "dept_head", office.id if office else -1) if may_act(u)]
        if not eligible:
            empty.append(dept.name if dept else step.name)
        out.extend((u, dept, is_lead) for u in eligible)
    if empty or not out:
        raise WorkflowError(
            msg(
                "步骤「%(name)s」找不到可以办理的人员（%(value)s：没有在岗、具备相应角色和涉密等级的人员）。请联系系"
                "统管理员调整人员角色或路由模板。",
                name=step.name, value=', '.join(empty) or step.name,
            )
        )
    return out


def _holders(session: Session, role: str | None, department_id: int | None) -> list[User]:
    return org.users_with_role(session, role or "", department_id)


# ---- the route template form: one row of fields per step ----------------------------------------

# The fields a form row may carry, and which step kinds/assignee kinds use them.
ROW_FIELDS = ("key", "name", "kind", "who", "role", "department", "username", "optional", "mode", "quorum",
              "departments", "any_department", "allowed", "code", "auto", "fonds", "category", "acknowledge")
_ROLE_WHO = {"drafter_dept_role", "dept_role", "role", "departments", "lead_departments", "lead_department_role"}


def step_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """Turn one form row (strings, lists and booleans by ROW_FIELDS name) into a step dict.

    Only what the chosen kind and assignee use is kept, so switching a row's kind never leaves stale
    settings behind. The result still goes through `validate_steps`, which names every problem.
    """
    kind, who = str(row.get("kind") or ""), str(row.get("who") or "")
    assignee: dict[str, Any] = {"who": who}
    if who in _ROLE_WHO:
        assignee["role"] = str(row.get("role") or "")
    if who == "dept_role":
        assignee["department"] = str(row.get("department") or "")
    if who == "person":
        assignee["username"] = str(row.get("username") or "").strip()
    step: dict[str, Any] = {"key": str(row.get("key") or "").strip(), "name": str(row.get("name") or "").strip(),
                            "kind": kind, "assignee": assignee}
    if row.get("optional"):
        step["optional"] = True
    if kind in PARALLEL_KINDS:
        step["mode"] = str(row.get("mode") or "all")
        if step["mode"] == "quorum":
            quorum = str(row.get("quorum") or "").strip()
            step["quorum"] = int(quorum) if quorum.isdigit() else quorum
    if kind == StepKind.COUNTERSIGN:
        step["departments"] = [str(d) for d in row.get("departments") or []]
        step["allowed"] = "*" if row.get("any_department") else [str(d) for d in row.get("allowed") or []]
    if kind == StepKind.NUMBER:
        step["code"] = str(row.get("code") or "").strip()
        if row.get("auto"):
            step["auto"] = True
    if kind == StepKind.DISTRIBUTE:
        step["acknowledge"] = bool(row.get("acknowledge"))
    if kind == StepKind.FILE:
        step["fonds"] = str(row.get("fonds") or "").strip() or "J001"
        step["category"] = str(row.get("category") or "").strip() or "WS"
    return step


def row_from_step(step: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `step_from_row`: the form row that shows `step`."""
    assignee = step.get("assignee") or {}
    allowed = step.get("allowed", "*")
    return {
        "key": step.get("key", ""), "name": step.get("name", ""), "kind": step.get("kind", "approve"),
        "who": assignee.get("who", "drafter_dept_role"), "role": assignee.get("role", ""),
        "department": assignee.get("department", ""), "username": assignee.get("username", ""),
        "optional": bool(step.get("optional")), "mode": step.get("mode", "all"), "quorum": step.get("quorum", ""),
        "departments": list(step.get("departments") or []), "any_department": allowed == "*",
        "allowed": [] if allowed == "*" else list(allowed), "code": step.get("code", ""),
        "auto": bool(step.get("auto")), "fonds": step.get("fonds", "J001"), "category": step.get("category", "WS"),
        "acknowledge": bool(step.get("acknowledge")),
    }
