"""Entry log and roster.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("gate_id", sa.String(64), nullable=False),
        sa.Column("lane", sa.String(16), nullable=False),
        sa.Column("person_kind", sa.String(16), nullable=False),
        sa.Column("person_ref", sa.String(64)),
        sa.Column("name_masked", sa.String(64)),
        sa.Column("id_masked", sa.String(32)),
        sa.Column("id_hash", sa.String(64)),
        sa.Column("elements", sa.JSON, nullable=False),
        sa.Column("health_status", sa.String(16)),
        sa.Column("temperature_raw", sa.Float),
        sa.Column("temperature_c", sa.Float),
        sa.Column("thermometer_id", sa.String(64)),
        sa.Column("calibration_id", sa.String(36)),
        sa.Column("mask", sa.Boolean),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        sa.Column("guard_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("registration", sa.JSON, nullable=False),
        sa.Column("handoff", sa.Boolean, nullable=False),
        sa.Column("corrects_id", sa.String(36), sa.ForeignKey("entries.id")),
        sa.Column("note", sa.Text),
        sa.Column("follow_up", sa.String(32)),
    )
    op.create_index("ix_entries_local_date_lane", "entries", ["local_date", "lane"])
    op.create_index("ix_entries_corrects_id", "entries", ["corrects_id"])
    op.create_table(
        "roster",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("group_name", sa.String(64), nullable=False),
        sa.Column("card_number", sa.String(64), unique=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("roster")
    op.drop_index("ix_entries_corrects_id", "entries")
    op.drop_index("ix_entries_local_date_lane", "entries")
    op.drop_table("entries")
