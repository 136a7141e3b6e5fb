"""The local side of store-and-forward: what has not reached the centre yet, and how far each stream got.

Streams: ``entries:<gate>`` (position = the last chain sequence sent),
``follow_ups``, ``device_events``, ``audit_log`` (position = the last local
row id sent) and ``calibrations`` (cursor = the last ``performed_at`` sent;
calibrations are re-sent from that instant on, which the centre ignores as
known). Positions advance only after the centre committed, so a kiosk killed
between the two resends a batch the centre already holds and nothing changes.
Nothing is ever deleted locally because it was sent.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.exc import OperationalError

from db.models import AuditEvent, Calibration, DeviceEvent, Entry, FollowUp, SyncPosition
from db.records import EntryRecord

_ENTRY_FIELDS = [f.name for f in fields(EntryRecord)]
SIDE_STREAMS = ("follow_ups", "device_events", "audit_log", "calibrations")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class LocalStoreBusy(Exception):
    """The local log is locked by another writer past the busy timeout; the sync retries later."""


class SyncedStore(Protocol):
    """What the sync source reads and advances of the local log (``db.store.EntryStore``)."""

    def session(self) -> Session: ...

    def write_session(self) -> Session: ...

    def gate_ids(self) -> list[str]: ...


class SyncSource:
    """Reads pending rows from the local store and records positions (one short transaction each)."""

    def __init__(self, store: SyncedStore) -> None:
        self.store = store

    # ------------------------------------------------------------ positions
    def positions(self) -> dict[str, SyncPosition]:
        with self.store.session() as s:
            return {p.stream: p for p in s.scalars(select(SyncPosition))}

    def position(self, stream: str) -> int:
        with self.store.session() as s:
            row = s.get(SyncPosition, stream)
            return int(row.position) if row else 0

    def cursor(self, stream: str) -> str:
        with self.store.session() as s:
            row = s.get(SyncPosition, stream)
            return row.cursor if row else ""

    def advance(self, stream: str, position: int, sent: int, cursor: str = "") -> None:
        """Record that the centre committed rows up to ``position`` (``sent`` of them new in this step)."""
        now = datetime.now(timezone.utc)
        # BEGIN IMMEDIATE: a read transaction upgraded to a write one fails at once when the kiosk
        # committed in between (SQLite does not wait then); an immediate one waits on the busy timeout.
        try:
            with self.store.write_session() as s, s.begin():
                row = s.get(SyncPosition, stream)
                if row is None:
                    s.add(SyncPosition(stream=stream, position=position, cursor=cursor, sent=sent, updated_at=now))
                else:
                    row.position = max(int(row.position), position)
                    row.cursor = cursor or row.cursor
                    row.sent = int(row.sent) + sent
                    row.updated_at = now
        except OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LocalStoreBusy("the local database is locked by another program") from None
            raise

    # ------------------------------------------------------------- entries
    def gates(self) -> list[str]:
        return self.store.gate_ids()

    def pending_entries(self, gate_id: str, limit: int) -> list[dict[str, Any]]:
        return self.entry_rows(gate_id, self.position(f"entries:{gate_id}"), limit)

    def entry_rows(self, gate_id: str, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """A gate's rows after chain sequence ``after``, as the centre receives them."""
        stmt = select(Entry).where(Entry.gate_id == gate_id, Entry.seq > after).order_by(Entry.seq).limit(limit)
        with self.store.session() as s:
            out = []
            for row in s.scalars(stmt):
                data = {name: getattr(row, name) for name in _ENTRY_FIELDS}
                data["created_at"] = _utc(row.created_at)
                data["purged_at"] = _utc(row.purged_at)
                out.append(data)
            return out

    def counts(self) -> tuple[int, int]:
        """(entries in the local log, entries the centre has confirmed)."""
        with self.store.session() as s:
            local = int(s.scalar(select(func.count()).select_from(Entry)) or 0)
            sent = int(s.scalar(select(func.coalesce(func.sum(SyncPosition.position), 0))
                                .where(SyncPosition.stream.like("entries:%"))) or 0)
        return local, sent

    def oldest_pending(self) -> datetime | None:
        """When the oldest entry still waiting for the centre was written (the gate's lag)."""
        oldest: datetime | None = None
        with self.store.session() as s:
            for gate in self.gates():
                after = self.position(f"entries:{gate}")
                at = s.scalar(select(Entry.created_at).where(Entry.gate_id == gate, Entry.seq > after)
                              .order_by(Entry.seq).limit(1))
                at = _utc(at)
                if at is not None and (oldest is None or at < oldest):
                    oldest = at
        return oldest

    def last_sent_at(self) -> datetime | None:
        with self.store.session() as s:
            return _utc(s.scalar(select(func.max(SyncPosition.updated_at))))

    # ---------------------------------------------------------- side logs
    def pending_side(self, stream: str, limit: int) -> tuple[list[dict[str, Any]], int, str]:
        """(rows, new position, new cursor) of a side stream."""
        with self.store.session() as s:
            if stream == "calibrations":
                cursor = self.cursor(stream)
                stmt = select(Calibration).order_by(Calibration.performed_at, Calibration.id)
                if cursor:
                    stmt = stmt.where(Calibration.performed_at >= datetime.fromisoformat(cursor))
                rows = list(s.scalars(stmt.limit(limit)))
                out: list[dict[str, Any]] = [
                    {"id": c.id, "thermometer_id": c.thermometer_id, "performed_at": _utc(c.performed_at),
                     "operator": c.operator, "reference_c": c.reference_c, "readings": list(c.readings),
                     "offset_c": c.offset_c, "residual_c": c.residual_c, "ambient_c": c.ambient_c,
                     "ambient_coefficient": c.ambient_coefficient} for c in rows]
                last = _utc(rows[-1].performed_at) if rows else None
                new_cursor = last.isoformat() if last else cursor
                return out, 0, new_cursor
            after = self.position(stream)
            if stream == "follow_ups":
                fu = list(s.scalars(select(FollowUp).where(FollowUp.id > after).order_by(FollowUp.id).limit(limit)))
                return ([{"local_id": r.id, "entry_id": r.entry_id, "state": r.state, "at": _utc(r.at),
                          "guard_id": r.guard_id, "note": r.note} for r in fu], fu[-1].id if fu else after, "")
            if stream == "device_events":
                de = list(s.scalars(select(DeviceEvent).where(DeviceEvent.id > after).order_by(DeviceEvent.id)
                                    .limit(limit)))
                return ([{"local_id": r.id, "at": _utc(r.at), "device": r.device, "state": r.state,
                          "message": r.message} for r in de], de[-1].id if de else after, "")
            if stream == "audit_log":
                au = list(s.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
                                    .limit(limit)))
                return ([{"local_id": r.id, "at": _utc(r.at), "actor": r.actor, "action": r.action,
                          "detail": r.detail} for r in au], au[-1].id if au else after, "")
        raise ValueError(f"unknown stream {stream!r}")
