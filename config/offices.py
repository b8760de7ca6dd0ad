"""Settings of the seeds' other offices: 政务信息报送 ([reporting]), 督查督办 ([inspection]) and
目标绩效考核 ([assessment]) — ../shared/docs/domain.md "Offices the seeds run on the LAN besides 公文"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ReportingSettings:
    # Items each unit (department or outside unit) must submit per week (Monday to Sunday, bureau time).
    weekly_quota: int
    # A 突发事件 must be reported within this many hours of the event, wall-clock (holidays included).
    urgent_report_hours: int
    # The publications the office adopts items into (each numbered per year: 2026年第3期).
    publications: tuple[str, ...]
    # Points per item and event in the 通报 score. Keys: submitted, adopted_office, adopted_department
    # (上级主管部门), adopted_province, adopted_national, missed_week, late_urgent.
    score_weights: dict[str, float]
    # How many units at the top and at the bottom of the ranking are marked (ties share a rank).
    marked_places: int


@dataclass(frozen=True)
class InspectionSettings:
    # Default deadline of a 督查督办 item by kind, counted in working days on the bureau's calendar
    # from 立项: an ordinary instruction within one month (22 working days), an urgent one within one
    # week (5 working days) — domain.md "批示件". A deadline or milestones set at 立项 win.
    deadline_workdays: dict[str, int]
    # Open items due within this many working days are listed as 即将到期 (as for 督办).
    due_soon_days: int


@dataclass(frozen=True)
class AssessmentSettings:
    # The quarterly 自查 report is due this many days after the quarter ends (the seed's 5日).
    self_check_days: int
    # "calendar" (the seed's wording) or "working" days on the bureau's calendar.
    self_check_day_kind: Literal["calendar", "working"]
    # Weights of the named components of the year's assessment page (信息报送 score, 督查 figures).
    component_weights: dict[str, float]
