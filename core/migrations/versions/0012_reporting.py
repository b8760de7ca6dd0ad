"""reporting: 政务信息报送 (outside units and their accounts, items, attachments, issues, adoptions, 约稿, reminders)

Revision ID: 0012
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'reporting_outside_unit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_outside_unit')),
        sa.UniqueConstraint('name', name=op.f('uq_reporting_outside_unit_name')),
    )
    op.create_table(
        'reporting_unit_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_reporting_unit_member_user_id_user_account')),
        sa.ForeignKeyConstraint(['unit_id'], ['reporting_outside_unit.id'],
                                name=op.f('fk_reporting_unit_member_unit_id_reporting_outside_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_unit_member')),
        sa.UniqueConstraint('user_id', name=op.f('uq_reporting_unit_member_user_id')),
    )
    op.create_index(op.f('ix_reporting_unit_member_unit_id'), 'reporting_unit_member', ['unit_id'])
    op.create_table(
        'reporting_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theme', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('units', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_reporting_call_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_call')),
    )
    op.create_table(
        'reporting_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('outside_unit_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=False),
        _when('event_at', True),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('entered_by_id', sa.Integer(), nullable=False),
        sa.Column('on_behalf', sa.Boolean(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=True),
        _when('submitted_at'),
        sa.Column('week_start', sa.Date(), nullable=False),
        _when('resubmitted_at', True),
        sa.Column('return_reasons', sa.JSON(), nullable=False),
        _when('returned_at', True),
        sa.Column('returned_by_id', sa.Integer(), nullable=True),
        sa.Column('times_returned', sa.Integer(), nullable=False),
        _when('updated_at'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_reporting_item_department_id_department')),
        sa.ForeignKeyConstraint(['outside_unit_id'], ['reporting_outside_unit.id'],
                                name=op.f('fk_reporting_item_outside_unit_id_reporting_outside_unit')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'],
                                name=op.f('fk_reporting_item_entered_by_id_user_account')),
        sa.ForeignKeyConstraint(['returned_by_id'], ['user_account.id'],
                                name=op.f('fk_reporting_item_returned_by_id_user_account')),
        sa.ForeignKeyConstraint(['call_id'], ['reporting_call.id'],
                                name=op.f('fk_reporting_item_call_id_reporting_call')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_item')),
    )
    op.create_index('ix_reporting_item_submitted_at', 'reporting_item', ['submitted_at'])
    op.create_index('ix_reporting_item_week_start', 'reporting_item', ['week_start'])
    op.create_index(op.f('ix_reporting_item_department_id'), 'reporting_item', ['department_id'])
    op.create_index(op.f('ix_reporting_item_outside_unit_id'), 'reporting_item', ['outside_unit_id'])
    op.create_index(op.f('ix_reporting_item_call_id'), 'reporting_item', ['call_id'])
    op.create_table(
        'reporting_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['reporting_item.id'],
                                name=op.f('fk_reporting_attachment_item_id_reporting_item')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_attachment')),
    )
    op.create_index(op.f('ix_reporting_attachment_item_id'), 'reporting_attachment', ['item_id'])
    op.create_table(
        'reporting_issue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('publication', sa.String(length=50), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_reporting_issue_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_issue')),
        sa.UniqueConstraint('publication', 'year', 'number', name='uq_reporting_issue_number'),
    )
    op.create_table(
        'reporting_adoption',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('adopted_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        _when('created_at'),
        sa.ForeignKeyConstraint(['item_id'], ['reporting_item.id'],
                                name=op.f('fk_reporting_adoption_item_id_reporting_item')),
        sa.ForeignKeyConstraint(['issue_id'], ['reporting_issue.id'],
                                name=op.f('fk_reporting_adoption_issue_id_reporting_issue')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                                name=op.f('fk_reporting_adoption_recorded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_adoption')),
        sa.UniqueConstraint('item_id', 'level', name='uq_reporting_adoption_item_level'),
    )
    op.create_index(op.f('ix_reporting_adoption_item_id'), 'reporting_adoption', ['item_id'])
    op.create_index(op.f('ix_reporting_adoption_issue_id'), 'reporting_adoption', ['issue_id'])
    op.create_index('ix_reporting_adoption_adopted_on', 'reporting_adoption', ['adopted_on'])
    op.create_table(
        'reporting_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_key', sa.String(length=16), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        _when('sent_at'),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_reminder')),
        sa.UniqueConstraint('unit_key', 'week_start', name='uq_reporting_reminder_unit_week'),
    )


def downgrade() -> None:
    for table in ('reporting_reminder', 'reporting_adoption', 'reporting_issue', 'reporting_attachment',
                  'reporting_item', 'reporting_call', 'reporting_unit_member', 'reporting_outside_unit'):
        op.drop_table(table)
