"""follow-up lists

Revision ID: 0007
Revises: 0014
Create Date: 2026-11-30 18:00:00.000000

One follow-up list a rep a working day (issue 11): `followup_lists` holds each day's list (the outbox row that posts
and updates it, and its version); a follow-up shown in a list is `listed` with that list's day in `nudges.list_day`.
Rows from before this revision need nothing: follow-ups still pending join their day's list when they fall due.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "followup_lists",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("nudge_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("added_note", sa.Boolean(), nullable=False),
        sa.Column("held", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_followup_lists_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", "day", name=op.f("pk_followup_lists")),
    )
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_day", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_column("list_day")
    op.drop_table("followup_lists")
