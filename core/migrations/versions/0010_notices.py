"""notices: 通知公告 and 公示 (notices, attachments, read receipts, objections)

Revision ID: 0010
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('pinned', sa.Boolean(), nullable=False),
        sa.Column('publish_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expire_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=True),
        sa.Column('period_end', sa.Date(), nullable=True),
        sa.Column('period_workdays', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('filed_relpath', sa.String(length=1024), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_notice_author_id_user_account')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_notice_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    )
    op.create_index('ix_notice_publish_at', 'notice', ['publish_at'])
    op.create_table(
        'notice_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_attachment_notice_id_notice')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_attachment')),
    )
    op.create_index(op.f('ix_notice_attachment_notice_id'), 'notice_attachment', ['notice_id'])
    op.create_table(
        'notice_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_receipt_notice_id_notice')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notice_receipt_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_receipt')),
        sa.UniqueConstraint('notice_id', 'user_id', name='uq_notice_receipt_notice_user'),
    )
    op.create_index(op.f('ix_notice_receipt_notice_id'), 'notice_receipt', ['notice_id'])
    op.create_index(op.f('ix_notice_receipt_user_id'), 'notice_receipt', ['user_id'])
    op.create_table(
        'notice_objection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('anonymous', sa.Boolean(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('handling', sa.Text(), nullable=False),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_objection_notice_id_notice')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notice_objection_user_id_user_account')),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user_account.id'],
                                name=op.f('fk_notice_objection_handled_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_objection')),
    )
    op.create_index(op.f('ix_notice_objection_notice_id'), 'notice_objection', ['notice_id'])


def downgrade() -> None:
    for table in ('notice_objection', 'notice_receipt', 'notice_attachment', 'notice'):
        op.drop_table(table)
