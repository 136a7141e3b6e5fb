"""Ingest at the centre: N simulated kiosks (default 20) each logging M entries (default 10,000) while syncing.

Each kiosk is its own process with its own SQLite log and data directory,
exactly as a gate: a writer thread commits entries locally in batches of 50
(as fast as it can, the worst case for the sync), recording each entry's local
commit time, while the kiosk's real sync loop (``kiosk.services.sync.SyncLoop``)
forwards them to one PostgreSQL. The centre's own commit time of each entry is
the ``seen_at`` of the chain anchor its batch wrote (``clock_timestamp()`` at
the end of the batch's transaction). Prints rows per second into the centre
(all rows / wall time from the first local commit to the last central
commit) and the lag from local commit to central commit (median, p99, worst).

Usage: python bench/bench_sync_ingest.py --url postgresql+psycopg://postgres@127.0.0.1/bench_ingest
       [--kiosks 20] [--entries 10000] [--batch 500] [--drop]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def kiosk(index: int, url: str, entries: int, batch: int, root: str, start_at: float, out: "mp.Queue[str]") -> None:
    from db.store import EntryStore
    from db.central.store import CentralStore
    from kiosk.config.loading import load_settings
    from kiosk.app_adapters import demo_entries
    from db.syncsource import LocalStoreBusy
    from kiosk.services.sync import SyncLoop, sync_status

    data = Path(root) / f"k{index:02d}"
    data.mkdir()
    cfg = data / "config.toml"
    cfg.write_text(f"[paths]\ndata_dir = '{data}'\n[site]\nsite_id = 's{index // 2:02d}'\ngate_id = 'g{index % 2}'\n"
                   f"[central]\nurl = '{url}'\nbatch_size = {batch}\ninterval_s = 0.2\npull = false\n")
    settings = load_settings(cfg)
    rows = list(demo_entries(settings, date(2026, 3, 2), date(2026, 3, 2), entries, seed=index + 1))
    store = EntryStore(settings.database_url)
    committed: dict[int, float] = {}
    while time.time() < start_at:
        time.sleep(0.01)

    def write() -> None:
        writer = EntryStore(settings.database_url)
        seq = 0
        for i in range(0, len(rows), 50):
            chunk = rows[i:i + 50]
            writer.append_many(chunk)
            now = time.time()
            for _ in chunk:
                seq += 1
                committed[seq] = now
        writer.close()

    t = threading.Thread(target=write)
    t.start()
    central = CentralStore(url)
    loop = SyncLoop(store, central, settings)
    while True:
        try:
            moved = loop.step()
        except LocalStoreBusy:  # the writer holds the log past the busy timeout: retry, as run_forever does
            moved = 0
        if not t.is_alive() and sync_status(store).pending == 0:
            break
        if not moved:
            time.sleep(0.05)
    t.join()
    out.put(json.dumps({"site": settings.site.site_id, "gate": settings.site.gate_id, "committed": committed}))
    central.close()
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--kiosks", type=int, default=20)
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--drop", action="store_true")
    args = ap.parse_args()
    from sqlalchemy import create_engine, text

    from bench.bench_central_scale import drop_database, ensure_database
    from db.central.store import CentralStore

    drop_database(args.url)
    ensure_database(args.url)
    CentralStore(args.url, migrate=True).close()
    queue: mp.Queue[str] = mp.Queue()
    start_at = time.time() + 3.0 + args.kiosks * 0.3  # every kiosk has built its rows before the start
    with tempfile.TemporaryDirectory(prefix="ingest-") as root:
        procs = [mp.Process(target=kiosk, args=(i, args.url, args.entries, args.batch, root, start_at, queue))
                 for i in range(args.kiosks)]
        for p in procs:
            p.start()
        results = [json.loads(queue.get(timeout=3600)) for _ in procs]
        for p in procs:
            p.join()
    engine = create_engine(args.url)
    lags: list[float] = []
    last_commit = 0.0
    with engine.connect() as conn:
        total = conn.scalar(text("SELECT count(*) FROM entries"))
        distinct = conn.scalar(text("SELECT count(DISTINCT id) FROM entries"))
        for r in results:
            anchors = [(int(s), t.timestamp()) for s, t in conn.execute(text(
                "SELECT seq, seen_at FROM chain_anchors WHERE site_id = :s AND gate_id = :g ORDER BY seq"),
                {"s": r["site"], "g": r["gate"]})]
            k = 0
            for seq_s, local in sorted(((int(s), t) for s, t in r["committed"].items())):
                while anchors[k][0] < seq_s:
                    k += 1
                lags.append(anchors[k][1] - local)
            last_commit = max(last_commit, anchors[-1][1])
    engine.dispose()
    wall = last_commit - start_at
    lags.sort()
    print(f"{args.kiosks} kiosks × {args.entries:,} entries (batches of {args.batch}) into one PostgreSQL: "
          f"{total:,} rows ({distinct:,} distinct) in {wall:.1f} s = {total / wall:,.0f} rows/s")
    print(f"lag local commit -> central commit: median {statistics.median(lags):.2f} s, "
          f"p99 {lags[int(len(lags) * 0.99)]:.2f} s, worst {lags[-1]:.2f} s")
    if args.drop:
        drop_database(args.url)
        print("bench database dropped")


if __name__ == "__main__":
    main()
