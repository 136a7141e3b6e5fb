"""Trial 16 #3: the real program (``run --demo`` offscreen) stopped while its database is locked:
``--quit-after`` and SIGTERM end it within a bounded time, naming every entry not written, exit 3."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("how", ["quit-after", "sigterm"])
def test_a_locked_store_does_not_keep_the_window_from_exiting(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    env = dict(os.environ, GATE_KIOSK_DATA=str(data), GATE_KIOSK_CONFIG=os.devnull, QT_QPA_PLATFORM="offscreen")
    args = [sys.executable, "-m", "kiosk", "run", "--demo"] + (["--quit-after", "12"] if how == "quit-after" else [])
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    db = data / "demo.sqlite3"
    holder = None
    try:
        for _ in range(600):  # until the demo wrote its first entry (a guard against hanging, not a timing check)
            if db.exists() and proc.poll() is None:
                with sqlite3.connect(db, timeout=1) as probe:
                    try:
                        if probe.execute("select count(*) from entries").fetchone()[0] >= 1:
                            break
                    except sqlite3.OperationalError:
                        pass
            time.sleep(0.1)
        holder = sqlite3.connect(db, timeout=5)
        holder.execute("BEGIN EXCLUSIVE")  # from now on every write fails: entries wait
        if how == "sigterm":
            time.sleep(8)  # the demo judges more people meanwhile
            proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if holder is not None:
            holder.rollback()
            holder.close()
    named = [line for line in err.splitlines() if line.startswith("  entry ")]
    assert proc.returncode == 3, err[-2000:]
    assert f"{len(named)} entries were NOT written to the database" in err and named
    with sqlite3.connect(db) as conn:
        written = {r for (r,) in conn.execute("select id from entries")}
    assert not any(line.split()[1] in written for line in named)  # what it names is really missing
