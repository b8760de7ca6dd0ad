"""Format check of a 公文 before 核稿 and 签发 (一次性告知: every problem at once, with its source).

Rules and sources:
- number_form: 发文字号 = 发文机关代字 + 〔年份〕 + 序号 + 号; the year in 六角括号 〔〕, the serial without
  leading zeros (不编虚位) and without 第 (GB/T 9704-2012 §7.2.4).
- title_kind: the 标题 ends with the name of a 文种 (GB/T 9704-2012 §7.3.1; the 15 文种 of
  《党政机关公文处理工作条例》第八条).
- upward_signer: a 上行文 (marked 上行文 on the document, or a 请示, 报告, 议案) carries the 签发人
  (GB/T 9704-2012 §7.2.5): its route must have a 签发 step, done by a named person.
- classified_marks: a classified 公文 (秘密 and above) carries 份号, 密级 and 保密期限 (GB/T 9704-2012
  §7.2.1, §7.2.2); eoffice gives the 份号 in the 套红 version, the 保密期限 is the document's field.
- attachments: 附件说明 in the 正文 matches the attached files (GB/T 9704-2012 §7.3.4).
- main_recipients: a 发文 names its 主送机关 (GB/T 9704-2012 §7.3.2).
- signed_date: the 成文日期 is the 签发 date (GB/T 9704-2012 §7.3.5.1): set once signed.
- cc_duplicates: no organ is both 主送 and 抄送 (GB/T 9704-2012 §7.4.2).
Which rules block the step is a setting (`[supervision] format_blocking`); the others warn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.messages import msg
from core.models.documents import Document, DocumentFile, RouteStep
from core.terms import CLASSIFIED_FROM
from documents.states import Kind, StepKind

DOCUMENT_KINDS = ("决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
                  "批复", "议案", "函", "纪要")
UPWARD_KINDS = ("请示", "报告", "议案")
NUMBER = re.compile(r"^(?P<code>[^\s〔〕\[\]（）()]+)〔(?P<year>\d{4})〕(?P<serial>[1-9]\d*)号$")
RULES = ("number_form", "title_kind", "upward_signer", "classified_marks", "attachments", "main_recipients",
         "signed_date", "cc_duplicates")


@dataclass(frozen=True)
class Problem:
    """One finding: the rule's code, the message (with its source) and whether it blocks the step."""

    rule: str
    message: str
    blocking: bool


def document_kind(title: str) -> str | None:
    """The 文种 a title ends with (ignoring a trailing （代拟稿）-style note), or None."""
    core = re.sub(r"[（(][^（）()]*[)）]$", "", title.strip())
    return next((k for k in sorted(DOCUMENT_KINDS, key=len, reverse=True) if core.endswith(k)), None)


def _split(names: str) -> set[str]:
    return {n.strip() for n in re.split(r"[，,、；;\s]+", names or "") if n.strip()}


def check(session: Session, doc: Document, *, blocking: tuple[str, ...], files_dir: Path | None = None,
          signer_known: bool = False) -> list[Problem]:
    """Return every format problem of the document (empty when it passes).

    `signer_known` is True when the check runs at 签发 itself (the actor becomes the 签发人).
    `files_dir` lets the check read the 正文 .docx for its 附件说明.
    """
    found: list[tuple[str, str]] = []
    if doc.doc_number and not NUMBER.match(doc.doc_number):
        found.append(("number_form", msg(
            "文号「%(number)s」格式不对：应为 机关代字〔年份〕序号号，年份用六角括号，序号不加0、不加“第”"
            "（GB/T 9704-2012 7.2.4）。", number=doc.doc_number)))
    kind = document_kind(doc.title)
    if doc.kind != Kind.INCOMING and kind is None:
        found.append(("title_kind", msg(
            "标题应以文种结尾（如 通知、请示、报告、函），现为「%(title)s」（GB/T 9704-2012 7.3.1）。",
            title=doc.title)))
    steps = list(session.scalars(select(RouteStep).where(RouteStep.document_id == doc.id,
                                                        RouteStep.route_round == doc.route_round)))
    upward = doc.kind == Kind.OUTGOING and (bool(doc.upward) or kind in UPWARD_KINDS)
    if upward and not (signer_known or doc.signed_by_id) and not any(s.kind == StepKind.SIGN for s in steps):
        found.append(("upward_signer", msg(
            "%(kind)s是上行文，须标注签发人：请在路由中保留“局领导签发”步骤（GB/T 9704-2012 7.2.5）。",
            kind=kind)))
    if doc.classification >= CLASSIFIED_FROM and not (doc.secrecy_period or "").strip():
        found.append(("classified_marks", msg(
            "涉密公文须标注份号、密级和保密期限：份号和密级由套红文件标注，请在“保密期限”栏填写（如 1年、10年、长期）"
            "（GB/T 9704-2012 7.2.1、7.2.2）。")))
    if doc.kind == Kind.OUTGOING and not (doc.main_recipients or "").strip():
        found.append(("main_recipients", msg("请填写主送机关（GB/T 9704-2012 7.3.2）。")))
    if doc.doc_number and doc.kind == Kind.OUTGOING and doc.signed_at is None and not signer_known:
        found.append(("signed_date", msg("成文日期以签发日期为准：该文件尚未签发（GB/T 9704-2012 7.3.5.1）。")))
    both = _split(doc.main_recipients or "") & _split(doc.cc_recipients or "")
    if both:
        found.append(("cc_duplicates", msg(
            "%(names)s 同时出现在主送和抄送中，请删去一处（GB/T 9704-2012 7.4.2）。", names="、".join(sorted(both)))))
    found += [("attachments", m) for m in _attachment_problems(session, doc, files_dir)]
    return [Problem(rule, message, rule in blocking) for rule, message in found]


def _attachment_problems(session: Session, doc: Document, files_dir: Path | None) -> list[str]:
    files = list(session.scalars(select(DocumentFile).where(DocumentFile.document_id == doc.id,
                                                           DocumentFile.current.is_(True))))
    attached = [f for f in files if f.role == "attachment"]
    main = next((f for f in files if f.role == "main"), None)
    if files_dir is None or main is None or not main.filename.lower().endswith(".docx"):
        return []
    from core import storage
    from documents import diffs

    try:  # read in the limited child of the 正文 comparison: an upload is never parsed in the web process
        text = "\n".join(diffs.paragraphs(storage.blob_path(files_dir, main.sha256)))
    except diffs.DiffUnavailable:  # an unreadable 正文 is the preview's concern, not the format check's
        return []
    mentions = re.findall(r"^\s*附件[:：]", text, re.M)
    if attached and not mentions:
        return [msg("已上传%(n)d个附件，但正文末尾没有附件说明（“附件：1. ……”）（GB/T 9704-2012 7.3.4）。",
                    n=len(attached))]
    if mentions and not attached:
        return [msg("正文有附件说明，但没有上传附件（GB/T 9704-2012 7.3.4）。")]
    return []
