"""supervision: working-day calendar (with 2026 and 2027 data), 职位代理, notifications, 催办, 传阅

Revision ID: 0006
Revises: 0001
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The holiday schedule as shipped (an admin edits it later at /supervision/calendar).
# 2026: 国务院办公厅关于2026年部分节假日安排的通知 (published November 2025).
# (name, first day off, last day off, [调休 working days])
SCHEDULE_2026 = [
    ('元旦', date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)]),
    ('春节', date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
    ('清明节', date(2026, 4, 4), date(2026, 4, 6), []),
    ('劳动节', date(2026, 5, 1), date(2026, 5, 5), [date(2026, 5, 9)]),
    ('端午节', date(2026, 6, 19), date(2026, 6, 21), []),
    ('中秋节', date(2026, 9, 25), date(2026, 9, 27), []),
    ('国庆节', date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
]
# 2027: not yet published when this was written. Only the statutory days of 《全国年节及纪念日放假办法》
# (2024 revision) are shipped, marked provisional: add the blocks and 调休 days once the notice is out.
SCHEDULE_2027 = [
    ('元旦', date(2027, 1, 1), date(2027, 1, 1), []),
    ('春节', date(2027, 2, 5), date(2027, 2, 8), []),
    ('清明节', date(2027, 4, 5), date(2027, 4, 5), []),
    ('劳动节', date(2027, 5, 1), date(2027, 5, 2), []),
    ('端午节', date(2027, 6, 9), date(2027, 6, 9), []),
    ('中秋节', date(2027, 9, 15), date(2027, 9, 15), []),
    ('国庆节', date(2027, 10, 1), date(2027, 10, 3), []),
]
YEARS = [
    (2026, '国务院办公厅关于2026年部分节假日安排的通知', False, SCHEDULE_2026),
    (2027, '法定节假日（预排，待国务院办公厅公布2027年安排后核对调休）', True, SCHEDULE_2027),
]


def upgrade() -> None:
    op.create_table(
        'calendar_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('provisional', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                                name=op.f('fk_calendar_year_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year')),
    )
    op.create_table(
        'calendar_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('workday', sa.Boolean(), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day')),
    )
    op.create_index('ix_calendar_day_year', 'calendar_day', ['year'], unique=False)
    op.create_table(
        'supervision_job_run',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', 'day', name=op.f('pk_supervision_job_run')),
    )
    op.create_table(
        'circulation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('archive_file_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('classification', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('allow_pass_on', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['sender_id'], ['user_account.id'],
                                name=op.f('fk_circulation_sender_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation')),
    )
    op.create_index('ix_circulation_document_id', 'circulation', ['document_id'], unique=False)
    op.create_index('ix_circulation_sender_id_created_at', 'circulation', ['sender_id', 'created_at'], unique=False)
    op.create_table(
        'notification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('email_state', sa.String(length=8), nullable=False),
        sa.Column('email_attempts', sa.Integer(), nullable=False),
        sa.Column('email_error', sa.Text(), nullable=True),
        sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE',
                                name=op.f('fk_notification_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    )
    op.create_index('ix_notification_email_state', 'notification', ['email_state'], unique=False)
    op.create_index('ix_notification_user_id_read_at', 'notification', ['user_id', 'read_at'], unique=False)
    op.create_table(
        'proxy_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('principal_id', sa.Integer(), nullable=False),
        sa.Column('proxy_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('allow_sign', sa.Boolean(), nullable=False),
        sa.Column('move_existing', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
        sa.Column('summary_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['cancelled_by_id'], ['user_account.id'],
                                name=op.f('fk_proxy_grant_cancelled_by_id_user_account')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_proxy_grant_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['principal_id'], ['user_account.id'],
                                name=op.f('fk_proxy_grant_principal_id_user_account')),
        sa.ForeignKeyConstraint(['proxy_id'], ['user_account.id'],
                                name=op.f('fk_proxy_grant_proxy_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_grant')),
    )
    op.create_index('ix_proxy_grant_principal_id_starts_on', 'proxy_grant', ['principal_id', 'starts_on'], unique=False)
    op.create_index('ix_proxy_grant_proxy_id_starts_on', 'proxy_grant', ['proxy_id', 'starts_on'], unique=False)
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('circulation_id', sa.Integer(), nullable=True),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('escalated_to_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_reminder_by_id_user_account')),
        sa.ForeignKeyConstraint(['escalated_to_id'], ['user_account.id'],
                                name=op.f('fk_reminder_escalated_to_id_user_account')),
        sa.ForeignKeyConstraint(['target_id'], ['user_account.id'], name=op.f('fk_reminder_target_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    )
    op.create_index('ix_reminder_circulation_id_target_id', 'reminder', ['circulation_id', 'target_id'], unique=False)
    op.create_index('ix_reminder_document_id_target_id', 'reminder', ['document_id', 'target_id'], unique=False)
    op.create_table(
        'circulation_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('circulation_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('via_department_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recalled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recalled_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'],
                                name=op.f('fk_circulation_receipt_added_by_id_user_account')),
        sa.ForeignKeyConstraint(['circulation_id'], ['circulation.id'], ondelete='CASCADE',
                                name=op.f('fk_circulation_receipt_circulation_id_circulation')),
        sa.ForeignKeyConstraint(['recalled_by_id'], ['user_account.id'],
                                name=op.f('fk_circulation_receipt_recalled_by_id_user_account')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_circulation_receipt_user_id_user_account')),
        sa.ForeignKeyConstraint(['via_department_id'], ['department.id'],
                                name=op.f('fk_circulation_receipt_via_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_circulation_receipt')),
        sa.UniqueConstraint('circulation_id', 'user_id', name='uq_circulation_receipt_circulation_user'),
    )
    op.create_index('ix_circulation_receipt_user_id_read_at', 'circulation_receipt', ['user_id', 'read_at'],
                    unique=False)
    _load_calendar()


def _load_calendar() -> None:
    years = sa.table('calendar_year', sa.column('year', sa.Integer), sa.column('source', sa.String),
                     sa.column('provisional', sa.Boolean), sa.column('updated_at', sa.DateTime(timezone=True)))
    days = sa.table('calendar_day', sa.column('day', sa.Date), sa.column('year', sa.Integer),
                    sa.column('workday', sa.Boolean), sa.column('name', sa.String))
    now = datetime.now(UTC)
    year_rows, day_rows = [], []
    for year, source, provisional, schedule in YEARS:
        year_rows.append({'year': year, 'source': source, 'provisional': provisional, 'updated_at': now})
        for name, first, last, makeup in schedule:
            day = first
            while day <= last:
                day_rows.append({'day': day, 'year': year, 'workday': False, 'name': name})
                day += timedelta(days=1)
            for work in makeup:
                day_rows.append({'day': work, 'year': year, 'workday': True, 'name': f'{name}调休上班'})
    op.bulk_insert(years, year_rows)
    op.bulk_insert(days, day_rows)


def downgrade() -> None:
    op.drop_table('circulation_receipt')
    op.drop_table('reminder')
    op.drop_table('proxy_grant')
    op.drop_table('notification')
    op.drop_table('circulation')
    op.drop_table('supervision_job_run')
    op.drop_index('ix_calendar_day_year', table_name='calendar_day')
    op.drop_table('calendar_day')
    op.drop_table('calendar_year')
