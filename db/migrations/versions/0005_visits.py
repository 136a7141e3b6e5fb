"""Visits: where an entry came from, every code seen, the visit, returnees, sealed registration,
and the roster's daily health status.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

All new entry columns are nullable and left NULL on old rows: the hash chain
leaves a NULL later column out of a row's digest (``db.chain.LATER_FIELDS``),
so every row written before this revision still verifies.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=True))  # live | demo | simulation
        batch.add_column(sa.Column("visit_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("codes", sa.JSON, nullable=True))
        batch.add_column(sa.Column("returnee", sa.Boolean, nullable=True))
        batch.add_column(sa.Column("registration_sealed", sa.Text, nullable=True))
    with op.batch_alter_table("roster") as batch:
        batch.add_column(sa.Column("health_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("health_date", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roster") as batch:
        batch.drop_column("health_date")
        batch.drop_column("health_status")
    with op.batch_alter_table("entries") as batch:
        for name in ("registration_sealed", "returnee", "codes", "visit_id", "origin"):
            batch.drop_column(name)
