"""Printing services: request a print, operator actions, job lists, accounting and quotas.

The web and other features call `request_print()`: it stores the document, prepares it (page count,
paper, conversion of text), routes it, checks the department quota and records a durable job in the
caller's transaction. The worker's dispatcher (printing.dispatcher) does everything that talks to CUPS.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session

from config import Settings
from core.clearance import cleared, cleared_clause
from core.db import changed_rows
from core.messages import DomainError, from_data, msg
from core.models import Department, PrinterStatus, PrintJob, User
from core.models.base import BUREAU_ZONE, utcnow
from core.org import permissions_of
from core.permissions import Permission
from fileformats import subproc, tables
from printing import documents, pdfprobe
from printing.routing import (
    CLASSIFICATION_NAMES,
    MEDIA_SIZES,
    Decision,
    Policy,
    PrinterState,
    PrintRequest,
    count_pages,
    media_of_pages,
    normalize_media,
    route,
    selected_pages,
)

LOCAL_TZ = BUREAU_ZONE  # one definition: core.models.base
ACTIVE_STATES = ("preparing", "queued", "held", "printing")
FINAL_STATES = ("completed", "cancelled", "aborted", "failed")
# Jobs that count against a quota: everything not cancelled or failed before printing.
COUNTED_STATES = ("preparing", "queued", "held", "printing", "completed")
STATE_LABELS = {
    "preparing": msg("正在转换"),
    "queued": msg("等待提交"),
    "held": msg("文印室待放行"),
    "printing": msg("打印中"),
    "completed": msg("已完成"),
    "cancelled": msg("已取消"),
    "aborted": msg("打印失败"),
    "failed": msg("无法打印"),
}


class PrintError(DomainError):
    """A print request or action was refused; the message tells the user why and what to do."""


@dataclass(frozen=True)
class UploadedFile:
    """A file the user uploads to print."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class ArchiveSource:
    """A file of the shared archive (文件资料库), by ArchiveFile id."""

    file_id: int


@dataclass(frozen=True)
class DocumentSource:
    """A workflow document's file: the caller has checked the user may read it."""

    path: Path
    title: str
    classification: int


Source = UploadedFile | ArchiveSource | DocumentSource


@dataclass(frozen=True)
class PrintOptions:
    media: str = "auto"  # "auto": the document's own paper size
    color: bool = False
    quality: Literal["normal", "high", "draft"] = "normal"
    copies: int = 1
    page_ranges: str = ""
    prefer_central: bool = False
    duplex: bool | None = None  # None: the routing policy's default (two-sided on department printers)
    classification: int | None = None  # for uploads: 密级 declared by the user (default 内部)


def policy(settings: Settings) -> Policy:
    """Return the routing policy from the settings."""
    return Policy.from_settings(settings.printing)


def request_print(session: Session, settings: Settings, user: User, source: Source, options: PrintOptions) -> PrintJob:
    """Record a print job for `source` and prepare it (the caller commits); raise PrintError when refused."""
    _check_options(settings, options)
    filename, title, classification, ref, kind_name = _resolve_source(session, settings, user, source, options)
    identity = _archive_identity(session, settings, user, source)
    kind = _kind(filename)
    _end_read(session)  # the slow part below (file copy, typesetting, probe) holds no database lock
    job_uuid = str(uuidlib.uuid4())
    folder = jobs_dir(settings) / job_uuid
    folder.mkdir(parents=True, exist_ok=True)
    original = folder / f"original.{kind}"
    try:
        limit = settings.web.upload_limits_mb.get("print", 100)
        if isinstance(source, UploadedFile):
            if not source.data:
                raise PrintError(msg("上传的文件是空的，请重新选择文件。"))
            if len(source.data) > limit * 1024 * 1024:
                raise PrintError(msg("文件超过 %(limit)s MB，无法打印；请拆分后再提交。", limit=limit))
            original.write_bytes(source.data)
        elif isinstance(source, ArchiveSource):
            _copy_archive_file(settings, ref, original, identity=identity)
        else:
            path = Path(ref)
            if not path.is_file():
                raise PrintError(msg("找不到要打印的文件（可能已被移动或删除），请刷新页面后重试。"))
            shutil.copyfile(path, original)
        if original.stat().st_size > limit * 1024 * 1024:  # an archive or document file: the same cap
            raise PrintError(msg("文件超过 %(limit)s MB，无法打印；请拆分后再提交。", limit=limit))
        info = None if kind == "docx" else _facts_in_request(settings, original)
        job = PrintJob(
            uuid=job_uuid,
            user_id=user.id,
            username=user.username,
            department_id=user.department_id,
            title=title[:255],
            source_kind=kind_name,
            source_ref=ref[:1024],
            original_path=str(original.relative_to(settings.data_dir)),
            classification=classification,
            media=options.media if options.media != "auto" else "auto",
            color=options.color,
            quality=options.quality,
            copies=options.copies,
            page_ranges=_clean_ranges(options.page_ranges),
            prefer_central=options.prefer_central,
            duplex=options.duplex,
            state="preparing",
            attempts=0,
            held=False,
        )
        session.add(job)
        session.flush()
        if kind == "docx":
            # LibreOffice takes seconds: the worker converts, the request returns at once.
            if shutil.which(settings.printing.soffice) is None:
                raise PrintError(
                    msg("服务器未安装 LibreOffice，无法打印 Word 文件；请在 Word 中另存为 PDF 后再打印。")
                )
            _check_quota(session, settings, job, extra=0)
            job.message = msg("正在将 Word 文件转换为 PDF")
        elif info is None:  # more than the request's few seconds: the worker finishes it (convert_waiting)
            _check_quota(session, settings, job, extra=0)
            job.message = msg("正在读取文件页数")
        else:
            prepare(session, settings, job, raise_errors=True, info=info)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


# The most a web request spends typesetting a .txt and reading a PDF's pages (docs/printing.md): past it
# the job waits as 「正在读取文件页数」 and the worker finishes it with the full limits.
IN_REQUEST_SECONDS = subproc.IN_REQUEST_SECONDS


def _end_read(session: Session) -> None:
    # A form post's transaction holds SQLite's write lock from its first query; end the read part so the
    # slow work that follows does not keep every other writer waiting (nothing is pending yet).
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


def _facts_in_request(settings: Settings, original: Path) -> Any:
    """The PDF facts of a .pdf or .txt job read within IN_REQUEST_SECONDS, or None when that was not enough."""
    import time

    deadline = time.monotonic() + IN_REQUEST_SECONDS
    try:
        return pdf_facts(settings, original, deadline=deadline)
    except documents.TimedOut:
        return None
    except documents.DocumentError as exc:
        raise PrintError(str(exc)) from None


def pdf_facts(settings: Settings, original: Path, *, deadline: float | None = None) -> Any:
    """Typeset a .txt job's text (limited child) and read the PDF's pages and sizes (limited child).

    `deadline` (time.monotonic) bounds both together; without it the settings' limits apply (worker).
    Returns printing.documents.PdfInfo; raises documents.TimedOut only when the deadline, not the
    setting's own limit, cut a step short (the worker can finish it), else documents.DocumentError.
    """
    import time

    def step(limit: float, work: Any) -> Any:
        budget = limit if deadline is None else min(limit, max(0.1, deadline - time.monotonic()))
        try:
            return work(budget)
        except documents.TimedOut as exc:
            if budget >= limit:  # its own limit ran out: more time would not help, the file is refused
                raise documents.DocumentError(str(exc)) from None
            raise

    pdf = original
    if original.suffix in (".txt", ".docx"):
        pdf = original.with_name("print.pdf")
    if original.suffix == ".txt":  # one child typesets and counts (all A4): no second reading
        return step(settings.printing.conversion_timeout_seconds,
                    lambda seconds: documents.text_to_pdf_limited(original, pdf, timeout=seconds))
    return step(settings.printing.pdf_probe_timeout_seconds, lambda seconds: pdfprobe.probe(
        pdf, timeout=seconds, memory_mb=settings.printing.pdf_probe_memory_mb))


def prepare(session: Session, settings: Settings, job: PrintJob, *, raise_errors: bool = False,
            info: Any = None) -> None:
    """Route a job whose PDF is ready and check the quota; `info` is its PdfInfo (`pdf_facts`), read before
    the caller's write transaction. Without `info` the facts are read here (a .txt typeset, a .docx
    converted: slow, the worker only)."""
    original = settings.data_dir / job.original_path
    pdf = original if original.suffix == ".pdf" else original.with_name("print.pdf")
    try:
        try:
            if info is None:
                if original.suffix == ".docx" and not (pdf.exists() and pdf.stat().st_size):
                    documents.docx_to_pdf(
                        original, pdf, soffice=settings.printing.soffice,
                        timeout=settings.printing.conversion_timeout_seconds, lock_dir=jobs_dir(settings),
                    )
                info = pdf_facts(settings, original)
        except documents.DocumentError as exc:
            raise PrintError(str(exc)) from None
        try:
            printed = selected_pages(job.page_ranges, info.pages)
        except ValueError:
            raise PrintError(
                msg(
                    "页码范围“%(page_ranges)s”无效：本文件共 %(pages)s 页，请填写如 1-3,5 的范围。",
                    page_ranges=job.page_ranges, pages=info.pages,
                )
            ) from None
        job.pdf_path = str(pdf.relative_to(settings.data_dir))
        job.document_pages = info.pages
        job.pages = len(printed)
        pages = job.pages
        if job.media == "auto":
            job.media = media_of_pages(info.sizes_mm, printed)
        _check_quota(session, settings, job, extra=pages * job.copies)
        apply_decision(job, route(print_request(job, session), policy(settings), printer_states(session)))
        job.state = "queued"
        job.message = None
    except PrintError as exc:
        if raise_errors:
            raise
        job.state = "failed"
        job.message = str(exc)
        job.finished_at = utcnow()


@dataclass(frozen=True)
class Preview:
    decision: Decision
    document_pages: int
    pages: int
    media: str


def preview_route(session: Session, settings: Settings, user: User, path: Path, options: PrintOptions) -> Preview:
    """Prepare a local file in a scratch folder and return where it would print, without printing."""
    import tempfile

    _check_options(settings, options)
    kind = _kind(path.name)
    with tempfile.TemporaryDirectory(prefix="eoffice-route-") as tmp:
        pdf = Path(tmp) / "print.pdf"
        try:
            if kind == "pdf":
                pdf = path
            elif kind == "txt":
                documents.text_to_pdf_limited(path, pdf, timeout=settings.printing.conversion_timeout_seconds)
            else:
                documents.docx_to_pdf(path, pdf, soffice=settings.printing.soffice,
                                      timeout=settings.printing.conversion_timeout_seconds, lock_dir=Path(tmp))
            info = pdfprobe.probe(
                pdf, timeout=settings.printing.pdf_probe_timeout_seconds,
                memory_mb=settings.printing.pdf_probe_memory_mb,
            )
        except documents.DocumentError as exc:
            raise PrintError(str(exc)) from None
    return _preview(session, settings, user, info, options)


def preview_pdf_route(session: Session, settings: Settings, user: User, pdf: Path, options: PrintOptions,
                      *, classification: int | None = None) -> Preview:
    """Return where a PDF already at hand would print (the document page's print form), printing nothing.

    The page facts are read by the bounded child of printing.pdfprobe (time and memory limits), so a
    web request may call this; Word files are previewed from the worker's PDF (core.storage
    .preview_pdf), never converted here. `classification` is the document's 密级. Raises PrintError
    (bad options, unreadable PDF, page ranges outside the document).
    """
    _check_options(settings, options)
    try:  # a web request: at most IN_REQUEST_SECONDS (docs/production.md, "Work inside a request")
        info = pdfprobe.probe(pdf, timeout=min(settings.printing.pdf_probe_timeout_seconds, IN_REQUEST_SECONDS),
                              memory_mb=settings.printing.pdf_probe_memory_mb)
    except documents.DocumentError as exc:
        raise PrintError(str(exc)) from None
    if classification is not None:
        options = dataclasses.replace(options, classification=classification)
    return _preview(session, settings, user, info, options)


def _preview(session: Session, settings: Settings, user: User, info: Any, options: PrintOptions) -> Preview:
    try:
        printed = selected_pages(options.page_ranges, info.pages)
    except ValueError:
        raise PrintError(msg(
            "页码范围“%(page_ranges)s”无效：本文件共 %(pages)s 页。",
            page_ranges=options.page_ranges, pages=info.pages,
        )) from None
    pages = len(printed)
    media = media_of_pages(info.sizes_mm, printed) if options.media == "auto" else normalize_media(options.media)
    request = PrintRequest(
        department=user.department.code if user.department else None, pages=pages, copies=options.copies,
        media=media, color=options.color, quality=options.quality,
        classification=1 if options.classification is None else options.classification,
        prefer_central=options.prefer_central, page_ranges=_clean_ranges(options.page_ranges),
        duplex=options.duplex,
    )
    return Preview(route(request, policy(settings), printer_states(session)), info.pages, pages, media)


def print_request(job: PrintJob, session: Session | None = None) -> PrintRequest:
    """Return the routing request of a job."""
    dept = job.department
    if dept is None and job.department_id is not None and session is not None:
        dept = session.get(Department, job.department_id)
    return PrintRequest(
        department=dept.code if dept else None,
        pages=job.pages or 0,
        copies=job.copies,
        media=job.media if job.media != "auto" else "A4",
        color=job.color,
        quality=job.quality,  # type: ignore[arg-type]
        classification=job.classification,
        prefer_central=job.prefer_central,
        page_ranges=job.page_ranges,
        duplex=job.duplex,
    )


def apply_decision(job: PrintJob, decision: Decision) -> None:
    """Store a routing decision on the job."""
    job.tier = decision.tier
    job.queue = decision.queue
    job.reasons = [r.as_dict() for r in decision.reasons]
    job.options = dict(decision.options)
    job.held = decision.held


def printer_states(session: Session) -> dict[str, PrinterState]:
    """Return the last printer states the dispatcher saw; empty while the print server is unreachable."""
    rows = list(session.scalars(select(PrinterStatus)))
    if not rows or not all(r.reachable for r in rows):
        return {}
    return {r.queue: _state_of(r) for r in rows}


def printer_rows(session: Session, settings: Settings) -> list[PrinterStatus]:
    """Return the printer snapshot rows, policy queues first."""
    order = {q: i for i, q in enumerate(policy(settings).all_queues())}
    rows = list(session.scalars(select(PrinterStatus)))
    return sorted(rows, key=lambda r: (order.get(r.queue, len(order)), r.queue))


def _state_of(row: PrinterStatus) -> PrinterState:
    return PrinterState(row.queue, row.state, row.accepting, row.message or "", tuple(row.reasons or ()), row.reachable)


# -- lists -------------------------------------------------------------------------------------------

def user_jobs(session: Session, user: User, *, limit: int = 50) -> list[PrintJob]:
    """Return the user's newest jobs."""
    stmt = select(PrintJob).where(PrintJob.user_id == user.id).order_by(PrintJob.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def console_jobs(session: Session, settings: Settings, *, recent: int = 30,
                 viewer: User | None = None) -> tuple[list[PrintJob], list[PrintJob]]:
    """Return (active central room jobs, recently finished ones) for the 文印室 console.

    With `viewer`, only jobs whose 密级 the viewer is cleared for: a classified title never reaches an
    operator below its level (the job stays held for a cleared operator).
    """
    within = cleared_clause(viewer, PrintJob.classification) if viewer is not None else true()
    active = select(PrintJob).where(PrintJob.tier == "central", PrintJob.state.in_(ACTIVE_STATES), within)
    done = (
        select(PrintJob).where(PrintJob.tier == "central", PrintJob.state.in_(FINAL_STATES), within)
        .order_by(PrintJob.id.desc()).limit(recent)
    )
    return list(session.scalars(active.order_by(PrintJob.id))), list(session.scalars(done))


def get_job(session: Session, job_id: int) -> PrintJob:
    """Return the job or raise PrintError."""
    job = session.get(PrintJob, job_id)
    if job is None:
        raise PrintError(msg("没有这个打印作业。"))
    return job


def reasons_text(job: PrintJob) -> list[str]:
    """Return the routing reasons of a job as sentences."""
    return [from_data(r) for r in (job.reasons or [])]


# -- actions -------------------------------------------------------------------------------------------

def cancel(session: Session, user: User, job_id: int) -> PrintJob:
    """Cancel a job (its owner or a print room operator); jobs already in CUPS are cancelled by the worker."""
    job = get_job(session, job_id)
    if job.user_id != user.id and Permission.PRINT_OPERATE not in permissions_of(user):
        raise PrintError(msg("只能取消自己的打印作业。"))
    if job.state in FINAL_STATES:
        raise PrintError(msg("该作业已%(value)s，无法取消。", value=STATE_LABELS[job.state]))
    # Conditional update: the dispatcher may be submitting this very job.
    done = changed_rows(session.execute(
        update(PrintJob)
        .where(PrintJob.id == job.id, PrintJob.state.in_(("preparing", "queued")))
        .values(state="cancelled", message=msg(
            "已由 %(display_name)s 取消",
            display_name=user.display_name,
        ), finished_at=utcnow(),
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ))
    if not done:
        job.action, job.action_queue, job.action_by = "cancel", None, user.username
        job.message = msg("正在取消……")
    session.flush()
    session.refresh(job)
    return job


def release(session: Session, operator: User, job_id: int) -> PrintJob:
    """Release a held central room job (print room operator)."""
    job = _operator_job(session, operator, job_id)
    if not job.held:
        raise PrintError(msg("该作业未处于待放行状态。"))
    if job.state == "queued":
        # Not in CUPS yet (print server away): it will be submitted without the hold.
        job.held = False
        job.options = {k: v for k, v in (job.options or {}).items() if k != "job-hold-until"}
        job.released_by = operator.username
        job.message = msg("已放行，等待提交到打印服务器")
    else:
        job.action, job.action_queue, job.action_by = "release", None, operator.username
        job.message = msg("正在放行……")
    return job


def move(session: Session, settings: Settings, operator: User, job_id: int, queue: str) -> PrintJob:
    """Move a central room job to another room printer (print room operator)."""
    job = _operator_job(session, operator, job_id)
    room = policy(settings).central_queues
    if queue not in room:
        raise PrintError(msg("%(queue)s 不是文印室的打印机；可选：%(value)s。", queue=queue, value='、'.join(room)))
    if queue == job.queue:
        raise PrintError(msg("该作业已在 %(queue)s。", queue=queue))
    if job.state == "queued":
        _note_move(job, queue, operator)
    else:
        job.action, job.action_queue, job.action_by = "move", queue, operator.username
        job.message = msg("正在改送 %(queue)s……", queue=queue)
    return job


def _note_move(job: PrintJob, queue: str, operator_name: User | str) -> None:
    name = operator_name if isinstance(operator_name, str) else operator_name.display_name
    job.reasons = [*(job.reasons or []), {"code": "moved", "text": msg(
        "文印室操作员 %(name)s 改送 %(queue)s",
        name=name, queue=queue,
    )}]
    job.queue = queue


def _operator_job(session: Session, operator: User, job_id: int) -> PrintJob:
    if Permission.PRINT_OPERATE not in permissions_of(operator):
        raise PrintError(msg("只有文印室操作员可以放行或改送作业。"))
    job = get_job(session, job_id)
    if not cleared(operator, job.classification):
        raise PrintError(msg("没有这个打印作业。"))  # as for a missing one: its existence is not told
    if job.tier != "central" or job.state not in ("queued", "held", "printing"):
        raise PrintError(msg("该作业不在文印室待处理的队列中。"))
    if job.action:
        raise PrintError(msg("该作业已有一个操作正在进行，请稍候刷新。"))
    return job


# -- accounting and quotas ----------------------------------------------------------------------------

def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return the start and end of a calendar month in the bureau's time zone (as aware datetimes)."""
    start = datetime(year, month, 1, tzinfo=LOCAL_TZ)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return start, end


def current_month() -> tuple[int, int]:
    now = utcnow().astimezone(LOCAL_TZ)
    return now.year, now.month


def department_usage(session: Session, department_id: int, year: int, month: int) -> int:
    """Return pages x copies the department printed or has pending in the month."""
    start, end = month_bounds(year, month)
    total = session.scalar(
        select(func.coalesce(func.sum(PrintJob.pages * PrintJob.copies), 0)).where(
            PrintJob.department_id == department_id,
            PrintJob.state.in_(COUNTED_STATES),
            PrintJob.created_at >= start,
            PrintJob.created_at < end,
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class UsageRow:
    department: str
    username: str
    display_name: str
    color: bool
    media: str
    jobs: int
    pages: int


def usage(session: Session, year: int, month: int, *, department_id: int | None = None) -> list[UsageRow]:
    """Return completed pages (pages x copies) by department, user, colour and paper for a month."""
    start, end = month_bounds(year, month)
    stmt = (
        select(
            Department.code, User.username, User.display_name, PrintJob.color, PrintJob.media,
            func.count(PrintJob.id), func.sum(PrintJob.pages * PrintJob.copies),
        )
        .join(User, PrintJob.user_id == User.id)
        .outerjoin(Department, PrintJob.department_id == Department.id)
        .where(PrintJob.state == "completed", PrintJob.created_at >= start, PrintJob.created_at < end)
        .group_by(Department.code, User.username, User.display_name, PrintJob.color, PrintJob.media)
        .order_by(Department.code, User.username)
    )
    if department_id is not None:
        stmt = stmt.where(PrintJob.department_id == department_id)
    return [
        UsageRow(d or "", u, n, bool(c), m, int(j), int(p or 0)) for d, u, n, c, m, j, p in session.execute(stmt)
    ]


def usage_csv(rows: Iterable[UsageRow], year: int, month: int) -> str:
    """Return the monthly accounting as CSV (UTF-8 with BOM; formulas defused by fileformats.tables)."""
    return tables.csv_text(
        ["月份", "部门", "登录名", "姓名", "彩色", "纸张", "作业数", "页数（页×份）"],
        ([f"{year}-{month:02d}", r.department, r.username, r.display_name, "彩色" if r.color else "黑白", r.media,
          r.jobs, r.pages] for r in rows))


def monthly_series(session: Session, *, department_id: int | None, months: int = 6) -> list[tuple[str, int]]:
    """Return (YYYY-MM, completed pages) for the last `months` months, oldest first (for the chart)."""
    year, month = current_month()
    out = []
    for _ in range(months):
        rows = usage(session, year, month, department_id=department_id)
        out.append((f"{year}-{month:02d}", sum(r.pages for r in rows)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(out))


def quota_of(settings: Settings, department_code: str | None) -> int:
    """Return the department's monthly page quota, 0 for none."""
    return int(settings.printing.monthly_quota_pages.get(department_code or "", 0) or 0)


def _check_quota(session: Session, settings: Settings, job: PrintJob, *, extra: int) -> None:
    dept = job.department or (session.get(Department, job.department_id) if job.department_id else None)
    quota = quota_of(settings, dept.code if dept else None)
    if not quota or dept is None:
        return
    year, month = current_month()
    used = department_usage(session, dept.id, year, month) - (job.impressions if job.id and job.pages else 0)
    if used + extra > quota:
        raise PrintError(
            msg(
                "%(name)s本月打印配额为 %(quota)s 页，已用 %(used)s 页，本次需 %(extra)s 页，超出配额，未提交打印。请"
                "减少页数或份数，或请办公室调整本处室配额。",
                name=dept.name, quota=quota, used=used, extra=extra,
            )
        )


# -- helpers ------------------------------------------------------------------------------------------

def jobs_dir(settings: Settings) -> Path:
    """Where print jobs' documents are kept until printed."""
    return settings.data_dir / "printing" / "jobs"


def media_choices() -> list[str]:
    return ["A4", "A3", "B4", "B5", "A5", "A2"]


@dataclass(frozen=True)
class QueueName:
    """What a print queue is, for naming it to people: a department's printer (number among its printers,
    0 when it has one) or the print room's machine number."""

    department: str | None  # the department's name; None for the print room
    number: int


def queue_names(session: Session, settings: Settings) -> dict[str, QueueName]:
    """Return what each configured queue is (pages say 「林政资源管理处打印机」 or 「文印室 1 号机」, not dept-lzc)."""
    cfg = settings.printing
    names: dict[str, QueueName] = {}
    departments = {d.code: d.name for d in session.scalars(select(Department))}
    for code, queues in cfg.department_queues.items():
        for i, queue in enumerate(queues):
            names[queue] = QueueName(departments.get(code, code), i + 1 if len(queues) > 1 else 0)
    for i, queue in enumerate(cfg.central_queues):
        names[queue] = QueueName(None, i + 1)
    return names


def classification_name(level: int) -> str:
    return CLASSIFICATION_NAMES[max(0, min(4, level))]


def _check_options(settings: Settings, options: PrintOptions) -> None:
    if not 1 <= options.copies <= settings.printing.max_copies:
        raise PrintError(msg("份数须在 1 至 %(max_copies)s 之间。", max_copies=settings.printing.max_copies))
    if options.media != "auto" and normalize_media(options.media) not in MEDIA_SIZES:
        raise PrintError(msg(
            "不支持的纸张 %(media)s；可选：%(value)s。",
            media=options.media, value='、'.join(media_choices()),
        ))
    if options.quality not in ("normal", "high", "draft"):
        raise PrintError(msg("打印质量只能是 普通、高质量 或 草稿。"))
    if options.classification is not None and not 0 <= options.classification <= 4:
        raise PrintError(msg("密级无效。"))
    try:
        count_pages(options.page_ranges, 10**6)
    except ValueError:
        raise PrintError(msg(
            "页码范围“%(page_ranges)s”格式不对，请填写如 1-3,5 的范围，或留空打印全部。",
            page_ranges=options.page_ranges,
        )) from None


def _clean_ranges(text: str) -> str:
    return (text or "").replace(msg("，"), ",").replace(" ", "")


def _kind(filename: str) -> str:
    try:
        return documents.kind_of(filename)
    except documents.DocumentError as exc:
        raise PrintError(str(exc)) from None


def _resolve_source(
    session: Session, settings: Settings, user: User, source: Source, options: PrintOptions
) -> tuple[str, str, int, str, str]:
    """Return (file name, title, classification, reference, source kind) after the access check."""
    if isinstance(source, UploadedFile):
        name = Path(source.filename or "").name
        if not name:
            raise PrintError(msg("请选择要打印的文件。"))
        level = 1 if options.classification is None else options.classification
        return name, Path(name).stem, level, name, "upload"
    if isinstance(source, DocumentSource):
        return source.path.name, source.title, source.classification, str(source.path), "document"
    if isinstance(source, ArchiveSource):
        record = _visible_archive_file(session, settings, user, source.file_id)
        level = max(record.classification, options.classification or 0)
        return record.name, record.title or Path(record.name).stem, level, record.relpath, "archive"
    raise PrintError(msg("不支持的打印来源。"))


def _archive_identity(session: Session, settings: Settings, user: User, source: Source) -> str | None:
    """The device/inode the scan saw of an archive file to print (ArchiveFile.identity), else None."""
    if not isinstance(source, ArchiveSource):
        return None
    return _visible_archive_file(session, settings, user, source.file_id).identity


def _copy_archive_file(settings: Settings, relpath: str, target: Path, *, identity: str | None = None) -> None:
    """Copy an archive file for printing, read without following links (library.safeopen) and only when it is
    still the file the scan saw (`identity`); raise PrintError."""
    from library.safeopen import UnsafeFile, open_archive_file

    try:
        with open_archive_file(settings.archive_dir, relpath, expected_identity=identity) as src, \
                target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except UnsafeFile as exc:
        if exc.missing:
            raise PrintError(msg("找不到要打印的文件（可能已被移动或删除），请刷新页面后重试。")) from None
        raise PrintError(msg("该档案文件无法打印：%(reason)s。", reason=exc.reason)) from None


def archive_file_for(session: Session, settings: Settings, user: User, file_id: int):
    """Return the archive file the user may print, or raise PrintError."""
    return _visible_archive_file(session, settings, user, file_id)


def _visible_archive_file(session: Session, settings: Settings, user: User, file_id: int):
    # The archive feature owns the rule of who sees which file; printing asks it, never re-implements it.
    from library.access import visible_file

    record = visible_file(session, user, file_id)
    if record is None:
        raise PrintError(msg("找不到该档案文件，或您无权查看、打印它。"))
    return record
    perms = permissions_of(user)
    if record.public or Permission.ARCHIVE_READ_ALL in perms or record.department_id == user.department_id:
        return record
    return None

