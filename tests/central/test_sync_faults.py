"""Faults for real: SIGKILL mid-batch, a network that drops every connection, the centre restarting."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from db.central.store import CentralStore
from db.store import EntryStore
from kiosk.services.sync import SyncState, SyncLoop
from tests.central.helpers import central_rows, cli, fill, local_ids, make_kiosk
from tests.central.netfaults import DroppingProxy, PrivatePostgres, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _pending(settings) -> int:  # type: ignore[no-untyped-def]
    store = EntryStore(settings.database_url)
    try:
        from kiosk.services.sync import sync_status

        return sync_status(store).pending
    finally:
        store.close()


def _run_worker(settings, url: str):  # type: ignore[no-untyped-def]
    store = EntryStore(settings.database_url)
    central = CentralStore(url, connect_timeout_s=1)
    worker = SyncLoop(store, central, settings)
    states: list[str] = []
    thread = threading.Thread(target=worker.run_forever, args=(lambda s: states.append(s.state),), daemon=True)
    thread.start()

    def stop() -> None:
        worker.stop()
        thread.join(30)
        central.close()
        store.close()
    return worker, states, stop


def test_sigkill_in_the_middle_of_batches_loses_and_duplicates_nothing(tmp_path: Path, central_url: str) -> None:
    CentralStore(central_url, migrate=True).close()
    k = make_kiosk(tmp_path, "k1", central_url, batch_size=40)
    fill(k, 2500)
    rng = random.Random(13)
    env = dict(os.environ, GATE_KIOSK_CONFIG=str(k.source_path), GATE_KIOSK_DATA=str(k.data_dir))
    kills = 0
    for round_no in range(5):
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "sync"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # wait until it is sending, then kill it somewhere inside its stream of batches
        wait_for(lambda: central_rows(central_url, "SELECT count(*) FROM entries")[0][0] > round_no * 300, 60)
        time.sleep(rng.uniform(0.05, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        fill(k, 100, seed=round_no + 10)  # the gate goes on logging between restarts
    at_centre = central_rows(central_url, "SELECT count(*) FROM entries")[0][0]
    assert 0 < at_centre < len(local_ids(k)), "the kills should land while entries were still pending"
    assert cli(k, "sync", "--once").returncode == 0
    n, distinct = central_rows(central_url, "SELECT count(*), count(DISTINCT id) FROM entries")[0]
    ids = local_ids(k)
    assert n == distinct == len(ids) == 3000
    assert {r[0] for r in central_rows(central_url, "SELECT id FROM entries")} == ids
    centre = CentralStore(central_url)
    assert centre.verify_chains() == [] and centre.incidents() == []
    centre.close()
    assert _pending(k) == 0 and kills == 5


def test_network_cut_and_restored(tmp_path: Path, central_url: str) -> None:
    CentralStore(central_url, migrate=True).close()
    target = make_url(central_url)
    proxy = DroppingProxy(target.host or "127.0.0.1", target.port or 5432)
    via_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    k = make_kiosk(tmp_path, "k1", via_proxy, batch_size=50)
    fill(k, 400)
    worker, states, stop = _run_worker(k, via_proxy)
    try:
        assert wait_for(lambda: central_rows(central_url, "SELECT count(*) FROM entries")[0][0] > 0, 30)
        proxy.cut()
        fill(k, 300, seed=2)  # the gate keeps logging while the network is down
        assert wait_for(lambda: SyncState.WAITING.value in states, 30), states
        cli_run = cli(k, "sync", "--once")
        assert cli_run.returncode == 3  # headless: the centre cannot be reached
        assert _pending(k) > 0
        proxy.restore()
        assert wait_for(lambda: _pending(k) == 0, 60)
    finally:
        stop()
        proxy.close()
    ids = local_ids(k)
    n, distinct = central_rows(central_url, "SELECT count(*), count(DISTINCT id) FROM entries")[0]
    assert n == distinct == len(ids) == 700
    assert {r[0] for r in central_rows(central_url, "SELECT id FROM entries")} == ids


def test_centre_restart(tmp_path: Path) -> None:
    try:
        pg = PrivatePostgres()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("KIOSK_REQUIRE_PG"):
            raise
        pytest.skip(f"cannot run a private PostgreSQL server here: {exc}")
    try:
        pg.start()
        CentralStore(pg.url, migrate=True).close()
        k = make_kiosk(tmp_path, "k1", pg.url, batch_size=50)
        fill(k, 300)
        worker, states, stop = _run_worker(k, pg.url)
        try:
            assert wait_for(lambda: _pending(k) == 0, 60)
            pg.stop("fast")  # the centre goes down (its connections die) ...
            fill(k, 250, seed=2)
            assert wait_for(lambda: SyncState.WAITING.value in states, 30), states
            pg.start()  # ... and comes back
            assert wait_for(lambda: _pending(k) == 0, 60)
        finally:
            stop()
        ids = local_ids(k)
        n, distinct = central_rows(pg.url, "SELECT count(*), count(DISTINCT id) FROM entries")[0]
        assert n == distinct == len(ids) == 550
        centre = CentralStore(pg.url)
        assert centre.verify_chains() == []
        centre.close()
    finally:
        pg.destroy()
