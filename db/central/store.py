"""The central store: ingest of forwarded logs with chain anchoring, publications, findings, incidents.

Everything a kiosk forwards is written idempotently: entries by their id
(the kiosk's), the kiosk's other logs by (site, gate, local row id), so a
batch sent twice changes nothing. Entries of a gate are accepted only when
they continue the chain the centre has anchored for that gate
(``db.central.chaincheck``); otherwise the whole batch is refused and an
incident row records why, in its own transaction so that the refusal is
never lost with the rolled-back batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (Connection, Engine, create_engine, text)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from db.central.bulletin import CentralBulletin
from db.central.chaincheck import GENESIS, link_problem
from db.central.errors import CentralError as CentralError
from db.central.errors import CentralUnavailable as CentralUnavailable
from db.central.errors import ChainRefused as ChainRefused
from db.central.schema import (ENTRIES, ENTRY_FIELDS, SIDE_TABLES, VERSION_TABLE, Incident, IngestResult,
                               alembic_config, central_head_revision)


T = TypeVar("T")
REANCHORED = "reanchored"  # chain_heads.row_hash after ``reanchor``: the next row starts the chain again


def partition_name(day: date) -> str:
    return f"entries_{day:%Y%m%d}"


class CentralStore(CentralBulletin):
    """A connection pool to the central PostgreSQL and everything done there."""

    def __init__(self, url: str, *, connect_timeout_s: float = 5.0, migrate: bool = False,
                 lock_timeout_s: float = 30.0, idle_in_transaction_s: float = 60.0) -> None:
        if not url.startswith("postgresql"):
            raise CentralError(f"the centre must be PostgreSQL, not {url.split(':', 1)[0]!r}")
        self.url = url
        # A kiosk killed or cut off mid-batch leaves a session "idle in transaction" that holds its gate's
        # lock: the server ends such a session after idle_in_transaction_s, and a wait for a lock gives up
        # after lock_timeout_s (CentralUnavailable: the worker backs off and says so) instead of hanging.
        # TCP keepalives let the server notice a peer that vanished without closing the connection.
        options = (f"-c lock_timeout={int(lock_timeout_s * 1000)} "
                   f"-c idle_in_transaction_session_timeout={int(idle_in_transaction_s * 1000)}")
        try:
            self.engine: Engine = create_engine(
                url, future=True, pool_pre_ping=True, pool_size=2, max_overflow=2,
                connect_args={"connect_timeout": max(1, int(connect_timeout_s)), "application_name": "gate-kiosk",
                              "options": options, "keepalives": 1, "keepalives_idle": 30,
                              "keepalives_interval": 10, "keepalives_count": 3})
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise CentralError(f"bad central URL: {exc}") from None
        self._partitions: set[date] = set()
        if migrate:
            self.upgrade()

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ schema
    def upgrade(self, revision: str = "head") -> None:
        """Bring the central schema to ``revision`` (its own Alembic history)."""
        cfg = alembic_config(self.url)
        with self._begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def downgrade(self, revision: str) -> None:
        cfg = alembic_config(self.url)
        with self._begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)

    def revision(self) -> str | None:
        with self._connect() as conn:
            return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}).get_current_revision()

    def check_schema(self) -> None:
        rev = self.revision()
        if rev != central_head_revision():
            raise CentralError(f"the central schema is at {rev or 'nothing'}, not {central_head_revision()}: "
                               "run `gate-kiosk central init --url URL`")

    def _connect(self) -> Connection:
        try:
            return self.engine.connect()
        except DBAPIError as exc:
            raise CentralUnavailable(f"the centre does not answer: {_short(exc)}") from None

    def _begin(self) -> Any:
        try:
            return self.engine.begin()
        except DBAPIError as exc:
            raise CentralUnavailable(f"the centre does not answer: {_short(exc)}") from None

    def run(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in one transaction; a dropped connection becomes ``CentralUnavailable``."""
        try:
            with self._begin() as conn:
                return fn(conn)
        except DBAPIError as exc:
            if exc.connection_invalidated or isinstance(exc.orig, _operational_errors()):
                raise CentralUnavailable(f"the centre went away: {_short(exc)}") from None
            raise CentralError(f"the centre refused the request: {_short(exc)}") from None

    # ------------------------------------------------------- sites, gates
    def register_gate(self, site_id: str, gate_id: str, *, site_name: str = "", district: str = "",
                      gate_name: str = "", thermometer_id: str = "", calibration_interval_days: int = 7) -> None:
        def do(conn: Connection) -> None:
            conn.execute(text(
                "INSERT INTO sites (site_id, name, district) VALUES (:s, :n, :d) ON CONFLICT (site_id) DO UPDATE SET "
                "name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE sites.name END, "
                "district = CASE WHEN EXCLUDED.district <> '' THEN EXCLUDED.district ELSE sites.district END"),
                {"s": site_id, "n": site_name, "d": district})
            conn.execute(text(
                "INSERT INTO gates (site_id, gate_id, name, thermometer_id, calibration_interval_days) "
                "VALUES (:s, :g, :n, :t, :i) ON CONFLICT (site_id, gate_id) DO UPDATE SET "
                "name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE gates.name END, "
                "thermometer_id = CASE WHEN EXCLUDED.thermometer_id <> '' THEN EXCLUDED.thermometer_id "
                "ELSE gates.thermometer_id END, calibration_interval_days = EXCLUDED.calibration_interval_days"),
                {"s": site_id, "g": gate_id, "n": gate_name, "t": thermometer_id, "i": calibration_interval_days})
        self.run(do)

    def gates(self) -> list[dict[str, Any]]:
        def do(conn: Connection) -> list[dict[str, Any]]:
            rows = conn.execute(text(
                "SELECT g.site_id, s.name AS site_name, s.district, g.gate_id, g.name AS gate_name, g.thermometer_id, "
                "g.calibration_interval_days, g.last_sync_at, h.seq AS head_seq, h.seen_at AS head_seen_at "
                "FROM gates g JOIN sites s USING (site_id) "
                "LEFT JOIN chain_heads h ON h.site_id = g.site_id AND h.gate_id = g.gate_id "
                "ORDER BY g.site_id, g.gate_id")).mappings()
            return [dict(r) for r in rows]
        result: list[dict[str, Any]] = self.run(do)
        return result

    # ------------------------------------------------------------ entries
    def ensure_partitions(self, days: Iterable[date]) -> None:
        """Create the day partitions that do not exist yet (serialised by an advisory lock)."""
        missing = sorted(set(days) - self._partitions)
        if not missing:
            return

        def do(conn: Connection) -> None:
            conn.execute(text("SELECT pg_advisory_xact_lock(7313001)"))
            existing = set(conn.scalars(text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'entries'")))
            for day in missing:
                if partition_name(day) not in existing:
                    conn.execute(text(
                        f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF entries "
                        f"FOR VALUES FROM ('{day.isoformat()}') TO ('{(day + timedelta(days=1)).isoformat()}')"))
        self.run(do)
        self._partitions.update(missing)

    def ingest_entries(self, site_id: str, gate_id: str, rows: Sequence[dict[str, Any]],
                       sender: str = "") -> IngestResult:
        """Accept one gate's rows in chain order, or refuse them all (and record an incident).

        ``sender`` names the kiosk that sent them (its log's id): a refusal's
        incident says which kiosk, so two kiosks sharing a gate id are told apart.
        """
        rows = sorted(rows, key=lambda r: int(r["seq"] or 0))
        if any(r["gate_id"] != gate_id or r["site_id"] != site_id for r in rows):
            raise CentralError("a batch holds rows of another gate")
        self.ensure_partitions({r["local_date"] for r in rows})
        refusal: list[tuple[str, int, str | None, str]] = []

        def do(conn: Connection) -> IngestResult:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{site_id}/{gate_id}"})
            head = conn.execute(text("SELECT seq, row_hash FROM chain_heads WHERE site_id = :s AND gate_id = :g"),
                                {"s": site_id, "g": gate_id}).first()
            head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS)
            known: dict[int, str] = {}
            if rows and int(rows[0]["seq"] or 0) <= head_seq:
                known = {int(s): str(h) for s, h in conn.execute(text(
                    "SELECT seq, row_hash FROM entries WHERE site_id = :s AND gate_id = :g AND seq BETWEEN :a AND :b"),
                    {"s": site_id, "g": gate_id, "a": int(rows[0]["seq"] or 0), "b": head_seq})}
            fresh: list[dict[str, Any]] = []
            duplicates = 0
            for r in rows:
                seq = int(r["seq"] or 0)
                if seq <= head_seq:
                    if known.get(seq) == r["row_hash"]:
                        duplicates += 1
                        continue
                    refusal.append(("fork", seq, r["id"],
                                    f"row {seq} differs from the row {seq} the centre already holds: two kiosks "
                                    f"may share gate_id {gate_id}, or this kiosk's history was rewritten"))
                    break
                if head_hash == REANCHORED:
                    # An admin accepted a break before this row (``reanchor``): it starts the chain again,
                    # its own content still checked against its hash.
                    head_hash = str(r["prev_hash"])
                problem = link_problem(r, head_seq, head_hash)
                if problem is not None:
                    refusal.append((problem[0], seq, r["id"], problem[1]))
                    break
                fresh.append({k: r.get(k) for k in ENTRY_FIELDS})
                head_seq, head_hash = seq, str(r["row_hash"])
            if fresh:
                taken = {r[0] for r in conn.execute(
                    insert(ENTRIES).on_conflict_do_nothing().returning(ENTRIES.c.id), fresh)}
                clash = [r for r in fresh if r["id"] not in taken]
                if clash:
                    # An id the centre already holds for another row: never dropped silently.
                    first = clash[0]
                    refusal.append(("conflict", int(first["seq"] or 0), first["id"],
                                    f"entry id {first['id']} of row {first['seq']} is already at the centre "
                                    "for another row; the batch was not taken"))
                    raise _Conflict()
                now = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
                conn.execute(text(
                    "INSERT INTO chain_heads (site_id, gate_id, seq, row_hash, seen_at) VALUES (:s, :g, :q, :h, :t) "
                    "ON CONFLICT (site_id, gate_id) DO UPDATE SET seq = EXCLUDED.seq, row_hash = EXCLUDED.row_hash, "
                    "seen_at = EXCLUDED.seen_at"), {"s": site_id, "g": gate_id, "q": head_seq, "h": head_hash, "t": now})
                conn.execute(text(
                    "INSERT INTO chain_anchors (site_id, gate_id, seq, row_hash, seen_at) VALUES (:s, :g, :q, :h, :t) "
                    "ON CONFLICT DO NOTHING"), {"s": site_id, "g": gate_id, "q": head_seq, "h": head_hash, "t": now})
            conn.execute(text("UPDATE gates SET last_sync_at = clock_timestamp() WHERE site_id = :s AND gate_id = :g"),
                         {"s": site_id, "g": gate_id})
            return IngestResult(len(fresh), duplicates, head_seq)

        try:
            result: IngestResult = self.run(do)  # the good rows before a bad one are kept
        except _Conflict:
            result = IngestResult(0, 0, 0)
        if refusal:
            kind, seq, entry_id, detail = refusal[0]
            if sender:
                detail = f"{detail} [sent by kiosk log {sender}]"
            self.record_incident(site_id, gate_id, kind, seq, entry_id, detail)
            raise ChainRefused(kind, seq, detail, result.head_seq if result.accepted else None)
        return result

    def ingest_side(self, table: str, site_id: str, gate_id: str, rows: Sequence[dict[str, Any]]) -> int:
        """Follow-ups, device events, audit rows, calibrations: insert what is new, ignore what is known."""
        tbl = SIDE_TABLES[table]
        names = [c.name for c in tbl.columns]
        values = [{**{k: r.get(k) for k in names}, "site_id": site_id, "gate_id": gate_id} for r in rows]

        def do(conn: Connection) -> int:
            if not values:
                return 0
            result = conn.execute(insert(tbl).on_conflict_do_nothing(), values)
            conn.execute(text("UPDATE gates SET last_sync_at = clock_timestamp() WHERE site_id = :s AND gate_id = :g"),
                         {"s": site_id, "g": gate_id})
            return int(result.rowcount or 0)
        n: int = self.run(do)
        return n

    def chain_of(self, site_id: str, gate_id: str) -> dict[int, str]:
        """seq -> row hash of every row the centre holds for a gate."""
        def do(conn: Connection) -> dict[int, str]:
            return {int(s): str(h) for s, h in conn.execute(text(
                "SELECT seq, row_hash FROM entries WHERE site_id = :s AND gate_id = :g"), {"s": site_id, "g": gate_id})}
        result: dict[int, str] = self.run(do)
        return result

    def head(self, site_id: str, gate_id: str) -> tuple[int, str, datetime | None]:
        def do(conn: Connection) -> tuple[int, str, datetime | None]:
            row = conn.execute(text("SELECT seq, row_hash, seen_at FROM chain_heads WHERE site_id = :s AND gate_id = :g"),
                               {"s": site_id, "g": gate_id}).first()
            return (int(row[0]), str(row[1]), row[2]) if row else (0, GENESIS, None)
        result: tuple[int, str, datetime | None] = self.run(do)
        return result

    def verify_chains(self, site_id: str | None = None) -> list[tuple[str, str, int, str]]:
        """Recompute every stored chain at the centre: (site, gate, seq, why) for the first bad row of each gate."""
        def do(conn: Connection) -> list[tuple[str, str, int, str]]:
            bad: list[tuple[str, str, int, str]] = []
            gates = conn.execute(text("SELECT site_id, gate_id FROM chain_heads" +
                                      (" WHERE site_id = :s" if site_id else "") + " ORDER BY 1, 2"),
                                 {"s": site_id}).all()
            for s, g in gates:
                seq, prev = 0, GENESIS
                stream = conn.execution_options(stream_results=True, yield_per=5000).execute(
                    text("SELECT * FROM entries WHERE site_id = :s AND gate_id = :g ORDER BY seq"), {"s": s, "g": g})
                restarts = {int(q) for (q,) in conn.execute(text(
                    "SELECT seq FROM incidents WHERE site_id = :s AND gate_id = :g AND kind = 'reanchored'"),
                    {"s": s, "g": g})}
                for r in stream.mappings():
                    if int(r["seq"] or 0) in restarts:  # a break an admin accepted, recorded as an incident
                        seq, prev = int(r["seq"]) - 1, str(r["prev_hash"])
                    problem = link_problem({k: r[k] for k in ENTRY_FIELDS}, seq, prev)
                    if problem:
                        bad.append((s, g, int(r["seq"] or 0), problem[1]))
                        break
                    seq, prev = int(r["seq"]), str(r["row_hash"])
            return bad
        result: list[tuple[str, str, int, str]] = self.run(do)
        return result

    def reanchor(self, site_id: str, gate_id: str, seq: int, by: str, reason: str) -> None:
        """Accept a gate's chain again from row ``seq`` on, after a refusal a person has looked at.

        Only past the rows the centre holds (a gap: rows lost at the kiosk); what
        the centre holds is never replaced. Recorded as a ``reanchored`` incident
        (who, why), so the break stays in every report and in ``verify_chains``.
        """
        def do(conn: Connection) -> None:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{site_id}/{gate_id}"})
            head = conn.execute(text("SELECT seq FROM chain_heads WHERE site_id = :s AND gate_id = :g"),
                                {"s": site_id, "g": gate_id}).first()
            head_seq = int(head[0]) if head else 0
            if seq <= head_seq:
                raise CentralError(f"{site_id}/{gate_id}: the centre already holds rows up to {head_seq}; it never "
                                   f"replaces them, so it cannot start again at row {seq}")
            conn.execute(text(
                "INSERT INTO chain_heads (site_id, gate_id, seq, row_hash, seen_at) VALUES (:s, :g, :q, :h, "
                "clock_timestamp()) ON CONFLICT (site_id, gate_id) DO UPDATE SET seq = EXCLUDED.seq, "
                "row_hash = EXCLUDED.row_hash"), {"s": site_id, "g": gate_id, "q": seq - 1, "h": REANCHORED})
            conn.execute(text(
                "INSERT INTO incidents (site_id, gate_id, kind, seq, detail) VALUES (:s, :g, 'reanchored', :q, :d)"),
                {"s": site_id, "g": gate_id, "q": seq,
                 "d": f"rows {head_seq + 1}–{seq - 1} accepted as lost, chain taken again from row {seq} by {by}: {reason}"
                 if seq > head_seq + 1 else f"chain taken again from row {seq} by {by}: {reason}"})
        self.run(do)

    def refused_gates(self) -> dict[tuple[str, str], Incident]:
        """(site, gate) -> the refusal still in force: a chain incident after the gate's last accepted row."""
        def do(conn: Connection) -> dict[tuple[str, str], Incident]:
            rows = conn.execute(text(
                "SELECT DISTINCT ON (i.site_id, i.gate_id) i.id, i.site_id, i.gate_id, i.kind, i.seq, i.entry_id, "
                "i.detail, i.at FROM incidents i LEFT JOIN chain_heads h ON h.site_id = i.site_id "
                "AND h.gate_id = i.gate_id WHERE i.kind <> 'reanchored' AND (h.seen_at IS NULL OR i.at > h.seen_at) "
                "AND NOT EXISTS (SELECT 1 FROM incidents r WHERE r.site_id = i.site_id AND r.gate_id = i.gate_id "
                "AND r.kind = 'reanchored' AND r.at >= i.at) ORDER BY i.site_id, i.gate_id, i.at DESC")).all()
            return {(r[1], r[2]): Incident(*r) for r in rows}
        result: dict[tuple[str, str], Incident] = self.run(do)
        return result

    # ---------------------------------------------------------- incidents
    def record_incident(self, site_id: str, gate_id: str, kind: str, seq: int, entry_id: str | None,
                        detail: str, at: datetime | None = None) -> None:
        def do(conn: Connection) -> None:
            conn.execute(text(
                "INSERT INTO incidents (site_id, gate_id, kind, seq, entry_id, detail, at) "
                "VALUES (:s, :g, :k, :q, :e, :d, coalesce(CAST(:at AS timestamptz), now())) "
                "ON CONFLICT (site_id, gate_id, kind, seq) DO NOTHING"),
                {"s": site_id, "g": gate_id, "k": kind, "q": seq, "e": entry_id, "d": detail, "at": at})
        self.run(do)

    def incidents(self, since: datetime | None = None, until: datetime | None = None,
                  site_id: str | None = None) -> list[Incident]:
        def do(conn: Connection) -> list[Incident]:
            rows = conn.execute(text(
                "SELECT id, site_id, gate_id, kind, seq, entry_id, detail, at FROM incidents WHERE "
                "(CAST(:a AS timestamptz) IS NULL OR at >= :a) AND (CAST(:b AS timestamptz) IS NULL OR at < :b) "
                "AND (CAST(:s AS text) IS NULL OR site_id = :s) ORDER BY at, id"),
                {"a": since, "b": until, "s": site_id}).all()
            return [Incident(*r) for r in rows]
        result: list[Incident] = self.run(do)
        return result

class _Conflict(Exception):
    """Internal: roll the batch back (an entry id clashes); the refusal is recorded afterwards."""


def _operational_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (psycopg.OperationalError, psycopg.InterfaceError)


def _short(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text_.strip().splitlines()[0]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
