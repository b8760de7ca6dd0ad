"""The shared archive (文件资料库): one row per file in the archive folder, its extracted text, the index outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.messages import N_
from core.models.base import Base, UTCDateTime, utcnow
from core.models.org import Department
from core.terms import CLASSIFICATION_NAMES
from fileformats.names import display_name

# Classification (密级) levels, compared with User.clearance.
CLASSIFICATIONS: dict[int, str] = CLASSIFICATION_NAMES  # one definition: core/terms.py

# What happened when the file was read. Only "indexed" files are searchable by content; the others are
# still found by name and metadata.
OUTCOMES: dict[str, str] = {
    "pending": N_("等待处理"),
    "indexed": N_("已索引"),
    "ocr": N_("已识别（OCR）"),
    "ocr_queued": N_("等待文字识别（OCR）"),
    "empty": N_("空文件"),
    "no_text": N_("无文字层（扫描件，需要OCR）"),
    "encrypted": N_("有密码保护"),
    "unsupported": N_("不支持的类型（仅按名称检索）"),
    "too_large": N_("文件过大（仅按名称检索）"),
    "damaged": N_("文件损坏或无法读取"),
    "skipped": N_("未读取（符号链接、多重硬链接或无权限，见原因）"),
}
FAILED_OUTCOMES = ("no_text", "encrypted", "too_large", "damaged", "skipped")


class ArchiveFile(Base):
    """A file under settings.archive_dir, with metadata from its folder, its contents and its record."""

    __tablename__ = "archive_file"
    __table_args__ = (
        Index("ix_archive_file_dept_year", "department_id", "year"),
        Index("ix_archive_file_size_sha", "size", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # POSIX path relative to the archive folder, e.g. "BGS/2023/自查报告.docx".
    relpath: Mapped[str] = mapped_column(String(1024), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    # Lower-case extension without dot ("docx", "pdf", "txt", "" when none).
    kind: Mapped[str] = mapped_column(String(16), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # True for the public areas (folders named in [indexer] public_folders): every user sees them.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    year: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[int] = mapped_column(Integer, default=0)
    archive_number: Mapped[str | None] = mapped_column(String(64))  # 档号
    retention: Mapped[str | None] = mapped_column(String(16))  # 保管期限: 永久 / 定期30年 / 定期10年
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime_ns: Mapped[int] = mapped_column(BigInteger, default=0)
    # "st_dev:st_ino" of the file the scan saw: every read checks it (library.safeopen), so a file swapped
    # for another of the same size between the scan and the read is not read through. NULL: not seen yet.
    identity: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    # The sha256 the stored text was extracted from: equal to sha256 means no re-extraction is needed.
    extracted_sha256: Mapped[str | None] = mapped_column(String(64))
    text_chars: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(lazy="joined")

    @property
    def display_path(self) -> str:
        """The path as people read it: a GBK name decoded, bad bytes and control characters escaped."""
        return display_name(self.relpath)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def classification_label(self) -> str:
        return CLASSIFICATIONS.get(self.classification, str(self.classification))

    def __repr__(self) -> str:
        return f"<ArchiveFile {self.id} {self.relpath} {self.outcome}>"


class ArchiveFileText(Base):
    """The extracted text of a file, kept so that a rebuild of the index never re-extracts."""

    __tablename__ = "archive_file_text"

    file_id: Mapped[int] = mapped_column(ForeignKey("archive_file.id", ondelete="CASCADE"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class IndexTask(Base):
    """Outbox row: (re)index or remove one file. Deleted only after the index commit that applied it."""

    __tablename__ = "archive_index_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "index": extract when the text is stale, then (re)write the index document; "delete": remove it.
    action: Mapped[str] = mapped_column(String(8))
    # Not a foreign key: a delete task outlives its file row.
    file_id: Mapped[int] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecordMetadata(Base):
    """档号, 保管期限, 密级 and 题名 filed by the document workflow, keyed by path so it works before indexing."""

    __tablename__ = "archive_record_metadata"

    relpath: Mapped[str] = mapped_column(String(1024), primary_key=True)
    archive_number: Mapped[str | None] = mapped_column(String(64))
    retention: Mapped[str | None] = mapped_column(String(16))
    classification: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
