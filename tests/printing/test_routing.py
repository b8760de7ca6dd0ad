"""The pure routing function: request + policy + printer states -> decision with reasons."""

from __future__ import annotations

import pytest

from printing.routing import (
    Policy,
    PrinterState,
    PrintRequest,
    count_pages,
    larger_than_a4,
    media_for_size,
    normalize_media,
    route,
)

POLICY = Policy(
    department_queues={"LZC": ("dept-lzc",), "BGS": ("dept-bgs-1", "dept-bgs-2"), "ZLC": ("dept-zlc",)},
    fallback_queues={"ZLC": "dept-bgs-1"},
    central_department="WYS",
    central_queues=("room-1", "room-2"),
)


def codes(decision) -> list[str]:
    return [r.code for r in decision.reasons]


def test_ordinary_a4_memo_goes_to_department_with_duplex_and_grayscale():
    d = route(PrintRequest(department="LZC", pages=3), POLICY)
    assert (d.tier, d.queue, d.held, d.fallback) == ("department", "dept-lzc", False, False)
    assert d.options["sides"] == "two-sided-long-edge"
    assert d.options["print-color-mode"] == "monochrome"
    assert d.options["media"] == "A4" and d.options["copies"] == "1"
    assert "job-hold-until" not in d.options
    assert codes(d) == ["ordinary", "department_defaults"]


def test_single_page_is_not_forced_duplex():
    d = route(PrintRequest(department="LZC", pages=1), POLICY)
    assert d.options["sides"] == "one-sided"
    assert "黑白" in d.reasons[-1].text and "双面" not in d.reasons[-1].text


def test_department_defaults_can_be_switched_off():
    policy = Policy(**{**POLICY.__dict__, "department_duplex": False, "department_grayscale": False})
    d = route(PrintRequest(department="LZC", pages=5), policy)
    assert d.options["sides"] == "one-sided" and "print-color-mode" not in d.options
    assert codes(d) == ["ordinary"]


@pytest.mark.parametrize("media", ["A3", "B4", "a3", "iso_a3_297x420mm", "A2"])
def test_paper_larger_than_a4_goes_central_and_is_held(media):
    d = route(PrintRequest(department="LZC", pages=1, media=media), POLICY)
    assert (d.tier, d.queue, d.held) == ("central", "room-1", True)
    assert d.options["job-hold-until"] == "indefinite"
    assert "media" in codes(d) and "大于 A4" in d.reasons[0].text


def test_smaller_paper_stays_in_department():
    assert route(PrintRequest(department="LZC", pages=1, media="B5"), POLICY).tier == "department"


def test_unsupported_small_paper_goes_central():
    policy = Policy(**{**POLICY.__dict__, "department_media": ("A4",)})
    d = route(PrintRequest(department="LZC", pages=1, media="A5"), policy)
    assert d.tier == "central" and "不支持纸张 A5" in d.reasons[0].text


def test_colour_goes_central_in_colour():
    d = route(PrintRequest(department="LZC", pages=2, color=True), POLICY)
    assert d.tier == "central" and codes(d)[0] == "color"
    assert d.options["print-color-mode"] == "color"


def test_high_quality_goes_central():
    d = route(PrintRequest(department="LZC", pages=2, quality="high"), POLICY)
    assert d.tier == "central" and codes(d)[0] == "quality" and d.options["print-quality"] == "5"


def test_volume_threshold_counts_pages_times_copies():
    assert route(PrintRequest(department="LZC", pages=25, copies=2), POLICY).tier == "department"  # 50
    d = route(PrintRequest(department="LZC", pages=17, copies=3), POLICY)  # 51
    assert d.tier == "central" and "17 页 × 3 份" in d.reasons[0].text
    assert d.options["copies"] == "3"
    assert route(PrintRequest(department="LZC", pages=60), POLICY).tier == "central"


@pytest.mark.parametrize(("level", "tier"), [(0, "department"), (1, "department"), (2, "central"), (4, "central")])
def test_classified_documents_never_go_to_a_department_printer(level, tier):
    d = route(PrintRequest(department="LZC", pages=1, classification=level), POLICY)
    assert d.tier == tier
    if tier == "central":
        assert codes(d)[0] == "classified" and "涉密" in d.reasons[0].text


def test_classified_never_falls_back_to_a_department_sibling():
    down = {"room-1": PrinterState("room-1", 5), "room-2": PrinterState("room-2", 5)}
    d = route(PrintRequest(department="ZLC", pages=1, classification=3), POLICY, down)
    assert d.tier == "central" and d.queue == "room-1"
    assert "central_down" in codes(d)


def test_users_explicit_choice():
    d = route(PrintRequest(department="LZC", pages=1, prefer_central=True), POLICY)
    assert d.tier == "central" and codes(d)[0] == "user_choice"


def test_every_reason_is_listed():
    d = route(PrintRequest(department="LZC", pages=60, media="A3", color=True, quality="high", classification=2),
              POLICY)
    assert codes(d)[:5] == ["classified", "media", "color", "quality", "volume"]


def test_no_department_or_no_queue_goes_central():
    assert codes(route(PrintRequest(department=None, pages=1), POLICY))[0] == "no_department_printer"
    assert route(PrintRequest(department="DAS", pages=1), POLICY).tier == "central"


def test_stopped_department_printer_falls_back_to_central_with_the_reason():
    states = {"dept-lzc": PrinterState("dept-lzc", 5, True, "卡纸 paper jam", ("media-jam-error",))}
    d = route(PrintRequest(department="LZC", pages=2), POLICY, states)
    assert (d.tier, d.queue, d.fallback, d.held) == ("central", "room-1", True, True)
    assert "dept-lzc 已停止" in d.reasons[0].text and "卡纸" in d.reasons[0].text


def test_not_accepting_department_printer_falls_back():
    states = {"dept-lzc": PrinterState("dept-lzc", 3, False, "")}
    d = route(PrintRequest(department="LZC", pages=2), POLICY, states)
    assert d.tier == "central" and "不接受作业" in d.reasons[0].text


def test_second_department_queue_is_used_before_falling_back():
    states = {"dept-bgs-1": PrinterState("dept-bgs-1", 5)}
    d = route(PrintRequest(department="BGS", pages=2), POLICY, states)
    assert (d.tier, d.queue, d.fallback) == ("department", "dept-bgs-2", False)


def test_named_sibling_fallback():
    states = {"dept-zlc": PrinterState("dept-zlc", 5, True, "jam")}
    d = route(PrintRequest(department="ZLC", pages=2), POLICY, states)
    assert (d.tier, d.queue, d.fallback) == ("department", "dept-bgs-1", True)
    assert "备用打印机 dept-bgs-1" in d.reasons[0].text
    assert d.options["sides"] == "two-sided-long-edge"


def test_sibling_down_too_falls_back_to_central():
    states = {"dept-zlc": PrinterState("dept-zlc", 5), "dept-bgs-1": PrinterState("dept-bgs-1", 5)}
    assert route(PrintRequest(department="ZLC", pages=2), POLICY, states).tier == "central"


def test_central_uses_next_room_printer_when_first_is_stopped():
    states = {"room-1": PrinterState("room-1", 5)}
    d = route(PrintRequest(department="LZC", pages=1, media="A3"), POLICY, states)
    assert d.queue == "room-2"


def test_unknown_printer_state_counts_as_usable():
    assert route(PrintRequest(department="LZC", pages=1), POLICY, {}).queue == "dept-lzc"


def test_no_hold_policy():
    policy = Policy(**{**POLICY.__dict__, "hold_central": False})
    d = route(PrintRequest(department="LZC", pages=1, media="A3"), policy)
    assert not d.held and "job-hold-until" not in d.options and "held" not in codes(d)


def test_page_ranges_passed_on():
    d = route(PrintRequest(department="LZC", pages=3, page_ranges="1-2, 5"), POLICY)
    assert d.options["page-ranges"] == "1-2,5"


def test_decision_as_dict_is_json_ready():
    out = route(PrintRequest(department="LZC", pages=1), POLICY).as_dict()
    assert out["tier"] == "department" and out["queue"] == "dept-lzc"
    assert out["reasons"][0] == {"code": "ordinary", "text": "普通文件，在本处室打印机打印",
                                 "msgid": "普通文件，在本处室打印机打印", "params": {}}
    import json

    from core.messages import Message, from_data
    again = from_data(json.loads(json.dumps(out["reasons"][0])))  # stored, then shown translated
    assert isinstance(again, Message) and again == "普通文件，在本处室打印机打印"


def test_policy_from_default_settings(settings):
    policy = Policy.from_settings(settings.printing)
    for code in ("BGS", "JHC", "LZC", "ZLC", "YBC", "FHB", "ZFC", "DAS", "WYS"):
        assert policy.department_queues[code]
    assert policy.central_department == "WYS" and policy.central_queues
    assert policy.max_department_pages == 50 and policy.max_department_classification == 1
    assert policy.all_queues()[0] == policy.central_queues[0]


def test_paper_helpers():
    assert larger_than_a4("A3") and larger_than_a4("B4") and not larger_than_a4("A4") and not larger_than_a4("A5")
    assert normalize_media("a4") == "A4" and normalize_media("iso_b4_250x353mm") == "B4"
    assert media_for_size(210, 297) == "A4" and media_for_size(420, 297) == "A3"
    assert media_for_size(215.9, 279.4) == "A4"  # US Letter prints on A4
    assert media_for_size(148, 210) == "A5" and media_for_size(250, 176) == "B5"
    assert media_for_size(250, 353) == "B4"
    assert media_for_size(2000, 3000) == "A0"


def test_count_pages():
    assert count_pages("", 7) == 7
    assert count_pages("1-3,5", 10) == 4
    assert count_pages("2-100", 10) == 9
    assert count_pages("1，3", 10) == 2
    for bad in ("0", "3-1", "x", "11-12"):
        with pytest.raises(ValueError):
            count_pages(bad, 10)
