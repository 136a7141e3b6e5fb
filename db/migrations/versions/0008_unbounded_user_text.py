"""Values people type or import are text of any length, so long input is never a storage fault.

Names, card and person ids, guard ids, thermometer ids and operators were
``varchar(64)`` (the masked ID ``varchar(32)``): on PostgreSQL a longer name or
company id failed the write with "not writable", an entry lost for its
spelling. They become ``text``. SQLite never enforced the lengths, so nothing
changes there (and no table is rebuilt). On PostgreSQL ``varchar`` to ``text``
is a catalogue change: no row is rewritten.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

USER_TEXT = {
    "entries": ("site_id", "gate_id", "person_ref", "name_masked", "id_masked", "thermometer_id", "guard_id"),
    "roster": ("person_id", "name", "group_name", "card_number"),
    "calibrations": ("thermometer_id", "operator"),
    "audit_log": ("actor",),
    "follow_ups": ("guard_id",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in USER_TEXT.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Text())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in USER_TEXT.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.String(32 if column == "id_masked" else 64))
