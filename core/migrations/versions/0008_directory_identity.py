"""directory: the stable identifier (entryUUID / objectGUID) of each directory account

Revision ID: 0008
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('directory_id', sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f('uq_user_account_directory_id'), ['directory_id'])


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(op.f('uq_user_account_directory_id'), type_='unique')
        batch.drop_column('directory_id')
