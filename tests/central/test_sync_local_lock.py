"""A local log locked by another program (an open sqlite3 shell) never kills the sync worker.

The lock is real: a second SQLite connection holds ``BEGIN IMMEDIATE`` on the
kiosk's own file while the worker forwards to the real PostgreSQL centre.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from db.central.store import CentralStore
from db.store import EntryStore
from kiosk.services.sync import SyncState, SyncLoop
from tests.central.helpers import central_rows, fill, make_kiosk

pytestmark = pytest.mark.postgres


def _hold_lock(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None, timeout=0.1, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    return con


def test_a_locked_local_log_is_retried_and_said_in_words(tmp_path: Path, central_url: str) -> None:
    k = make_kiosk(tmp_path, "k1", central_url, batch_size=5)
    fill(k, 12)
    store = EntryStore(k.database_url)
    central = CentralStore(central_url, migrate=True)
    worker = SyncLoop(store, central, k)
    seen: list[str] = []
    lock = _hold_lock(k.sqlite_path)
    thread = threading.Thread(target=worker.run_forever, args=(lambda st: seen.append(st.state),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while SyncState.LOCAL_BUSY.value not in seen and time.monotonic() < deadline:
            time.sleep(0.1)
        assert SyncState.LOCAL_BUSY.value in seen and thread.is_alive()
        assert "本机数据库被占用" in worker.status().words()
        lock.execute("COMMIT")
        deadline = time.monotonic() + 30
        while worker.status().pending and time.monotonic() < deadline:
            time.sleep(0.1)
        assert thread.is_alive() and worker.status().pending == 0 and worker.status().sent == 12
        assert central_rows(central_url, "SELECT count(*) FROM entries")[0][0] == 12
    finally:
        worker.stop()
        thread.join(10)
        lock.close()
        central.close()
        store.close()


def test_sync_once_waits_out_a_short_lock(tmp_path: Path, central_url: str) -> None:
    k = make_kiosk(tmp_path, "k1", central_url, batch_size=5)
    fill(k, 8)
    store = EntryStore(k.database_url)
    central = CentralStore(central_url, migrate=True)
    lock = _hold_lock(k.sqlite_path)
    threading.Timer(4.0, lambda: lock.execute("COMMIT")).start()
    try:
        status = SyncLoop(store, central, k).run_once()
        assert (status.pending, status.sent) == (0, 8)
    finally:
        time.sleep(0.1)
        lock.close()
        central.close()
        store.close()
