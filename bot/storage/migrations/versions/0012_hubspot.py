"""hubspot

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30 18:00:00.000000

A workspace's HubSpot connection (token encrypted at rest, outcome mapping, the pull's cursor), the HubSpot owner
of each rep, the HubSpot record of each lead, and every call that is in HubSpot (pushed or pulled).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_connections",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("portal_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor_after", sa.String(length=32), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("revoked_told", sa.Boolean(), nullable=False),
        sa.Column("connected_by", sa.String(length=32), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_crm_connections_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_crm_connections")),
    )
    op.create_table(
        "crm_owners",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("by_manager", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "user_id"],
            ["reps.team_id", "reps.user_id"],
            name=op.f("fk_crm_owners_team_id_reps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_crm_owners")),
    )
    op.create_index("ix_crm_owners_owner", "crm_owners", ["team_id", "owner_id"])
    op.create_table(
        "crm_leads",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=32), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_crm_leads_lead_id_leads"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_crm_leads")),
    )
    op.create_index("ix_crm_leads_object", "crm_leads", ["team_id", "kind", "object_id"])
    op.create_table(
        "crm_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("hubspot_id", sa.String(length=32), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_crm_calls_activity_id_activities"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_crm_calls_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_calls")),
        sa.UniqueConstraint("team_id", "hubspot_id", name=op.f("uq_crm_calls_team_id_hubspot_id")),
        sa.UniqueConstraint("activity_id", name=op.f("uq_crm_calls_activity_id")),
    )


def downgrade() -> None:
    op.drop_table("crm_calls")
    op.drop_index("ix_crm_leads_object", table_name="crm_leads")
    op.drop_table("crm_leads")
    op.drop_index("ix_crm_owners_owner", table_name="crm_owners")
    op.drop_table("crm_owners")
    op.drop_table("crm_connections")
