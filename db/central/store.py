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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (JSON, BigInteger, Boolean, Column, Connection, Date, DateTime, Engine, Float, MetaData, Table,
                        Text, bindparam, create_engine, text)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from db.central.chaincheck import GENESIS, link_problem
from db.store import alembic_config as local_alembic_config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "central_alembic_version"


class CentralError(Exception):
    """The centre cannot be reached or used; the message is for the operator."""


class CentralUnavailable(CentralError):
    """The centre did not answer (network down, server restarting): try again later."""


class ChainRefused(CentralError):
    """The centre refused a gate's rows: a gap, a fork or a rewritten row (an incident was recorded)."""

    def __init__(self, kind: str, seq: int, detail: str, accepted_to: int | None = None) -> None:
        super().__init__(f"refused by the centre ({kind}): {detail}")
        self.kind, self.seq, self.detail = kind, seq, detail
        self.accepted_to = accepted_to  # the rows of the batch before the bad one were taken, up to this seq


_meta = MetaData()
ENTRIES = Table(
    "entries", _meta,
    *[Column(n, Text) for n in ("id", "site_id", "gate_id", "lane", "person_kind", "person_ref", "name_masked",
                                "id_masked", "id_hash", "health_status", "thermometer_id", "calibration_id",
                                "decision", "policy_version", "guard_id", "corrects_id", "note", "follow_up",
                                "prev_hash", "row_hash", "personal_hash", "origin", "visit_id",
                                "registration_sealed")],
    Column("elements", JSONB), Column("reasons", JSONB), Column("registration", JSONB),
    Column("codes", JSONB), Column("returnee", Boolean),
    Column("temperature_raw", Float), Column("temperature_c", Float), Column("mask", Boolean),
    Column("flagged", Boolean), Column("handoff", Boolean), Column("created_at", DateTime(timezone=True)),
    Column("local_date", Date), Column("seq", BigInteger), Column("purged_at", DateTime(timezone=True)),
)
ENTRY_FIELDS = [c.name for c in ENTRIES.columns]
FOLLOW_UPS = Table("follow_ups", _meta, Column("site_id", Text), Column("gate_id", Text), Column("local_id", BigInteger),
                   Column("entry_id", Text), Column("state", Text), Column("at", DateTime(timezone=True)),
                   Column("guard_id", Text), Column("note", Text))
DEVICE_EVENTS = Table("device_events", _meta, Column("site_id", Text), Column("gate_id", Text),
                      Column("local_id", BigInteger), Column("at", DateTime(timezone=True)), Column("device", Text),
                      Column("state", Text), Column("message", Text))
AUDIT_LOG = Table("audit_log", _meta, Column("site_id", Text), Column("gate_id", Text), Column("local_id", BigInteger),
                  Column("at", DateTime(timezone=True)), Column("actor", Text), Column("action", Text),
                  Column("detail", JSONB))
CALIBRATIONS = Table("calibrations", _meta, Column("id", Text), Column("site_id", Text), Column("gate_id", Text),
                     Column("thermometer_id", Text), Column("performed_at", DateTime(timezone=True)),
                     Column("operator", Text), Column("reference_c", Float), Column("readings", JSONB),
                     Column("offset_c", Float), Column("residual_c", Float), Column("ambient_c", Float),
                     Column("ambient_coefficient", Float))
SIDE_TABLES = {"follow_ups": FOLLOW_UPS, "device_events": DEVICE_EVENTS, "audit_log": AUDIT_LOG,
               "calibrations": CALIBRATIONS}
_ = JSON  # (JSONB above; JSON kept importable for callers that build rows)


@dataclass(frozen=True)
class IngestResult:
    """What one batch did at the centre."""

    accepted: int
    duplicates: int
    head_seq: int


REANCHORED = "reanchored"  # chain_heads.row_hash after ``reanchor``: the next row starts the chain again


@dataclass(frozen=True)
class Incident:
    """A refusal or anomaly the centre recorded."""

    id: int
    site_id: str
    gate_id: str
    kind: str
    seq: int
    entry_id: str | None
    detail: str
    at: datetime


def alembic_config(url: str) -> Config:
    """The central schema's own Alembic history (``db/central/migrations``)."""
    return local_alembic_config(url, MIGRATIONS)


def central_head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


def partition_name(day: date) -> str:
    return f"entries_{day:%Y%m%d}"


class CentralStore:
    """A connection pool to the central PostgreSQL and everything done there."""

    def __init__(self, url: str, *, connect_timeout_s: float = 5.0, migrate: bool = False) -> None:
        if not url.startswith("postgresql"):
            raise CentralError(f"the centre must be PostgreSQL, not {url.split(':', 1)[0]!r}")
        self.url = url
        try:
            self.engine: Engine = create_engine(
                url, future=True, pool_pre_ping=True, pool_size=2, max_overflow=2,
                connect_args={"connect_timeout": max(1, int(connect_timeout_s)), "application_name": "gate-kiosk"})
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

    def run(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(conn, *args)`` in one transaction; a dropped connection becomes ``CentralUnavailable``."""
        try:
            with self._begin() as conn:
                return fn(conn, *args)
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

    # ------------------------------------------------------- publications
    def publish(self, kind: str, scope: str, body: Any, by: str = "") -> int:
        """Publish a new version of the roster, policy or issuer keys for a site (or '*': the district)."""
        def do(conn: Connection) -> int:
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"publish/{kind}/{scope}"})
            version = int(conn.execute(text(
                "SELECT coalesce(max(version), 0) + 1 FROM publications WHERE kind = :k AND scope = :s"),
                {"k": kind, "s": scope}).scalar_one())
            conn.execute(text("INSERT INTO publications (kind, scope, version, body, published_by) "
                              "VALUES (:k, :s, :v, :b, :by)").bindparams(bindparam("b", type_=JSONB)),
                         {"k": kind, "s": scope, "v": version, "b": body, "by": by})
            return version
        version: int = self.run(do)
        return version

    def latest_publications(self, site_id: str) -> dict[str, tuple[str, int, Any]]:
        """kind -> (scope, version, body): the site's own publication wins over the district's."""
        def do(conn: Connection) -> dict[str, tuple[str, int, Any]]:
            rows = conn.execute(text(
                "SELECT DISTINCT ON (kind) kind, scope, version, body FROM publications "
                "WHERE scope IN (:s, '*') ORDER BY kind, (scope = '*'), version DESC"), {"s": site_id}).all()
            return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}
        result: dict[str, tuple[str, int, Any]] = self.run(do)
        return result

    # ------------------------------------------------------------ findings
    def add_finding(self, site_id: str, source: str, found_on: date, description: str, found_by: str) -> int:
        def do(conn: Connection) -> int:
            if conn.execute(text("SELECT 1 FROM sites WHERE site_id = :s"), {"s": site_id}).first() is None:
                raise CentralError(f"the centre knows no school {site_id!r} (`gate-kiosk central gates` lists them)")
            return int(conn.execute(text(
                "INSERT INTO findings (site_id, source, found_on, description, found_by) VALUES (:s, :o, :d, :t, :b) "
                "RETURNING id"), {"s": site_id, "o": source, "d": found_on, "t": description, "b": found_by}).scalar_one())
        fid: int = self.run(do)
        return fid

    def close_finding(self, finding_id: int, closed_on: date, action_taken: str, closed_by: str) -> None:
        def do(conn: Connection) -> None:
            row = conn.execute(text("SELECT closed_on, found_on FROM findings WHERE id = :i FOR UPDATE"),
                               {"i": finding_id}).first()
            if row is None:
                raise CentralError(f"no finding {finding_id}")
            if row[0] is not None:
                raise CentralError(f"finding {finding_id} was already closed on {row[0]}")
            if closed_on < row[1]:
                raise CentralError(f"finding {finding_id} was found on {row[1]}: it cannot be closed on {closed_on}")
            conn.execute(text("UPDATE findings SET closed_on = :d, action_taken = :a, closed_by = :b WHERE id = :i"),
                         {"d": closed_on, "a": action_taken, "b": closed_by, "i": finding_id})
        self.run(do)

    def findings(self, site_id: str | None = None, *, open_on: date | None = None,
                 closed_between: tuple[date, date] | None = None) -> list[dict[str, Any]]:
        """Findings of a site (or all): open on a day, or closed within a range, or all of them."""
        clauses: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        if site_id:
            clauses.append("site_id = :s")
            params["s"] = site_id
        if open_on:
            clauses.append("found_on <= :o AND (closed_on IS NULL OR closed_on > :o)")
            params["o"] = open_on
        if closed_between:
            clauses.append("closed_on BETWEEN :a AND :b")
            params["a"], params["b"] = closed_between

        def do(conn: Connection) -> list[dict[str, Any]]:
            return [dict(r) for r in conn.execute(text(
                f"SELECT * FROM findings WHERE {' AND '.join(clauses)} ORDER BY site_id, found_on, id"), params).mappings()]
        result: list[dict[str, Any]] = self.run(do)
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
