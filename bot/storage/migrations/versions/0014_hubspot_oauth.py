"""hubspot oauth

Revision ID: 0014
Revises: 0009
Create Date: 2026-11-30 19:30:00.000000

HubSpot through a public app's OAuth: a connection keeps its refresh token (encrypted) and when its access token
expires; each "Connect HubSpot" link's state is kept (as a digest) until it is used or expires.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh_token", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "crm_oauth_states",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_crm_oauth_states_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_crm_oauth_states")),
    )
    op.create_index(op.f("ix_crm_oauth_states_team_id"), "crm_oauth_states", ["team_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_oauth_states_team_id"), table_name="crm_oauth_states")
    op.drop_table("crm_oauth_states")
    with op.batch_alter_table("crm_connections", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("refresh_token")
