"""documents: 上行文 and 保密期限 as fields of the document (GB/T 9704-2012 §7.2.2, §7.2.5)

Revision ID: 0017
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('document') as batch:
        batch.add_column(sa.Column('upward', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('secrecy_period', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('document') as batch:
        batch.drop_column('secrecy_period')
        batch.drop_column('upward')
