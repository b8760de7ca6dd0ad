"""archive files, extracted text, index outbox, record metadata

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archive_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relpath", sa.String(length=1024), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("classification", sa.Integer(), nullable=False),
        sa.Column("archive_number", sa.String(length=64), nullable=True),
        sa.Column("retention", sa.String(length=16), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("extracted_sha256", sa.String(length=64), nullable=True),
        sa.Column("text_chars", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_archive_file_department_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_file")),
        sa.UniqueConstraint("relpath", name=op.f("uq_archive_file_relpath")),
    )
    op.create_index("ix_archive_file_dept_year", "archive_file", ["department_id", "year"], unique=False)
    op.create_index("ix_archive_file_size_sha", "archive_file", ["size", "sha256"], unique=False)
    op.create_index(op.f("ix_archive_file_outcome"), "archive_file", ["outcome"], unique=False)
    op.create_table(
        "archive_file_text",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["archive_file.id"], name=op.f("fk_archive_file_text_file_id_archive_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_archive_file_text")),
    )
    op.create_table(
        "archive_index_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_index_task")),
    )
    op.create_index(op.f("ix_archive_index_task_file_id"), "archive_index_task", ["file_id"], unique=False)
    op.create_table(
        "archive_record_metadata",
        sa.Column("relpath", sa.String(length=1024), nullable=False),
        sa.Column("archive_number", sa.String(length=64), nullable=True),
        sa.Column("retention", sa.String(length=16), nullable=True),
        sa.Column("classification", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("relpath", name=op.f("pk_archive_record_metadata")),
    )


def downgrade() -> None:
    op.drop_table("archive_record_metadata")
    op.drop_index(op.f("ix_archive_index_task_file_id"), table_name="archive_index_task")
    op.drop_table("archive_index_task")
    op.drop_table("archive_file_text")
    op.drop_index(op.f("ix_archive_file_outcome"), table_name="archive_file")
    op.drop_index("ix_archive_file_size_sha", table_name="archive_file")
    op.drop_index("ix_archive_file_dept_year", table_name="archive_file")
    op.drop_table("archive_file")
