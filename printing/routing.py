"""Pure routing: a print request + the policy + printer states -> where it prints and why.

No I/O here: the web (to show the decision at once), the worker (to re-route with fresh printer states
before submitting, and when a department printer jams) and `eoffice print route` all call `route()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from config.printing import PrintingSettings
from core.messages import msg, to_data
from core.terms import CLASSIFICATION_NAMES as TERMS_CLASSIFICATIONS

Tier = Literal["department", "central"]
CLASSIFICATION_NAMES = tuple(msg(label) for _level, label in sorted(TERMS_CLASSIFICATIONS.items()))

# ISO/JIS paper sizes in millimetres (portrait), used to name a PDF's pages and to compare with A4.
MEDIA_SIZES: dict[str, tuple[float, float]] = {
    "A5": (148, 210),
    "B5": (176, 250),
    "A4": (210, 297),
    "Letter": (215.9, 279.4),
    "Legal": (215.9, 355.6),
    "B4": (250, 353),
    "A3": (297, 420),
    "B3": (353, 500),
    "A2": (420, 594),
    "A1": (594, 841),
    "A0": (841, 1189),
}
_TOLERANCE_MM = 3.0


@dataclass(frozen=True)
class PrinterState:
    """What CUPS (or the spool) says about one queue."""

    queue: str
    state: int = 3  # IPP printer-state: 3 idle, 4 processing, 5 stopped
    accepting: bool = True
    message: str = ""
    reasons: tuple[str, ...] = ()
    reachable: bool = True

    @property
    def usable(self) -> bool:
        return self.reachable and self.accepting and self.state != 5


@dataclass(frozen=True)
class PrintRequest:
    """Everything routing needs to know about one job."""

    department: str | None  # requester's department code
    pages: int  # pages to print (after page ranges), per copy
    copies: int = 1
    media: str = "A4"
    color: bool = False
    quality: Literal["normal", "high", "draft"] = "normal"
    classification: int = 1
    prefer_central: bool = False  # the user's explicit choice
    page_ranges: str = ""
    duplex: bool | None = None  # the user's choice; None: the policy's default


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the code, the Chinese text, and the catalog id so the page shows it translated."""
        return {"code": self.code, **to_data(self.text)}


@dataclass(frozen=True)
class Policy:
    department_queues: Mapping[str, tuple[str, ...]]
    fallback_queues: Mapping[str, str]
    central_department: str
    central_queues: tuple[str, ...]
    hold_central: bool = True
    max_department_pages: int = 50
    max_department_classification: int = 1
    department_media: tuple[str, ...] = ("A4", "A5", "B5")
    color_to_central: bool = True
    high_quality_to_central: bool = True
    department_duplex: bool = True
    department_grayscale: bool = True

    @classmethod
    def from_settings(cls, s: PrintingSettings) -> Policy:
        """Build the policy from the [printing] settings."""
        return cls(
            department_queues=dict(s.department_queues),
            fallback_queues=dict(s.fallback_queues),
            central_department=s.central_department,
            central_queues=tuple(s.central_queues),
            hold_central=s.hold_central,
            max_department_pages=s.max_department_pages,
            max_department_classification=s.max_department_classification,
            department_media=tuple(s.department_media),
            color_to_central=s.color_to_central,
            high_quality_to_central=s.high_quality_to_central,
            department_duplex=s.department_duplex,
            department_grayscale=s.department_grayscale,
        )

    def all_queues(self) -> list[str]:
        """Return every queue the policy names, central first, without duplicates."""
        out: list[str] = []
        for q in [*self.central_queues, *(q for qs in self.department_queues.values() for q in qs),
                  *self.fallback_queues.values()]:
            if q and q not in out:
                out.append(q)
        return out


@dataclass(frozen=True)
class Decision:
    tier: Tier
    queue: str
    reasons: tuple[Reason, ...]
    options: dict[str, str] = field(default_factory=dict)
    held: bool = False
    fallback: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "queue": self.queue,
            "held": self.held,
            "fallback": self.fallback,
            "reasons": [r.as_dict() for r in self.reasons],
            "options": dict(self.options),
        }


def route(request: PrintRequest, policy: Policy, printers: Mapping[str, PrinterState] | None = None) -> Decision:
    """Decide the tier and queue for `request`, with every reason and the CUPS options to apply."""
    printers = printers or {}
    central_reasons = _central_reasons(request, policy)
    dept_queues = tuple(policy.department_queues.get(request.department or "", ()))
    if not central_reasons and not dept_queues:
        central_reasons.append(Reason("no_department_printer", msg("本处室未配置部门打印机，改由文印室打印")))

    fallback_reasons: list[Reason] = []
    if not central_reasons:
        queue = _first_usable(dept_queues, printers)
        if queue is not None:
            reasons = [Reason("ordinary", msg("普通文件，在本处室打印机打印"))]
            return _department(request, policy, queue, reasons, fallback=False)
        down = _describe_down(dept_queues, printers)
        sibling = policy.fallback_queues.get(request.department or "", "")
        if sibling and _is_usable(sibling, printers):
            reasons = [Reason("department_down", msg(
                "%(down)s，改送备用打印机 %(sibling)s",
                down=down, sibling=sibling,
            ))]
            return _department(request, policy, sibling, reasons, fallback=True)
        fallback_reasons.append(Reason("department_down", msg("%(down)s，改送文印室打印", down=down)))

    first = policy.central_queues[0] if policy.central_queues else ""
    queue = _first_usable(policy.central_queues, printers) or first
    reasons = central_reasons + fallback_reasons
    if queue and not _is_usable(queue, printers):
        reasons.append(Reason("central_down", msg("文印室打印机 %(queue)s 暂不可用，作业将排队等候", queue=queue)))
    options = _base_options(request)
    options["sides"] = "two-sided-long-edge" if request.duplex and request.pages > 1 else "one-sided"
    options["print-color-mode"] = "color" if request.color else "monochrome"
    if policy.hold_central:
        options["job-hold-until"] = "indefinite"
        reasons.append(Reason("held", msg("文印室作业到达后暂停，由文印室操作员核对后放行")))
    return Decision(
        "central", queue, tuple(reasons), options, held=policy.hold_central, fallback=bool(fallback_reasons)
    )


def impressions(request: PrintRequest) -> int:
    """Return pages x copies, the unit of the threshold and of accounting."""
    return max(0, request.pages) * max(1, request.copies)


def larger_than_a4(media: str) -> bool:
    """Return True when the named paper is bigger than A4 in either direction."""
    size = MEDIA_SIZES.get(normalize_media(media))
    if size is None:
        return False
    a4 = MEDIA_SIZES["A4"]
    return size[0] > a4[0] + _TOLERANCE_MM or size[1] > a4[1] + _TOLERANCE_MM


def normalize_media(media: str) -> str:
    """Return the canonical paper name (a4 -> A4, iso_a3_297x420mm -> A3); unknown names unchanged."""
    raw = (media or "").strip()
    for name in MEDIA_SIZES:
        if raw.lower() == name.lower():
            return name
    if raw.lower().startswith(("iso_", "jis_", "na_")):
        core = raw.split("_")[1].lower()
        for name in MEDIA_SIZES:
            if core == name.lower():
                return name
    return raw


def media_for_size(width_mm: float, height_mm: float) -> str:
    """Return the smallest standard paper the page fits on (orientation ignored)."""
    short, long_ = sorted((width_mm, height_mm))
    # US Letter (215.9 x 279.4) counts as A4: it prints on A4 scaled to fit, as every office does.
    if 210 < short <= 216 + _TOLERANCE_MM and long_ <= 297 + _TOLERANCE_MM:
        return "A4"
    fitting = [
        (w * h, name) for name, (w, h) in MEDIA_SIZES.items()
        if short <= w + _TOLERANCE_MM and long_ <= h + _TOLERANCE_MM and name not in ("Letter", "Legal")
    ]
    if not fitting:
        return "A0"
    return min(fitting)[1]


def selected_pages(page_ranges: str, total: int) -> list[int]:
    """Return the 1-based page numbers the ranges select ("1-3,5"; empty = all), in order. Raises ValueError.

    Pages past `total` are ignored; a range that selects nothing, or a malformed one, raises.
    """
    text = (page_ranges or "").replace(msg("，"), ",").replace(" ", "")
    if not text:
        return list(range(1, total + 1))
    selected: set[int] = set()
    for part in text.split(","):
        if not part:
            continue
        lo_s, sep, hi_s = part.partition("-")
        lo = int(lo_s)
        hi = int(hi_s) if sep else lo
        if lo < 1 or hi < lo:
            raise ValueError(part)
        selected.update(range(lo, min(hi, total) + 1))
    if not selected:
        raise ValueError(text)
    return sorted(selected)


def count_pages(page_ranges: str, total: int) -> int:
    """Return how many of `total` pages the ranges select ("1-3,5"); empty = all. Raises ValueError."""
    return len(selected_pages(page_ranges, total))


def media_of_pages(sizes_mm: Sequence[tuple[float, float]], pages: Iterable[int]) -> str:
    """Return the paper the printed pages need: the largest of the given 1-based pages' sizes (mm).

    Paper is chosen from the pages actually printed: pages 1-2 of a report whose page 3 is A3 go on A4.
    """
    chosen = [sizes_mm[p - 1] for p in pages if 0 < p <= len(sizes_mm)] or list(sizes_mm)
    if not chosen:
        return "A4"
    largest = max(chosen, key=lambda s: s[0] * s[1])
    return media_for_size(*largest)


def _central_reasons(request: PrintRequest, policy: Policy) -> list[Reason]:
    reasons: list[Reason] = []
    if request.classification > policy.max_department_classification:
        name = CLASSIFICATION_NAMES[min(request.classification, 4)]
        reasons.append(Reason("classified", msg(
            "密级为%(name)s，涉密文件只能在文印室打印，不送部门打印机",
            name=name,
        )))
    media = normalize_media(request.media)
    if media not in policy.department_media:
        if larger_than_a4(media):
            reasons.append(Reason("media", msg("纸张 %(media)s 大于 A4，部门打印机无法打印", media=media)))
        else:
            reasons.append(Reason("media", msg("部门打印机不支持纸张 %(media)s", media=media)))
    if request.color and policy.color_to_central:
        reasons.append(Reason("color", msg("彩色打印由文印室承担")))
    if request.quality == "high" and policy.high_quality_to_central:
        reasons.append(Reason("quality", msg("高质量打印由文印室承担")))
    total = impressions(request)
    if total > policy.max_department_pages:
        reasons.append(
            Reason("volume", msg(
                "共 %(total)s 页（%(pages)s 页 × %(copies)s 份），超过部门打印上限 %(max_department_pages)s 页",
                total=total,
                pages=request.pages,
                copies=request.copies,
                max_department_pages=policy.max_department_pages,
            ))
        )
    if request.prefer_central:
        reasons.append(Reason("user_choice", msg("申请人选择由文印室打印")))
    return reasons


def _department(
    request: PrintRequest, policy: Policy, queue: str, reasons: list[Reason], *, fallback: bool
) -> Decision:
    options = _base_options(request)
    duplex = policy.department_duplex if request.duplex is None else request.duplex
    options["sides"] = "two-sided-long-edge" if duplex and request.pages > 1 else "one-sided"
    default_duplex = request.duplex is None and policy.department_duplex and request.pages > 1
    if policy.department_grayscale:
        options["print-color-mode"] = "monochrome"
    if default_duplex and policy.department_grayscale:
        reasons.append(Reason("department_defaults", msg("部门打印默认双面、黑白")))
    elif default_duplex:
        reasons.append(Reason("department_defaults", msg("部门打印默认双面")))
    elif policy.department_grayscale:
        reasons.append(Reason("department_defaults", msg("部门打印默认黑白")))
    return Decision("department", queue, tuple(reasons), options, held=False, fallback=fallback)


def _base_options(request: PrintRequest) -> dict[str, str]:
    options = {"media": normalize_media(request.media), "copies": str(max(1, request.copies))}
    if request.copies > 1:
        options["multiple-document-handling"] = "separate-documents-collated-copies"
    if request.quality == "high":
        options["print-quality"] = "5"
    elif request.quality == "draft":
        options["print-quality"] = "3"
    if request.page_ranges:
        options["page-ranges"] = request.page_ranges.replace("，", ",").replace(" ", "")
    return options


def _is_usable(queue: str, printers: Mapping[str, PrinterState]) -> bool:
    # An unknown state (never polled yet) counts as usable: the worker re-routes with fresh states.
    state = printers.get(queue)
    return state is None or state.usable


def _first_usable(queues: tuple[str, ...], printers: Mapping[str, PrinterState]) -> str | None:
    return next((q for q in queues if _is_usable(q, printers)), None)


def _describe_down(queues: tuple[str, ...], printers: Mapping[str, PrinterState]) -> str:
    parts = []
    for q in queues:
        st = printers.get(q)
        if st is None:
            continue
        if not st.reachable:
            why = msg("无法连接")
        elif st.state == 5:
            why = msg("已停止")
        else:
            why = msg("不接受作业")
        detail = st.message or ", ".join(r for r in st.reasons if r != "none")
        parts.append(msg("部门打印机 %(q)s %(why)s（%(detail)s）", q=q, why=why, detail=detail) if detail
                     else msg("部门打印机 %(q)s %(why)s", q=q, why=why))
    return "；".join(parts) or msg("部门打印机不可用")
