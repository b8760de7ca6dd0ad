"""The print dispatcher, run by the worker: convert, submit, follow, fall back, carry out operator actions.

Every tick: convert waiting .docx jobs; read the printers' states (one CUPS call under a deadline; when
the server is away, stop here and let waiting jobs say so); carry out release/cancel/move requests; submit
queued jobs, re-routing those whose printer is down; follow jobs in CUPS to their end and move a job
stuck on a stopped department printer to the fallback. Nothing is lost (jobs are rows) or printed twice
(a retry first looks for the job's job-uuid in CUPS).

Database writes never span a CUPS call: read, call CUPS, then write with a conditional UPDATE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from config import Settings
from core import org
from core.clearance import cleared
from core.db import Database, changed_rows
from core.messages import msg
from core.models import PrinterStatus, PrintJob
from core.models.base import utcnow
from core.permissions import Role
from notifications import notify
from printing import documents, service
from printing.backends import (
    ABORTED,
    CANCELED,
    COMPLETED,
    HELD,
    PENDING,
    STOPPED,
    PrintBackend,
    PrintBackendError,
    PrintServerUnavailable,
    Submission,
    make_backend,
)
from printing.routing import PrinterState, route

log = logging.getLogger("eoffice.printing")


@dataclass
class TickReport:
    converted: int = 0
    submitted: int = 0
    finished: int = 0
    moved: int = 0
    actions: int = 0
    server_error: str | None = None
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    """Moves print jobs from the database to the print server and back."""

    name = "printing"

    def __init__(self, settings: Settings, db: Database, backend: PrintBackend | None = None) -> None:
        self.settings = settings
        self.db = db
        self.policy = service.policy(settings)
        self.backend = backend or make_backend(settings, self.policy.all_queues())

    def tick(self) -> TickReport:
        """Do one round of work; never raises for an absent print server."""
        report = TickReport()
        self.convert_waiting(report)
        try:
            states = self.refresh_printers()
            self.carry_out_actions(report)
            self.submit_queued(states, report)
            self.follow_active(states, report)
        except PrintServerUnavailable as exc:
            report.server_error = str(exc)
            self._server_away(str(exc))
        return report

    # -- conversion ---------------------------------------------------------------------------------
    def convert_waiting(self, report: TickReport) -> None:
        with self.db.session() as s:
            waiting = [(j.id, j.original_path) for j in s.scalars(
                select(PrintJob).where(PrintJob.state == "preparing").order_by(PrintJob.id).limit(5))]
        for job_id, original_rel in waiting:
            original = self.settings.data_dir / original_rel
            error, info = None, None
            try:  # converting, typesetting and probing hold no database lock
                if original.suffix == ".docx":
                    documents.docx_to_pdf(
                        original, original.with_name("print.pdf"), soffice=self.settings.printing.soffice,
                        timeout=self.settings.printing.conversion_timeout_seconds,
                        lock_dir=service.jobs_dir(self.settings),
                    )
                info = service.pdf_facts(self.settings, original)
            except documents.DocumentError as exc:
                error = str(exc)
            with self.db.session(write_lock=True) as s:
                job = s.get(PrintJob, job_id)
                if job is None or job.state != "preparing":
                    continue
                if error:
                    job.state, job.message, job.finished_at = "failed", error, utcnow()
                else:
                    service.prepare(s, self.settings, job, info=info)
            report.converted += 1

    # -- printers -----------------------------------------------------------------------------------
    def refresh_printers(self) -> dict[str, PrinterState]:
        """Read every queue's state, store the snapshot pages show, and return it."""
        live = self.backend.printers()
        states = dict(live)
        for q in self.policy.all_queues():
            if q not in states:
                states[q] = PrinterState(q, 5, False, msg("打印服务器上没有这个队列，请管理员检查配置"))
        now = utcnow()
        with self.db.session(write_lock=True) as s:
            rows = {r.queue: r for r in s.scalars(select(PrinterStatus))}
            for q, st in states.items():
                row = rows.pop(q, None) or PrinterStatus(queue=q)
                row.state, row.accepting, row.message = st.state, st.accepting, st.message
                row.reasons, row.reachable, row.checked_at, row.seen_at = list(st.reasons), True, now, now
                s.add(row)
            for stale in rows.values():
                s.delete(stale)
        return states

    def _server_away(self, message: str) -> None:
        now = utcnow()
        with self.db.session(write_lock=True) as s:
            rows = {r.queue: r for r in s.scalars(select(PrinterStatus))}
            for q in self.policy.all_queues():
                if q not in rows:
                    rows[q] = PrinterStatus(queue=q, state=3, accepting=True, reasons=[], jobs=0)
                    s.add(rows[q])
            for row in rows.values():
                row.reachable, row.checked_at, row.message = False, now, message
            s.execute(
                update(PrintJob).where(PrintJob.state == "queued")
                .values(message=msg("等待打印服务器：%(message)s。恢复后将自动打印，无需重新提交。", message=message))
                .execution_options(synchronize_session=False)
            )
        log.warning("print server unavailable: %s", message)

    # -- operator and owner actions -----------------------------------------------------------------
    def carry_out_actions(self, report: TickReport) -> None:
        with self.db.session() as s:
            todo = [(j.id, j.action, j.action_queue, j.action_by, j.cups_job_id, j.username) for j in s.scalars(
                select(PrintJob).where(PrintJob.action.is_not(None), PrintJob.cups_job_id.is_not(None)))]
        for job_id, action, queue, by, cups_id, owner in todo:
            if cups_id is None:  # the query asked for jobs with a CUPS id; this keeps the type honest
                continue
            error = None
            try:
                if action == "cancel":
                    self.backend.cancel(cups_id, owner)
                elif action == "release":
                    self.backend.release(cups_id, owner)
                elif action == "move" and queue:
                    self.backend.move(cups_id, queue, owner)
            except PrintBackendError as exc:
                error = str(exc)
            with self.db.session(write_lock=True) as s:
                job = s.get(PrintJob, job_id)
                if job is None:
                    continue
                job.action, job.action_queue = None, None
                if error:
                    job.message = msg("操作未成功：%(error)s", error=error)
                elif action == "cancel":
                    job.state, job.finished_at = "cancelled", utcnow()
                    job.message = msg("已由 %(by)s 取消", by=by)
                elif action == "release":
                    job.held, job.state, job.released_by, job.message = False, "printing", by, None
                elif action == "move" and queue:
                    service._note_move(job, queue, by or "")
                    job.message = None
            report.actions += 1

    # -- submission ---------------------------------------------------------------------------------
    def submit_queued(self, states: dict[str, PrinterState], report: TickReport) -> None:
        with self.db.session() as s:
            ids = list(s.scalars(select(PrintJob.id).where(PrintJob.state == "queued").order_by(PrintJob.id)))
        for job_id in ids:
            self._submit_one(job_id, states, report)

    def _submit_one(self, job_id: int, states: dict[str, PrinterState], report: TickReport) -> None:
        with self.db.session() as s:
            job = s.get(PrintJob, job_id)
            if job is None or job.state != "queued":
                return
            decision = None
            current = states.get(job.queue or "")
            if (current is not None and not current.usable) and not job.released_by:
                decision = route(service.print_request(job, s), self.policy, states)
                if decision.queue == job.queue:
                    decision = None
            sub = Submission(
                queue=decision.queue if decision else job.queue or "",
                pdf_path=self.settings.data_dir / (job.pdf_path or ""),
                title=job.title,
                username=job.username,
                options=dict(decision.options if decision else job.options or {}),
                number=job.id,
                uuid=job.uuid,
            )
            attempts = job.attempts
        held = sub.options.get("job-hold-until", "no-hold") != "no-hold"
        cups_id = self.backend.find(sub.uuid) if attempts > 0 else None
        if cups_id is None:
            with self.db.session(write_lock=True) as s:
                claimed = changed_rows(s.execute(
                    update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "queued")
                    .values(attempts=PrintJob.attempts + 1).execution_options(synchronize_session=False)
                ))
            if not claimed:
                return
            try:
                cups_id = self.backend.submit(sub)
            except PrintBackendError as exc:
                self._fail(job_id, msg("打印服务器拒绝了该作业：%(exc)s", exc=exc))
                report.errors.append(str(exc))
                return
        with self.db.session(write_lock=True) as s:
            values: dict[str, Any] = {
                "state": "held" if held else "printing", "cups_job_id": cups_id, "submitted_at": utcnow(),
                "message": None, "held": held, "updated_at": utcnow(),
            }
            if decision is not None:
                values.update(tier=decision.tier, queue=decision.queue, options=dict(decision.options),
                              reasons=[r.as_dict() for r in decision.reasons])
            done = changed_rows(s.execute(
                update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "queued").values(**values)
                .execution_options(synchronize_session=False)
            ))
        if not done:
            # Cancelled while we were submitting: take it back off the printer.
            self.backend.cancel(cups_id, sub.username)
            return
        report.submitted += 1
        log.info("print job submitted id=%s queue=%s cups_id=%s held=%s", job_id, sub.queue, cups_id, held)
        if held:
            with self.db.session(write_lock=True) as s:
                tell_operators(s, s.get(PrintJob, job_id))

    def _fail(self, job_id: int, message: str) -> None:
        with self.db.session(write_lock=True) as s:
            job = s.get(PrintJob, job_id)
            if job is not None:
                job.state, job.message, job.finished_at = "failed", message, utcnow()

    # -- following ----------------------------------------------------------------------------------
    def follow_active(self, states: dict[str, PrinterState], report: TickReport) -> None:
        with self.db.session() as s:
            active = {j.id: j.cups_job_id for j in s.scalars(
                select(PrintJob).where(PrintJob.state.in_(("held", "printing")), PrintJob.cups_job_id.is_not(None),
                                       PrintJob.action.is_(None)))}
        if not active:
            return
        found = self.backend.job_states([cid for cid in active.values() if cid is not None])
        for job_id, cups_id in active.items():
            status = found.get(cups_id or -1)
            if status is None:
                continue
            moved_to = None
            with self.db.session() as s:
                job = s.get(PrintJob, job_id)
                if job is None:
                    continue
                queue_state = states.get(status.queue or job.queue or "")
                stuck = status.state in (PENDING, STOPPED) and queue_state is not None and not queue_state.usable
                if stuck and job.tier == "department":
                    decision = route(service.print_request(job, s), self.policy, states)
                    if decision.queue != (status.queue or job.queue):
                        moved_to = decision
            if moved_to is not None:
                self.backend.move(cups_id or 0, moved_to.queue, job.username)
                if moved_to.held:
                    self.backend.hold(cups_id or 0, job.username)
                report.moved += 1
            with self.db.session(write_lock=True) as s:
                job = s.get(PrintJob, job_id)
                if job is None or job.state not in ("held", "printing") or job.action:
                    continue
                job.cups_state = status.state
                if moved_to is not None:
                    service.apply_decision(job, moved_to)
                    job.state = "held" if moved_to.held else "printing"
                    job.message = None
                    continue
                if status.queue and status.queue != job.queue:
                    job.queue = status.queue  # moved in CUPS directly (lpmove)
                if status.state == COMPLETED:
                    job.state, job.finished_at, job.message = "completed", utcnow(), None
                    report.finished += 1
                elif status.state == CANCELED:
                    job.state, job.finished_at = "cancelled", utcnow()
                    job.message = job.message or status.message or msg("已在打印服务器上取消")
                    report.finished += 1
                elif status.state == ABORTED:
                    job.state, job.finished_at = "aborted", utcnow()
                    job.message = msg(
                        "打印失败：%(value)s。请检查打印机后重新提交。",
                        value=status.message or '打印机报告错误',
                    )
                    report.finished += 1
                elif status.state == HELD:
                    job.state, job.held = "held", True
                else:
                    job.state = "printing"
                    qs = states.get(job.queue or "")
                    if qs is not None and not qs.usable:
                        job.message = msg(
                            "打印机 %(queue)s 已停止：%(value)s",
                            queue=job.queue, value=qs.message or '、'.join(qs.reasons),
                        )
                    else:
                        job.message = status.message or None


def tell_operators(session: Any, job: PrintJob | None) -> int:
    """Tell the 文印室 operators cleared for the job's 密级 that a job waits for 放行; return how many were told."""
    if job is None:
        return 0
    told = 0
    for operator in org.users_with_role(session, Role.PRINT_OPERATOR):
        if cleared(operator, job.classification):
            pages = msg(
                "%(pages)s 页 × %(copies)s 份",
                pages=job.pages, copies=job.copies,
            ) if job.pages else msg("%(copies)s 份", copies=job.copies)
            notify.notify(session, operator, "info", msg("文印室待放行：%(title)s", title=job.title),
                          body=msg(
                              "%(username)s 的打印作业（%(pages)s）等待放行。",
                              username=job.username, pages=pages,
                          ), link="/printing/console")
            told += 1
    return told
