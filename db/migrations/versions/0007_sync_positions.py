"""Store-and-forward: how far each stream of the local log has been sent to the centre.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_positions",
        sa.Column("stream", sa.String(96), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("cursor", sa.String(64), nullable=False, server_default=""),
        sa.Column("sent", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_positions")
