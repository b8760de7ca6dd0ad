"""printing: the requester's duplex choice (NULL = the routing policy's default)

Revision ID: 0009
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('print_job') as batch:
        batch.add_column(sa.Column('duplex', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('print_job') as batch:
        batch.drop_column('duplex')
