"""stop reasons, tip subjects, rule mutes

Revision ID: 0008
Revises: 0010
Create Date: 2026-11-30 18:30:00.000000

A lead stopped with a reason (`leads.stop_reason`) isn't counted as dropped early. A tip remembers the leads it
was about (`tips_shown.subject`), so the same leads aren't raised again within 5 business days; rows from before
this revision were about the day (""). `rule_mutes`: a rep muted a rule for a week.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop_reason", sa.String(length=24), nullable=True))
    with op.batch_alter_table("tips_shown", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "rule_mutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("muted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_rule_mutes_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_mutes")),
    )
    with op.batch_alter_table("rule_mutes", schema=None) as batch_op:
        batch_op.create_index("ix_rule_mutes_rep", ["team_id", "user_id", "until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_mutes", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_mutes_rep")
    op.drop_table("rule_mutes")
    with op.batch_alter_table("tips_shown", schema=None) as batch_op:
        batch_op.drop_column("subject")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("stop_reason")
