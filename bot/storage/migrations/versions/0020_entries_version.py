"""a rep's entries version

Revision ID: 0020
Revises: 0007
Create Date: 2026-11-30 21:00:00.000000

`reps.entries_version` counts the changes to a rep's entries (issue 14): raised in the transaction of every entry
written, corrected or removed, under the rep's row lock, so a process that remembers a rep's day knows from one
number whether anyone else changed it (bot.usecases.tips). Existing rows start at 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: SQLite's batch mode would copy the table, and dropping the old one
    # cascades to every row that references a rep.
    op.add_column("reps", sa.Column("entries_version", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    op.drop_column("reps", "entries_version")  # SQLite 3.35 and later drop a column in place
