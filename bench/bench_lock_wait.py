"""How long a locked database holds up the gate: ``check`` against a log another process has locked.

For SQLite another process holds a write transaction (``BEGIN IMMEDIATE``) on
the entry log; for PostgreSQL another session holds ``LOCK TABLE entries IN
EXCLUSIVE MODE`` (reads go on, writes wait). Each round runs ``gate-kiosk
check`` in this process (imports warm) and reports how long it took and how
much longer than the same command against the unlocked log: that extra time
is the wait the README states (SQLite busy timeout 2 s, PostgreSQL
``lock_timeout`` 3 s), once, not once per retry.

Usage: python bench/bench_lock_wait.py [--rounds 3] [--pg postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kiosk.cli.main import main as cli  # noqa: E402

CHECK = ["check", "--lane", "staff", "--temp", "36.5", "--mask", "yes"]


def timed_check() -> tuple[float, int]:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(CHECK)
    return time.perf_counter() - t0, code


@contextlib.contextmanager
def sqlite_locked(path: Path) -> Iterator[None]:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        con.execute("ROLLBACK")
        con.close()


def pg_locker(url: str) -> Callable[[], contextlib.AbstractContextManager[None]]:
    import psycopg

    @contextlib.contextmanager
    def locked() -> Iterator[None]:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
            con.execute("LOCK TABLE entries IN EXCLUSIVE MODE")
            yield
            con.rollback()
    return locked


def run(name: str, rounds: int, locked: Callable[[], contextlib.AbstractContextManager[None]]) -> None:
    assert timed_check()[1] == 0, f"{name}: check fails on the unlocked log"  # creates it, warms the imports
    free = [timed_check()[0] for _ in range(rounds)]
    held: list[float] = []
    for _ in range(rounds):
        with locked():
            seconds, code = timed_check()
        assert code != 0, "the check said logged while the log was locked"
        held.append(seconds)
    base = statistics.median(free)
    print(f"{name}: unlocked {base:.2f} s; locked {', '.join(f'{s:.2f}' for s in held)} s "
          f"(extra wait median {statistics.median(held) - base:.2f} s, worst {max(held) - base:.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", default=os.environ.get("KIOSK_TEST_PG_URL"), help="a PostgreSQL URL to measure too")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GATE_KIOSK_DATA"] = f"{tmp}/data"
        os.environ["GATE_KIOSK_CONFIG"] = f"{tmp}/config.toml"
        Path(f"{tmp}/config.toml").write_text("")
        db = Path(tmp) / "data" / "entries.sqlite3"
        run("SQLite", args.rounds, lambda: sqlite_locked(db))
        if args.pg:
            Path(f"{tmp}/config.toml").write_text(f'[database]\nurl = "{args.pg}"\n')
            os.environ["GATE_KIOSK_DATA"] = f"{tmp}/data-pg"
            run("PostgreSQL", args.rounds, pg_locker(args.pg))


if __name__ == "__main__":
    main()
