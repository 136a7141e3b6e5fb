"""Evidence that holds (issue 16): the forward-secure journal, the ledger alarm, upgrades that cannot brick.

Each test plays a finding of the audit: an attacker with file access, or an
unlucky school (a 0-byte file, a killed upgrade, a clock set back).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from db import chain
from db.chain import entry_digest, journal_mac, normalise_entry_row, personal_hash, record_digest, row_hash
from db.store import EntryStore, LedgerAlarm
from db.engine import StoreError, current_revision, head_revision, make_engine, upgrade
from tests.db.test_store import entry


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "entries.sqlite3"


@pytest.fixture
def logged(db_path: Path):
    store = EntryStore(f"sqlite:///{db_path}")
    for i in range(1, 11):
        store.append(entry(i, decision="DENY" if i == 4 else "PASS", flagged=i == 4))
    store.follow_up(entry(4).id, "observation", "guard", "sent to the nurse")
    store.audit("guard", "export", {"rows": 10})
    yield store
    store.close()


def _recompute_everything(path: Path) -> None:
    """The attacker: rewrite every entry's chain hash and every journal digest so they match again.

    They hold the database file (so the current key too) but not any earlier key."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    prev, seq = chain.GENESIS, 0
    for r in con.execute("SELECT * FROM entries ORDER BY seq").fetchall():
        fields = normalise_entry_row(dict(r))
        seq += 1
        fields["seq"], fields["prev_hash"] = seq, prev
        fields["personal_hash"] = personal_hash(fields)
        h = row_hash(fields, prev, fields["personal_hash"])
        con.execute("UPDATE entries SET seq=?, prev_hash=?, personal_hash=?, row_hash=? WHERE id=?",
                    (seq, prev, fields["personal_hash"], h, r["id"]))
        con.execute("UPDATE log_journal SET digest=? WHERE kind='entry' AND ref=?", (entry_digest(fields), r["id"]))
        prev = h
    con.commit()
    con.close()


def _sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    for st in statements:
        con.execute(st)
    con.commit()
    con.close()


# ------------------------------------------------------------ the journal
def test_a_recomputed_edit_passes_without_the_key_but_is_named_with_it(logged: EntryStore, db_path: Path) -> None:
    key = logged.handout_initial_key()
    assert logged.verify_chain(initial_key=key).ok
    denied = entry(4).id
    _sql(db_path, f"UPDATE entries SET decision='PASS', flagged=0 WHERE id='{denied}'")
    _recompute_everything(db_path)
    assert logged.verify_chain().ok  # a plain hash chain proves nothing against this attacker
    report = logged.verify_chain(initial_key=key)
    assert [b for b in report.broken if b[2] == denied and "not authentic" in b[3]]


def test_deleted_rows_a_cut_off_end_and_an_emptied_log_are_named(logged: EntryStore, db_path: Path) -> None:
    key = logged.handout_initial_key()
    _sql(db_path, f"DELETE FROM log_journal WHERE kind='entry' AND ref='{entry(3).id}'",
         f"DELETE FROM entries WHERE id='{entry(3).id}'")
    _recompute_everything(db_path)
    assert any("journal rows 3–3 were deleted" in b[3] for b in logged.verify_chain(initial_key=key).broken)
    # Cut the end off and wind the key's counter back: the key itself cannot be wound back.
    con = sqlite3.connect(db_path)
    con.execute("DELETE FROM audit_log")
    con.execute("DELETE FROM follow_ups")
    con.execute("DELETE FROM log_journal WHERE seq >= 9")
    con.execute("DELETE FROM entries WHERE seq >= 8")
    mac = con.execute("SELECT mac FROM log_journal ORDER BY seq DESC LIMIT 1").fetchone()[0]
    con.execute("UPDATE log_key SET next_seq = 9, last_mac = ?", (mac,))
    con.commit()
    con.close()
    broken = logged.verify_chain(initial_key=key).broken
    assert any("cut off" in b[3] or "key replaced" in b[3] for b in broken)
    _sql(db_path, "DELETE FROM log_journal", "DELETE FROM entries", "UPDATE log_key SET next_seq = 1")
    assert any("cut off" in b[3] or "key replaced" in b[3] for b in logged.verify_chain(initial_key=key).broken)


def test_follow_ups_and_audit_rows_are_authenticated_too(logged: EntryStore, db_path: Path) -> None:
    key = logged.handout_initial_key()
    _sql(db_path, "UPDATE follow_ups SET state='cleared'", "UPDATE audit_log SET detail='{\"rows\": 1}' "
         "WHERE action='export'")
    kinds = {b[0] for b in logged.verify_chain().broken}
    assert {"follow_up", "audit"} <= kinds
    # Even with the journal digests rewritten, the MACs name both.
    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    for kind, table in (("follow_up", "follow_ups"), ("audit", "audit_log")):
        for r in con.execute(f"SELECT * FROM {table}").fetchall():
            con.execute("UPDATE log_journal SET digest=? WHERE kind=? AND ref=?",
                        (record_digest(kind, normalise_entry_row(dict(r))), kind, str(r["id"])))
    con.commit()
    con.close()
    assert logged.verify_chain().ok
    named = [b[3] for b in logged.verify_chain(initial_key=key).broken if "not authentic" in b[3]]
    assert len(named) == 2 and any("follow_up" in w for w in named) and any("audit" in w for w in named)


def test_a_name_rewritten_after_the_purge_is_named(logged: EntryStore, db_path: Path) -> None:
    assert logged.purge_personal(date(2022, 3, 2)) == 10
    assert logged.verify_chain().ok
    _sql(db_path, f"UPDATE entries SET name_masked='张*' WHERE id='{entry(2).id}'")
    assert [b[3] for b in logged.verify_chain().broken] == ["personal fields were written after the purge"]


def test_every_broken_row_is_named_not_only_the_first(logged: EntryStore, db_path: Path) -> None:
    _sql(db_path, f"UPDATE entries SET decision='DENY' WHERE id IN ('{entry(2).id}', '{entry(7).id}')")
    assert [b[1] for b in logged.verify_chain().broken] == [2, 7]


def test_a_forged_mac_with_the_current_key_does_not_verify(logged: EntryStore, db_path: Path) -> None:
    key = logged.handout_initial_key()
    con = sqlite3.connect(db_path)
    current = bytes.fromhex(con.execute("SELECT current_key FROM log_key").fetchone()[0])
    seq, ref, digest = con.execute("SELECT seq, ref, digest FROM log_journal WHERE seq = 2").fetchone()
    prev = con.execute("SELECT mac FROM log_journal WHERE seq = 1").fetchone()[0]
    con.execute("UPDATE log_journal SET mac=? WHERE seq=2", (journal_mac(current, seq, "entry", ref, digest, prev),))
    con.commit()
    con.close()
    assert any(b[1] == 2 and "not authentic" in b[3] for b in logged.verify_chain(initial_key=key).broken)


def test_the_initial_key_is_handed_out_once_and_a_wrong_key_is_told_apart(logged: EntryStore) -> None:
    assert logged.initial_key_pending()
    key = logged.handout_initial_key()
    assert not logged.initial_key_pending()
    with pytest.raises(StoreError, match="already handed out"):
        logged.handout_initial_key()
    report = logged.verify_chain(initial_key=bytes(32))
    assert report.wrong_key and not report.ok
    assert logged.verify_chain(initial_key=key).authenticated == 12  # 10 entries, a follow-up, an audit row


def test_an_entry_earlier_than_the_last_is_flagged_and_recorded(logged: EntryStore) -> None:
    late = entry(11, created_at=datetime(2022, 3, 1, 0, 0, 1, tzinfo=timezone.utc))  # clock set back
    logged.append(late)
    got = logged.get(late.id)
    assert got.flagged and got.reasons[-1]["code"] == "clock_backwards"
    assert logged.last_audit("clock_backwards")["detail"]["entry_id"] == late.id
    assert logged.verify_chain().ok


# ------------------------------------------------------------- the ledger
def test_a_zero_byte_missing_or_replaced_log_is_an_alarm_not_a_new_log(db_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "data" / "ledger.json"
    url = f"sqlite:///{db_path}"
    store = EntryStore(url, ledger_marker=marker)
    store.append(entry(1))
    store.close()
    db_path.write_bytes(b"")  # an unlucky school: the file is there, 0 bytes
    for _ in range(2):
        with pytest.raises(LedgerAlarm, match="empty"):
            EntryStore(url, ledger_marker=marker)
    assert db_path.stat().st_size == 0  # nothing was created in its place
    db_path.unlink()
    with pytest.raises(LedgerAlarm, match="missing"):
        EntryStore(url, ledger_marker=marker)
    assert not db_path.exists()
    EntryStore(url).close()  # someone makes a fresh log by hand
    with pytest.raises(LedgerAlarm, match="replaced"):
        EntryStore(url, ledger_marker=marker)
    store = EntryStore(url, ledger_marker=marker, accept_ledger=True)
    store.accept_ledger("admin")
    assert store.last_audit("ledger_accepted")["detail"]["previous_rows"] == 1
    store.close()
    EntryStore(url, ledger_marker=marker).close()


def test_a_rolled_back_log_is_an_alarm(db_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ledger.json"
    url = f"sqlite:///{db_path}"
    store = EntryStore(url, ledger_marker=marker)
    store.append(entry(1))
    store.close()
    copy = db_path.read_bytes()
    store = EntryStore(url, ledger_marker=marker)
    store.append(entry(2))
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.write_bytes(copy)
    with pytest.raises(LedgerAlarm, match="went back from 2 to 1"):
        EntryStore(url, ledger_marker=marker)


# ---------------------------------------------------------------- upgrades
def _log_at_0003(url: str, rows: int) -> None:
    engine = make_engine(url)
    upgrade(engine, "0003")
    with engine.begin() as conn:
        for i in range(rows):
            conn.execute(text(
                "INSERT INTO entries (id, site_id, gate_id, lane, person_kind, elements, decision, reasons, flagged, "
                "policy_version, guard_id, created_at, local_date, registration, handoff, mask) VALUES "
                "(:id, 's', 'g', 'campus', 'staff', '{}', 'PASS', '[]', :f, 'v0', 'guard', :at, '2022-03-01', '{}', "
                "false, true)"), {"id": f"e{i:05d}", "f": i % 2 == 0,
                                  "at": datetime(2022, 3, 1, tzinfo=timezone.utc) + timedelta(seconds=i)})
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_a_log_upgraded_from_0003_verifies(any_url: str) -> None:
    _log_at_0003(any_url, 5)
    store = EntryStore(any_url)
    report = store.verify_chain(initial_key=store.handout_initial_key())
    assert report.ok and report.checked == 5, report.broken
    store.close()


def test_a_failed_upgrade_leaves_the_old_schema_and_restarts_cleanly(sqlite_url: str, db_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _log_at_0003(sqlite_url, 20)

    def killed(*_a: Any) -> str:
        raise KeyboardInterrupt  # as good as a kill in the middle of 0004's row loop

    monkeypatch.setattr(chain, "row_hash", killed)
    import importlib

    mod = importlib.import_module("db.migrations.versions.0004_hash_chain")
    monkeypatch.setattr(mod, "row_hash", killed)
    with pytest.raises(KeyboardInterrupt):
        EntryStore(sqlite_url)
    engine = make_engine(sqlite_url)
    assert current_revision(engine) == "0003"
    with engine.connect() as conn:
        columns = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(entries)")]
    engine.dispose()
    assert "seq" not in columns  # the DDL was rolled back with the rest
    monkeypatch.undo()
    store = EntryStore(sqlite_url)
    assert current_revision(store.engine) == head_revision() and store.count() == 20
    assert store.verify_chain().ok
    store.close()
    backup = Path(f"{db_path}.before-0003.bak")
    assert backup.exists() and oct(backup.stat().st_mode & 0o777) == "0o600"
    con = sqlite3.connect(backup)
    assert con.execute("SELECT count(*) FROM entries").fetchone()[0] == 20
    con.close()


# ------------------------------------------------------------ recent codes
def test_recent_codes_survive_a_restart_and_old_ones_are_pruned(any_url: str) -> None:
    store = EntryStore(any_url)
    t0 = datetime(2022, 3, 1, 8, tzinfo=timezone.utc)
    store.remember_code("k1", "visit-1", t0)
    store.close()
    store = EntryStore(any_url)
    assert store.recent_code("k1") == (t0, "visit-1")
    store.remember_code("k1", "visit-2", t0 + timedelta(minutes=1))
    assert store.recent_code("k1") == (t0 + timedelta(minutes=1), "visit-2")
    store.remember_code("k2", "visit-3", t0 + timedelta(days=2))
    assert store.recent_code("k1") is None and store.recent_code("missing") is None
    store.close()


# ------------------------------------------------------------- time limits
@pytest.mark.slow
def test_a_locked_table_on_postgresql_is_a_storage_fault_not_a_hang(pg_url: str) -> None:
    from sqlalchemy.exc import OperationalError

    store = EntryStore(pg_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "3s"
    blocker = make_engine(pg_url)
    outcome: list[BaseException | None] = []
    with blocker.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("LOCK TABLE entries IN ACCESS EXCLUSIVE MODE")

        def write() -> None:
            try:
                store.append(entry(1))
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - the test reports what came out
                outcome.append(exc)

        t = threading.Thread(target=write, daemon=True)
        t.start()
        t.join(120)  # a guard against hanging the suite, not a timing assertion
        conn.exec_driver_sql("ROLLBACK")
    blocker.dispose()
    assert outcome and isinstance(outcome[0], OperationalError), outcome
    store.append(replace(entry(1)))
    assert store.count() == 1
    store.close()


def test_the_ledger_marker_keeps_up_while_the_kiosk_runs(db_path: Path, tmp_path: Path) -> None:
    """A power cut leaves no clean close: a copy from the morning must still be refused in the evening."""
    import json

    from db.store import LEDGER_MARK_EVERY

    marker = tmp_path / "ledger.json"
    url = f"sqlite:///{db_path}"
    store = EntryStore(url, ledger_marker=marker)
    store.append(entry(1))
    morning_copy = tmp_path / "morning.sqlite3"
    src, dst = sqlite3.connect(db_path), sqlite3.connect(morning_copy)
    src.backup(dst)
    src.close()
    dst.close()
    morning = morning_copy.read_bytes()
    for i in range(2, LEDGER_MARK_EVERY + 3):
        store.append(entry(i))
    assert json.loads(marker.read_text())["seq"] > 2
    store.engine.dispose()  # the plug is pulled: no close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db_path.write_bytes(morning)
    with pytest.raises(LedgerAlarm, match="went back"):
        EntryStore(url, ledger_marker=marker)


def test_a_forged_purge_that_wipes_who_entered_is_named(logged: EntryStore, db_path: Path) -> None:
    # Someone with the file marks a recent row as purged and blanks its personal fields (no purge ran).
    _sql(db_path, "UPDATE entries SET purged_at='2026-11-29 03:30:00', person_ref=NULL, name_masked=NULL, "
                  f"id_masked=NULL, id_hash=NULL, registration='{{}}' WHERE id='{entry(4).id}'")
    [(_, seq, _, why)] = logged.verify_chain().broken
    assert seq == 4 and "no recorded purge covers its day" in why
    # A real purge of those days is recorded, and then the row verifies.
    assert logged.purge_personal(date(2022, 3, 2)) == 9
    assert logged.verify_chain().ok


def test_without_the_key_a_cut_off_end_is_still_named(logged: EntryStore, db_path: Path) -> None:
    # The last journal row and what it authenticated are deleted: the log's key says more were written.
    con = sqlite3.connect(db_path)
    kind, ref = con.execute("SELECT kind, ref FROM log_journal ORDER BY seq DESC LIMIT 1").fetchone()
    table = {"entry": "entries", "follow_up": "follow_ups", "audit": "audit_log"}[kind]
    con.execute(f"DELETE FROM {table} WHERE CAST(id AS TEXT) = ?", (ref,))
    con.execute("DELETE FROM log_journal WHERE seq = (SELECT MAX(seq) FROM log_journal)")
    con.commit()
    con.close()
    assert any("cut off the end" in b[3] for b in logged.verify_chain().broken)


@pytest.mark.parametrize("table, column, value", [
    ("entries", "created_at", "2022-22-01 08:00:00.000000"), ("entries", "local_date", "x"),
    ("entries", "registration", "{not json"), ("entries", "codes", "["), ("entries", "purged_at", "x"),
    ("audit_log", "at", "2022-13-45 99:00:00"), ("audit_log", "detail", "{"),
])
def test_an_unparsable_value_is_a_named_broken_row_and_the_check_goes_on(
        logged: EntryStore, db_path: Path, table: str, column: str, value: str) -> None:
    where = f"id='{entry(3).id}'" if table == "entries" else "action='export'"
    _sql(db_path, f"UPDATE {table} SET {column}='{value}' WHERE {where}",
         f"UPDATE entries SET decision='DENY' WHERE id='{entry(7).id}'")
    broken = logged.verify_chain().broken
    named = {b[2]: b[3] for b in broken}
    ref = entry(3).id if table == "entries" else next(b[2] for b in broken if b[0] == "audit")
    assert f"unreadable {column}" in named[ref]
    assert entry(7).id in named  # a later break is still reported
    if table == "entries":
        assert 8 not in [b[1] for b in broken if b[0] == "g"]  # the chain goes on past the unreadable row
