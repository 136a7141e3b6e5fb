"""The waiting file: entries refused by a locked database survive kill -9 and reach the log once, in order."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from db.records import EntryRecord
from db.store import EntryStore
from kiosk.app import build_kiosk
from kiosk.config.loading import load_settings
from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Element, Lane, PersonKind
from kiosk.services.gate import GateController
from kiosk.domain.policy import Policy
from kiosk.services.spool import EntrySpool
from tests.conftest import REPO
from tests.fakes import ManualClock, RecordingListener


def _gate(store: EntryStore, spool: EntrySpool) -> tuple[GateController, RecordingListener, ManualClock]:
    clock, listener = ManualClock(), RecordingListener()
    ctl = GateController(Policy(), store, listener, site=SiteSettings(), gate=GateSettings(result_display_s=1),
                         salt=b"s" * 32, clock=clock, spool=spool)
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    return ctl, listener, clock


def _refuse(ctl: GateController, clock: ManualClock) -> None:
    ctl.confirm(Element.MASK, False)
    clock.advance(2)
    ctl.tick()


@pytest.mark.slow
def test_a_refused_write_is_on_disk_before_the_guard_hears_of_it(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    store = EntryStore(f"sqlite:///{path}")
    spool = EntrySpool(tmp_path / "waiting.jsonl")
    ctl, listener, clock = _gate(store, spool)
    seen_on_disk: list[int] = []
    tell = listener.on_storage_problem

    def on_storage_problem(message: str, waiting: int) -> None:
        seen_on_disk.append(len(spool.read()[0]))
        tell(message, waiting)

    listener.on_storage_problem = on_storage_problem  # type: ignore[method-assign]
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    _refuse(ctl, clock)
    _refuse(ctl, clock)
    assert ctl.waiting_entries == 2 and ctl.writer.on_disk == 2
    assert seen_on_disk[0] >= 1 and "待写入文件" in listener.storage[-1][0]
    assert stat.S_IMODE(spool.path.stat().st_mode) == 0o600
    other.rollback()
    other.close()
    ctl.tick()
    assert ctl.waiting_entries == 0 and store.count() == 2 and store.verify_chain().ok
    assert not spool.has_entries()  # written, so the file is emptied
    store.close()


def _all(store: EntryStore) -> list[EntryRecord]:
    return sorted(store.entries(date(2000, 1, 1), date(2100, 1, 1)), key=lambda e: (e.gate_id, e.seq or 0))


def _judged(tmp_path: Path, n: int) -> list[EntryRecord]:
    """n entries as a gate builds them (judged elsewhere, so that this test decides what reaches the log)."""
    scratch = EntryStore(f"sqlite:///{tmp_path / 'scratch.sqlite3'}")
    ctl, _, clock = _gate(scratch, EntrySpool(tmp_path / "scratch.jsonl"))
    for _ in range(n):
        _refuse(ctl, clock)
    rows = [replace(e, seq=None, prev_hash=None, row_hash=None, personal_hash=None) for e in _all(scratch)]
    scratch.close()
    return rows


def test_replay_is_idempotent_by_id_and_keeps_the_chain_order(tmp_path: Path) -> None:
    rows = _judged(tmp_path, 3)
    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    spool = EntrySpool(tmp_path / "waiting.jsonl")
    spool.append(rows)
    # A crash after the first was committed and before the file was emptied: replay must not write it twice.
    store.append(rows[0])
    ctl, listener, _ = _gate(store, spool)
    assert ctl.writer.recover() == 3
    after = _all(store)
    assert [e.id for e in after] == [e.id for e in rows]  # none twice, and the judged order is the chain order
    assert [e.seq for e in after] == [1, 2, 3] and store.verify_chain().ok
    assert len(listener.committed) == 2  # only what this run wrote is reported as committed by it
    assert not spool.has_entries()
    store.close()


def test_a_damaged_line_is_set_aside_and_reported_never_dropped(tmp_path: Path) -> None:
    good = _judged(tmp_path, 1)[0]
    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    spool = EntrySpool(tmp_path / "waiting.jsonl")
    spool.append([good])
    with spool.path.open("ab") as fh:
        fh.write(b'0123 {"id": "cut sh')  # a line a crash cut short
    ctl, listener, _ = _gate(store, spool)
    ctl.writer.recover()
    assert [e.id for e in _all(store)] == [good.id]
    assert spool.aside.read_bytes() == b'0123 {"id": "cut sh\n'
    assert ctl.writer.set_aside == 1 and any("已损坏" in m for m, _ in listener.storage)
    assert not spool.has_entries()
    store.close()


def test_entries_waiting_for_a_locked_database_survive_sigkill(tmp_path: Path) -> None:
    settings = load_settings()
    build_kiosk(settings).close()  # the log exists (and the kiosk has kept one) before the lock
    db = settings.sqlite_path
    assert db is not None
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "tests.kiosk.spool_child", "3"], cwd=REPO, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lock = sqlite3.connect(db, timeout=0)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "READY"
        lock.execute("BEGIN EXCLUSIVE")
        proc.stdin.write("go\n")
        proc.stdin.flush()
        ids: list[str] = []
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline().strip()
            if line.startswith("ID "):
                ids.append(line[3:])
            elif line.startswith("SPOOLED") or not line:
                break
        assert line == "SPOOLED 3 WAITING 3", line
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        lock.rollback()
        lock.close()
    assert len(ids) == 3
    with sqlite3.connect(db) as con:  # the killed run wrote none of them
        assert not {r[0] for r in con.execute("SELECT id FROM entries")} & set(ids)
    kiosk = build_kiosk(load_settings())  # the restart writes what the killed run left waiting
    try:
        assert kiosk.controller.waiting_entries == 0
        assert {e.id for e in _all(kiosk.store)} >= set(ids)
    finally:
        kiosk.close()
    check = subprocess.run([sys.executable, "-m", "kiosk", "verify-log"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def test_threaded_the_spool_is_written_off_the_submitting_thread(tmp_path: Path, monkeypatch) -> None:
    import threading

    path = tmp_path / "e.sqlite3"
    store = EntryStore(f"sqlite:///{path}")
    spool = EntrySpool(tmp_path / "waiting.jsonl")
    threads: list[str] = []
    real_append = EntrySpool.append

    def append(self: EntrySpool, entries) -> None:  # the real append, noting the thread
        threads.append(threading.current_thread().name)
        real_append(self, entries)

    monkeypatch.setattr(EntrySpool, "append", append)
    ctl, listener, clock = _gate(store, spool)
    ctl.writer.start()
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        for _ in range(4):
            _refuse(ctl, clock)
            time.sleep(0.3)  # people arrive while the writer waits out the store's busy timeout
        deadline = time.monotonic() + 30
        while ctl.writer.on_disk < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ctl.writer.on_disk == 4 and len(spool.read()[0]) == 4
    finally:
        other.rollback()
        other.close()
    assert threads and threading.main_thread().name not in threads
    assert ctl.writer.drain(30) and store.count() == 4 and not spool.has_entries()
    ctl.writer.close()
    store.close()


@pytest.mark.slow
def test_closing_with_entries_unwritten_keeps_them_for_the_next_start(tmp_path: Path) -> None:
    settings = load_settings()
    build_kiosk(settings).close()
    db = settings.sqlite_path
    assert db is not None
    kiosk = build_kiosk(settings)
    ctl = kiosk.controller
    ctl.writer.start()  # as in the window
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    lock = sqlite3.connect(db, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        ctl.confirm(Element.MASK, False)
        ctl.next_person()
        kiosk.close()  # as the window does when the guard closes it knowing entries wait
    finally:
        lock.rollback()
        lock.close()
    kiosk = build_kiosk(settings)
    try:
        assert kiosk.store.count() == 1 and kiosk.controller.waiting_entries == 0
    finally:
        kiosk.close()
