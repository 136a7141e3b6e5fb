"""Crash safety: SIGKILL the headless gate at random moments; every printed (committed) id survives."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.store import EntryStore


def kill_run(data: Path, after_ids: int, extra_s: float, seed: int) -> list[str]:
    env = dict(os.environ, GATE_KIOSK_DATA=str(data), GATE_KIOSK_CONFIG=os.devnull)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "simulate", "gate", "--people", "400", "--rate", "6",
                             "--seed", str(seed)], env=env, stdout=subprocess.PIPE, text=True)
    printed: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while len(printed) < after_ids and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(line.strip())
        time.sleep(extra_s)  # kill somewhere in the middle of whatever it is doing now
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
    finally:
        proc.wait(10)
    return printed + [x for x in rest.split() if x]


@pytest.mark.slow
def test_every_committed_entry_survives_sigkill(tmp_path: Path) -> None:
    rng = random.Random(7)
    data = tmp_path / "data"
    seen: list[str] = []
    for round_no in range(3):
        printed = kill_run(data, rng.randint(2, 6), rng.uniform(0.0, 0.7), round_no)
        assert printed, "the simulated gate committed nothing"
        seen += printed
        db = data / "demo.sqlite3"
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {r[0] for r in con.execute("SELECT id FROM entries")}
        con.close()
        missing = [i for i in seen if i not in ids]
        assert not missing, f"round {round_no}: printed but lost: {missing}"
    store = EntryStore(f"sqlite:///{data / 'demo.sqlite3'}")
    assert store.verify_chain().ok  # a kill never leaves a half-chained row
    store.close()
