"""District day report and contact trace over a large central table (the centre of a county).

A county of 200 schools with two gates each and ~137,000 people entering once
a school day makes 50 million entries a year (365 day partitions of ~137,000
rows). The rows are generated inside PostgreSQL (``generate_series``), each
day into its own table that is then attached as a partition (the indexes are
built after the load, which is much faster than row by row); they are
bench-only rows, not chained. Then it times, each several times, the
district day report's queries (``db.central.queries.district_day``: every
school and gate of one day) and a trace (a person's entries over the whole
range plus everyone at the same gate within ±15 minutes).

``--days`` fills that many days at full density and creates all 365
partitions (the trace probes every one of them); ``--days 365`` is the full
50 million. Drop the database afterwards with ``--drop``.

Usage: python bench/bench_central_scale.py --url postgresql+psycopg://postgres@127.0.0.1/bench_central
       [--days 30] [--per-day 137000] [--schools 200] [--drop]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FIRST = date(2025, 9, 1)
TZ_OFFSET = timedelta(hours=8)


def ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()


def load_day(conn, day: date, per_day: int, schools: int, gates: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    name = f"entries_{day:%Y%m%d}"
    staging = f"load_{day:%Y%m%d}"
    start = datetime.combine(day, datetime.min.time(), timezone.utc) - TZ_OFFSET + timedelta(hours=6, minutes=30)
    conn.execute(text(f"DROP TABLE IF EXISTS {staging}"))
    conn.execute(text(f"CREATE TABLE {staging} (LIKE entries INCLUDING DEFAULTS)"))
    conn.execute(text(f"""
        INSERT INTO {staging} (id, site_id, gate_id, lane, person_kind, person_ref, name_masked, id_masked, id_hash,
            elements, health_status, temperature_raw, temperature_c, thermometer_id, calibration_id, mask, decision,
            reasons, flagged, policy_version, guard_id, created_at, local_date, registration, handoff, seq,
            prev_hash, row_hash, personal_hash)
        SELECT md5(:d || '-' || i), 's' || lpad((i % :schools)::text, 3, '0'), 'g' || ((i / :schools) % :gates),
            CASE WHEN i % 25 = 0 THEN 'worker' ELSE 'campus' END,
            CASE WHEN i % 25 = 0 THEN 'courier' WHEN i % 9 = 1 THEN 'staff' ELSE 'student' END,
            'P' || i, '张*' || (i % 97), NULL, NULL,
            '{{"health": {{"outcome": "ok", "source": "device"}}, "temperature": {{"outcome": "ok"}},
              "mask": {{"outcome": "ok"}}}}'::jsonb,
            'green', 36.0 + (i % 14) / 10.0, 36.0 + (i % 14) / 10.0, 'thermo-1', NULL, true,
            CASE WHEN i % 97 = 0 THEN 'DENY' ELSE 'PASS' END, '[]'::jsonb, i % 97 = 0, 'v1', 'guard',
            CAST(:start AS timestamptz) + make_interval(secs => (i * 7919) % 7200 + (i % 13)),
            CAST(:d AS date), CASE WHEN i % 25 = 0 THEN '{{"company": "顺丰"}}'::jsonb ELSE '{{}}'::jsonb END,
            i % 250 = 0, i + 1, md5('p' || i), md5('r' || i), md5('h' || i)
        FROM generate_series(0, :n - 1) AS i"""),
        {"d": day.isoformat(), "schools": schools, "gates": gates, "start": start, "n": per_day})
    # The check lets ATTACH skip its validation scan; the partition's indexes are built now, in bulk.
    conn.execute(text(f"ALTER TABLE {staging} ADD CONSTRAINT {staging}_day CHECK (local_date = DATE '{day}')"))
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"ALTER TABLE {staging} RENAME TO {name}"))
    conn.execute(text(f"ALTER TABLE entries ATTACH PARTITION {name} FOR VALUES FROM ('{day}') "
                      f"TO ('{day + timedelta(days=1)}')"))


def build(url: str, days: int, per_day: int, schools: int, gates: int) -> None:
    from sqlalchemy import text

    from db.central.store import CentralStore

    centre = CentralStore(url, migrate=True)
    with centre.engine.connect() as conn:
        have = conn.scalar(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'entries\\_2%' AND relkind = 'r'"))
    if have:
        print(f"reusing the existing table ({have} partitions)")
        centre.close()
        return
    with centre.engine.begin() as conn:
        for s in range(schools):
            conn.execute(text("INSERT INTO sites (site_id, name) VALUES (:s, :n) ON CONFLICT DO NOTHING"),
                         {"s": f"s{s:03d}", "n": f"第{s + 1}学校"})
            for g in range(gates):
                conn.execute(text("INSERT INTO gates (site_id, gate_id, last_sync_at) VALUES (:s, :g, now()) "
                                  "ON CONFLICT DO NOTHING"), {"s": f"s{s:03d}", "g": f"g{g}"})
    t0 = time.perf_counter()
    for i in range(days):
        day = FIRST + timedelta(days=i)
        with centre.engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            load_day(conn, day, per_day, schools, gates)
        done = (i + 1) * per_day
        print(f"  day {i + 1}/{days}: {done:,} rows, {done / (time.perf_counter() - t0):,.0f} rows/s", flush=True)
    centre.ensure_partitions(FIRST + timedelta(days=i) for i in range(days, 365))
    with centre.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE entries"))
    print(f"built {days * per_day:,} rows in {time.perf_counter() - t0:.0f} s")
    centre.close()


def timed(fn, runs: int = 5) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--per-day", type=int, default=137_000)
    ap.add_argument("--schools", type=int, default=200)
    ap.add_argument("--gates", type=int, default=2)
    ap.add_argument("--drop", action="store_true", help="drop the bench database at the end")
    args = ap.parse_args()
    from sqlalchemy import text

    from db.central import queries
    from db.central.store import CentralStore
    from kiosk.domain.calibration import calibration_valid

    ensure_database(args.url)
    build(args.url, args.days, args.per_day, args.schools, args.gates)
    centre = CentralStore(args.url)
    with centre.engine.connect() as conn:
        rows = conn.scalar(text("SELECT count(*) FROM entries"))
        size = conn.scalar(text("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i "
                                "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                                "WHERE p.relname = 'entries'"))
    print(f"central table: {rows:,} entries in 365 day partitions, {size} with indexes")
    day = FIRST + timedelta(days=args.days // 2)
    since = datetime.combine(day, datetime.min.time(), timezone.utc) - TZ_OFFSET
    now = datetime.now(timezone.utc)

    def district() -> None:
        gates = queries.district_day(centre, day, fever_c=37.3, since=since, until=since + timedelta(days=1),
                                     silent_after=timedelta(hours=2), now=now, calibration_valid=calibration_valid)
        assert sum(g.total for g in gates) == args.per_day

    med, worst = timed(district)
    print(f"district day report ({args.schools} schools × {args.gates} gates, {args.per_day:,} entries that day): "
          f"median {med:.2f} s, worst {worst:.2f} s")
    person = f"P{args.per_day // 3}"
    found: list[int] = []

    def trace() -> None:
        match = queries.PersonMatch(person_ref=person)
        entries = queries.trace_person(centre, match, since - timedelta(days=args.days), since + timedelta(days=args.days))
        contacts = sum(len(queries.same_gate_window(centre, e["site_id"], e["gate_id"], e["created_at"],
                                                    timedelta(minutes=15), e["id"])) for e in entries[:7])
        found[:] = [len(entries), contacts]

    med, worst = timed(trace)
    print(f"trace of one person over {args.days} days ({found[0]} entries) and everyone at the same gate within "
          f"±15 min of their first 7 ({found[1]} people): median {med:.2f} s, worst {worst:.2f} s")
    centre.close()
    if args.drop:
        drop_database(args.url)
        print("bench database dropped")


if __name__ == "__main__":
    main()
