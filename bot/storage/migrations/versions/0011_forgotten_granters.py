"""who granted or subscribed may be forgotten

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-30 18:20:00.000000

`/coach forget` leaves no trace of a rep's user id: a manager role the rep granted, or a channel subscription the
rep made, stays, with no one named as its author (NULL). Handled deliveries (processed_events) now also hold every
slash command and form submission, against replays, and are pruned after a day by their time (an index).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.alter_column("granted_by", existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.String(length=32), nullable=True)
    op.create_index("ix_processed_events_received_at", "processed_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_received_at", table_name="processed_events")
    op.execute("UPDATE managers SET granted_by = '' WHERE granted_by IS NULL")
    op.execute("UPDATE subscriptions SET created_by = '' WHERE created_by IS NULL")
    with op.batch_alter_table("managers", schema=None) as batch_op:
        batch_op.alter_column("granted_by", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.String(length=32), nullable=False)
