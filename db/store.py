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
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from db.chain import (
    GENESIS,
    entry_digest,
    personal_hash,
    record_digest,
    row_hash,
)
from db.journal import save_key_state
from db.models import (
    Entry,
    FollowUp,
    LogKeyState,
)
from db.records import EntryRecord
from db.rows import ENTRY_FIELDS, utc
from db.engine import (
    WRITE_OPTION, current_revision, head_revision, make_engine,
    safe_url, short_error, StoreError, upgrade, write_private,
)
from db.store_checks import ChainChecks
from db.store_reads import EntryReads
from db.store_side import SideRecords

LEDGER_MARK_EVERY = 50  # journal rows between updates of the ledger marker file
# Opening takes turns with other commands on the same log (thirty PIN attempts at once): a busy
# log is tried again for this long, then the open fails as a storage fault in one line.
OPEN_WAIT_S = 20.0


def _busy(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "busy" in text or "lock timeout" in text


def _patiently(step: Callable[[], None]) -> None:
    """Run an opening step; while the log is busy (another process writing), wait and try again, bounded."""
    deadline = time.monotonic() + OPEN_WAIT_S
    pause = 0.05
    while True:
        try:
            step()
            return
        except SQLAlchemyError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


class LedgerAlarm(StoreError):
    """The log this kiosk kept is missing, empty, replaced or rolled back: the gate stops until an admin acts."""


def read_ledger_marker(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("ledger_id"), str):
        # Unreadable, or emptied to "{}": either way nothing to compare with, which must not pass.
        raise LedgerAlarm(f"{path}: the record of this kiosk's log is unreadable; an admin must check the log "
                          "(`gate-kiosk ledger accept` once it is the right one)")
    return data


def _refuse_missing_file(url: str, remembered: dict[str, Any]) -> None:
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///:memory:"):
        return
    path = Path(url[len("sqlite:///"):])
    if not path.exists() or path.stat().st_size == 0:
        state = "missing" if not path.exists() else "empty (0 bytes)"
        moved = remembered.get("url") not in (None, safe_url(url))
        raise LedgerAlarm(
            f"the entry log {path} is {state}, but this kiosk kept a log "
            f"{'at ' + str(remembered.get('url')) + ' (database.url changed)' if moved else 'there'} with "
            f"{int(remembered.get('seq', 1)) - 1} authenticated rows. The gate is stopped: restore the file from "
            "its backup, or an admin starts a new log with `gate-kiosk ledger accept`")


BACKDATED_REASON = {"element": None, "code": "clock_backwards", "hard": False,
                    "message": "记录时间早于上一条（本机时钟被回拨？）"}


def _backdated(fields: dict[str, Any], last_at: datetime) -> dict[str, Any]:
    out = dict(fields)
    out["flagged"] = True
    out["reasons"] = [*fields.get("reasons", []), dict(BACKDATED_REASON, last_at=last_at.isoformat())]
    return out


def _chained(row: dict[str, Any], last: tuple[int, str]) -> dict[str, Any]:
    seq, prev = last
    row["seq"] = seq + 1
    row["prev_hash"] = prev
    row["personal_hash"] = personal_hash(row)
    row["row_hash"] = row_hash(row, prev, row["personal_hash"])
    row["purged_at"] = None
    return row


class EntryStore(EntryReads, ChainChecks, SideRecords):
    """Append-only entry log plus roster, calibrations, audit and device events.

    ``ledger_marker`` (a small file outside the database, e.g. in the data
    directory) remembers which log this kiosk keeps and how far it went: a
    log that existed and is now missing, empty, replaced or rolled back is a
    ``LedgerAlarm``, never a silent new log; so is a missing marker when
    ``ledger_expected`` (the kiosk ran before). A change of the database URL
    is audited. ``accept_ledger`` is the admin's
    way out (``gate-kiosk ledger accept``): the log as it is now becomes the
    one remembered, with an audit row saying what was there before.
    """

    def __init__(self, url: str, *, migrate: bool = True, ledger_marker: Path | None = None,
                 accept_ledger: bool = False, ledger_expected: bool = False) -> None:
        self.url = url
        self.ledger_marker = ledger_marker
        remembered = read_ledger_marker(ledger_marker) if ledger_marker else None
        if remembered is None and ledger_expected and ledger_marker is not None and not accept_ledger:
            # The kiosk ran before, so it kept a log, but the record of which is gone: deleting it
            # together with pointing the kiosk at a fresh log must not start a new log quietly.
            raise LedgerAlarm(
                f"{ledger_marker} (which entry log this kiosk keeps) is missing, but this kiosk has kept a log "
                "before. The gate is stopped: restore the file from its backup, or an admin accepts the log at "
                f"{safe_url(url)} with `gate-kiosk ledger accept`")
        if remembered and not accept_ledger:
            _refuse_missing_file(url, remembered)
        self.engine = make_engine(url)
        try:
            if migrate:
                _patiently(lambda: upgrade(self.engine))
            elif current_revision(self.engine) != head_revision():
                raise StoreError("the database schema is not up to date: run `gate-kiosk db upgrade`")
        except (OperationalError, DBAPIError) as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open the database: {short_error(exc)}") from None
        except OSError as exc:  # an unwritable data folder (the backup before an upgrade, the marker)
            self.engine.dispose()
            raise StoreError(f"cannot open the database: {exc.strerror or exc}: {exc.filename or url}") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
        self._remembered = remembered
        self._marker_lost = remembered is None and ledger_expected
        self._marker_armed = ledger_marker is not None and not accept_ledger
        if self._marker_armed:
            try:
                _patiently(self._check_ledger)
            except StoreError:
                self.engine.dispose()
                raise
            except (SQLAlchemyError, OSError) as exc:
                # A lock held elsewhere (PostgreSQL lock timeout) or an unwritable data folder at start:
                # a storage fault, said in one line, never a crash.
                self.engine.dispose()
                raise StoreError(f"cannot open the database: {short_error(exc) if isinstance(exc, SQLAlchemyError) else exc}") \
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
            moved = remembered.get("url") not in (None, safe_url(self.url))
            if remembered.get("ledger_id") != ledger_id:
                where = f" (database.url changed from {remembered.get('url')})" if moved else ""
                raise LedgerAlarm(
                    f"the entry log at {safe_url(self.url)}{where} is not the log this kiosk kept (ledger "
                    f"{str(remembered.get('ledger_id'))[:8]}…, {int(remembered.get('seq', 1)) - 1} authenticated "
                    "rows): it was replaced or emptied. The gate is stopped: restore the log from its backup, or an "
                    "admin accepts this one with `gate-kiosk ledger accept`")
            if next_seq < int(remembered.get("seq", 1)):
                raise LedgerAlarm(
                    f"the entry log at {safe_url(self.url)} went back from {int(remembered['seq']) - 1} to "
                    f"{next_seq - 1} authenticated rows (rolled back or truncated). The gate is stopped: restore the "
                    "log, or an admin accepts it with `gate-kiosk ledger accept`")
            if moved:  # the same log under another URL (a moved file, another host name): said, not refused
                # Said once: commands started together all find the old URL in the marker.
                self.audit_once("kiosk", "database_url_changed", {"from": remembered.get("url"), "to": safe_url(self.url)})
        self._remember_ledger(self.ledger_marker)

    def accept_ledger(self, actor: str) -> None:
        """The admin's answer to a ledger alarm: this log is now the one remembered (audited in it)."""
        if self.ledger_marker is None:
            return
        ledger_id, next_seq = self.ledger_state()
        before = self._remembered or {}
        self.audit(actor, "ledger_accepted", {"previous_ledger": before.get("ledger_id"),
                                              "previous_rows": int(before.get("seq", 1)) - 1,
                                              "previous_url": before.get("url"), "url": safe_url(self.url),
                                              "ledger": ledger_id, "rows_now": next_seq - 1})
        self._marker_armed = True
        self._remember_ledger(self.ledger_marker)

    @property
    def pin_was_set(self) -> bool:
        """The marker says an admin PIN was in force with the log this kiosk kept (it stays said)."""
        return bool((self._remembered or {}).get("pin_set"))

    @property
    def accepting_needs_pin(self) -> bool:
        """Accepting this log takes the admin PIN: one was set, or the marker is lost so nobody can tell."""
        return self.pin_was_set or self._marker_lost

    def _remember_ledger(self, marker: Path) -> None:
        ledger_id, next_seq = self.ledger_state()
        # Sticky: a fresh log (with no set_pin row) and a deleted admin.json must not let
        # `ledger accept` through without a PIN.
        pin_set = self.pin_was_set or self.last_audit("set_pin") is not None
        write_private(marker, json.dumps({"ledger_id": ledger_id, "seq": next_seq, "url": safe_url(self.url),
                                          "pin_set": pin_set}))

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
            fields = {name: getattr(entry, name) for name in ENTRY_FIELDS}
            journal: list[dict[str, Any]] = []
            if last is not None and last[2] is not None and entry.created_at < utc(last[2]):
                fields = _backdated(fields, utc(last[2]))
                audit = self._audit_row(conn, "kiosk", "clock_backwards", {
                    "entry_id": entry.id, "entry_at": entry.created_at.isoformat(),
                    "last_at": utc(last[2]).isoformat()})
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
            row = _chained({name: getattr(e, name) for name in ENTRY_FIELDS}, last[e.gate_id])
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

    def session(self) -> Session:
        """A raw session, for migrations tests and maintenance commands inside ``db`` only."""
        return self._session()

    def write_session(self) -> Session:
        """A raw session whose transactions begin IMMEDIATE (a writer queues on the busy timeout), ``db`` only."""
        return self._write()


