"""subscription language

Revision ID: 0009
Revises: 0011
Create Date: 2026-11-30 18:00:00.000000

A channel's leaderboard posts are in the language chosen at subscribe (`/leaderboard subscribe weekly en`). Rows
from before this revision have none: their posts keep following the team's language, as they did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("language")
