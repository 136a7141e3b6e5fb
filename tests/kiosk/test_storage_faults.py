"""Storage faults on a real SQLite file: entries wait in memory, the guard is told, nothing is lost."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from db.store import EntryStore
from kiosk.config.settings import GateSettings, SiteSettings
from kiosk.domain.model import Element, Lane, PersonKind
from kiosk.services.gate import GateController
from kiosk.domain.policy import Policy
from tests.fakes import ManualClock, RecordingListener


def gate(store: EntryStore):
    clock, listener = ManualClock(), RecordingListener()
    ctl = GateController(Policy(), store, listener, site=SiteSettings(), gate=GateSettings(result_display_s=1),
                         salt=b"s" * 32, clock=clock)
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    return ctl, listener, clock


def deny_one(ctl, clock) -> None:
    ctl.confirm(Element.MASK, False)
    clock.advance(2)
    ctl.tick()


def pragma_on_connect(store: EntryStore, *pragmas: str):
    def on_connect(dbapi_conn, _record) -> None:
        for p in pragmas:
            dbapi_conn.execute(p)
    event.listen(store.engine, "connect", on_connect)
    store.engine.dispose()  # new connections get the pragma
    return on_connect


@pytest.mark.slow
def test_database_locked_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    store = EntryStore(f"sqlite:///{path}")
    ctl, listener, clock = gate(store)
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    deny_one(ctl, clock)
    assert ctl.waiting_entries == 1
    assert "数据库被占用" in listener.storage[-1][0] and listener.storage[-1][1] == 1
    assert listener.committed == []
    other.rollback()
    other.close()
    ctl.tick()
    assert ctl.waiting_entries == 0 and len(listener.committed) == 1 and store.count() == 1
    store.close()


def test_read_only_database(tmp_path: Path) -> None:
    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    ctl, listener, clock = gate(store)
    hook = pragma_on_connect(store, "PRAGMA query_only = 1")
    for _ in range(3):
        deny_one(ctl, clock)
    assert ctl.waiting_entries == 3 and "只读" in listener.storage[-1][0]
    event.remove(store.engine, "connect", hook)
    store.engine.dispose()
    ctl.tick()
    assert ctl.waiting_entries == 0 and store.count() == 3 and store.verify_chain().ok
    store.close()


def test_disk_full(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite3"
    store = EntryStore(f"sqlite:///{path}")
    ctl, listener, clock = gate(store)
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    hook = pragma_on_connect(store, f"PRAGMA max_page_count = {pages}")
    for _ in range(40):  # until a write needs a page the "disk" does not have
        deny_one(ctl, clock)
        if ctl.waiting_entries:
            break
    assert ctl.waiting_entries >= 1 and "存储空间已满" in listener.storage[-1][0]
    written_before = store.count()
    event.remove(store.engine, "connect", hook)
    store.engine.dispose()
    ctl.tick()
    assert ctl.waiting_entries == 0 and store.count() == written_before + 1
    store.close()


def test_queue_is_bounded_and_drops_are_reported(tmp_path: Path) -> None:
    store = EntryStore(f"sqlite:///{tmp_path / 'e.sqlite3'}")
    ctl, listener, clock = gate(store)
    ctl.writer.MAX_WAITING = 3
    pragma_on_connect(store, "PRAGMA query_only = 1")
    for _ in range(5):
        deny_one(ctl, clock)
    assert ctl.waiting_entries == 3 and ctl.dropped == 2
    assert "已丢弃 2 条" in listener.storage[-1][0]
    store.close()


@pytest.mark.slow
def test_a_locked_database_is_one_line_per_fault_and_replay_keys_wait_in_memory(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.kiosk.test_gate import green, reading

    path = tmp_path / "e.sqlite3"
    store = EntryStore(f"sqlite:///{path}")
    clock, listener = ManualClock(), RecordingListener()
    ctl = GateController(Policy(), store, listener, site=SiteSettings(), gate=GateSettings(result_display_s=1),
                         salt=b"s" * 32, clock=clock, recent_codes=store)
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.replay.RETRY_PAUSE_S = 0  # every scan tries the store again (the kiosk waits 5 s between tries)
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    caplog.set_level(logging.INFO)
    try:
        ctl.code_seen(green("shared"))
        ctl.temperature(reading(36.5))
        ctl.confirm(Element.MASK, True)
        clock.advance(120)
        ctl.tick()
        for _ in range(3):
            deny_one(ctl, clock)
        ctl.code_seen(green("shared"))  # someone else, two minutes later, with the same code
        ctl.temperature(reading(36.5))
        snap = ctl.confirm(Element.MASK, True)
    finally:
        other.rollback()
        other.close()
    assert [r.code for r in snap.verdict.reasons] == ["replay"]  # detection went on while the store was locked
    assert ctl.replay.unsaved >= 1 and ctl.waiting_entries == 4  # the replay waits for the guard
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in problems if r.exc_info]  # no traceback per failed write
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing on a non-verbose terminal
    assert len([r for r in problems if r.name == "kiosk.services.entry_writer"]) == 1  # four entries refused, one line
    assert len([r for r in problems if r.name == "kiosk.services.replay"]) == 1
    assert len([r for r in caplog.records if r.exc_info]) == 2  # the detail once per fault
    ctl.code_seen(green("later"))  # the lock is gone: the keys noted meanwhile are written now
    ctl.tick()
    assert ctl.replay.unsaved == 0 and store.recent_code(green("shared").content_key) is not None
    assert ctl.waiting_entries == 0 and store.count() == 4
    store.close()


def test_verify_log_against_a_locked_postgresql_table_is_one_line(pg_url: str, capsys) -> None:
    from db.engine import make_engine
    from kiosk.cli.main import main
    from tests.db.test_store import entry

    store = EntryStore(pg_url)
    store.append(entry(1))
    store.close()
    blocker = make_engine(pg_url)
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE")
        code = main(["verify-log", "--db", pg_url])
        conn.exec_driver_sql("ROLLBACK")
    blocker.dispose()
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "cannot read the entry log" in err and "unexpected" not in err
