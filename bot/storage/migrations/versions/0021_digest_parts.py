"""digest parts

Revision ID: 0021
Revises: 0015
Create Date: 2026-11-30 23:50:00.000000

The manager digest prepared ahead by the clock (issue 14): a workspace's closed week (`digest_weeks`) and each
rep's part of it (`digest_parts`). Nothing to fill: until the clock has prepared a week, its digest is counted from
the activities as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_weeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reads_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("settings_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complete_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_digest_weeks_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_weeks")),
        sa.UniqueConstraint(
            "team_id", "start", "end", "first_day", name=op.f("uq_digest_weeks_team_id_start_end_first_day")
        ),
    )
    op.create_table(
        "digest_parts",
        sa.Column("week_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("rep_tz", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_digest_parts_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["week_id"], ["digest_weeks.id"], name=op.f("fk_digest_parts_week_id_digest_weeks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("week_id", "user_id", name=op.f("pk_digest_parts")),
    )
    op.create_index("ix_digest_parts_rep", "digest_parts", ["team_id", "user_id"])


def downgrade() -> None:
    op.drop_index("ix_digest_parts_rep", table_name="digest_parts")
    op.drop_table("digest_parts")
    op.drop_table("digest_weeks")
