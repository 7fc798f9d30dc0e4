"""reopening: closed_at, set when the verifier decides on the reopened answer again

A reopened answer stayed editable until its deadline even after the verifier
had approved the fix; an approval now ends the window. Windows already
followed by an approval are closed at that approval.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('reopening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    first_approval = (
        "SELECT MIN(reviewevent.at) FROM reviewevent WHERE reviewevent.answer_id = reopening.answer_id "
        "AND reviewevent.action = 'approved' AND reviewevent.at > reopening.opened_at"
    )
    op.execute(f"UPDATE reopening SET closed_at = ({first_approval}) "
               f"WHERE closed_at IS NULL AND EXISTS ({first_approval})")


def downgrade() -> None:
    with op.batch_alter_table('reopening', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
