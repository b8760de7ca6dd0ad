"""documents, route templates and steps, action log, 文号 ledger, filing records, read receipts

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sequence_counter',
    sa.Column('scope', sa.String(length=120), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_sequence_counter'))
    )
    op.create_table('route_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_route_template_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_template')),
    sa.UniqueConstraint('code', name=op.f('uq_route_template_code'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('classification', sa.Integer(), nullable=False),
    sa.Column('main_recipients', sa.Text(), nullable=False),
    sa.Column('cc_recipients', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('drafter_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('source_organ', sa.String(length=200), nullable=True),
    sa.Column('source_number', sa.String(length=100), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('route_plan', sa.JSON(), nullable=False),
    sa.Column('route_round', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('doc_number', sa.String(length=64), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('frozen_hash', sa.String(length=64), nullable=True),
    sa.Column('frozen_snapshot', sa.JSON(), nullable=True),
    sa.Column('lead_department_id', sa.Integer(), nullable=True),
    sa.Column('co_departments', sa.JSON(), nullable=False),
    sa.Column('distribution', sa.JSON(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=True),
    sa.Column('retention', sa.String(length=4), nullable=False),
    sa.Column('archive_number', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_document_department_id_department')),
    sa.ForeignKeyConstraint(['drafter_id'], ['user_account.id'], name=op.f('fk_document_drafter_id_user_account')),
    sa.ForeignKeyConstraint(['lead_department_id'], ['department.id'], name=op.f('fk_document_lead_department_id_department')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user_account.id'], name=op.f('fk_document_signed_by_id_user_account')),
    sa.ForeignKeyConstraint(['template_id'], ['route_template.id'], name=op.f('fk_document_template_id_route_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('archive_number', name=op.f('uq_document_archive_number'))
    )
    op.create_index('ix_document_doc_number', 'document', ['doc_number'], unique=False)
    op.create_index('ix_document_drafter_id_created_at', 'document', ['drafter_id', 'created_at'], unique=False)
    op.create_index('ix_document_state', 'document', ['state'], unique=False)
    op.create_table('document_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_file_document_id_document')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_document_file_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file')),
    sa.UniqueConstraint('document_id', 'slot', 'version_no', name='uq_document_file_version')
    )
    op.create_index('ix_document_file_document_id', 'document_file', ['document_id'], unique=False)
    op.create_table('filing_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('archive_number', sa.String(length=64), nullable=False),
    sa.Column('fonds', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=8), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('retention', sa.String(length=4), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('piece', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('doc_number', sa.String(length=64), nullable=True),
    sa.Column('doc_date', sa.Date(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('classification', sa.Integer(), nullable=False),
    sa.Column('remark', sa.Text(), nullable=True),
    sa.Column('folder', sa.String(length=500), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_filing_record_document_id_document')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_filing_record_filed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_record')),
    sa.UniqueConstraint('archive_number', name=op.f('uq_filing_record_archive_number')),
    sa.UniqueConstraint('document_id', name=op.f('uq_filing_record_document_id')),
    sa.UniqueConstraint('fonds', 'year', 'retention', 'department_code', 'piece', name='uq_filing_record_piece')
    )
    op.create_table('number_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_number_entry_document_id_document')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_number_entry_issued_by_id_user_account')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['user_account.id'], name=op.f('fk_number_entry_voided_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_entry')),
    sa.UniqueConstraint('code', 'year', 'serial', name='uq_number_entry_serial'),
    sa.UniqueConstraint('number', name=op.f('uq_number_entry_number'))
    )
    op.create_index(op.f('ix_number_entry_document_id'), 'number_entry', ['document_id'], unique=False)
    op.create_table('read_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_read_receipt_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_read_receipt_document_id_document')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_read_receipt_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_read_receipt')),
    sa.UniqueConstraint('document_id', 'user_id', name='uq_read_receipt_document_user')
    )
    op.create_index('ix_read_receipt_user_id_read_at', 'read_receipt', ['user_id', 'read_at'], unique=False)
    op.create_table('route_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('route_round', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('quorum', sa.Integer(), nullable=True),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_route_step_added_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_route_step_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_step'))
    )
    op.create_index('ix_route_step_document_id_route_round', 'route_step', ['document_id', 'route_round'], unique=False)
    op.create_table('step_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_step_assignment_department_id_department')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_step_assignment_document_id_document')),
    sa.ForeignKeyConstraint(['step_id'], ['route_step.id'], name=op.f('fk_step_assignment_step_id_route_step')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_step_assignment_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_assignment'))
    )
    op.create_index('ix_step_assignment_document_id', 'step_assignment', ['document_id'], unique=False)
    op.create_index('ix_step_assignment_step_id', 'step_assignment', ['step_id'], unique=False)
    op.create_index('ix_step_assignment_inbox', 'step_assignment', ['user_id', 'state', 'priority', 'created_at'], unique=False)
    op.create_table('document_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('step_name', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_document_action_actor_id_user_account')),
    sa.ForeignKeyConstraint(['assignment_id'], ['step_assignment.id'], name=op.f('fk_document_action_assignment_id_step_assignment')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_action_document_id_document')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['user_account.id'], name=op.f('fk_document_action_on_behalf_of_id_user_account')),
    sa.ForeignKeyConstraint(['step_id'], ['route_step.id'], name=op.f('fk_document_action_step_id_route_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_action'))
    )
    op.create_index('ix_document_action_actor_id_document_id', 'document_action', ['actor_id', 'document_id'], unique=False)
    op.create_index('ix_document_action_document_id_id', 'document_action', ['document_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_document_action_document_id_id', table_name='document_action')
    op.drop_index('ix_document_action_actor_id_document_id', table_name='document_action')
    op.drop_table('document_action')
    op.drop_index('ix_step_assignment_inbox', table_name='step_assignment')
    op.drop_index('ix_step_assignment_step_id', table_name='step_assignment')
    op.drop_index('ix_step_assignment_document_id', table_name='step_assignment')
    op.drop_table('step_assignment')
    op.drop_index('ix_route_step_document_id_route_round', table_name='route_step')
    op.drop_table('route_step')
    op.drop_index('ix_read_receipt_user_id_read_at', table_name='read_receipt')
    op.drop_table('read_receipt')
    op.drop_index(op.f('ix_number_entry_document_id'), table_name='number_entry')
    op.drop_table('number_entry')
    op.drop_table('filing_record')
    op.drop_index('ix_document_file_document_id', table_name='document_file')
    op.drop_table('document_file')
    op.drop_index('ix_document_state', table_name='document')
    op.drop_index('ix_document_drafter_id_created_at', table_name='document')
    op.drop_index('ix_document_doc_number', table_name='document')
    op.drop_table('document')
    op.drop_table('route_template')
    op.drop_table('sequence_counter')
