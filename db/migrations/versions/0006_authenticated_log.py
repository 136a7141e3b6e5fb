"""Forward-secure authenticated journal, the log key, and recent codes for replay detection.

Every existing entry, follow-up and audit row is journalled under a fresh
K_0 (kept until it is handed out), so an upgraded log is authenticated from
the upgrade on; what happened to it before the upgrade is only as good as
its hash chain.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from db.chain import entry_digest, normalise_entry_row, record_digest
from db.journal import create_key_state, save_key_state

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ledger_id", sa.String(36), nullable=False),
        sa.Column("next_seq", sa.Integer, nullable=False),
        sa.Column("current_key", sa.String(64), nullable=False),
        sa.Column("last_mac", sa.String(64), nullable=False),
        sa.Column("commitment", sa.String(32), nullable=False),
        sa.Column("initial_key", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "log_journal",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    op.create_index("ix_log_journal_kind_ref", "log_journal", ["kind", "ref"])
    op.create_table(
        "recent_codes",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("visit_id", sa.String(36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_recent_codes_at", "recent_codes", ["at"])
    conn = op.get_bind()
    state = create_key_state(conn, datetime.now(timezone.utc))
    journal: list[dict[str, object]] = []
    meta = sa.MetaData()
    entries = sa.Table("entries", meta, autoload_with=conn)
    for r in conn.execute(sa.select(entries).order_by(entries.c.gate_id, entries.c.seq)).mappings():
        fields = normalise_entry_row(dict(r))
        journal.append(state.sign("entry", fields["id"], entry_digest(fields)))
    for kind, name in (("follow_up", "follow_ups"), ("audit", "audit_log")):
        table = sa.Table(name, meta, autoload_with=conn)
        for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings():
            journal.append(state.sign(kind, str(r["id"]), record_digest(kind, normalise_entry_row(dict(r)))))
    for start in range(0, len(journal), 5000):
        save_key_state(conn, state, journal[start:start + 5000])


def downgrade() -> None:
    op.drop_index("ix_recent_codes_at", "recent_codes")
    op.drop_table("recent_codes")
    op.drop_index("ix_log_journal_kind_ref", "log_journal")
    op.drop_table("log_journal")
    op.drop_table("log_key")
