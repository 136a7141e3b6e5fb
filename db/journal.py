"""The authenticated journal: writing journal rows and evolving the log key (see ``db.chain``).

Works on a SQLAlchemy Core connection inside the caller's transaction, so an
entry, its journal row and the evolved key commit together or not at all.
The tables are named here with ``sa.table`` (not the ORM models) so that the
migrations can use the same code at the revision they create.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from db.chain import evolve, journal_mac, key_commitment

LOG_KEY = sa.table("log_key", *[sa.column(c) for c in (
    "id", "ledger_id", "next_seq", "current_key", "last_mac", "commitment", "initial_key", "created_at")])
JOURNAL = sa.table("log_journal", *[sa.column(c) for c in ("seq", "kind", "ref", "digest", "mac")])
NO_MAC = "0" * 64


@dataclass
class KeyState:
    """The log key as it stands inside one write transaction."""

    ledger_id: str
    next_seq: int
    key: bytes
    last_mac: str

    def sign(self, kind: str, ref: str, digest: str) -> dict[str, Any]:
        """The journal row for one authenticated row; the key moves on (the old one is gone)."""
        mac = journal_mac(self.key, self.next_seq, kind, ref, digest, self.last_mac)
        row = {"seq": self.next_seq, "kind": kind, "ref": ref, "digest": digest, "mac": mac}
        self.key, self.last_mac, self.next_seq = evolve(self.key), mac, self.next_seq + 1
        return row


def create_key_state(conn: Connection, now: datetime) -> KeyState:
    """A new log: a fresh K_0, kept only until it is handed out."""
    initial = secrets.token_bytes(32)
    state = KeyState(str(uuid.uuid4()), 1, initial, NO_MAC)
    conn.execute(sa.insert(LOG_KEY).values(
        id=1, ledger_id=state.ledger_id, next_seq=1, current_key=initial.hex(), last_mac=NO_MAC,
        commitment=key_commitment(initial), initial_key=initial.hex(), created_at=now))
    return state


def lock_key_state(conn: Connection) -> KeyState | None:
    """Read (and on PostgreSQL row-lock) the key: every writer of the journal takes turns here."""
    stmt = sa.select(LOG_KEY.c.ledger_id, LOG_KEY.c.next_seq, LOG_KEY.c.current_key, LOG_KEY.c.last_mac).where(
        LOG_KEY.c.id == 1)
    if conn.dialect.name != "sqlite":  # SQLite: the write transaction began IMMEDIATE instead
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        return None
    return KeyState(row.ledger_id, int(row.next_seq), bytes.fromhex(row.current_key), row.last_mac)


def save_key_state(conn: Connection, state: KeyState, journal_rows: list[dict[str, Any]]) -> None:
    """Write the journal rows and overwrite the key with its evolved value."""
    if journal_rows:
        conn.execute(sa.insert(JOURNAL), journal_rows)
    conn.execute(sa.update(LOG_KEY).where(LOG_KEY.c.id == 1).values(
        next_seq=state.next_seq, current_key=state.key.hex(), last_mac=state.last_mac))
