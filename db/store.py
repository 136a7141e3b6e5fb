"""The entry store: the one object the core uses to read and write the database.

It takes and returns the plain records of ``db.records``; ORM objects never
leave this module. SQLite (the default) is opened with WAL,
``synchronous=FULL`` (an entry the guard saw decided survives a power cut)
and foreign keys on; a new database file is created with mode 0600 because it
holds health data. Any SQLAlchemy URL works, PostgreSQL included. The schema
is upgraded with Alembic when the store opens.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, String, cast, create_engine, delete, event, exists, func, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db.chain import (
    GENESIS,
    PERSONAL_FIELDS,
    entry_digest,
    evolve,
    journal_mac,
    key_commitment,
    legacy_row_hash,
    personal_hash,
    record_digest,
    row_hash,
)
from db.journal import KeyState, lock_key_state, save_key_state
from db.models import (
    AuditEvent,
    Calibration,
    DeviceEvent,
    Entry,
    FollowUp,
    JournalRow,
    LogKeyState,
    RecentCode,
    RosterEntry,
)
from db.records import EntryRecord, RosterPerson

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PG_CONNECT_TIMEOUT_S = 5
PG_LOCK_TIMEOUT_MS = 3000
PG_STATEMENT_TIMEOUT_MS = 30000
SQLITE_BUSY_TIMEOUT_MS = 2000
RECENT_CODE_HORIZON = timedelta(hours=24)  # the longest replay window the config allows
_WRITE = "gate_kiosk_write"
LEDGER_MARK_EVERY = 50  # journal rows between updates of the ledger marker file
_ENTRY_FIELDS = [f.name for f in fields(EntryRecord)]


class StoreError(Exception):
    """The database cannot be opened or used; the message is for the operator."""


class LedgerAlarm(StoreError):
    """The log this kiosk kept is missing, empty, replaced or rolled back: the gate stops until an admin acts."""


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 via a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per writer: two commands writing the same file at once never rename each
    # other's half-written file (or find theirs gone).
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_ledger_marker(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise LedgerAlarm(f"{path}: the record of this kiosk's log is unreadable; an admin must check the log "
                          "(`gate-kiosk ledger accept` once it is the right one)") from None
    return data if isinstance(data, dict) else None


def _refuse_missing_file(url: str, remembered: dict[str, Any]) -> None:
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return
    path = Path(url[len("sqlite:///"):])
    if not path.exists() or path.stat().st_size == 0:
        state = "missing" if not path.exists() else "empty (0 bytes)"
        raise LedgerAlarm(
            f"the entry log {path} is {state}, but this kiosk kept a log there with "
            f"{int(remembered.get('seq', 1)) - 1} authenticated rows. The gate is stopped: restore the file from "
            "its backup, or an admin starts a new log with `gate-kiosk ledger accept`")


def _safe_url(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


BACKDATED_REASON = {"element": None, "code": "clock_backwards", "hard": False,
                    "message": "记录时间早于上一条（本机时钟被回拨？）"}


def _backdated(fields: dict[str, Any], last_at: datetime) -> dict[str, Any]:
    out = dict(fields)
    out["flagged"] = True
    out["reasons"] = [*fields.get("reasons", []), dict(BACKDATED_REASON, last_at=last_at.isoformat())]
    return out


@dataclass
class ChainReport:
    """What ``verify_chain`` found: rows checked, and every broken row."""

    checked: int = 0
    broken: list[tuple[str, int, str, str]] = field(default_factory=list)  # (gate or kind, seq, row id, why)
    authenticated: int = 0  # journal rows whose MAC was checked with the initial key
    wrong_key: bool = False

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
        with contextlib.suppress(OSError):  # a copy restored by hand comes back 0644: health data is 0600
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql"):
        # Every wait has a limit: a locked table is a storage fault (the entry waits
        # in the queue and the status bar says so), never a hang of the gate.
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S,
                        "options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"}
    elif url.startswith("sqlite"):
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    try:
        engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"), connect_args=connect_args)
    except (SQLAlchemyError, ImportError, ValueError, TypeError) as exc:
        raise StoreError(f"bad database URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # The driver's own transaction handling skips BEGIN before DDL, so a
            # killed migration left half a schema; we issue BEGIN ourselves (below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA secure_delete=ON")  # an overwritten log key does not linger in free pages
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers begin IMMEDIATE: they queue on the busy timeout instead of failing
            # when a read transaction would have to be upgraded to a write one.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic, all revisions in one transaction.

    A populated SQLite log is copied first (``<file>.before-<revision>.bak``,
    mode 0600). Foreign keys are off during the upgrade (SQLite's batch mode
    rebuilds tables, which must not cascade) and on again after.
    """
    current = current_revision(engine)
    if current == head_revision() and revision == "head":
        return
    _backup_before_upgrade(engine, current)
    cfg = alembic_config(str(engine.url))
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.execution_options(**{_WRITE: True}).begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _backup_before_upgrade(engine: Engine, current: str | None) -> None:
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:" or current is None:
        return
    with engine.connect() as conn:
        populated = conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM entries)").scalar()
    if not populated:
        return
    import sqlite3

    target = Path(f"{path}.before-{current}.bak")
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600))
    src, dst = sqlite3.connect(path), sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)  # a killed copy never stands in for a good one


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class EntryStore:
    """Append-only entry log plus roster, calibrations, audit and device events.

    ``ledger_marker`` (a small file outside the database, e.g. in the data
    directory) remembers which log this kiosk keeps and how far it went: a
    log that existed and is now missing, empty, replaced or rolled back is a
    ``LedgerAlarm``, never a silent new log. ``accept_ledger`` is the admin's
    way out (``gate-kiosk ledger accept``): the log as it is now becomes the
    one remembered, with an audit row saying what was there before.
    """

    def __init__(self, url: str, *, migrate: bool = True, ledger_marker: Path | None = None,
                 accept_ledger: bool = False) -> None:
        self.url = url
        self.ledger_marker = ledger_marker
        remembered = read_ledger_marker(ledger_marker) if ledger_marker else None
        if remembered and not accept_ledger:
            _refuse_missing_file(url, remembered)
        self.engine = make_engine(url)
        try:
            if migrate:
                upgrade(self.engine)
            elif current_revision(self.engine) != head_revision():
                raise StoreError("the database schema is not up to date: run `gate-kiosk db upgrade`")
        except (OperationalError, DBAPIError) as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open the database: {_short(exc)}") from None
        except OSError as exc:  # an unwritable data folder (the backup before an upgrade, the marker)
            self.engine.dispose()
            raise StoreError(f"cannot open the database: {exc.strerror or exc}: {exc.filename or url}") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        self._remembered = remembered
        self._marker_armed = ledger_marker is not None and not accept_ledger
        if self._marker_armed:
            try:
                self._check_ledger()
            except StoreError:
                self.engine.dispose()
                raise
            except (SQLAlchemyError, OSError) as exc:
                # A lock held elsewhere (PostgreSQL lock timeout) or an unwritable data folder at start:
                # a storage fault, said in one line, never a crash.
                self.engine.dispose()
                raise StoreError(f"cannot open the database: {_short(exc) if isinstance(exc, SQLAlchemyError) else exc}") \
                    from None

    def close(self) -> None:
        if self._marker_armed and self.ledger_marker is not None:
            with contextlib.suppress(OSError, SQLAlchemyError, StoreError):
                self._remember_ledger(self.ledger_marker)
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ------------------------------------------------------------------ ledger
    def ledger_state(self) -> tuple[str, int]:
        """(ledger id, next journal sequence number) of this log."""
        with self._session() as s:
            row = s.get(LogKeyState, 1)
            if row is None:
                raise StoreError("the log has no key state (log_key table empty)")
            return row.ledger_id, row.next_seq

    def _check_ledger(self) -> None:
        assert self.ledger_marker is not None
        ledger_id, next_seq = self.ledger_state()
        remembered = self._remembered
        if remembered:
            if remembered.get("ledger_id") != ledger_id:
                raise LedgerAlarm(
                    f"the entry log at {_safe_url(self.url)} is not the log this kiosk kept (ledger "
                    f"{str(remembered.get('ledger_id'))[:8]}…, {int(remembered.get('seq', 1)) - 1} authenticated "
                    "rows): it was replaced or emptied. The gate is stopped: restore the log from its backup, or an "
                    "admin accepts this one with `gate-kiosk ledger accept`")
            if next_seq < int(remembered.get("seq", 1)):
                raise LedgerAlarm(
                    f"the entry log at {_safe_url(self.url)} went back from {int(remembered['seq']) - 1} to "
                    f"{next_seq - 1} authenticated rows (rolled back or truncated). The gate is stopped: restore the "
                    "log, or an admin accepts it with `gate-kiosk ledger accept`")
        self._remember_ledger(self.ledger_marker)

    def accept_ledger(self, actor: str) -> None:
        """The admin's answer to a ledger alarm: this log is now the one remembered (audited in it)."""
        if self.ledger_marker is None:
            return
        ledger_id, next_seq = self.ledger_state()
        before = self._remembered or {}
        self.audit(actor, "ledger_accepted", {"previous_ledger": before.get("ledger_id"),
                                              "previous_rows": int(before.get("seq", 1)) - 1,
                                              "ledger": ledger_id, "rows_now": next_seq - 1})
        self._marker_armed = True
        self._remember_ledger(self.ledger_marker)

    def _remember_ledger(self, marker: Path) -> None:
        ledger_id, next_seq = self.ledger_state()
        write_private(marker, json.dumps({"ledger_id": ledger_id, "seq": next_seq, "url": _safe_url(self.url)}))

    def initial_key_pending(self) -> bool:
        """True until K_0 was handed out (the log is authenticated, but nobody outside holds the key yet)."""
        with self._session() as s:
            row = s.get(LogKeyState, 1)
            return row is not None and row.initial_key is not None

    def handout_initial_key(self) -> bytes:
        """Return K_0 once and erase it from the kiosk; a second call raises ``StoreError``."""
        with self._write.begin() as s:
            row = s.get(LogKeyState, 1)
            if row is None or row.initial_key is None:
                raise StoreError("the initial log key was already handed out; it is not on this kiosk any more")
            key = bytes.fromhex(row.initial_key)
            row.initial_key = None
        return key

    # ----------------------------------------------------------------- entries
    def append(self, entry: EntryRecord) -> str:
        """Write one entry, chained to its gate's previous entry and journalled, and commit before returning.

        An entry earlier than the gate's last one (a clock set back) is
        written flagged, with a reason, and an audit row says so.
        """
        with self._write.begin() as s:
            conn = s.connection()
            state = self._key_state(conn)
            last = s.execute(select(Entry.seq, Entry.row_hash, Entry.created_at).where(Entry.gate_id == entry.gate_id)
                             .order_by(Entry.seq.desc()).limit(1)
                             .with_for_update()).first()
            fields = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
            journal: list[dict[str, Any]] = []
            if last is not None and last[2] is not None and entry.created_at < _utc(last[2]):
                fields = _backdated(fields, _utc(last[2]))
                audit = self._audit_row(conn, "kiosk", "clock_backwards", {
                    "entry_id": entry.id, "entry_at": entry.created_at.isoformat(),
                    "last_at": _utc(last[2]).isoformat()})
                journal.append(state.sign("audit", str(audit["id"]), record_digest("audit", audit)))
            row = _chained(fields, (last[0], last[1] or GENESIS) if last and last[0] is not None else (0, GENESIS))
            conn.execute(insert(Entry), [row])
            journal.append(state.sign("entry", entry.id, entry_digest(row)))
            save_key_state(conn, state, journal)
        if self._marker_armed and self.ledger_marker is not None and state.next_seq % LEDGER_MARK_EVERY < len(journal):
            # Now and then, not only at start and close: a copy restored after a power
            # cut must not be older than what the kiosk last saw.
            with contextlib.suppress(OSError, SQLAlchemyError):
                self._remember_ledger(self.ledger_marker)
        return entry.id

    def _key_state(self, conn: Any) -> KeyState:
        state = lock_key_state(conn)
        if state is None:
            raise StoreError("the log has no key state (log_key table empty): the log cannot be authenticated")
        return state

    def _audit_row(self, conn: Any, actor: str, action: str, detail: dict[str, Any]) -> dict[str, Any]:
        row = {"at": datetime.now(timezone.utc), "actor": actor, "action": action, "detail": detail}
        row["id"] = conn.execute(insert(AuditEvent).values(**row).returning(AuditEvent.id)).scalar_one()
        return row

    def append_many(self, entries: Iterable[EntryRecord], batch: int = 5000) -> int:
        """Bulk insert (demo data, imports of old logs), chained and journalled, one transaction per batch."""
        n = 0
        last: dict[str, tuple[int, str]] = {}
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            nonlocal n, rows
            with self._write.begin() as s:
                conn = s.connection()
                state = self._key_state(conn)
                conn.execute(insert(Entry), rows)
                save_key_state(conn, state, [state.sign("entry", r["id"], entry_digest(r)) for r in rows])
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

    def verify_chain(self, gate_id: str | None = None, day: date | None = None,
                     initial_key: bytes | None = None) -> "ChainReport":
        """Check the whole log and name every broken row (``day`` limits what is counted as checked).

        Without a key: each gate's hash chain, and every entry, follow-up and
        audit row against its journal digest (an edit that did not also
        rewrite the journal). With K_0 (``initial_key``), also every journal
        MAC and the key the log has now: this catches a log recomputed from
        scratch, deleted rows and a cut-off end.
        """
        report = ChainReport()
        gates = [gate_id] if gate_id else self.gate_ids()
        with self._session() as s:
            purged_before = self._purged_before(s)
            for gate in gates:
                self._verify_gate(s, gate, day, report, purged_before)
            self._verify_digests(s, report)
            if initial_key is not None:
                self._verify_macs(s, initial_key, report)
            else:
                self._verify_journal_count(s, report)
        return report

    def _verify_journal_count(self, s: Session, report: "ChainReport") -> None:
        """Without the key: the journal must hold every row its key was used for (a cheap check that
        names deleted rows and a cut-off end; only the key proves they were not rewritten too)."""
        state = s.get(LogKeyState, 1)
        if state is None:
            return
        count, top = s.execute(select(func.count(JournalRow.seq), func.max(JournalRow.seq))).one()
        written = state.next_seq - 1
        if (top or 0) < written:
            report.broken.append(("journal", (top or 0) + 1, "", f"the log's key was used up to journal row {written} "
                                  f"but the journal ends at row {top or 0}: rows were cut off the end"))
        elif count < written:
            report.broken.append(("journal", 0, "", f"{written - count} journal rows were deleted "
                                  f"({count} of {written} remain)"))

    def _verify_gate(self, s: Session, gate: str, day: date | None, report: "ChainReport",
                     purged_before: date | None = None) -> None:
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
            elif row.purged_at is not None and any(fields[k] not in (None, {}) for k in PERSONAL_FIELDS):
                why = "personal fields were written after the purge"
            elif row.purged_at is not None and (purged_before is None or row.local_date >= purged_before):
                why = "marked as purged, but no recorded purge covers its day (personal fields wiped)"
            elif row.purged_at is None and personal_hash(fields) != row.personal_hash:
                why = "personal fields were changed"
            elif row.row_hash not in (row_hash(fields, prev, row.personal_hash or ""),
                                      legacy_row_hash(fields, prev, row.personal_hash or "")):
                why = "the row was changed after it was written"
            if day is None or row.local_date == day:
                report.checked += 1
            if why is not None:  # named whatever the day: a break anywhere makes the log suspect
                report.broken.append((gate, row.seq or 0, row.id, why))
            # Go on from this row as it stands: every later break is reported too.
            prev, expected_seq = row.row_hash or "", (row.seq or expected_seq) + 1

    def _verify_digests(self, s: Session, report: "ChainReport") -> None:
        stmt = (select(Entry, JournalRow.digest).outerjoin(
            JournalRow, (JournalRow.kind == "entry") & (JournalRow.ref == Entry.id)).order_by(Entry.gate_id, Entry.seq)
            .execution_options(yield_per=5000))
        named = {b[2] for b in report.broken}  # a row the chain already names is named once
        for row, digest in s.execute(stmt):
            if row.id in named:
                continue
            rec = _entry_record(row)
            fields = {name: getattr(rec, name) for name in _ENTRY_FIELDS}
            if digest is None:
                report.broken.append((row.gate_id, row.seq or 0, row.id, "not in the journal (inserted behind the kiosk's back)"))
            elif digest != entry_digest(fields):
                report.broken.append((row.gate_id, row.seq or 0, row.id, "differs from what the journal authenticated"))
        models: tuple[tuple[str, type[FollowUp] | type[AuditEvent]], ...] = (
            ("follow_up", FollowUp), ("audit", AuditEvent))
        for kind, model in models:
            rstmt = select(model, JournalRow.digest).outerjoin(
                JournalRow, (JournalRow.kind == kind) & (JournalRow.ref == cast(model.id, String))).order_by(model.id)
            for rec_row, digest in s.execute(rstmt):
                assert isinstance(rec_row, (FollowUp, AuditEvent))
                fields = _record_fields(rec_row)
                if digest is None:
                    report.broken.append((kind, rec_row.id, str(rec_row.id), "not in the journal (inserted behind the kiosk's back)"))
                elif digest != record_digest(kind, fields):
                    report.broken.append((kind, rec_row.id, str(rec_row.id), "differs from what the journal authenticated"))
        refs: tuple[tuple[str, Any], ...] = (("entry", Entry.id), ("follow_up", cast(FollowUp.id, String)),
                                             ("audit", cast(AuditEvent.id, String)))
        for kind, ref_col in refs:
            gone = select(JournalRow.seq, JournalRow.ref).where(JournalRow.kind == kind, ~exists().where(ref_col == JournalRow.ref))
            for seq, ref in s.execute(gone.order_by(JournalRow.seq)):
                report.broken.append((kind, seq, ref, f"journal row {seq}: the {kind.replace('_', '-')} was deleted"))

    def _verify_macs(self, s: Session, initial: bytes, report: "ChainReport") -> None:
        state = s.get(LogKeyState, 1)
        if state is None:
            report.broken.append(("journal", 0, "", "the log's key state is gone"))
            return
        if key_commitment(initial) != state.commitment:
            report.wrong_key = True
            report.broken.append(("journal", 0, "", "this is not the initial key of this log "
                                  "(or the log was replaced by another one)"))
            return
        key, prev_mac, expected = initial, "0" * 64, 1
        for j in s.scalars(select(JournalRow).order_by(JournalRow.seq).execution_options(yield_per=5000)):
            if j.seq != expected:
                report.broken.append(("journal", j.seq, j.ref, f"journal rows {expected}–{j.seq - 1} were deleted"))
                while expected < j.seq:
                    key, expected = evolve(key), expected + 1
            if journal_mac(key, j.seq, j.kind, j.ref, j.digest, prev_mac) != j.mac:
                report.broken.append(("journal", j.seq, j.ref,
                                      f"journal row {j.seq} ({j.kind} {j.ref}) is not authentic: rewritten or forged"))
            report.authenticated += 1
            key, prev_mac, expected = evolve(key), j.mac, expected + 1
        if state.next_seq != expected:
            report.broken.append(("journal", expected, "", f"the log ends at journal row {expected - 1} but its key "
                                  f"was used up to row {state.next_seq - 1}: rows were cut off the end"))
        else:
            if bytes.fromhex(state.current_key) != key:
                report.broken.append(("journal", expected, "", "the log's current key is not the one its rows lead "
                                      "to: the end of the log was cut off or its key replaced"))

    def gate_ids(self) -> list[str]:
        with self._session() as s:
            return sorted(g for g in s.scalars(select(Entry.gate_id).distinct()) if g)

    def purge_personal(self, before: date, batch: int = 2000) -> int:
        """Blank the personal fields of entries older than ``before``; counts and the chain stay."""
        from sqlalchemy import update

        now = datetime.now(timezone.utc)
        blank: dict[str, Any] = {"person_ref": None, "name_masked": None, "id_masked": None, "id_hash": None,
                                 "registration": {}, "registration_sealed": None, "purged_at": now}
        with self.engine.begin() as conn:
            result = conn.execute(update(Entry).where(Entry.local_date < before, Entry.purged_at.is_(None))
                                  .values(**blank))
            n = int(result.rowcount or 0)
        # The purge is recorded in the authenticated audit trail: a row marked as purged that no
        # recorded purge covers is a forgery (verify-log names it).
        self.audit("retention", "purge_rows", {"before": before.isoformat(), "entries": n})
        return n

    def _purged_before(self, s: Session) -> date | None:
        """The latest cutoff of any recorded purge (rows of earlier days may be blank), or None."""
        latest: date | None = None
        for detail in s.scalars(select(AuditEvent.detail).where(AuditEvent.action.in_(("purge", "purge_rows")))):
            try:
                cutoff = date.fromisoformat(str((detail or {}).get("before", ""))[:10])
            except ValueError:
                continue
            latest = cutoff if latest is None or cutoff > latest else latest
        return latest

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
        """Append a follow-up of a flagged entry, journalled like the entry itself."""
        row: dict[str, Any] = {"entry_id": entry_id, "state": state, "at": at or datetime.now(timezone.utc),
                               "guard_id": guard_id, "note": note}
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)
            row["id"] = conn.execute(insert(FollowUp).values(**row).returning(FollowUp.id)).scalar_one()
            save_key_state(conn, key, [key.sign("follow_up", str(row["id"]), record_digest("follow_up", row))])

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
                                      card_number=p.card_number, updated_at=now, health_status=p.health_status,
                                      health_date=p.health_date))
                    new += 1
                else:
                    row.name, row.kind, row.group_name, row.card_number = p.name, p.kind, p.group, p.card_number
                    row.health_status, row.health_date = p.health_status, p.health_date
                    row.updated_at = now
                    updated += 1
        return new, updated

    def find_roster(self, person_id_or_card: str) -> RosterPerson | None:
        key = person_id_or_card.strip()
        with self._session() as s:
            by_id = s.get(RosterEntry, key)
            by_card = s.scalars(select(RosterEntry).where(RosterEntry.card_number == key)).first()
            if by_id is not None and by_card is not None and by_id.person_id != by_card.person_id:
                return None  # one number, two people: never guess which (the card is "not in the roster")
            row = by_id or by_card
            if row is None:
                return None
            return RosterPerson(row.person_id, row.name, row.kind, row.group_name, row.card_number,
                                row.health_status, row.health_date)

    def find_roster_by_name(self, name: str) -> list[RosterPerson]:
        """Everyone on the roster with exactly this name (a signed code names its holder)."""
        with self._session() as s:
            rows = s.scalars(select(RosterEntry).where(RosterEntry.name == name.strip()).limit(3)).all()
            return [RosterPerson(r.person_id, r.name, r.kind, r.group_name, r.card_number, r.health_status,
                                 r.health_date) for r in rows]

    def roster_card_numbers(self) -> set[str]:
        with self._session() as s:
            return {c for c in s.scalars(select(RosterEntry.card_number)) if c}

    # -------------------------------------------------------- audit, devices
    def audit(self, actor: str, action: str, detail: dict[str, Any]) -> None:
        """Append an audit row, journalled (so the audit log cannot be quietly rewritten either)."""
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)
            row = self._audit_row(conn, actor, action, detail)
            save_key_state(conn, key, [key.sign("audit", str(row["id"]), record_digest("audit", row))])

    def audited_attempt(self, actor: str, action: str, judge: Callable[[list[dict[str, Any]]], tuple[bool, dict[str, Any]]],
                        actions: tuple[str, ...]) -> bool:
        """Serialised check-and-record: ``judge`` sees the audit rows of ``actions`` (newest first, up to 64)
        and decides; its decision is audited in the same write transaction, so parallel attempts take turns
        and every one of them counts (the admin PIN's lockout lives here, not in a file)."""
        with self._write.begin() as s:
            conn = s.connection()
            key = self._key_state(conn)  # the write lock: one attempt at a time
            history = self._recent_audits(s, actions, 64)
            ok, detail = judge(history)
            row = self._audit_row(conn, actor, action, detail)
            save_key_state(conn, key, [key.sign("audit", str(row["id"]), record_digest("audit", row))])
        return ok

    def recent_audits(self, actions: tuple[str, ...], limit: int = 64) -> list[dict[str, Any]]:
        """The newest audit rows of ``actions``, newest first."""
        with self._session() as s:
            return self._recent_audits(s, actions, limit)

    @staticmethod
    def _recent_audits(s: Session, actions: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
        stmt = select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id.desc()).limit(limit)
        return [{"at": _utc(r.at), "actor": r.actor, "action": r.action, "detail": r.detail} for r in s.scalars(stmt)]

    def last_audit(self, action: str) -> dict[str, Any] | None:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
        with self._session() as s:
            r = s.scalars(stmt).first()
            return {"at": _utc(r.at), "actor": r.actor, "action": r.action, "detail": r.detail} if r else None

    # ------------------------------------------------------------ recent codes
    def remember_code(self, key: str, visit_id: str, at: datetime) -> None:
        """Remember that a code (its canonical key) was seen at a visit; rows older than a day are pruned."""
        with self._write.begin() as s:
            s.execute(delete(RecentCode).where(RecentCode.at < at - RECENT_CODE_HORIZON))
            row = s.get(RecentCode, key)
            if row is None:
                s.add(RecentCode(key=key, visit_id=visit_id, at=at))
            else:
                row.visit_id, row.at = visit_id, at

    def recent_code(self, key: str) -> tuple[datetime, str] | None:
        """When and at which visit a code was last seen, if within the last day."""
        with self._session() as s:
            row = s.get(RecentCode, key)
            return (_utc(row.at), row.visit_id) if row else None

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

    def write_session(self) -> Session:
        """A raw session whose transactions begin IMMEDIATE (a writer queues on the busy timeout), ``db`` only."""
        return self._write()


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _entry_record(row: Entry) -> EntryRecord:
    data = {name: getattr(row, name) for name in _ENTRY_FIELDS}
    data["created_at"] = _utc(row.created_at)
    if row.purged_at is not None:
        data["purged_at"] = _utc(row.purged_at)
    return EntryRecord(**data)


def _record_fields(row: FollowUp | AuditEvent) -> dict[str, Any]:
    if isinstance(row, FollowUp):
        return {"id": row.id, "entry_id": row.entry_id, "state": row.state, "at": _utc(row.at),
                "guard_id": row.guard_id, "note": row.note}
    return {"id": row.id, "at": _utc(row.at), "actor": row.actor, "action": row.action, "detail": row.detail}


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
