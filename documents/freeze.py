"""The 签发 fingerprint: the 正文, attachments and key fields hashed together, and what changed since."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from core.messages import msg, to_data
from core.models.documents import Document, DocumentFile
from core.terms import CLASSIFICATION_NAMES, URGENCY_NAMES

# Fields whose change after 签发 needs the signer's re-approval (复核), with their labels.
KEY_FIELDS = {
    "title": "标题",
    "urgency": "紧急程度",
    "classification": "密级",
    "main_recipients": "主送",
    "cc_recipients": "抄送",
}
# 上行文 and 保密期限 (fields since 2026-12): part of what 签发 approves once they are set.
OPTIONAL_KEY_FIELDS = {"upward": "上行文", "secrecy_period": "保密期限"}
ROLE_LABELS = {"main": "正文", "attachment": "附件"}


def snapshot(doc: Document, files: list[DocumentFile]) -> dict[str, Any]:
    """Return the content that 签发 approves: key fields and the current version of every file."""
    fields = {name: getattr(doc, name) for name in KEY_FIELDS}
    # Marks added later count only when set, so documents signed before they existed keep their fingerprint.
    fields.update({name: getattr(doc, name) for name in OPTIONAL_KEY_FIELDS if getattr(doc, name, None)})
    return {
        "fields": fields,
        "files": sorted(
            ({"slot": f.slot, "role": f.role, "filename": f.filename, "sha256": f.sha256} for f in files if f.current),
            key=lambda f: (f["role"] != "main", f["slot"]),
        ),
    }


def fingerprint(snap: dict[str, Any]) -> str:
    """Return the SHA-256 of a snapshot in canonical JSON."""
    text = json.dumps(snap, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Describe every difference between two snapshots, as catalog messages (their text is Chinese;
    `as_data` keeps them translatable when stored)."""
    out: list[str] = []
    for name, label in {**KEY_FIELDS, **OPTIONAL_KEY_FIELDS}.items():
        old, new = before["fields"].get(name), after["fields"].get(name)
        if old != new and (old or new):
            if name == "upward":
                old, new = (msg("是") if old else msg("否")), (msg("是") if new else msg("否"))
            elif name == "classification":  # the label, not the code
                old, new = msg(CLASSIFICATION_NAMES.get(old, str(old))), msg(CLASSIFICATION_NAMES.get(new, str(new)))
            elif name == "urgency":
                old, new = msg(URGENCY_NAMES.get(old, str(old))), msg(URGENCY_NAMES.get(new, str(new)))
            out.append(msg("%(label)s：「%(old)s」改为「%(new)s」", label=msg(label), old=old, new=new))
    old_files = {f["slot"]: f for f in before["files"]}
    new_files = {f["slot"]: f for f in after["files"]}
    for slot, f in new_files.items():
        role = msg(ROLE_LABELS.get(f["role"], f["role"]))
        if slot not in old_files:
            out.append(msg("新增%(role)s：%(name)s", role=role, name=f["filename"]))
        elif old_files[slot]["sha256"] != f["sha256"]:
            out.append(msg("%(role)s「%(name)s」内容已更换（SHA-256 %(sha)s…）", role=role, name=f["filename"],
                           sha=f["sha256"][:12]))
        elif old_files[slot]["filename"] != f["filename"]:
            out.append(msg("%(role)s更名：「%(old)s」改为「%(new)s」", role=role, old=old_files[slot]["filename"],
                           new=f["filename"]))
    for slot, f in old_files.items():
        if slot not in new_files:
            out.append(msg("删除%(role)s：%(name)s", role=msg(ROLE_LABELS.get(f["role"], f["role"])),
                           name=f["filename"]))
    return out


def as_data(described: list[str]) -> dict[str, Any]:
    """The action data for a list of changes: the Chinese texts and their catalog form (for display)."""
    return {"changes": [str(c) for c in described], "changes_data": [to_data(c) for c in described]}
