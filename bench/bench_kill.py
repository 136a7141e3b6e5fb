"""Crash safety at scale: SIGKILL ``gate-kiosk simulate gate`` at many random points.

Each round starts the headless gate on the same SQLite database, waits for a
random number of committed ids, kills it with SIGKILL after a random extra
delay, and checks: every id printed so far is in the database, ``PRAGMA
integrity_check`` says ok, and at the end the hash chain verifies.

Usage: python bench/bench_kill.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.kiosk.test_crash import kill_run  # noqa: E402  (the suite's own helper, more rounds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    rng = random.Random(args.seed)
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


if __name__ == "__main__":
    main()
