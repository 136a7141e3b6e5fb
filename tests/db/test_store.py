"""The entry store on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from db.records import EntryRecord, RosterPerson
from db.store import EntryStore
from db.engine import StoreError


def entry(i: int, day: date = date(2022, 3, 1), **kw) -> EntryRecord:
    base = dict(
        id=f"00000000-0000-0000-0000-{i:012d}", site_id="s", gate_id="g", lane="campus", person_kind="staff",
        decision="PASS", flagged=False, policy_version="v1", guard_id="guard",
        created_at=datetime(day.year, day.month, day.day, 0, 10, i % 60, tzinfo=timezone.utc), local_date=day,
        elements={"health": {"outcome": "ok", "source": "manual"}}, reasons=[], name_masked="王*明",
        id_masked="11**77", temperature_c=36.5, temperature_raw=36.3, mask=True, registration={"company": "顺丰"},
    )
    base.update(kw)
    return EntryRecord(**base)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, sqlite_url: str) -> EntryStore:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    s = EntryStore(url)
    yield s
    s.close()


def test_append_and_read_back_round_trip(store: EntryStore) -> None:
    e = entry(1, reasons=[{"element": "mask", "code": "failed", "message": "未佩戴口罩", "hard": True}])
    store.append(e)
    got = store.get(e.id)
    from dataclasses import replace

    assert replace(got, seq=None, prev_hash=None, row_hash=None, personal_hash=None) == e
    assert got.seq == 1 and len(got.row_hash) == 64 and got.prev_hash == "0" * 64


def test_corrections_point_at_the_original(store: EntryStore) -> None:
    original = entry(1, decision="DENY", flagged=True)
    store.append(original)
    fix = entry(2, decision="PASS", corrects_id=original.id, note="guard re-checked")
    store.append(fix)
    assert store.get(original.id).decision == "DENY"  # the original is never rewritten
    assert [c.id for c in store.corrections_of(original.id)] == [fix.id]
    assert not hasattr(store, "update") and not hasattr(store, "delete")


def test_correction_of_unknown_entry_is_refused(store: EntryStore) -> None:
    with pytest.raises(Exception):
        store.append(entry(5, corrects_id="99999999-0000-0000-0000-000000000000"))
    assert store.count() == 0


def test_range_lane_and_flag_filters_stream_in_order(store: EntryStore) -> None:
    for i in range(30):
        store.append(entry(i, day=date(2022, 3, 1 + i % 3), lane="worker" if i % 2 else "campus",
                           flagged=i % 5 == 0))
    day1 = list(store.entries(date(2022, 3, 1)))
    assert len(day1) == 10 and [e.created_at for e in day1] == sorted(e.created_at for e in day1)
    assert len(list(store.entries(date(2022, 3, 1), date(2022, 3, 3), lane="worker"))) == 15
    assert all(e.flagged for e in store.entries(date(2022, 3, 1), date(2022, 3, 3), flagged_only=True))
    assert store.count(date(2022, 3, 2)) == 10 and store.count() == 30


def test_roster_upsert_and_lookup_by_id_or_card(store: EntryStore) -> None:
    assert store.upsert_roster([RosterPerson("2023001", "李雷", "student", "三年二班", "C001")]) == (1, 0)
    assert store.upsert_roster([RosterPerson("2023001", "李雷", "student", "三年三班", "C001")]) == (0, 1)
    assert store.find_roster("C001").group == "三年三班"
    assert store.find_roster("2023001").name == "李雷"
    assert store.find_roster("nobody") is None


def test_sqlite_file_is_private_and_durable(sqlite_url: str) -> None:
    s = EntryStore(sqlite_url)
    path = Path(sqlite_url[len("sqlite:///"):])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    s.close()


def test_unwritable_database_path_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(StoreError, match="cannot create the database"):
            EntryStore(f"sqlite:///{locked / 'x.sqlite3'}")
    finally:
        locked.chmod(0o700)


def test_impossible_database_path_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot create the database"):
        EntryStore("sqlite:////proc/no/such/dir/x.sqlite3")


def test_schema_tables(store: EntryStore) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {"entries", "roster", "calibrations", "audit_log", "device_events", "alembic_version"} <= names
