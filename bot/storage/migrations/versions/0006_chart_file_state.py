"""chart file state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:30:00.000000

A day's chart is shown on the App Home only once Slack's files.info shows it shared in the rep's DM (`ready`);
`refused` when Slack refused a Home with it all the same. Rows from before this revision were uploaded privately
(no channel), which Slack refuses in a Home: they start as `processing`, and as files.info never shows them in the
DM, that day's Home goes without a chart and the next day's chart is uploaded where the rep can see it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chart_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="processing", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("chart_files", schema=None) as batch_op:
        batch_op.drop_column("state")
