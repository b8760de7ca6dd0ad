"""archive files: the device and inode the scan saw ("st_dev:st_ino"), checked by every read

Revision ID: 0015
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('archive_file') as batch:
        batch.add_column(sa.Column('identity', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('archive_file') as batch:
        batch.drop_column('identity')
