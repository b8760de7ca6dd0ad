"""The one table of document states, step kinds, actions and the transitions between them.

Every service asks `transition(state, action)` whether an action is allowed in a state, who may take
it and what state follows; no other module compares document states with `if state == ...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.messages import N_
from core.terms import CLASSIFICATION_NAMES, CLASSIFIED_FROM, RETENTION_NAMES, URGENCY_NAMES


class Kind(StrEnum):
    OUTGOING = "outgoing"  # 发文
    INCOMING = "incoming"  # 收文
    REQUEST = "request"  # 签报


KIND_NAMES = {Kind.OUTGOING: N_("发文"), Kind.INCOMING: N_("收文"), Kind.REQUEST: N_("签报")}

# 密级, 紧急程度 and 保管期限 are defined once, in core/terms.py (re-exported here for the routing code).
__all__ = ["CLASSIFICATION_NAMES", "CLASSIFIED_FROM", "RETENTION_NAMES", "URGENCY_NAMES"]


class State(StrEnum):
    DRAFT = "draft"  # 草稿
    ACTIVE = "active"  # 流转中
    RETURNED = "returned"  # 退回拟稿人修改
    COMPLETED = "completed"  # 办结（路由无归档步骤）
    FILED = "filed"  # 已归档
    SENT_BACK = "sent_back"  # 已退回来文机关
    CANCELLED = "cancelled"  # 已作废


STATE_NAMES = {
    State.DRAFT: N_("草稿"),
    State.ACTIVE: N_("流转中"),
    State.RETURNED: N_("已退回修改"),
    State.COMPLETED: N_("已办结"),
    State.FILED: N_("已归档"),
    State.SENT_BACK: N_("已退回来文单位"),
    State.CANCELLED: N_("已作废"),
}
FINAL_STATES = frozenset({State.COMPLETED, State.FILED, State.SENT_BACK, State.CANCELLED})


class StepKind(StrEnum):
    APPROVE = "approve"  # 审核 / 核稿 / 初审 / 拟办 / 办结 ...
    SCREEN = "screen"  # 初审 of 收文: may 退回来文
    COUNTERSIGN = "countersign"  # 会签: parallel across departments (all / any / quorum)
    SIGN = "sign"  # 签发 (and 复核 after a change): freezes the content
    INSTRUCT = "instruct"  # 批办: the leader names the 主办 and 协办 departments
    HANDLE = "handle"  # 承办: the 主办 department and the 协办 departments, in parallel
    NUMBER = "number"  # 登记编号: issues the 文号 from the ledger
    DISTRIBUTE = "distribute"  # 分发: creates read receipts for the distribution list
    FILE = "file"  # 归档: 档号, 处理单, files into the archive folder


STEP_KIND_NAMES = {
    StepKind.APPROVE: N_("审核"),
    StepKind.SCREEN: N_("初审"),
    StepKind.COUNTERSIGN: N_("会签"),
    StepKind.SIGN: N_("签发"),
    StepKind.INSTRUCT: N_("批办"),
    StepKind.HANDLE: N_("承办"),
    StepKind.NUMBER: N_("登记编号"),
    StepKind.DISTRIBUTE: N_("分发"),
    StepKind.FILE: N_("归档"),
}
# Steps made of parallel units (one per department) rather than one decision.
PARALLEL_KINDS = frozenset({StepKind.COUNTERSIGN, StepKind.HANDLE})
# Steps whose completion cannot be taken back (a 文号 or 档号 was issued, receipts were sent).
FINAL_STEP_KINDS = frozenset({StepKind.NUMBER, StepKind.DISTRIBUTE, StepKind.FILE})


class StepState(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    DONE = "done"
    CANCELLED = "cancelled"


class AssignmentState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    SUPERSEDED = "superseded"  # another person of the same unit acted first
    CANCELLED = "cancelled"  # the step was returned, withdrawn or re-planned
    TRANSFERRED = "transferred"  # 转办 to someone else


class Action(StrEnum):
    CREATE = "create"
    SUBMIT = "submit"
    REVISE = "revise"  # change of content or key fields
    CANCEL = "cancel"
    APPROVE = "approve"
    SIGN = "sign"
    INSTRUCT = "instruct"
    NUMBER = "number"
    DISTRIBUTE = "distribute"
    FILE = "file"
    RETURN = "return"
    SEND_BACK = "send_back"  # 退回来文
    WITHDRAW = "withdraw"
    ADD_SIGNER = "add_signer"
    TRANSFER = "transfer"
    COMMENT = "comment"
    REVIEW = "review"  # system: a change after 签发 sends the document back to the signer
    VOID_NUMBER = "void_number"
    REASSIGN = "reassign"  # system: the holder lost the standing for the step; it moved to who holds it now


ACTION_NAMES = {
    Action.CREATE: N_("起草"),
    Action.SUBMIT: N_("提交"),
    Action.REVISE: N_("修改"),
    Action.CANCEL: N_("作废"),
    Action.APPROVE: N_("同意"),
    Action.SIGN: N_("签发"),
    Action.INSTRUCT: N_("批办"),
    Action.NUMBER: N_("编号"),
    Action.DISTRIBUTE: N_("分发"),
    Action.FILE: N_("归档"),
    Action.RETURN: N_("退回"),
    Action.SEND_BACK: N_("退回来文"),
    Action.WITHDRAW: N_("撤回"),
    Action.ADD_SIGNER: N_("加签"),
    Action.TRANSFER: N_("转办"),
    Action.COMMENT: N_("意见"),
    Action.REVIEW: N_("送复核"),
    Action.VOID_NUMBER: N_("文号作废"),
    Action.REASSIGN: N_("改派"),
}

# The action that completes a step of each kind.
COMPLETING_ACTION = {
    StepKind.APPROVE: Action.APPROVE,
    StepKind.SCREEN: Action.APPROVE,
    StepKind.COUNTERSIGN: Action.APPROVE,
    StepKind.SIGN: Action.SIGN,
    StepKind.INSTRUCT: Action.INSTRUCT,
    StepKind.HANDLE: Action.APPROVE,
    StepKind.NUMBER: Action.NUMBER,
    StepKind.DISTRIBUTE: Action.DISTRIBUTE,
    StepKind.FILE: Action.FILE,
}
COMPLETING_ACTIONS = frozenset(COMPLETING_ACTION.values())


class Who(StrEnum):
    """Who may take an action, relative to the document."""

    DRAFTER = "drafter"
    ASSIGNEE = "assignee"  # holds a pending assignment on the active step
    LAST_ACTOR = "last_actor"  # took the latest step action (withdraw)
    EDITOR = "editor"  # the drafter or an assignee of the active step
    VIEWER = "viewer"  # anyone who may see the document


@dataclass(frozen=True)
class Transition:
    who: Who
    # None: the state follows from the route (stays ACTIVE, or ends as FILED / COMPLETED).
    target: State | None
    # For step actions: the kinds of active step where the action is offered.
    step_kinds: frozenset[StepKind] = frozenset()


_ALL_STEPS = frozenset(StepKind)
_DECIDING = frozenset(set(StepKind) - FINAL_STEP_KINDS)

# (state, action) -> transition. Absent pairs are refused.
TRANSITIONS: dict[tuple[State, Action], Transition] = {
    (State.DRAFT, Action.REVISE): Transition(Who.DRAFTER, State.DRAFT),
    (State.DRAFT, Action.SUBMIT): Transition(Who.DRAFTER, State.ACTIVE),
    (State.DRAFT, Action.CANCEL): Transition(Who.DRAFTER, State.CANCELLED),
    (State.DRAFT, Action.COMMENT): Transition(Who.VIEWER, State.DRAFT),
    (State.RETURNED, Action.REVISE): Transition(Who.DRAFTER, State.RETURNED),
    (State.RETURNED, Action.SUBMIT): Transition(Who.DRAFTER, State.ACTIVE),
    (State.RETURNED, Action.CANCEL): Transition(Who.DRAFTER, State.CANCELLED),
    (State.RETURNED, Action.COMMENT): Transition(Who.VIEWER, State.RETURNED),
    (State.ACTIVE, Action.REVISE): Transition(Who.EDITOR, State.ACTIVE),
    (State.ACTIVE, Action.APPROVE): Transition(
        Who.ASSIGNEE, None, frozenset({StepKind.APPROVE, StepKind.SCREEN, StepKind.COUNTERSIGN, StepKind.HANDLE})
    ),
    (State.ACTIVE, Action.SIGN): Transition(Who.ASSIGNEE, None, frozenset({StepKind.SIGN})),
    (State.ACTIVE, Action.INSTRUCT): Transition(Who.ASSIGNEE, None, frozenset({StepKind.INSTRUCT})),
    (State.ACTIVE, Action.NUMBER): Transition(Who.ASSIGNEE, None, frozenset({StepKind.NUMBER})),
    (State.ACTIVE, Action.DISTRIBUTE): Transition(Who.ASSIGNEE, None, frozenset({StepKind.DISTRIBUTE})),
    (State.ACTIVE, Action.FILE): Transition(Who.ASSIGNEE, None, frozenset({StepKind.FILE})),
    # Returning goes to an earlier step (stays ACTIVE) or to the drafter (RETURNED): decided by the target.
    (State.ACTIVE, Action.RETURN): Transition(Who.ASSIGNEE, None, _ALL_STEPS),
    (State.ACTIVE, Action.SEND_BACK): Transition(Who.ASSIGNEE, State.SENT_BACK, frozenset({StepKind.SCREEN})),
    (State.ACTIVE, Action.WITHDRAW): Transition(Who.LAST_ACTOR, None),
    (State.ACTIVE, Action.ADD_SIGNER): Transition(Who.ASSIGNEE, State.ACTIVE, _DECIDING),
    (State.ACTIVE, Action.TRANSFER): Transition(Who.ASSIGNEE, State.ACTIVE, _ALL_STEPS),
    (State.ACTIVE, Action.COMMENT): Transition(Who.VIEWER, State.ACTIVE),
    (State.COMPLETED, Action.COMMENT): Transition(Who.VIEWER, State.COMPLETED),
    (State.FILED, Action.COMMENT): Transition(Who.VIEWER, State.FILED),
}


def transition(state: str, action: str) -> Transition | None:
    """Return the transition for `action` in `state`, or None when the table does not allow it."""
    try:
        return TRANSITIONS.get((State(state), Action(action)))
    except ValueError:
        return None


def actions_in(state: str) -> list[Action]:
    """Return the actions the table allows in `state`, in table order."""
    return [a for (s, a) in TRANSITIONS if s == state]


def is_final(state: str) -> bool:
    """Return True when the document's route is over."""
    return state in FINAL_STATES


def is_classified(level: int) -> bool:
    """Return True for 秘密 and above."""
    return level >= CLASSIFIED_FROM
