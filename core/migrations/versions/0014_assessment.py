"""assessment: 目标绩效考核 (targets, quarterly 自查 reports and their items, reminders)

Revision ID: 0014
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'assessment_target',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('measure', sa.Text(), nullable=False),
        sa.Column('person', sa.String(length=100), nullable=False),
        sa.Column('q1', sa.Text(), nullable=False),
        sa.Column('q2', sa.Text(), nullable=False),
        sa.Column('q3', sa.Text(), nullable=False),
        sa.Column('q4', sa.Text(), nullable=False),
        sa.Column('weight', sa.Float(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_assessment_target_department_id_department')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_target_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_target')),
    )
    op.create_index('ix_assessment_target_year_department', 'assessment_target', ['year', 'department_id'])
    op.create_table(
        'assessment_self_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=False),
        sa.Column('on_behalf', sa.Boolean(), nullable=False),
        sa.Column('first_submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('returned_by_id', sa.Integer(), nullable=True),
        sa.Column('return_reason', sa.Text(), nullable=False),
        sa.Column('attachment_name', sa.String(length=255), nullable=True),
        sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
        sa.Column('attachment_size', sa.Integer(), nullable=True),
        sa.Column('attachment_type', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_assessment_self_check_department_id_department')),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_self_check_submitted_by_id_user_account')),
        sa.ForeignKeyConstraint(['returned_by_id'], ['user_account.id'],
                                name=op.f('fk_assessment_self_check_returned_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_self_check')),
        sa.UniqueConstraint('year', 'quarter', 'department_id', name='uq_assessment_self_check_period'),
    )
    op.create_table(
        'assessment_self_check_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['assessment_self_check.id'],
                                name=op.f('fk_assessment_self_check_item_report_id_assessment_self_check')),
        sa.ForeignKeyConstraint(['target_id'], ['assessment_target.id'],
                                name=op.f('fk_assessment_self_check_item_target_id_assessment_target')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_self_check_item')),
        sa.UniqueConstraint('report_id', 'target_id', name='uq_assessment_self_check_item_report'),
    )
    op.create_index(op.f('ix_assessment_self_check_item_report_id'), 'assessment_self_check_item', ['report_id'])
    op.create_index(op.f('ix_assessment_self_check_item_target_id'), 'assessment_self_check_item', ['target_id'])
    op.create_table(
        'assessment_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_assessment_reminder_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_reminder')),
        sa.UniqueConstraint('year', 'quarter', 'kind', 'department_id', name='uq_assessment_reminder_once'),
    )


def downgrade() -> None:
    for table in ('assessment_reminder', 'assessment_self_check_item', 'assessment_self_check', 'assessment_target'):
        op.drop_table(table)
