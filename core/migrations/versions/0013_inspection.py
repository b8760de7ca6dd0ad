"""inspection: 督查督办事项 (items, milestones, 进展反馈, 催办, overdue marks)

Revision ID: 0013
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ['user_account.id'], name=op.f(f'fk_{table}_{column}_user_account'))


def _item_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['item_id'], ['inspection_item.id'],
                                   name=op.f(f'fk_{table}_item_id_inspection_item'))


def upgrade() -> None:
    op.create_table(
        'inspection_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_kind', sa.String(length=16), nullable=False),
        sa.Column('source_text', sa.String(length=300), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('lead_department_id', sa.Integer(), nullable=False),
        sa.Column('co_departments', sa.JSON(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('registered_on', sa.Date(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('schedule', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('closing_report', sa.Text(), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=False),
        sa.Column('judged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('judged_by_id', sa.Integer(), nullable=True),
        sa.Column('completed_on', sa.Date(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('filed_relpath', sa.String(length=1024), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_inspection_item_document_id_document')),
        sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'],
                                name=op.f('fk_inspection_item_lead_department_id_department')),
        _user_fk('inspection_item', 'leader_id'),
        _user_fk('inspection_item', 'person_id'),
        _user_fk('inspection_item', 'judged_by_id'),
        _user_fk('inspection_item', 'confirmed_by_id'),
        _user_fk('inspection_item', 'created_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_item')),
    )
    op.create_index('ix_inspection_item_state', 'inspection_item', ['state'])
    op.create_index('ix_inspection_item_lead_department_id', 'inspection_item', ['lead_department_id'])
    op.create_table(
        'inspection_milestone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('what', sa.String(length=300), nullable=False),
        _item_fk('inspection_milestone'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_milestone')),
    )
    op.create_index(op.f('ix_inspection_milestone_item_id'), 'inspection_milestone', ['item_id'])
    op.create_table(
        'inspection_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        _item_fk('inspection_feedback'),
        _user_fk('inspection_feedback', 'user_id'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_inspection_feedback_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_feedback')),
    )
    op.create_index(op.f('ix_inspection_feedback_item_id'), 'inspection_feedback', ['item_id'])
    op.create_table(
        'inspection_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('escalated_to_id', sa.Integer(), nullable=True),
        _item_fk('inspection_reminder'),
        _user_fk('inspection_reminder', 'target_id'),
        _user_fk('inspection_reminder', 'by_id'),
        _user_fk('inspection_reminder', 'escalated_to_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_reminder')),
    )
    op.create_index('ix_inspection_reminder_item_id_target_id', 'inspection_reminder', ['item_id', 'target_id'])
    op.create_table(
        'inspection_overdue_mark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=16), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        _item_fk('inspection_overdue_mark'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_overdue_mark')),
        sa.UniqueConstraint('item_id', 'what', 'due_on', name='uq_inspection_overdue_mark'),
    )
    op.create_index(op.f('ix_inspection_overdue_mark_item_id'), 'inspection_overdue_mark', ['item_id'])


def downgrade() -> None:
    for table in ('inspection_overdue_mark', 'inspection_reminder', 'inspection_feedback', 'inspection_milestone',
                  'inspection_item'):
        op.drop_table(table)
