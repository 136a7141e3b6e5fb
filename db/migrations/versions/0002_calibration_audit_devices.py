"""Thermometer calibrations, the audit log and device state events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("thermometer_id", sa.String(64), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("reference_c", sa.Float, nullable=False),
        sa.Column("readings", sa.JSON, nullable=False),
        sa.Column("offset_c", sa.Float, nullable=False),
        sa.Column("residual_c", sa.Float, nullable=False),
        sa.Column("ambient_c", sa.Float),
        sa.Column("ambient_coefficient", sa.Float, nullable=False),
    )
    op.create_index("ix_calibrations_thermometer_id", "calibrations", ["thermometer_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "device_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device_events")
    op.drop_table("audit_log")
    op.drop_index("ix_calibrations_thermometer_id", "calibrations")
    op.drop_table("calibrations")
