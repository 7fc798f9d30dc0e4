"""audit log: one hash chain per kab/kota instead of one for the nation

Every audited write had to take one nation-wide lock to read the previous
entry's hash; with a chain per kab/kota (and one for national actions),
writes in different regions no longer queue for each other. Entries written
before keep chain NULL and are checked as the single chain they were.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.create_index('ix_auditentry_chain_id', ['chain', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auditentry', schema=None) as batch_op:
        batch_op.drop_index('ix_auditentry_chain_id')
        batch_op.drop_column('chain')
