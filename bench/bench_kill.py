"""Crash safety at scale: SIGKILL the kiosk while it logs, while it upgrades a log, while it exports.

1. Gate: each round starts the headless gate (``simulate gate``) on the same
   SQLite database, waits for a random number of committed ids, kills it
   with SIGKILL after a random extra delay, and checks: every id printed so
   far is in the database, ``PRAGMA integrity_check`` says ok, and at the end
   the hash chain verifies.
2. Upgrade: a log at revision 0003 with ``--rows`` entries; ``db upgrade`` is
   killed at random moments of the upgrade; after each kill the database is
   intact and at 0003 or at head, never in between; a final upgrade finishes,
   the log opens and verifies with every row.
3. Export: a good signed CSV export exists; ``export`` to the same file is
   killed at random moments; the file there is always a complete export whose
   signature verifies, never a truncated one.

Usage: python bench/bench_kill.py [--rounds 20] [--upgrade-rounds 8] [--rows 100000] [--export-rounds 8]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.kiosk.test_crash import kill_run  # noqa: E402  (the suite's own helper, more rounds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--upgrade-rounds", type=int, default=8)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--export-rounds", type=int, default=8)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.rounds:
        kill_gate(args, rng)
    if args.upgrade_rounds or args.export_rounds:
        data = upgrade_kills(args, rng)
        if args.export_rounds:
            export_kills(args, rng, data)


def kill_gate(args: argparse.Namespace, rng: random.Random) -> None:
    data = Path(tempfile.mkdtemp(prefix="kill-"))
    printed_total, lost = [], []
    t0 = time.monotonic()
    for i in range(args.rounds):
        printed = kill_run(data, rng.randint(1, 12), rng.uniform(0.0, 1.0), i)
        printed_total += printed
        con = sqlite3.connect(data / "demo.sqlite3")
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        ids = {r[0] for r in con.execute("SELECT id FROM entries")}
        con.close()
        lost += [x for x in printed_total if x not in ids]
        print(f"round {i + 1:2}: {len(printed):3} ids printed before the kill, integrity {integrity}, "
              f"{len(ids)} rows in the database", flush=True)
        if integrity != "ok":
            break
    from db.store import EntryStore

    store = EntryStore(f"sqlite:///{data / 'demo.sqlite3'}")
    chain = store.verify_chain()
    store.close()
    print(f"{args.rounds} kills in {time.monotonic() - t0:.0f} s: {len(printed_total)} committed ids printed, "
          f"{len(set(lost))} lost; hash chain {'intact' if chain.ok else chain.broken[0]}")


def _env(data: Path) -> dict[str, str]:
    return dict(os.environ, GATE_KIOSK_DATA=str(data), GATE_KIOSK_CONFIG=os.devnull)


def _killed_after(argv: list[str], data: Path, delay: float) -> int | None:
    """Run ``gate-kiosk argv``; SIGKILL it after ``delay`` s. Returns its exit status if it ended first."""
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", *argv], env=_env(data), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        return proc.wait(delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        return None


def _log_at_0003(db: Path, rows: int) -> None:
    from db.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine, "0003")
    engine.dispose()
    con = sqlite3.connect(db)
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    batch = []
    for i in range(rows):
        at = start + timedelta(seconds=i * 8)  # 10,800 a day: a large school's morning
        batch.append((f"{i:08d}-0000-0000-0000-000000000000", "school", "gate-1", "campus", "student",
                      f"S{i % 3000:05d}", "王*明", None, None, '{"card": {"outcome": "ok"}}', "green", 36.4, 36.6,
                      "thermo-1", None, 1, "PASS", "[]", i % 50 == 0, "2022-06-29", "guard", at.isoformat(),
                      (at + timedelta(hours=8)).date().isoformat(), "{}", 0, None, None, None))
        if len(batch) == 10_000:
            con.executemany("INSERT INTO entries VALUES (" + ",".join("?" * 28) + ")", batch)
            batch = []
    if batch:
        con.executemany("INSERT INTO entries VALUES (" + ",".join("?" * 28) + ")", batch)
    con.commit()
    con.close()


def upgrade_kills(args: argparse.Namespace, rng: random.Random) -> Path:
    from db.store import EntryStore
    from db.engine import current_revision, head_revision, make_engine

    data = Path(tempfile.mkdtemp(prefix="kill-upgrade-"))
    db = data / "entries.sqlite3"
    _log_at_0003(db, args.rows)
    pristine = db.read_bytes()
    t0 = time.monotonic()
    assert _killed_after(["db", "upgrade"], data, 3600) == 0
    full = time.monotonic() - t0
    print(f"upgrade 0003 -> {head_revision()} of {args.rows} rows, not killed: {full:.1f} s", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    for stale in data.glob("*.bak"):
        stale.unlink()
    for stale in data.glob("ledger-*.json"):
        stale.unlink()
    db.write_bytes(pristine)
    seen: dict[str, int] = {}
    for i in range(args.upgrade_rounds):
        delay = rng.uniform(0.05, full)
        status = _killed_after(["db", "upgrade"], data, delay)
        con = sqlite3.connect(db)
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        engine = make_engine(f"sqlite:///{db}")
        rev = current_revision(engine)
        engine.dispose()
        seen[str(rev)] = seen.get(str(rev), 0) + 1
        print(f"upgrade round {i + 1:2}: killed after {delay:5.2f} s ({'killed' if status is None else f'ended first, status {status}'}), "
              f"integrity {integrity}, revision {rev}", flush=True)
        if integrity != "ok" or rev not in ("0003", head_revision()):
            print("FAILED: a killed upgrade left the log in between", flush=True)
            sys.exit(1)
        if rev == head_revision():
            break
    t0 = time.monotonic()
    assert _killed_after(["db", "upgrade"], data, 3600) == 0, "the kiosk does not start after a killed upgrade"
    print(f"the kiosk starts after the kills ({time.monotonic() - t0:.1f} s, upgrading what was left)", flush=True)
    store = EntryStore(f"sqlite:///{db}")
    report = store.verify_chain()
    rows = store.count()
    store.close()
    print(f"after the kills: {rows} rows "
          f"(expected {args.rows}), chain {'intact' if report.ok else report.broken[:1]}; "
          f"revisions seen after kills: {seen}", flush=True)
    return data


def export_kills(args: argparse.Namespace, rng: random.Random, data: Path) -> None:
    import json

    from kiosk.reports.signing import verify_export

    out = data / "day.csv"
    argv = ["export", "--date", "2022-03-02", "--format", "csv", "--out", str(out)]
    t0 = time.monotonic()
    assert _killed_after(argv, data, 3600) == 0
    full = time.monotonic() - t0
    public = json.loads(Path(f"{out}.sig").read_text())["public_key"]
    size = out.stat().st_size
    print(f"export of one day (CSV, {size} bytes), not killed: {full:.1f} s", flush=True)
    bad = 0
    for i in range(args.export_rounds):
        delay = rng.uniform(0.05, full)
        status = _killed_after(argv, data, delay)
        result = verify_export(out, public)
        bad += not result.ok
        print(f"export round {i + 1:2}: killed after {delay:5.2f} s ({'finished first' if status is not None else 'killed'}), "
              f"file {out.stat().st_size} bytes, {'verifies' if result.ok else 'BROKEN: ' + result.message}", flush=True)
    print(f"{args.export_rounds} killed exports: {bad} left a file that does not verify", flush=True)


if __name__ == "__main__":
    main()
