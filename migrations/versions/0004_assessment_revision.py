"""assessment revision: a counter bumped by every audited change to a kab/kota

Pages that show many answers at once (queue, dashboard, province and
national tables) cache what they compute per (assessment, revision), so
they read one integer instead of recounting the answers on every request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_column('revision')
