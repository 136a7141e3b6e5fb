"""Export speed and memory with 2,000,000 entries in the database.

Builds (once) ``bench/out/export.sqlite3``: one realistic day of 10,000 entries
made by the real gate controller (``kiosk.sim.demodata``), copied to 200 days with
new ids and dates, written through ``EntryStore.append_many``. Then exports one
day (10,000 entries) as CSV, XLSX and PDF, each in its own process, and prints
the export's own time and the process's peak resident memory (``wait4``).

Targets: CSV ≤ 2 s, XLSX ≤ 5 s, PDF ≤ 5 s, memory bounded (streamed): a
seven-day CSV export is run too, to show that memory does not grow with the rows.

Usage: python bench/bench_export.py [--days 200] [--per-day 10000] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out"


def build(db: Path, days: int, per_day: int) -> None:
    from db.store import EntryStore
    from kiosk.config.loading import load_settings
    from kiosk.app_adapters import demo_entries

    settings = load_settings(os.devnull)
    db.unlink(missing_ok=True)
    store = EntryStore(f"sqlite:///{db}")
    first = date(2022, 1, 1)
    t0 = time.perf_counter()
    template = list(demo_entries(settings, first, first, per_day))
    print(f"one day of {len(template)} entries through the gate controller: {time.perf_counter() - t0:.1f} s")

    def copies():
        for d in range(days):
            shift = timedelta(days=d)
            for e in template:
                yield replace(e, id=str(uuid.uuid4()), created_at=e.created_at + shift, local_date=e.local_date + shift,
                              corrects_id=None)

    t0 = time.perf_counter()
    n = store.append_many(copies())
    print(f"{n} entries written through EntryStore.append_many in {time.perf_counter() - t0:.1f} s")
    store.close()


def run_export(db: Path, fmt: str, day: str, out: Path, to: str | None = None) -> tuple[str, float]:
    env = dict(os.environ, GATE_KIOSK_DATA=str(OUT / "data"), GATE_KIOSK_CONFIG=str(OUT / "bench.toml"))
    (OUT / "bench.toml").write_text(f'[database]\nurl = "sqlite:///{db}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "export", "--date", day, "--format", fmt, "--out",
                             str(out), *(["--to", to] if to else [])], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    text = proc.stdout.read().strip() if proc.stdout else ""
    if status != 0:
        raise SystemExit(f"export failed: {text}")
    return text, usage.ru_maxrss / 1024  # KiB -> MiB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--per-day", type=int, default=10_000)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "export.sqlite3"
    if args.rebuild or not db.exists():
        build(db, args.days, args.per_day)
    from db.store import EntryStore

    store = EntryStore(f"sqlite:///{db}")
    total = store.count()
    store.close()
    print(f"database: {total} entries, {db.stat().st_size / 2**20:.0f} MiB")
    day = "2022-03-15"
    for fmt in ("csv", "xlsx", "pdf"):
        text, rss = run_export(db, fmt, day, OUT / f"day.{fmt}")
        print(f"{fmt:4}: {text.split(': ', 1)[1].split(';')[0]}; peak RSS {rss:.0f} MiB")
    # Bounded memory: seven times the rows should not take seven times the memory.
    text, rss = run_export(db, "csv", day, OUT / "week.csv", to="2022-03-21")
    print(f"csv, 7 days: {text.split(': ', 1)[1].split(';')[0]}; peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
