"""printing: print jobs (the dispatcher's outbox) and last known printer states

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 02:53:29.896739
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('printer_status',
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('state', sa.Integer(), nullable=False),
    sa.Column('accepting', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('jobs', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('queue', name=op.f('pk_printer_status'))
    )
    op.create_table('print_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source_ref', sa.String(length=1024), nullable=True),
    sa.Column('original_path', sa.String(length=1024), nullable=False),
    sa.Column('pdf_path', sa.String(length=1024), nullable=True),
    sa.Column('classification', sa.Integer(), nullable=False),
    sa.Column('media', sa.String(length=32), nullable=False),
    sa.Column('color', sa.Boolean(), nullable=False),
    sa.Column('quality', sa.String(length=16), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('page_ranges', sa.String(length=255), nullable=False),
    sa.Column('prefer_central', sa.Boolean(), nullable=False),
    sa.Column('document_pages', sa.Integer(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=16), nullable=True),
    sa.Column('queue', sa.String(length=128), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('held', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('cups_job_id', sa.Integer(), nullable=True),
    sa.Column('cups_state', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('action_queue', sa.String(length=128), nullable=True),
    sa.Column('action_by', sa.String(length=128), nullable=True),
    sa.Column('released_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_print_job_department_id_department')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_print_job_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_job')),
    sa.UniqueConstraint('uuid', name=op.f('uq_print_job_uuid'))
    )
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.create_index('ix_print_job_department_created', ['department_id', 'created_at'], unique=False)
        batch_op.create_index('ix_print_job_state', ['state'], unique=False)
        batch_op.create_index('ix_print_job_user_created', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_index('ix_print_job_user_created')
        batch_op.drop_index('ix_print_job_state')
        batch_op.drop_index('ix_print_job_department_created')

    op.drop_table('print_job')
    op.drop_table('printer_status')
