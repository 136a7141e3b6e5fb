"""Read-side queries of the centre: day totals, the district day, the month, contact tracing.

Every figure is computed in PostgreSQL over the day partitions it needs, so a
district report touches one day's partition whatever the size of the table,
and a trace uses the person indexes and the (site, gate, time) index.
A corrected entry counts once, as its correction (as on the kiosk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, text

from db.downtime import downtime

T = TypeVar("T")


class CentralRunner(Protocol):
    """The centre as these queries use it: one function run in one transaction (``db.central.store.CentralStore``)."""

    def run(self, fn: Callable[[Connection], T]) -> T: ...

# (performed_at, interval_days, at) -> whether that calibration still holds at ``at``: the kiosk's one rule,
# kiosk.domain.calibration.calibration_valid, handed in by kiosk.reports.district (this layer may not import it).
CalibrationRule = Callable[[datetime, int, datetime], bool]

# An entry of the day not replaced by a correction (corrections are rare; their index is partial).
_EFFECTIVE = ("FROM entries e WHERE e.local_date BETWEEN :d0 AND :d1 {extra} AND NOT EXISTS ("
              "SELECT 1 FROM entries c WHERE c.corrects_id = e.id AND c.corrects_id IS NOT NULL "
              "AND c.local_date >= :d0)")
_CODES_OK = ("(e.elements->'health'->>'outcome' = 'ok' AND e.elements->'itinerary'->>'outcome' = 'ok' "
             "AND e.elements->'vaccine'->>'outcome' = 'ok')")


def site_day_totals(central: CentralRunner, site_id: str, day: date) -> dict[str, int]:
    def do(conn: Connection) -> dict[str, int]:
        row = conn.execute(text(
            "SELECT count(*) AS total, count(*) FILTER (WHERE e.lane = 'campus') AS campus, "
            "count(*) FILTER (WHERE e.lane = 'worker') AS worker, count(*) FILTER (WHERE e.flagged) AS flagged, "
            "count(DISTINCT e.gate_id) AS gates " + _EFFECTIVE.format(extra="AND e.site_id = :s")),
            {"d0": day, "d1": day, "s": site_id}).mappings().one()
        return {k: int(v) for k, v in row.items()}
    result: dict[str, int] = central.run(do)
    return result


def not_live_count(central: CentralRunner, first: date, last: date) -> int:
    """Entries of a demo or a simulation (``origin`` other than live) forwarded for these days."""
    def do(conn: Connection) -> int:
        return int(conn.execute(text(
            "SELECT count(*) FROM entries WHERE local_date BETWEEN :d0 AND :d1 AND coalesce(origin, 'live') <> 'live'"),
            {"d0": first, "d1": last}).scalar_one())
    n: int = central.run(do)
    return n


@dataclass
class GateDay:
    """One gate's day at the centre."""

    site_id: str
    site_name: str
    gate_id: str
    gate_name: str
    total: int = 0
    campus: int = 0
    worker: int = 0
    passed: int = 0
    denied: int = 0
    incomplete: int = 0
    flagged: int = 0
    fevers: int = 0
    handoffs: int = 0
    workers_entered: int = 0
    workers_complete: int = 0  # all three codes OK and registered
    by_kind: dict[str, int] = field(default_factory=dict)
    last_sync_at: datetime | None = None
    head_seq: int = 0
    calibration: str = ""
    calibration_ok: bool = False
    downtime_min: dict[str, float] = field(default_factory=dict)
    silent: bool = False


def district_day(central: CentralRunner, day: date, *, fever_c: float, since: datetime, until: datetime,
                 silent_after: timedelta, now: datetime, calibration_valid: CalibrationRule) -> list[GateDay]:
    """Every registered gate of the district on ``day`` (``since``/``until``: the day's bounds in UTC).

    ``fever_c`` is the kiosk policy's threshold: a reading at or above it is a fever, the rule of
    ``kiosk.domain.fever.is_fever`` (which this layer may not import), so the threshold is never written here;
    ``calibration_valid`` is likewise the kiosk's calibration rule, asked at the end of the day.
    """
    def do(conn: Connection) -> list[GateDay]:
        gates: dict[tuple[str, str], GateDay] = {}
        for r in conn.execute(text(
                "SELECT g.site_id, s.name, g.gate_id, g.name, g.last_sync_at, coalesce(h.seq, 0), g.thermometer_id, "
                "g.calibration_interval_days FROM gates g JOIN sites s USING (site_id) LEFT JOIN chain_heads h "
                "ON h.site_id = g.site_id AND h.gate_id = g.gate_id ORDER BY 1, 3")):
            gd = GateDay(r[0], r[1] or r[0], r[2], r[3] or r[2], last_sync_at=r[4], head_seq=int(r[5]))
            gates[(r[0], r[2])] = gd
            gd.calibration, gd.calibration_ok = _calibration(conn, r[0], r[2], r[6], int(r[7]), until,
                                                             calibration_valid)
        params = {"d0": day, "d1": day, "fever": fever_c}
        for r in conn.execute(text(
                "SELECT e.site_id, e.gate_id, count(*), count(*) FILTER (WHERE e.lane = 'campus'), "
                "count(*) FILTER (WHERE e.lane = 'worker'), count(*) FILTER (WHERE e.decision = 'PASS'), "
                "count(*) FILTER (WHERE e.decision = 'DENY'), count(*) FILTER (WHERE e.decision = 'INCOMPLETE'), "
                "count(*) FILTER (WHERE e.flagged), count(*) FILTER (WHERE e.temperature_c >= :fever), "
                "count(*) FILTER (WHERE e.handoff), "
                "count(*) FILTER (WHERE e.lane = 'worker' AND NOT e.handoff AND e.decision = 'PASS'), "
                f"count(*) FILTER (WHERE e.lane = 'worker' AND NOT e.handoff AND e.decision = 'PASS' AND {_CODES_OK} "
                # Registered: details typed at the kiosk, or the guard confirmed the registration (a paper book),
                # as the verdict that let the worker in did (a confirmed-only one counted 0/1: re-trial).
                "AND (e.registration <> '{}'::jsonb OR e.elements->'registration'->>'outcome' = 'ok')) "
                + _EFFECTIVE.format(extra="") + " GROUP BY 1, 2"), params):
            gd = gates.setdefault((r[0], r[1]), GateDay(r[0], r[0], r[1], r[1]))
            (gd.total, gd.campus, gd.worker, gd.passed, gd.denied, gd.incomplete, gd.flagged, gd.fevers,
             gd.handoffs, gd.workers_entered, gd.workers_complete) = (int(x) for x in r[2:])
        for r in conn.execute(text("SELECT e.site_id, e.gate_id, e.person_kind, count(*) " +
                                   _EFFECTIVE.format(extra="") + " GROUP BY 1, 2, 3"), params):
            gates[(r[0], r[1])].by_kind[r[2]] = int(r[3])
        for (site, gate), gd in gates.items():
            gd.downtime_min = _downtime(conn, site, gate, since, min(until, now))
            last = gd.last_sync_at
            gd.silent = last is None or (now - last) > silent_after or (gd.total == 0 and until <= now)
        return list(gates.values())
    result: list[GateDay] = central.run(do)
    return result


def _calibration(conn: Connection, site: str, gate: str, thermometer: str, interval_days: int,
                 at: datetime, valid: CalibrationRule) -> tuple[str, bool]:
    row = conn.execute(text(
        "SELECT thermometer_id, performed_at, offset_c, residual_c FROM calibrations WHERE site_id = :s AND gate_id = :g "
        "AND performed_at < :at AND (:t = '' OR thermometer_id = :t) ORDER BY performed_at DESC LIMIT 1"),
        {"s": site, "g": gate, "t": thermometer, "at": at}).first()
    if row is None:
        return "从未校准", False
    ok = valid(row[1], interval_days, at)
    return (f"{row[0]} {row[1]:%Y-%m-%d} 偏差 {row[2]:+.2f} °C" + ("" if ok else "（已过期）")), ok


def _downtime(conn: Connection, site: str, gate: str, since: datetime, until: datetime) -> dict[str, float]:
    """Minutes each device of the gate was down in [since, until), summed as the kiosk sums them (db.downtime)."""
    rows = conn.execute(text("SELECT at, device, state FROM device_events WHERE site_id = :s AND gate_id = :g "
                             "AND at >= :a AND at < :b ORDER BY at, local_id"),
                        {"s": site, "g": gate, "a": since, "b": until})
    return {device: span.total_seconds() / 60
            for device, span in downtime(((at, device, state) for at, device, state in rows), until).items()}


@dataclass
class SiteMonth:
    """One school's month for the monthly supervision (月督导)."""

    site_id: str
    site_name: str
    gates: int = 0
    school_days: int = 0  # days with any entry
    complete_days: int = 0  # days on which every gate logged and forwarded, with no chain incident
    calibration_days_ok: int = 0
    calibration_days: int = 0
    flagged: int = 0
    followed_up: int = 0
    median_follow_up_h: float | None = None
    weeks: int = 0
    weekly_done: int = 0
    incidents: int = 0
    findings_opened: int = 0
    findings_closed: int = 0
    findings_open_at_end: int = 0


def site_months(central: CentralRunner, first: date, last: date, since: datetime, until: datetime,
                day_bounds: Any, calibration_valid: CalibrationRule) -> list[SiteMonth]:
    """Figures of every school over [first, last]; ``day_bounds(day)`` gives a day's UTC bounds.

    ``calibration_valid`` is the kiosk's calibration rule (as in ``district_day``), asked at each day's end.
    """
    def do(conn: Connection) -> list[SiteMonth]:
        sites: dict[str, SiteMonth] = {}
        gates: dict[str, list[tuple[str, str, int]]] = {}
        for s, name, g, t, i in conn.execute(text(
                "SELECT s.site_id, s.name, g.gate_id, g.thermometer_id, g.calibration_interval_days FROM sites s "
                "JOIN gates g USING (site_id) ORDER BY 1, 3")):
            sites.setdefault(s, SiteMonth(s, name or s))
            gates.setdefault(s, []).append((g, t, int(i)))
        params = {"d0": first, "d1": last}
        per_day: dict[str, dict[date, set[str]]] = {}
        for s, g, d in conn.execute(text("SELECT DISTINCT e.site_id, e.gate_id, e.local_date FROM entries e "
                                         "WHERE e.local_date BETWEEN :d0 AND :d1"), params):
            per_day.setdefault(s, {}).setdefault(d, set()).add(g)
        incident_days: dict[str, set[tuple[str, date]]] = {}
        incident_rows: dict[str, int] = {}  # counted as rows, as the district report lists them
        for s, g, at in conn.execute(text("SELECT site_id, gate_id, at FROM incidents WHERE at >= :a AND at < :b"),
                                     {"a": since, "b": until}):
            incident_days.setdefault(s, set()).add((g, at.date()))
            incident_rows[s] = incident_rows.get(s, 0) + 1
        for s, sm in sites.items():
            sm.gates = len(gates[s])
            days = per_day.get(s, {})
            sm.school_days = len(days)
            bad = incident_days.get(s, set())
            sm.incidents = incident_rows.get(s, 0)
            sm.complete_days = sum(1 for d, gs in days.items()
                                   if {g for g, _, _ in gates[s]} <= gs and not any(b[1] == d for b in bad))
            for d in days:
                _, end = day_bounds(d)
                for g, t, interval in gates[s]:
                    sm.calibration_days += 1
                    sm.calibration_days_ok += _calibration(conn, s, g, t, interval, end, calibration_valid)[1]
        for s, n, f, med in conn.execute(text(
                "WITH fl AS (SELECT e.site_id, e.id, e.created_at FROM entries e WHERE e.local_date BETWEEN :d0 AND :d1 "
                "AND e.flagged), first_fu AS (SELECT fl.site_id, fl.id, min(f.at) - fl.created_at AS wait FROM fl "
                "LEFT JOIN follow_ups f ON f.entry_id = fl.id GROUP BY fl.site_id, fl.id, fl.created_at) "
                "SELECT site_id, count(*), count(wait), percentile_cont(0.5) WITHIN GROUP "
                "(ORDER BY extract(epoch FROM wait)) FROM first_fu GROUP BY site_id"), params):
            if s in sites:
                sites[s].flagged, sites[s].followed_up = int(n), int(f)
                sites[s].median_follow_up_h = None if med is None else float(med) / 3600
        # A week belongs to the month that holds its Thursday (as ISO weeks belong to years).
        mondays = sorted({d - timedelta(days=3) for d in (first + timedelta(days=i)
                                                          for i in range((last - first).days + 1)) if d.weekday() == 3})
        for s, sm in sites.items():
            sm.weeks = len(mondays)
            done = {r[0] for r in conn.execute(text(
                "SELECT DISTINCT detail->>'from' FROM audit_log WHERE site_id = :s AND action = 'export' "
                "AND detail->>'format' = 'weekly-pdf'"), {"s": s})}
            sm.weekly_done = sum(1 for m in mondays if m.isoformat() in done)
            row = conn.execute(text(
                "SELECT count(*) FILTER (WHERE found_on BETWEEN :d0 AND :d1), "
                "count(*) FILTER (WHERE closed_on BETWEEN :d0 AND :d1), "
                "count(*) FILTER (WHERE found_on <= :d1 AND (closed_on IS NULL OR closed_on > :d1)) "
                "FROM findings WHERE site_id = :s"), {**params, "s": s}).one()
            sm.findings_opened, sm.findings_closed, sm.findings_open_at_end = (int(x) for x in row)
        return list(sites.values())
    result: list[SiteMonth] = central.run(do)
    return result


# --------------------------------------------------------------- tracing
@dataclass(frozen=True)
class PersonMatch:
    """How to find a person: any of these columns equal (exact), plus how sure a match is."""

    person_ref: str | None = None
    id_hashes: tuple[str, ...] = ()
    id_masked: str | None = None
    name_masked: str | None = None
    phone_masked: str | None = None


def trace_person(central: CentralRunner, match: PersonMatch, since: datetime, until: datetime,
                 limit: int = 1000) -> list[dict[str, Any]]:
    """The person's entries at any gate of the district, each with the basis of the match."""
    parts, params = [], {"a": since, "b": until, "d0": since.date() - timedelta(days=1),
                         "d1": until.date() + timedelta(days=1), "n": limit}
    if match.person_ref:
        parts.append("SELECT e.*, 'roster number' AS basis FROM entries e WHERE e.person_ref = :ref")
        params["ref"] = match.person_ref
    if match.id_hashes:
        parts.append("SELECT e.*, 'ID number' AS basis FROM entries e WHERE e.id_hash = ANY(:hashes)")
        params["hashes"] = list(match.id_hashes)
    if match.id_masked:
        parts.append("SELECT e.*, 'masked ID (probable)' AS basis FROM entries e WHERE e.id_masked = :idm")
        params["idm"] = match.id_masked
    if match.name_masked:
        parts.append("SELECT e.*, 'masked name (probable)' AS basis FROM entries e WHERE e.name_masked = :nm")
        params["nm"] = match.name_masked
    if match.phone_masked:
        parts.append("SELECT e.*, 'masked phone (probable)' AS basis FROM entries e "
                     "WHERE e.registration->>'phone' = :ph")
        params["ph"] = match.phone_masked
    if not parts:
        return []
    window = " AND e.created_at >= :a AND e.created_at < :b AND e.local_date BETWEEN :d0 AND :d1"
    sql = ("SELECT DISTINCT ON (id) * FROM (" + " UNION ALL ".join(p + window for p in parts) +
           ") m ORDER BY id, basis")

    def do(conn: Connection) -> list[dict[str, Any]]:
        rows = [dict(r) for r in conn.execute(text(f"SELECT * FROM ({sql}) t ORDER BY created_at LIMIT :n"),
                                              params).mappings()]
        return rows
    result: list[dict[str, Any]] = central.run(do)
    return result


def same_gate_window(central: CentralRunner, site_id: str, gate_id: str, at: datetime, window: timedelta,
                     exclude_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """Everyone who entered the same gate within ``window`` of ``at``."""
    def do(conn: Connection) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(text(
            "SELECT e.* FROM entries e WHERE e.site_id = :s AND e.gate_id = :g AND e.created_at BETWEEN :a AND :b "
            "AND e.local_date BETWEEN :d0 AND :d1 AND e.id <> :x "
            "ORDER BY e.created_at LIMIT :n"),
            {"s": site_id, "g": gate_id, "a": at - window, "b": at + window, "x": exclude_id, "n": limit,
             "d0": (at - window).date() - timedelta(days=1), "d1": (at + window).date() + timedelta(days=1)}).mappings()]
    result: list[dict[str, Any]] = central.run(do)
    return result
