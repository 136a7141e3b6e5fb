"""The entry store: the one object the core uses to read and write the database.

It takes and returns the plain records of ``db.records``; ORM objects never
leave this module. SQLite (the default) is opened with WAL,
``synchronous=FULL`` (an entry the guard saw decided survives a power cut)
and foreign keys on; a new database file is created with mode 0600 because it
holds health data. Any SQLAlchemy URL works, PostgreSQL included. The schema
is upgraded with Alembic when the store opens.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db.chain import GENESIS, personal_hash, row_hash
from db.models import AuditEvent, Calibration, DeviceEvent, Entry, FollowUp, RosterEntry
from db.records import EntryRecord, RosterPerson

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ENTRY_FIELDS = [f.name for f in fields(EntryRecord)]


class StoreError(Exception):
    """The database cannot be opened or used; the message is for the operator."""


@dataclass
class ChainReport:
    """What ``verify_chain`` found: rows checked, and the first broken row of each gate."""

    checked: int = 0
    broken: list[tuple[str, int, str, str]] = field(default_factory=list)  # (gate, seq, entry id, why)

    @property
    def ok(self) -> bool:
        return not self.broken


def _chained(row: dict[str, Any], last: tuple[int, str]) -> dict[str, Any]:
    seq, prev = last
    row["seq"] = seq + 1
    row["prev_hash"] = prev
    row["personal_hash"] = personal_hash(row)
    row["row_hash"] = row_hash(row, prev, row["personal_hash"])
    row["purged_at"] = None
    return row


def alembic_config(url: str, script_location: Path = MIGRATIONS) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def make_engine(url: str) -> Engine:
    """An engine with the kiosk's durability settings; the SQLite file is made 0600."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as exc:
            raise StoreError(f"cannot create the database at {path}: {exc.strerror}") from None
        if not os.access(path, os.R_OK):
            raise StoreError(f"cannot read the database at {path}: permission denied")
    try:
        engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"bad database URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=2000")
            cur.close()
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic."""
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class EntryStore:
    """Append-only entry log plus roster, calibrations, audit and device events."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        try:
            if migrate:
                upgrade(self.engine)
            elif current_revision(self.engine) != head_revision():
                raise StoreError("the database schema is not up to date: run `gate-kiosk db upgrade`")
        except OperationalError as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open the database: {_short(exc)}") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ----------------------------------------------------------------- entries
    def append(self, entry: EntryRecord) -> str:
        """Write one entry, chained to its gate's previous entry, and commit before returning."""
        with self._session.begin() as s:
            last = s.execute(select(Entry.seq, Entry.row_hash).where(Entry.gate_id == entry.gate_id)
                             .order_by(Entry.seq.desc()).limit(1)
                             .with_for_update()).first()
            row = _chained({name: getattr(entry, name) for name in _ENTRY_FIELDS},
                           (last[0], last[1] or GENESIS) if last and last[0] is not None else (0, GENESIS))
            s.add(Entry(**row))
        return entry.id

    def append_many(self, entries: Iterable[EntryRecord], batch: int = 5000) -> int:
        """Bulk insert (demo data, imports of old logs), chained, one transaction per batch."""
        from sqlalchemy import insert

        n = 0
        last: dict[str, tuple[int, str]] = {}
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal n, rows
            with self.engine.begin() as conn:
                conn.execute(insert(Entry), rows)
            n += len(rows)
            rows = []

        for e in entries:
            if e.gate_id not in last:
                last[e.gate_id] = self._chain_head(e.gate_id)
            row = _chained({name: getattr(e, name) for name in _ENTRY_FIELDS}, last[e.gate_id])
            last[e.gate_id] = (row["seq"], row["row_hash"])
            rows.append(row)
            if len(rows) >= batch:
                flush()
        if rows:
            flush()
        return n

    def _chain_head(self, gate_id: str) -> tuple[int, str]:
        with self._session() as s:
            last = s.execute(select(Entry.seq, Entry.row_hash).where(Entry.gate_id == gate_id)
                             .order_by(Entry.seq.desc()).limit(1)).first()
        return (last[0], last[1] or GENESIS) if last and last[0] is not None else (0, GENESIS)

    def verify_chain(self, gate_id: str | None = None, day: date | None = None) -> "ChainReport":
        """Recompute every gate's chain; name the first broken row of each (``day`` limits what is reported)."""
        report = ChainReport()
        gates = [gate_id] if gate_id else self.gate_ids()
        with self._session() as s:
            for gate in gates:
                prev, expected_seq = GENESIS, 1
                stmt = select(Entry).where(Entry.gate_id == gate).order_by(Entry.seq).execution_options(yield_per=5000)
                for row in s.scalars(stmt):
                    rec = _entry_record(row)
                    fields = {name: getattr(rec, name) for name in _ENTRY_FIELDS}
                    why = None
                    if row.seq != expected_seq:
                        why = f"sequence jumps from {expected_seq - 1} to {row.seq} (a row was deleted)"
                    elif row.prev_hash != prev:
                        why = "does not point at the previous row"
                    elif row.purged_at is None and personal_hash(fields) != row.personal_hash:
                        why = "personal fields were changed"
                    elif row_hash(fields, prev, row.personal_hash or "") != row.row_hash:
                        why = "the row was changed after it was written"
                    if day is None or row.local_date == day:
                        report.checked += 1
                    if why is not None:
                        report.broken.append((gate, row.seq or 0, row.id, why))
                        break
                    prev, expected_seq = row.row_hash or "", expected_seq + 1
        return report

    def gate_ids(self) -> list[str]:
        with self._session() as s:
            return sorted(g for g in s.scalars(select(Entry.gate_id).distinct()) if g)

    def purge_personal(self, before: date, batch: int = 2000) -> int:
        """Blank the personal fields of entries older than ``before``; counts and the chain stay."""
        from sqlalchemy import update

        now = datetime.now(timezone.utc)
        blank: dict[str, Any] = {"person_ref": None, "name_masked": None, "id_masked": None, "id_hash": None, "registration": {},
                 "purged_at": now}
        with self.engine.begin() as conn:
            result = conn.execute(update(Entry).where(Entry.local_date < before, Entry.purged_at.is_(None))
                                  .values(**blank))
            return int(result.rowcount or 0)

    def effective_entries(self, date_from: date, date_to: date | None = None, *, lane: str | None = None,
                          flagged_only: bool = False) -> Iterator[EntryRecord]:
        """Like ``entries``, but a corrected entry is left out: it counts once, as its correction."""
        corrected = self.corrected_ids(date_from, date_to or date_from)
        for e in self.entries(date_from, date_to, lane=lane, flagged_only=flagged_only):
            if e.id not in corrected:
                yield e

    def corrected_ids(self, date_from: date, date_to: date) -> set[str]:
        """Ids of entries in the range that a later row corrects."""
        stmt = select(Entry.corrects_id).where(Entry.local_date >= date_from, Entry.local_date <= date_to,
                                               Entry.corrects_id.is_not(None))
        with self._session() as s:
            return {i for i in s.scalars(stmt) if i}

    def latest_follow_ups(self, date_from: date, date_to: date) -> dict[str, str]:
        """The latest follow-up state of each entry of the range that has one."""
        stmt = (select(FollowUp.entry_id, FollowUp.state).join(Entry, Entry.id == FollowUp.entry_id)
                .where(Entry.local_date >= date_from, Entry.local_date <= date_to)
                .order_by(FollowUp.at, FollowUp.id))
        with self._session() as s:
            return {entry_id: state for entry_id, state in s.execute(stmt)}

    def get(self, entry_id: str) -> EntryRecord | None:
        with self._session() as s:
            row = s.get(Entry, entry_id)
            return _entry_record(row) if row else None

    def corrections_of(self, entry_id: str) -> list[EntryRecord]:
        with self._session() as s:
            rows = s.scalars(select(Entry).where(Entry.corrects_id == entry_id).order_by(Entry.created_at))
            return [_entry_record(r) for r in rows]

    def entries(
        self,
        date_from: date,
        date_to: date | None = None,
        *,
        lane: str | None = None,
        flagged_only: bool = False,
        batch: int = 2000,
    ) -> Iterator[EntryRecord]:
        """Entries of a range of local days in time order, streamed in batches."""
        stmt = select(Entry).where(Entry.local_date >= date_from, Entry.local_date <= (date_to or date_from))
        if lane:
            stmt = stmt.where(Entry.lane == lane)
        if flagged_only:
            stmt = stmt.where(Entry.flagged.is_(True))
        stmt = stmt.order_by(Entry.created_at, Entry.id).execution_options(yield_per=batch)
        with self._session() as s:
            for row in s.scalars(stmt):
                yield _entry_record(row)

    def count(self, date_from: date | None = None, date_to: date | None = None) -> int:
        stmt = select(func.count()).select_from(Entry)
        if date_from:
            stmt = stmt.where(Entry.local_date >= date_from, Entry.local_date <= (date_to or date_from))
        with self._session() as s:
            return int(s.scalar(stmt) or 0)

    def follow_up(self, entry_id: str, state: str, guard_id: str, note: str = "",
                  at: datetime | None = None) -> None:
        with self._session.begin() as s:
            s.add(FollowUp(entry_id=entry_id, state=state, at=at or datetime.now(timezone.utc), guard_id=guard_id,
                           note=note))

    def follow_ups(self, entry_ids: Iterable[str]) -> dict[str, list[tuple[datetime, str, str, str]]]:
        """Follow-up history per entry id, oldest first: (at, state, guard, note)."""
        ids = list(entry_ids)
        out: dict[str, list[tuple[datetime, str, str, str]]] = {i: [] for i in ids}
        with self._session() as s:
            for chunk in range(0, len(ids), 500):
                stmt = (select(FollowUp).where(FollowUp.entry_id.in_(ids[chunk:chunk + 500]))
                        .order_by(FollowUp.at, FollowUp.id))
                for r in s.scalars(stmt):
                    out[r.entry_id].append((_utc(r.at), r.state, r.guard_id, r.note))
        return out

    # ------------------------------------------------------------------ roster
    def upsert_roster(self, people: Iterable[RosterPerson]) -> tuple[int, int]:
        """Insert or update roster people in one transaction; returns (new, updated)."""
        now = datetime.now(timezone.utc)
        try:
            return self._upsert(people, now)
        except SQLAlchemyError as exc:
            raise StoreError(f"roster not imported, nothing written: {_short(exc)}") from None

    def _upsert(self, people: Iterable[RosterPerson], now: datetime) -> tuple[int, int]:
        new = updated = 0
        with self._session.begin() as s:
            for p in people:
                row = s.get(RosterEntry, p.person_id)
                if row is None:
                    s.add(RosterEntry(person_id=p.person_id, name=p.name, kind=p.kind, group_name=p.group,
                                      card_number=p.card_number, updated_at=now))
                    new += 1
                else:
                    row.name, row.kind, row.group_name, row.card_number = p.name, p.kind, p.group, p.card_number
                    row.updated_at = now
                    updated += 1
        return new, updated

    def find_roster(self, person_id_or_card: str) -> RosterPerson | None:
        key = person_id_or_card.strip()
        with self._session() as s:
            row = s.get(RosterEntry, key) or s.scalars(
                select(RosterEntry).where(RosterEntry.card_number == key)).first()
            if row is None:
                return None
            return RosterPerson(row.person_id, row.name, row.kind, row.group_name, row.card_number)

    def roster_card_numbers(self) -> set[str]:
        with self._session() as s:
            return {c for c in s.scalars(select(RosterEntry.card_number)) if c}

    # -------------------------------------------------------- audit, devices
    def audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        with self._session.begin() as s:
            s.add(AuditEvent(at=datetime.now(timezone.utc), actor=actor, action=action, detail=detail))

    def audit_events(self, action: str | None = None) -> list[dict[str, Any]]:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        with self._session() as s:
            return [{"at": _utc(r.at), "actor": r.actor, "action": r.action, "detail": r.detail}
                    for r in s.scalars(stmt)]

    def device_event(self, device: str, state: str, message: str = "", at: datetime | None = None) -> None:
        with self._session.begin() as s:
            s.add(DeviceEvent(at=at or datetime.now(timezone.utc), device=device, state=state, message=message))

    def device_events(self, since: datetime, until: datetime) -> list[tuple[datetime, str, str, str]]:
        stmt = select(DeviceEvent).where(DeviceEvent.at >= since, DeviceEvent.at < until).order_by(DeviceEvent.at)
        with self._session() as s:
            return [(_utc(r.at), r.device, r.state, r.message) for r in s.scalars(stmt)]

    # ------------------------------------------------------------ calibration
    def add_calibration(self, record: dict[str, Any]) -> None:
        with self._session.begin() as s:
            s.add(Calibration(**record))

    def latest_calibration(self, thermometer_id: str) -> dict[str, Any] | None:
        stmt = (select(Calibration).where(Calibration.thermometer_id == thermometer_id)
                .order_by(Calibration.performed_at.desc()).limit(1))
        with self._session() as s:
            row = s.scalars(stmt).first()
            return _calibration_dict(row) if row else None

    def calibrations(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        stmt = (select(Calibration).where(Calibration.performed_at >= since, Calibration.performed_at < until)
                .order_by(Calibration.performed_at))
        with self._session() as s:
            return [_calibration_dict(r) for r in s.scalars(stmt)]

    def session(self) -> Session:
        """A raw session, for migrations tests and maintenance commands inside ``db`` only."""
        return self._session()


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _entry_record(row: Entry) -> EntryRecord:
    data = {name: getattr(row, name) for name in _ENTRY_FIELDS}
    data["created_at"] = _utc(row.created_at)
    if row.purged_at is not None:
        data["purged_at"] = _utc(row.purged_at)
    return EntryRecord(**data)


def _calibration_dict(row: Calibration) -> dict[str, Any]:
    return {
        "id": row.id, "thermometer_id": row.thermometer_id, "performed_at": _utc(row.performed_at),
        "operator": row.operator, "reference_c": row.reference_c, "readings": list(row.readings),
        "offset_c": row.offset_c, "residual_c": row.residual_c, "ambient_c": row.ambient_c,
        "ambient_coefficient": row.ambient_coefficient,
    }


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.splitlines()[0]
