"""persistence fold

Revision ID: 0015
Revises: 0020
Create Date: 2026-11-30 21:00:00.000000

Attempts per lead for channel posts, folded off the `/call` path (issue 14): a workspace's seasons
(`persistence_periods`), each call's step of its rep's figure (`persistence_steps`), their sums per rep and UTC day
(`persistence_days`), and calls HubSpot wrote, corrected or removed behind the fold (`persistence_changes`). Nothing to
fill: the clock folds each season the first time it sees it, and until then the figures are counted as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "persistence_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("season", sa.String(length=8), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("horizon", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_persistence_periods_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persistence_periods")),
        sa.UniqueConstraint("team_id", "season", "start", name=op.f("uq_persistence_periods_team_id_season_start")),
    )
    op.create_table(
        "persistence_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_persistence_steps_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["persistence_periods.id"],
            name=op.f("fk_persistence_steps_period_id_persistence_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_persistence_steps_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persistence_steps")),
    )
    op.create_index(
        "ix_persistence_steps_time", "persistence_steps", ["period_id", "at", "user_id", "leads", "attempts"]
    )
    op.create_index("ix_persistence_steps_lead", "persistence_steps", ["period_id", "lead_id"])
    op.create_table(
        "persistence_days",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["persistence_periods.id"],
            name=op.f("fk_persistence_days_period_id_persistence_periods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_persistence_days_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period_id", "day", "user_id", name=op.f("pk_persistence_days")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "persistence_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_persistence_changes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persistence_changes")),
    )
    op.create_index("ix_persistence_changes_team", "persistence_changes", ["team_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_persistence_changes_team", table_name="persistence_changes")
    op.drop_table("persistence_changes")
    op.drop_table("persistence_days")
    op.drop_index("ix_persistence_steps_lead", table_name="persistence_steps")
    op.drop_index("ix_persistence_steps_time", table_name="persistence_steps")
    op.drop_table("persistence_steps")
    op.drop_table("persistence_periods")
