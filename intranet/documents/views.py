"""Documents: 待办 / 已办 / 我发起的, drafting, the document page and its actions, registers, route templates.

Views parse the form, call one service, commit and redirect; domain errors become a flash message that
says what to do. Form posts already run in a write-locked session (intranet.context.db_session).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from core import calendar, org, storage
from core.calendar import local_today
from core.messages import DomainError
from core.models import User
from core.models.documents import (
    Document,
    DocumentFile,
    FilingRecord,
    NumberEntry,
    RouteStep,
    RouteTemplate,
    StepAssignment,
)
from core.permissions import ROLE_NAMES, Permission
from documents import (
    common,
    drafting,
    engine,
    exports,
    filing,
    formal,
    history,
    hooks,
    ledger,
    lists,
    routes,
    states,
    visibility,
)
from documents.errors import NotFound, WorkflowError
from documents.states import StepKind
from intranet.access import can, requires
from intranet.context import db_session, settings, signed_in_user
from intranet.documents.forms import ActionForm, DocumentForm, TemplateForm
from intranet.downloads import download_name
from intranet.feedback import form_errors, refuse, say
from intranet.printing.forms import DocumentPrintForm, print_options
from intranet.printing.views import queue_name
from intranet.supervision.forms import RemindForm
from intranet.uploads import read_limited
from printing import service as print_service
from supervision import deadlines

bp = Blueprint("documents", __name__, url_prefix="/documents")

LISTS = {"inbox": lists.inbox, "handled": lists.handled, "mine": lists.mine}


def _user() -> User:
    user = signed_in_user()
    return user


def _labels() -> dict[str, Any]:
    # Translated once per request: lists render hundreds of labels.
    tables: dict[str, dict[Any, str]] = {
        "KIND_NAMES": states.KIND_NAMES, "STATE_NAMES": states.STATE_NAMES, "URGENCY_NAMES": states.URGENCY_NAMES,
        "CLASSIFICATION_NAMES": states.CLASSIFICATION_NAMES, "RETENTION_NAMES": states.RETENTION_NAMES,
        "ACTION_NAMES": states.ACTION_NAMES, "STEP_KIND_NAMES": states.STEP_KIND_NAMES,
    }
    return {name: {k: _(v) for k, v in table.items()} for name, table in tables.items()}


def _doc_or_404(doc_id: int) -> Document:
    try:
        return visibility.get_document(db_session(), doc_id, _user())
    except NotFound:
        abort(404)


def _attach_metadata() -> Any:
    # The archive indexer (issue 4) offers this; without it the 档号 lives in our tables only.
    try:
        from library.records import attach_record_metadata
    except ImportError:
        return None
    return attach_record_metadata


def _run(doc_id: int | None, work: Any, success: str, *, outcome: bool = False) -> ResponseReturnValue:
    """Run one service in a write transaction; commit on success, flash what happened either way.

    With `outcome`, the success message goes on to say where the document is now (`_outcome`).
    """
    dbs = db_session()
    current = dbs.get(Document, doc_id) if outcome and doc_id else None
    before = current.doc_number if current is not None else None
    try:
        work(dbs)
        dbs.commit()
    except DomainError as exc:
        dbs.rollback()
        refuse(exc)  # 一次性告知: every problem on its own line, all at once
    else:
        text = say(success)
        if outcome and doc_id:
            text = " ".join([text, *_outcome(dbs, doc_id, before, _user())])
        flash(text, "success")
    target = url_for("documents.show", doc_id=doc_id) if doc_id else url_for("documents.inbox")
    return redirect(target)


def _outcome(dbs: Any, doc_id: int, number_before: str | None, actor: User) -> list[str]:
    """What a clerk needs to hear after acting: the 文号 given, the 档号, who holds it now, or that the
    route is finished (issue 12 §3)."""
    doc = dbs.get(Document, doc_id)
    dbs.refresh(doc)
    said: list[str] = []
    if doc.doc_number and doc.doc_number != number_before:
        said.append(_("文号：%(number)s。", number=doc.doc_number))
    if doc.state == states.State.FILED:
        said.append(_("已归档，档号 %(number)s，流程结束。", number=doc.archive_number or "—"))
        return said
    if doc.state in (states.State.COMPLETED, states.State.SENT_BACK, states.State.CANCELLED):
        said.append(_("流程已结束（%(state)s）。", state=_(states.STATE_NAMES[states.State(doc.state)])))
        return said
    pending = dbs.execute(
        select(User.display_name, RouteStep.name).join(StepAssignment, StepAssignment.user_id == User.id)
        .join(RouteStep, RouteStep.id == StepAssignment.step_id)
        .where(StepAssignment.document_id == doc.id, StepAssignment.state == "pending")
        .order_by(RouteStep.position, User.display_name)
    ).all()
    if doc.state == states.State.RETURNED:
        said.append(_("已退回拟稿人 %(name)s 修改。", name=doc.drafter.display_name))
    elif pending:
        names = list(dict.fromkeys(name for name, _step in pending))
        shown = "、".join(names[:5]) + (_("等%(n)d人", n=len(names)) if len(names) > 5 else "")
        said.append(_("现由 %(names)s 办理「%(step)s」。", names=shown, step=_(pending[0][1])))
    return said


def _listing(which: str) -> str:
    dbs, user = db_session(), _user()
    flt = lists.ListFilter(
        kind=request.args.get("kind") or None, state=request.args.get("state") or None,
        q=(request.args.get("q") or "")[:100] or None, page=request.args.get("page", 1, type=int) or 1,
    )
    listing = LISTS[which](dbs, user, flt)
    known = listing.total if which == "inbox" and not _filtering(flt) else None
    return render_template(
        "documents/list.html", which=which, listing=listing, flt=flt,
        counts=lists.counts(dbs, user, inbox_total=known),
        to_read=lists.to_read(dbs, user) if which == "inbox" else [],
        marks=_due_marks([row[0] for row in listing.rows]), **_labels(),
    )


def _due_marks(docs: list[Any]) -> dict[int, deadlines.DueMark]:
    """逾期 / 即将到期 of the documents on a page (colour and words in the template)."""
    dbs = db_session()
    return deadlines.due_marks(dbs, settings().supervision, calendar.load(dbs), docs)


def _filtering(flt: lists.ListFilter) -> bool:
    return bool(flt.kind or flt.state or flt.q)


@bp.get("/")
@requires(Permission.DOCUMENTS)
def inbox() -> ResponseReturnValue:
    return _listing("inbox")


@bp.get("/handled")
@requires(Permission.DOCUMENTS)
def handled() -> ResponseReturnValue:
    return _listing("handled")


@bp.get("/mine")
@requires(Permission.DOCUMENTS)
def mine() -> ResponseReturnValue:
    return _listing("mine")


def _fields(form: DocumentForm) -> drafting.DraftFields:
    return drafting.DraftFields(
        title=form.title.data or "", urgency=form.urgency.data or "normal",
        classification=int(form.classification.data or 0), main_recipients=form.main_recipients.data or "",
        cc_recipients=form.cc_recipients.data or "", deadline=form.deadline.data,
        source_organ=form.source_organ.data, source_number=form.source_number.data,
        received_on=form.received_on.data, retention=form.retention.data or "D30",
        upward=bool(form.upward.data), secrecy_period=form.secrecy_period.data or "",
        # What the form showed; anything else is kept as it is (an unticked box posts nothing: its
        # hidden companion says the box was shown).
        given=frozenset(request.form) | ({"upward"} if "upward_shown" in request.form else set()),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.DOCUMENTS)
def new() -> ResponseReturnValue:
    kind = request.values.get("kind", "outgoing")
    if kind not in states.Kind.__members__.values():
        abort(404)
    form = DocumentForm()
    if request.method == "GET" and kind == states.Kind.INCOMING:
        form.received_on.data = local_today()  # the bureau's date, not the server's (UTC)
    if form.validate_on_submit():
        dbs, user = db_session(), _user()
        try:
            # Uploads are read within the document limit, hashed and written before the write transaction
            # starts (create_document's first query takes the lock), so no other writer waits on the file I/O.
            dbs.commit()
            main = request.files.get("main_file")
            files: list[tuple[str, storage.Stored]] = []
            if main and main.filename:
                files.append(("main", _store_upload(main, "main")))
            else:
                kept = _intake_file(request.form.get("intake_sha", ""), request.form.get("intake_name", ""))
                if kept is not None:  # the 来文 read by 识别来文, kept until the clerk confirms
                    files.append(("main", storage.store(settings().files_dir, kept[0], kept[1], role="scan")))
            files += [("attachment", _store_upload(extra, "attachment"))
                      for extra in request.files.getlist("attachments") if extra and extra.filename]
            doc = drafting.create_document(dbs, user, kind=kind, fields=_fields(form))
            for role, stored in files:
                drafting.add_file(dbs, settings().files_dir, doc.id, user, role=role, stored=stored)
            dbs.commit()
        except DomainError as exc:  # the service, the stored file and the upload limit
            dbs.rollback()
            refuse(exc)
        else:
            flash(_("草稿已保存。请检查路由后点击“提交”。"), "success")
            return redirect(url_for("documents.show", doc_id=doc.id))
    kept_sha, kept_name = request.form.get("intake_sha", ""), request.form.get("intake_name", "")
    if _intake_file(kept_sha, kept_name) is None:  # a refused save keeps the 来文 read by 识别来文
        kept_sha = kept_name = ""
    return render_template("documents/new.html", form=form, kind=kind, intake_sha=kept_sha, intake_name=kept_name,
                           **_labels())


def _intake_file(sha: str, name: str) -> tuple[str, bytes] | None:
    """The 来文 stored by 识别来文 (content-addressed, checked against its hash), or None."""
    import re

    if not re.fullmatch(r"[0-9a-f]{64}", sha or "") or not name:
        return None
    try:
        return storage.clean_filename(name), storage.read(settings().files_dir, sha)
    except (OSError, storage.FileRefused, ValueError):
        return None


@bp.post("/intake")
@requires(Permission.DOCUMENTS_NUMBER)
def intake_upload() -> ResponseReturnValue:
    """识别来文: read an uploaded incoming 公文 and pre-fill the 收文登记 form; the clerk confirms.

    A PDF, OFD or .docx with text is read here within 2 s (documents.intake). A scan (an image, a PDF without
    a text layer) is stored and queued for the worker's OCR (documents.intake_scan): the form is shown at
    once and fills in when the worker is done (static/js/intake-scan.js polls `intake_result`)."""
    from documents import intake, intake_scan

    ActionForm().validate_on_submit()
    upload = request.files.get("intake_file")
    if not upload or not upload.filename:
        flash(_("请选择来文文件（PDF、OFD、Word 或扫描图片）。"), "error")
        return redirect(url_for("documents.new", kind="incoming"))
    files_dir = settings().files_dir
    guess = intake.Guess()
    scan: intake_scan.ScanState | None = None
    try:
        data = read_limited(upload.stream, "document")
        stored = storage.store(files_dir, upload.filename, data, role="scan")
        scanned = intake_scan.is_scan_name(stored.filename)
        if not scanned:
            with tempfile.TemporaryDirectory(prefix="eoffice-intake-") as tmp:
                copy = Path(tmp) / f"来文{Path(stored.filename).suffix.lower()}"
                shutil.copyfile(storage.blob_path(files_dir, stored.sha256), copy)
                try:
                    guess = intake.guess(intake.read_lines(copy))
                except intake.NoTextLayer:
                    scanned = True
        if scanned:
            intake_scan.request(files_dir, stored.sha256, stored.filename, _user().id)
            scan = intake_scan.state(files_dir, stored.sha256, _user().id)
    except DomainError as exc:  # the upload limit or a refused file
        refuse(exc)
        return redirect(url_for("documents.new", kind="incoming"))
    except intake.IntakeError as exc:
        refuse(exc, "warning")  # the file is kept; the clerk fills the form by hand
    return _intake_page(guess, stored.sha256, stored.filename, scan)


@bp.get("/intake/<sha>")
@requires(Permission.DOCUMENTS_NUMBER)
def intake_scan_page(sha: str) -> ResponseReturnValue:
    """The 收文登记 form of a scanned 来文 uploaded by this person, filled with what OCR read when it is done
    (the page without scripts: the link on the form; with scripts the form fills in by itself)."""
    from documents import intake, intake_scan

    scan = intake_scan.state(settings().files_dir, sha, _user().id)
    name = request.args.get("name", "")
    if scan is None or not name:
        abort(404)
    return _intake_page(scan.guess, sha, storage.clean_filename(name), scan) if scan.status == "ready" \
        else _intake_page(intake.Guess(), sha, storage.clean_filename(name), scan)


@bp.get("/intake/<sha>/result")
@requires(Permission.DOCUMENTS_NUMBER)
def intake_result(sha: str) -> ResponseReturnValue:
    """What OCR read of a scanned 来文 this person uploaded, as JSON for static/js/intake-scan.js:
    ``{"status": "pending" | "ready" | "failed", "message": str, "fields": {form field id: value},
    "duplicate": {"number", "title", "url"} | null}``; 404 for a scan this person did not upload."""
    from documents import intake_scan

    scan = intake_scan.state(settings().files_dir, sha, _user().id)
    if scan is None:
        abort(404)
    body: dict[str, Any] = {"status": scan.status, "message": "", "fields": {}, "duplicate": None}
    if scan.status == "failed":
        body["message"] = _("扫描件未能识别：%(reason)s", reason=_translated(scan.reason))
    elif scan.status == "ready":
        found = scan.guess
        body["message"] = _intake_note(found)
        body["fields"] = {k: v for k, v in {
            "title": found.title, "source_organ": found.source_organ, "source_number": found.source_number,
            "classification": "" if found.classification is None else str(found.classification),
            "urgency": found.urgency}.items() if v}
        duplicate = _duplicate(found.source_number)
        if duplicate is not None:
            body["duplicate"] = {"number": duplicate.source_number, "title": duplicate.title,
                                 "url": url_for("documents.show", doc_id=duplicate.id),
                                 "text": _("来文字号 %(number)s 已登记过：", number=duplicate.source_number),
                                 "after": _("。请确认不是重复收文。")}
    return jsonify(body)


def _translated(text: str) -> str:
    from core.messages import translate

    return translate(text, _)


def _intake_note(found: Any) -> str:
    note = _("已根据来文识别以下内容，请逐项核对后保存。")
    if found.signed_on:
        note += " " + _("来文成文日期：%(day)s。", day=found.signed_on.isoformat())
    if found.main_recipients:
        note += " " + _("主送：%(who)s。", who=found.main_recipients)
    return note


def _duplicate(number: str) -> Document | None:
    if not number:
        return None
    return db_session().scalar(select(Document).where(
        Document.source_number == number, Document.kind == states.Kind.INCOMING))


def _intake_page(guess: Any, sha: str, name: str, scan: Any) -> ResponseReturnValue:
    """The 收文登记 form pre-filled from `guess`, keeping the stored 来文 (`sha`, `name`) for the 正文; `scan`
    (documents.intake_scan.ScanState) when the 来文 is a scan read by the worker."""
    from documents import intake_scan

    form = DocumentForm(formdata=None)
    form.received_on.data = local_today()
    form.title.data, form.source_organ.data, form.source_number.data = guess.title, guess.source_organ, \
        guess.source_number
    if guess.classification is not None:
        form.classification.data = str(guess.classification)
    if guess.urgency:
        form.urgency.data = guess.urgency
    return render_template(
        "documents/new.html", form=form, kind="incoming", guess=guess, duplicate=_duplicate(guess.source_number),
        intake_sha=sha, intake_name=name, scan=scan, scan_reason=_translated(scan.reason) if scan else "",
        scan_seconds=intake_scan.SECONDS_PER_PAGE, **_labels())


@bp.get("/<int:doc_id>")
@requires(Permission.DOCUMENTS)
def show(doc_id: int) -> ResponseReturnValue:
    dbs, user = db_session(), _user()
    doc = _doc_or_404(doc_id)
    acknowledge = engine.needs_acknowledgement(dbs, doc)
    to_sign = engine.unread(dbs, doc, user)
    if to_sign and not acknowledge:
        # A GET reads without the write lock; take it before this one write (see common.begin_write).
        common.begin_write(dbs)
        engine.mark_read(dbs, doc, user)
        hooks.document_read(dbs, doc, user)
        dbs.commit()
        to_sign = False
    steps = common.steps_of(dbs, doc)
    files = common.files_of(dbs, doc, current_only=False)
    record = dbs.scalar(select(FilingRecord).where(FilingRecord.document_id == doc.id))
    form = DocumentForm(obj=doc) if doc.drafter_id == user.id else None
    offer = engine.offer(dbs, doc, user)
    # The people list is only needed for 加签 / 转办.
    people = [u for u in org.users(dbs) if u.active and u.id != user.id] if offer.assignment else []
    return render_template(
        "documents/show.html", doc=doc, steps=steps, people=lists.step_people(dbs, steps),
        files=[f for f in files if f.current], old_files=[f for f in files if not f.current],
        timeline=engine.timeline(dbs, doc), offer=offer, record=record,
        action_form=ActionForm(), edit_form=form, departments=lists.departments_for_choice(dbs),
        users=people, draft_stage=routes.DRAFT_STAGE,
        plan_steps=doc.template.steps, print_url=_print_url(doc),
        old_number=engine.held_number_from_another_year(dbs, doc) if offer.assignment else None,
        marks=_due_marks([doc]), holders=_holders(dbs, doc), remind_form=RemindForm(),
        can_remind=deadlines.may_remind(dbs, user, doc), to_sign=to_sign, acknowledge_needed=acknowledge,
        receipts=engine.receipts(dbs, doc) if engine.may_see_receipts(doc, user) else [],
        record_department=_department_name(dbs, record.department_code) if record else None,
        formal_state=formal.state(settings().files_dir, doc), format_problems=_format_problems(dbs, doc, offer),
        since_mine=history.changed_since_last_action(dbs, doc, user) if offer.assignment else None,
        main_versions=len(history.main_versions(dbs, doc)),
        **_labels(),
    )


def _format_problems(dbs: Any, doc: Any, offer: Any) -> list[Any]:
    """The GB/T 9704 format check, shown to whoever holds the 核稿 or 签发 step (and blocking there)."""
    assignment = offer.assignment
    step = dbs.get(RouteStep, assignment.step_id) if assignment is not None else None
    if step is None or not engine.is_format_checkpoint(step):
        return []
    return engine.format_problems(dbs, settings(), doc, signing=step.kind == states.StepKind.SIGN)


@bp.get("/<int:doc_id>/diff")
@requires(Permission.DOCUMENTS)
def diff(doc_id: int) -> ResponseReturnValue:
    """The text differences between two versions of the 正文 (default: the last two)."""
    from documents import diffs

    dbs = db_session()
    doc = _doc_or_404(doc_id)
    versions = {v.id: v for v in history.main_versions(dbs, doc)}
    ordered = list(versions.values())
    if len(ordered) < 2:
        flash(_("正文只有一个版本，没有可比较的修改。"), "warning")
        return redirect(url_for("documents.show", doc_id=doc.id))
    old = versions.get(request.args.get("a", type=int) or 0, ordered[-2])
    new = versions.get(request.args.get("b", type=int) or 0, ordered[-1])
    try:
        result = diffs.compare(diffs.paragraphs(storage.blob_path(settings().files_dir, old.sha256)),
                               diffs.paragraphs(storage.blob_path(settings().files_dir, new.sha256)))
    except diffs.DiffUnavailable as exc:
        refuse(exc)
        return redirect(url_for("documents.show", doc_id=doc.id))
    return render_template("documents/diff.html", doc=doc, old=old, new=new, result=result,
                           changed=diffs.changed(result), versions=ordered, **_labels())


@bp.get("/<int:doc_id>/formal.pdf", defaults={"fmt": "pdf"})
@bp.get("/<int:doc_id>/formal.docx", defaults={"fmt": "docx"})
@requires(Permission.DOCUMENTS)
def formal_file(doc_id: int, fmt: str) -> ResponseReturnValue:
    """The 套红 formal version (GB/T 9704) once the worker has made it."""
    doc = _doc_or_404(doc_id)
    target = formal.path(settings().files_dir, doc, fmt)
    if target is None:
        abort(404)
    name = download_name(f"{doc.doc_number or doc.title}.{fmt}", f"formal.{fmt}")  # RFC 6266 / 5987, any 文号
    return send_file(target, as_attachment=fmt == "docx", download_name=name,
                     mimetype="application/pdf" if fmt == "pdf" else
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.post("/<int:doc_id>/formal/retry")
@requires(Permission.DOCUMENTS)
def formal_retry(doc_id: int) -> ResponseReturnValue:
    """Ask the worker again for the formal version (after a failure, e.g. a Word 正文 was uploaded)."""
    doc = _doc_or_404(doc_id)
    ActionForm().validate_on_submit()
    formal.request(settings().files_dir, doc.id)
    flash(_("已重新排队生成套红文件，稍后刷新本页查看。"), "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


def _department_name(dbs: Any, code: str) -> str | None:
    dept = org.department_by_code(dbs, code)
    return dept.name if dept else None


def _holders(dbs: Any, doc: Any) -> list[User]:
    """Who holds a pending task on the document now (for 催办 from its page)."""
    return list(dbs.scalars(select(User).join(StepAssignment, StepAssignment.user_id == User.id).where(
        StepAssignment.document_id == doc.id, StepAssignment.state == "pending").distinct()))


def _print_url(doc: Any) -> str | None:
    return url_for("printing.index") if can(Permission.PRINT) else None


def _formal_printable(doc: Any) -> Any:
    """The formal version as something the print page can show and send (404 until it exists)."""
    from types import SimpleNamespace

    target = formal.path(settings().files_dir, doc, "pdf")
    if target is None:
        abort(404)
    return SimpleNamespace(id=0, filename=f"{doc.doc_number or doc.title}.pdf".replace("/", "_"),
                           content_type="application/pdf", sha256=None, path=target)


def _print_preview(f: Any, doc: Any, options: print_service.PrintOptions) -> dict[str, Any]:
    """Where the file would print and why, from page facts the worker or a bounded child read."""
    cfg = settings()
    if getattr(f, "path", None) is not None:  # the 套红 formal version (file id 0)
        state, pdf = "ready", f.path
    elif f.content_type == "application/pdf" or f.filename.lower().endswith(".pdf"):
        state, pdf = "ready", storage.blob_path(cfg.files_dir, f.sha256)
    elif f.filename.lower().endswith(".docx"):
        state, pdf = storage.preview_pdf(cfg.files_dir, f.sha256)  # the worker converts; never here
    else:
        return {"state": "unknown"}
    if state != "ready" or not isinstance(pdf, Path):
        return {"state": state, "reason": pdf if state == "failed" else None}
    try:
        preview = print_service.preview_pdf_route(db_session(), cfg, _user(), pdf, options,
                                                  classification=doc.classification)
    except print_service.PrintError as exc:
        return {"state": "refused", "problems": exc.problems}
    return {"state": "ready", "preview": preview}


@bp.route("/<int:doc_id>/files/<int:file_id>/print", methods=["GET", "POST"])
@requires(Permission.PRINT)
def print_file(doc_id: int, file_id: int) -> ResponseReturnValue:
    """Print a file of the document with the print page's choices; GET shows where it would go and why.

    File id 0 is the 套红 formal version, once the worker has made it."""
    doc = _doc_or_404(doc_id)
    f: Any = _formal_printable(doc) if file_id == 0 else _file_or_404(doc_id, file_id)
    if request.method == "GET":
        form = DocumentPrintForm(formdata=request.args if request.args else None, meta={"csrf": False})
        if request.args:
            form.validate()
        options = print_options(form, doc.classification)
        return render_template("documents/print.html", doc=doc, file=f, form=form, csrf_form=ActionForm(),
                               routed=_print_preview(f, doc, options) if not form.errors else {"state": "form"},
                               **_labels())
    form = DocumentPrintForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("documents.print_file", doc_id=doc.id, file_id=f.id))
    dbs, cfg = db_session(), settings()
    # The printing service copies the file at once; it needs the real name for the format.
    with tempfile.TemporaryDirectory(prefix="eoffice-print-") as tmp:
        path = Path(tmp) / f.filename
        if getattr(f, "path", None) is not None:
            shutil.copyfile(f.path, path)
        else:
            path.write_bytes(storage.read(cfg.files_dir, f.sha256))
        try:
            job = print_service.request_print(
                dbs, cfg, _user(), print_service.DocumentSource(path, doc.title, doc.classification),
                print_options(form, doc.classification),
            )
        except DomainError as exc:  # printing's refusals or a refused file
            dbs.rollback()
            refuse(exc)
            chosen: dict[str, Any] = {k: v for k, v in request.form.items() if k != "csrf_token"}
            return redirect(url_for("documents.print_file", doc_id=doc.id, file_id=f.id, **chosen))
    dbs.commit()
    if job.state == "preparing":
        flash(_("已收到《%(title)s》，正在转换为 PDF，稍后自动决定打印位置。", title=doc.title), "success")
    else:
        flash(_("已提交打印《%(title)s》%(copies)d 份，送%(queue)s。原因：%(reasons)s", title=doc.title,
                copies=job.copies, queue=queue_name(job.queue),
                reasons=_("；").join(say(r) for r in print_service.reasons_text(job))), "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.post("/<int:doc_id>/acknowledge")
@requires(Permission.DOCUMENTS)
def acknowledge(doc_id: int) -> ResponseReturnValue:
    """签收: a recipient confirms receipt of a distributed document."""
    doc = _doc_or_404(doc_id)
    ActionForm().validate_on_submit()
    dbs, user = db_session(), _user()
    if engine.mark_read(dbs, doc, user):
        hooks.document_read(dbs, doc, user)
        dbs.commit()
        flash(_("已签收《%(title)s》。", title=doc.title), "success")
    else:
        flash(_("已处理：您已签收过此文件。"), "info")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.post("/<int:doc_id>/edit")
@requires(Permission.DOCUMENTS)
def edit(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        flash(_("请检查表单：") + "；".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("documents.show", doc_id=doc.id))
    version = request.form.get("version", type=int) or 0
    return _run(doc.id, lambda s: drafting.update_fields(s, doc.id, _user(), _fields(form), expected_version=version),
                _("已保存修改。"))


@bp.post("/<int:doc_id>/files")
@requires(Permission.DOCUMENTS)
def upload(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    ActionForm().validate_on_submit()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择要上传的文件。"), "error")
        return redirect(url_for("documents.show", doc_id=doc.id))
    role = "main" if request.form.get("role") == "main" else "attachment"
    slot = request.form.get("slot") or None
    version = request.form.get("version", type=int)  # the form's version: a second post of it is 「已处理」
    db_session().commit()  # end the read (on SQLite it holds the write lock) before the slow hashing and writing
    try:
        stored = _store_upload(upload, role)
    except DomainError as exc:  # the upload limit or a refused file
        refuse(exc)
        return redirect(url_for("documents.show", doc_id=doc.id))
    return _run(doc.id, lambda s: drafting.add_file(
        s, settings().files_dir, doc.id, _user(), role=role, stored=stored, slot=slot, expected_version=version,
    ), _("文件已上传。"))


def _store_upload(upload: Any, role: str) -> storage.Stored:
    """Read an upload within the document limit and store it (hash and write), outside any write transaction.

    Raises UploadTooLarge or storage.FileRefused with the message for the user.
    """
    return storage.store(settings().files_dir, upload.filename or "", read_limited(upload.stream, "document"),
                         role=role)


@bp.post("/<int:doc_id>/files/<slot>/remove")
@requires(Permission.DOCUMENTS)
def remove_file(doc_id: int, slot: str) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    version = request.form.get("version", type=int) or 0
    return _run(doc.id, lambda s: drafting.remove_file(s, doc.id, _user(), slot, expected_version=version),
                _("附件已移除。"))


def _file_or_404(doc_id: int, file_id: int) -> DocumentFile:
    doc = _doc_or_404(doc_id)
    f = db_session().get(DocumentFile, file_id)
    if f is None or f.document_id != doc.id:
        abort(404)
    return f


@bp.get("/<int:doc_id>/files/<int:file_id>")
@requires(Permission.DOCUMENTS)
def download(doc_id: int, file_id: int) -> ResponseReturnValue:
    f = _file_or_404(doc_id, file_id)
    path = storage.blob_path(settings().files_dir, f.sha256)
    # Always a download with a sniff-proof type: an uploaded file must never run as a page.
    return send_file(path, mimetype=f.content_type if f.content_type != "text/html" else "application/octet-stream",
                     as_attachment=True, download_name=download_name(f.filename))


@bp.get("/<int:doc_id>/files/<int:file_id>/preview")
@requires(Permission.DOCUMENTS)
def preview(doc_id: int, file_id: int) -> ResponseReturnValue:
    f = _file_or_404(doc_id, file_id)
    files_dir = settings().files_dir
    ext = storage.extension(f.filename)
    if ext == ".pdf":
        return send_file(storage.blob_path(files_dir, f.sha256), mimetype="application/pdf",
                         download_name=download_name(f.filename))
    if ext == ".docx":
        state, found = storage.preview_pdf(files_dir, f.sha256)
        if state == "ready" and found is not None:
            return send_file(found, mimetype="application/pdf", download_name=download_name(f.filename + ".pdf"))
        return render_template("documents/preview_text.html", file=f, state=state, reason=found)
    return render_template("documents/preview_text.html", file=f, state=None, reason=None)


@bp.post("/<int:doc_id>/files/<int:file_id>/preview/retry")
@requires(Permission.DOCUMENTS)
def retry_preview(doc_id: int, file_id: int) -> ResponseReturnValue:
    f = _file_or_404(doc_id, file_id)
    storage.retry_preview(settings().files_dir, f.sha256)
    return redirect(url_for("documents.preview", doc_id=doc_id, file_id=file_id))


@bp.get("/<int:doc_id>/sheet.pdf")
@requires(Permission.DOCUMENTS)
def sheet(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    dbs = db_session()
    record = dbs.scalar(select(FilingRecord).where(FilingRecord.document_id == doc.id))
    stamp = None
    if record is not None:
        dept = org.department_by_code(dbs, record.department_code)
        stamp = filing.Stamp(record.fonds, record.year, record.piece, dept.name if dept else record.department_code,
                             record.retention, record.pages)
    pdf = filing.processing_sheet(dbs, settings(), doc, record, stamp, common.files_of(dbs, doc))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": "inline; filename=processing-sheet.pdf"})


@bp.post("/<int:doc_id>/plan")
@requires(Permission.DOCUMENTS)
def plan(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    ActionForm().validate_on_submit()
    version = request.form.get("version", type=int) or 0
    return _run(doc.id, lambda s: drafting.set_plan(s, doc.id, _user(), _posted_plan(doc), expected_version=version),
                _("路由已调整。"))


def _posted_plan(doc: Any) -> dict[str, Any]:
    """The route choices of the posted form: optional steps ticked or not, 会签 departments."""
    chosen: dict[str, Any] = {"skip": [], "departments": {}}
    for step in doc.template.steps:
        if step.get("optional") and not request.form.get(f"use_{step['key']}"):
            chosen["skip"].append(step["key"])
        if step["kind"] == states.StepKind.COUNTERSIGN:
            chosen["departments"][step["key"]] = request.form.getlist(f"departments_{step['key']}")
    return chosen


@bp.post("/<int:doc_id>/submit")
@requires(Permission.DOCUMENTS)
def submit(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    ActionForm().validate_on_submit()
    version = request.form.get("version", type=int) or 0
    shown = request.form.get("plan_shown") == "1"

    def work(s: Any) -> Any:
        seen = version
        if shown:  # the route as the form showed it when 提交 was pressed (refused with reasons, never dropped)
            drafting.set_plan(s, doc.id, _user(), _posted_plan(doc), expected_version=version)
            seen = version + 1
        return drafting.submit(s, settings(), doc.id, _user(), expected_version=seen)

    return _run(doc.id, work, _("已提交，文件已送下一步办理。"))


@bp.post("/<int:doc_id>/cancel")
@requires(Permission.DOCUMENTS)
def cancel(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    version = request.form.get("version", type=int) or 0
    return _run(doc.id, lambda s: drafting.cancel(s, doc.id, _user(), expected_version=version,
                                                 reason=request.form.get("opinion", "")), _("草稿已作废。"))


@bp.post("/<int:doc_id>/withdraw")
@requires(Permission.DOCUMENTS)
def withdraw(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    version = request.form.get("version", type=int) or 0
    if version != doc.version:  # posted again, or the page is stale: nothing is taken back twice
        refuse(engine.ConflictError(common.ALREADY_DONE))
        return redirect(url_for("documents.show", doc_id=doc.id))
    return _run(doc.id, lambda s: engine.withdraw(s, doc.id, _user(), expected_version=version),
                _("已撤回，您可以重新办理。"))


@bp.post("/<int:doc_id>/comment")
@requires(Permission.DOCUMENTS)
def comment(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    key = (request.form.get("form_key") or "")[:64]  # one key per rendered form: a repeat is 「已处理」
    return _run(doc.id, lambda s: engine.comment(s, doc.id, _user(), request.form.get("opinion", ""),
                                                   form_key=key),
                _("意见已记录。"))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@bp.post("/<int:doc_id>/act")
@requires(Permission.DOCUMENTS)
def act(doc_id: int) -> ResponseReturnValue:
    doc = _doc_or_404(doc_id)
    form = ActionForm()
    form.validate_on_submit()
    user = _user()
    op = request.form.get("op", "")
    aid = request.form.get("assignment_id", type=int) or 0
    opinion = form.opinion.data or ""
    cfg = settings()
    # The version the page showed: the same form posted twice is refused as 「已处理」 (ConflictError).
    # A form without it (an old page, a script) is refused too: nothing acts without knowing what was seen.
    seen = request.form.get("version", type=int)
    if seen is None:
        flash(_("页面已过期，请刷新页面后重新办理。"), "error")
        return redirect(url_for("documents.show", doc_id=doc.id))
    # 职位代理: acting on someone else's task is acting on their behalf (the service checks the grant).
    proxy_for = hooks.principal_of(db_session(), aid, user)
    if op == "complete":
        params = engine.StepInput(
            lead_department=request.form.get("lead_department") or None,
            co_departments=request.form.getlist("co_departments"),
            retention=request.form.get("retention") or None,
            copies=request.form.get("copies", type=int),
            distribution_departments=request.form.getlist("distribution_departments") or None,
            number_year=request.form.get("number_year") or None,
            void_reason=(request.form.get("void_reason") or "")[:500],
        )
        return _run(doc.id, lambda s: engine.complete(
            s, cfg, doc.id, user, aid, opinion=opinion, params=params, attach=_attach_metadata(),
            on_behalf_of=proxy_for, expected_version=seen), _("已办理。"), outcome=True)
    if op == "return":
        target = request.form.get("target_step", type=int)
        return _run(doc.id, lambda s: engine.return_document(
            s, cfg, doc.id, user, aid, reasons=_lines(request.form.get("reasons")), target_step_id=target,
            opinion=opinion, on_behalf_of=proxy_for, expected_version=seen), _("已退回，退回理由已一次性告知。"),
            outcome=True)
    reasons = _lines(request.form.get("reasons"))
    username = request.form.get("username", "")
    if op == "send_back":
        return _run(doc.id, lambda s: engine.send_back(s, doc.id, user, aid, reasons=reasons, on_behalf_of=proxy_for,
                                                         expected_version=seen),
                    _("已退回来文单位。"))
    if op == "add_signer":
        return _run(doc.id, lambda s: engine.add_signer(s, doc.id, user, aid, username=username, opinion=opinion,
                                                          on_behalf_of=proxy_for, expected_version=seen),
                    _("已加签，您完成本步骤后将送加签人审核。"), outcome=True)
    if op == "transfer":
        return _run(doc.id, lambda s: engine.transfer(s, doc.id, user, aid, username=username, opinion=opinion,
                                                        on_behalf_of=proxy_for, expected_version=seen),
                    _("已转办。"), outcome=True)
    flash(_("未知的操作，请从页面上的按钮进行操作。"), "error")
    return redirect(url_for("documents.show", doc_id=doc.id))


# ---- registers -----------------------------------------------------------------------------------


def _export(kind: str, year: int, headers: list[str], rows: list[list[Any]], title: str) -> Response:
    fmt = request.args.get("format")
    name = f"{kind}-{year}"
    if fmt == "csv":
        return Response(exports.to_csv(headers, rows), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return Response(exports.to_xlsx(title, headers, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@bp.get("/register")
@requires(Permission.DOCUMENTS_NUMBER)
def register() -> ResponseReturnValue:
    dbs = db_session()
    year = request.args.get("year", type=int) or ledger.local_year()
    if request.args.get("format") in ("csv", "xlsx"):
        return _export("register", year, exports.REGISTER_HEADERS, exports.register_rows(dbs, year, _user()),
                       "发文登记簿")
    return render_template("documents/register.html", year=year, entries=ledger.entries(dbs, year=year),
                           action_form=ActionForm(), **_labels())


@bp.get("/register/incoming")
@requires(Permission.DOCUMENTS_NUMBER)
def incoming_register() -> ResponseReturnValue:
    """收文登记簿: the year's 收文 with 来文机关, 来文字号, 主办部门 and state; CSV/XLSX like the 发文登记簿."""
    dbs = db_session()
    year = request.args.get("year", type=int) or ledger.local_year()
    rows = exports.incoming_rows(dbs, year, _user())
    if request.args.get("format") in ("csv", "xlsx"):
        return _export("incoming", year, exports.INCOMING_HEADERS, rows, "收文登记簿")
    documents = exports.incoming(dbs, year)
    return render_template("documents/incoming_register.html", year=year, rows=list(zip(rows, documents, strict=True)),
                           headers=exports.INCOMING_HEADERS, **_labels())


@bp.post("/register/<int:entry_id>/void")
@requires(Permission.DOCUMENTS_NUMBER)
def void(entry_id: int) -> ResponseReturnValue:
    dbs = db_session()
    ActionForm().validate_on_submit()
    entry = dbs.get(NumberEntry, entry_id)
    if entry is None:
        abort(404)
    year = entry.year
    try:
        entry = dbs.get(NumberEntry, entry_id, populate_existing=True)
        if entry is None:  # gone between the two reads
            abort(404)
        ledger.void_number(dbs, entry, _user(), request.form.get("reason", ""))
        dbs.commit()
    except WorkflowError as exc:
        dbs.rollback()
        refuse(exc)
    else:
        flash(_("文号 %(number)s 已作废，记录保留在登记簿中。", number=entry.number), "success")
    return redirect(url_for("documents.register", year=year))


@bp.get("/catalogue")
@requires(Permission.DOCUMENTS)
def catalogue() -> ResponseReturnValue:
    # The office clerk files and the archivists keep the catalogue: either permission opens it.
    if not (can(Permission.DOCUMENTS_NUMBER) or can(Permission.ARCHIVE_MANAGE)):
        abort(403)
    dbs = db_session()
    year = request.args.get("year", type=int) or ledger.local_year()
    if request.args.get("format") in ("csv", "xlsx"):
        return _export("catalogue", year, exports.CATALOGUE_HEADERS, exports.catalogue_rows(dbs, year, _user()),
                       "归档文件目录")
    return render_template("documents/catalogue.html", year=year, records=filing.catalogue(dbs, year=year),
                           **_labels())


# ---- route templates -----------------------------------------------------------------------------


@bp.get("/templates")
@requires(Permission.ADMIN)
def templates() -> ResponseReturnValue:
    return render_template("documents/templates.html",
                           templates=routes.templates(db_session(), include_inactive=True), **_labels())


def _template_rows(form_data: Any) -> tuple[list[dict[str, Any]], bool]:
    """Read the step rows of the route form (step-<n>-<field>), ordered by their 顺序; (rows, add asked)."""
    indexes = sorted({int(k.split("-")[1]) for k in form_data if k.startswith("step-") and k.split("-")[1].isdigit()})
    rows: list[tuple[float, dict[str, Any]]] = []
    for i in indexes:
        prefix = f"step-{i}-"
        if form_data.get(prefix + "remove"):
            continue
        row: dict[str, Any] = {}
        for name in routes.ROW_FIELDS:
            if name in ("departments", "allowed"):
                row[name] = form_data.getlist(prefix + name)
            elif name in ("optional", "auto", "acknowledge", "any_department"):
                row[name] = bool(form_data.get(prefix + name))
            else:
                row[name] = (form_data.get(prefix + name) or "").strip()
        if not row["key"] and not row["name"] and i == indexes[-1] and form_data.get("blank") == str(i):
            continue  # the untouched blank row offered by 添加步骤
        order = (form_data.get(prefix + "order") or "").strip()
        rows.append((float(order) if order.replace(".", "", 1).isdigit() else float(i + 1), row))
    return [r for _o, r in sorted(rows, key=lambda x: x[0])], form_data.get("action") == "add"


def _number_preview(code: str) -> str:
    if not code.strip():
        return ""
    return ledger.peek_number(db_session(), code.replace("{organ}", settings().organ_code))


@bp.route("/templates/edit", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def edit_template() -> ResponseReturnValue:
    """The route template form: one row per step (who, optional, 会签 mode, 文号 code with a live preview)."""
    dbs = db_session()
    code = request.args.get("code", "")
    template = dbs.scalar(select(RouteTemplate).where(RouteTemplate.code == code)) if code else None
    form = TemplateForm()
    problems: list[str] = []
    if request.method == "GET":
        if template is not None:
            form.code.data, form.name.data, form.kind.data = template.code, template.name, template.kind
            form.active.data = template.active
        rows = [routes.row_from_step(s) for s in template.steps] if template else [routes.row_from_step({})]
    else:
        rows, add = _template_rows(request.form)
        if add:
            rows.append(routes.row_from_step({}))
        elif form.validate_on_submit():
            try:
                saved = routes.save_template(dbs, code=form.code.data or "", name=form.name.data or "",
                                             kind=form.kind.data or "", steps=[routes.step_from_row(r) for r in rows],
                                             active=form.active.data, actor=_user())
                dbs.commit()
            except DomainError as exc:
                dbs.rollback()
                problems = exc.problems
            else:
                flash(_("路由模板「%(name)s」已保存；新提交的文件将使用新路由。", name=saved.name), "success")
                return redirect(url_for("documents.templates"))
    previews = {i: _number_preview(r["code"]) for i, r in enumerate(rows) if r["kind"] == "number"}
    return render_template(
        "documents/template_edit.html", form=form, template=template, problems=problems, rows=rows,
        blank=len(rows) - 1 if request.form.get("action") == "add" else -1, previews=previews,
        departments=org.departments(dbs), roles=sorted(ROLE_NAMES.items()), who_names=routes.WHO_NAMES,
        mode_names=routes.MODE_NAMES, kinds=[k for k in StepKind], organ_code=settings().organ_code, **_labels(),
    )


@bp.get("/templates/number-preview")
@requires(Permission.ADMIN)
def number_preview() -> ResponseReturnValue:
    """JSON {"number": next 文号 for ?code=} for the route form's live preview; nothing is taken."""
    code = request.args.get("code", "")[:64]
    return jsonify({"number": _number_preview(code)})


@bp.get("/templates/<code>.json")
@requires(Permission.ADMIN)
def export_template(code: str) -> ResponseReturnValue:
    """Download a route template as JSON (for backup or another install; editing is done in the form)."""
    template = db_session().scalar(select(RouteTemplate).where(RouteTemplate.code == code))
    if template is None:
        abort(404)
    body = json.dumps({"code": template.code, "name": template.name, "kind": template.kind,
                       "active": template.active, "steps": template.steps}, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f"attachment; filename={template.code}.json"
    return response


# ---- red-header (套红) templates ---------------------------------------------------------------------


@bp.route("/redhead-templates", methods=["GET", "POST"])
@requires(Permission.ADMIN)
def redhead_templates_page() -> ResponseReturnValue:
    """List the red-header templates and take an upload (checked in a limited child; every problem shown)."""
    from documents import redhead_templates
    from intranet.documents.forms import RedheadTemplateForm

    form = RedheadTemplateForm()
    if request.method == "GET":
        form.organ.data = settings().organ_name
    elif form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择要上传的模板文件（.docx）。"), "error")
        else:
            db_session().commit()  # end the read before the slow check (on SQLite it holds the write lock)
            try:
                data = read_limited(upload.stream, "document")
                row = redhead_templates.upload(db_session(), settings().files_dir, name=form.name.data or "",
                                               organ=form.organ.data or "", kind=form.kind.data or "",
                                               filename=upload.filename, data=data, actor=_user())
                db_session().commit()
            except DomainError as exc:
                db_session().rollback()
                refuse(exc)
            else:
                flash(_("红头模板「%(name)s」已上传；此后生成的正式文件将使用它。", name=row.name), "success")
                return redirect(url_for("documents.redhead_templates_page"))
    else:
        form_errors(form)
    rows = redhead_templates.templates(db_session())
    return render_template("documents/redhead_templates.html", form=form, templates=rows, **_labels())


@bp.get("/redhead-templates/<int:template_id>.docx")
@requires(Permission.ADMIN)
def redhead_template_download(template_id: int) -> ResponseReturnValue:
    """Download a red-header template's .docx."""
    from core.models.documents import RedheadTemplate
    from documents import redhead_templates

    row = db_session().get(RedheadTemplate, template_id)
    found = redhead_templates.path_of(settings().files_dir, row) if row is not None else None
    if row is None or found is None:
        abort(404)
    return send_file(found, as_attachment=True, download_name=download_name(row.filename, "template.docx"),
                     mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@bp.post("/redhead-templates/<int:template_id>/delete")
@requires(Permission.ADMIN)
def redhead_template_delete(template_id: int) -> ResponseReturnValue:
    """Delete a red-header template; documents made later use the next matching one or the built-in layout."""
    from documents import redhead_templates

    ActionForm().validate_on_submit()
    row = redhead_templates.delete(db_session(), template_id)
    if row is None:
        abort(404)
    name, stored_name = row.name, row.stored_name
    db_session().commit()
    redhead_templates.forget_file(db_session(), settings().files_dir, stored_name)
    flash(_("红头模板「%(name)s」已删除。", name=name), "success")
    return redirect(url_for("documents.redhead_templates_page"))
