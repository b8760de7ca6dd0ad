"""The state table itself."""

from __future__ import annotations

from documents import states
from documents.states import Action, State, StepKind, Who


def test_every_step_kind_has_a_completing_action_offered_in_active():
    for kind in StepKind:
        action = states.COMPLETING_ACTION[kind]
        rule = states.transition(State.ACTIVE, action)
        assert rule is not None and kind in rule.step_kinds and rule.who == Who.ASSIGNEE


def test_final_states_allow_only_comments():
    for state in states.FINAL_STATES:
        assert set(states.actions_in(state)) <= {Action.COMMENT}


def test_drafts_are_the_drafters():
    for action in (Action.SUBMIT, Action.REVISE, Action.CANCEL):
        assert states.transition(State.DRAFT, action).who == Who.DRAFTER
    assert states.transition(State.DRAFT, Action.APPROVE) is None
    assert states.transition(State.ACTIVE, Action.SUBMIT) is None


def test_send_back_only_at_screening():
    rule = states.transition(State.ACTIVE, Action.SEND_BACK)
    assert rule.step_kinds == frozenset({StepKind.SCREEN}) and rule.target == State.SENT_BACK


def test_unknown_values_are_refused():
    assert states.transition("nonsense", "approve") is None
    assert states.transition("active", "nonsense") is None


def test_every_name_is_labelled():
    assert set(states.STATE_NAMES) == set(State)
    assert set(states.ACTION_NAMES) == set(Action)
    assert set(states.STEP_KIND_NAMES) == set(StepKind)
