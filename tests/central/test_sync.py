"""Store and forward against the real PostgreSQL: idempotent batches, resume, refusals, pulls, several kiosks."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from db.central.store import CentralStore, CentralUnavailable
from db.store import EntryStore
from db.syncsource import SyncSource
from kiosk.services.publications import central_overlay
from kiosk.services.sync import SyncState, SyncLoop, sync_status
from tests.central.helpers import DAY, central_rows, cli, fill, local_ids, make_kiosk

pytestmark = [pytest.mark.postgres, pytest.mark.slow]  # each test runs kiosks against a centre: seconds


def test_sync_once_sends_everything_and_keeps_the_local_log(tmp_path: Path, central_url: str, centre) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 700)
    before = json.loads(cli(k, "sync", "status", "--json").stdout)
    assert (before["local"], before["sent"], before["pending"], before["last_sent_at"]) == (700, 0, 700, None)
    run = cli(k, "sync", "--once")
    assert run.returncode == 0, run.stderr
    after = json.loads(cli(k, "sync", "status", "--json").stdout)
    assert (after["local"], after["sent"], after["pending"]) == (700, 700, 0) and after["last_sent_at"]
    ids = {r[0] for r in central_rows(central_url, "SELECT id FROM entries")}
    assert ids == local_ids(k) and len(ids) == 700  # nothing deleted locally because it was sent
    head = central_rows(central_url, "SELECT seq, seen_at FROM chain_heads WHERE site_id = 's1' AND gate_id = 'gate-1'")
    assert head[0][0] == 700 and head[0][1] is not None
    # the day's partition exists and holds the rows
    parts = central_rows(central_url, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                      "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'entries'")
    assert [p[0] for p in parts] == [f"entries_{DAY:%Y%m%d}"]
    verify = cli(k, "verify-log", "--against", central_url)
    assert verify.returncode == 0 and "match the local log" in verify.stdout


def test_a_batch_sent_twice_changes_nothing(tmp_path: Path, central_url: str, centre: CentralStore) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 300)
    store = EntryStore(k.database_url)
    rows = SyncSource(store).pending_entries("gate-1", 120)
    centre.register_gate("s1", "gate-1")
    first = centre.ingest_entries("s1", "gate-1", rows)
    again = centre.ingest_entries("s1", "gate-1", rows)
    assert (first.accepted, first.duplicates) == (120, 0) and (again.accepted, again.duplicates) == (0, 120)
    # The kiosk died after the centre committed and before it moved its position: it resends; nothing doubles.
    worker = SyncLoop(store, centre, k)
    status = worker.run_once()
    assert status.pending == 0 and status.sent == 300
    n, distinct = central_rows(central_url, "SELECT count(*), count(DISTINCT id) FROM entries")[0]
    assert n == distinct == 300
    assert centre.verify_chains() == [] and centre.incidents() == []
    store.close()


def test_other_logs_are_forwarded_idempotently(tmp_path: Path, central_url: str, centre: CentralStore) -> None:
    from datetime import datetime, timezone

    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 20)
    store = EntryStore(k.database_url)
    first = next(iter(SyncSource(store).pending_entries("gate-1", 1)))
    store.follow_up(first["id"], "observation", "guard-1", "sent to the observation room")
    store.device_event("thermometer", "lost", "unplugged")
    store.audit("guard-1", "export", {"format": "csv"})
    store.add_calibration({"id": "cal-1", "thermometer_id": "thermo-1", "performed_at": datetime.now(timezone.utc),
                           "operator": "王老师", "reference_c": 37.0, "readings": [36.9, 37.0], "offset_c": 0.05,
                           "residual_c": 0.05, "ambient_c": 21.0, "ambient_coefficient": 0.0})
    SyncLoop(store, centre, k).run_once()
    SyncLoop(store, centre, k).run_once()  # again: nothing doubles
    for table, n in (("follow_ups", 1), ("device_events", 1), ("calibrations", 1)):
        assert central_rows(central_url, f"SELECT count(*) FROM {table}")[0][0] == n, table
    assert central_rows(central_url, "SELECT count(*) FROM audit_log WHERE action = 'export'")[0][0] == 1
    assert central_rows(central_url, "SELECT entry_id, state FROM follow_ups")[0] == (first["id"], "observation")
    store.close()


def _tamper(settings, sql: str) -> None:
    con = sqlite3.connect(settings.sqlite_path)
    con.execute(sql)
    con.commit()
    con.close()


def test_a_rewritten_row_is_refused_and_recorded(tmp_path: Path, central_url: str, centre: CentralStore) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 100)
    assert cli(k, "sync", "--once").returncode == 0
    fill(k, 50, seed=2)
    _tamper(k, "UPDATE entries SET guard_id = 'somebody-else' WHERE seq = 120")
    run = cli(k, "sync", "--once")
    assert run.returncode == 1 and "rewritten" in run.stderr and "Traceback" not in run.stderr
    incidents = centre.incidents()
    assert [(i.kind, i.seq) for i in incidents] == [("rewritten", 120)]
    # rows before the bad one were accepted; nothing from it on
    assert centre.head("s1", "gate-1")[0] == 119
    status = json.loads(cli(k, "sync", "status", "--json").stdout)
    assert status["pending"] == 31
    assert cli(k, "sync", "--once").returncode == 1
    assert len(centre.incidents()) == 1  # the same refusal is recorded once


def test_a_rewritten_history_and_a_gap_are_refused(tmp_path: Path, central_url: str, centre: CentralStore) -> None:
    from db.chain import GENESIS, personal_hash, row_hash

    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 60)
    assert cli(k, "sync", "--once").returncode == 0
    # Someone rewrites row 10 and recomputes the whole chain so that verify-log alone is happy.
    _tamper(k, "UPDATE entries SET guard_id = 'somebody-else' WHERE seq = 10")
    store = EntryStore(k.database_url)
    rows = sorted((r for r in store.entries(DAY)), key=lambda r: r.seq or 0)
    prev = GENESIS
    con = sqlite3.connect(k.sqlite_path)
    for r in rows:
        fields = {f: getattr(r, f) for f in r.__dataclass_fields__}
        fields["prev_hash"] = prev
        personal = personal_hash(fields)
        h = row_hash(fields, prev, personal)
        con.execute("UPDATE entries SET prev_hash = ?, row_hash = ?, personal_hash = ? WHERE id = ?",
                    (prev, h, personal, r.id))
        prev = h
    con.commit()
    con.close()
    # The plain hash chain alone would miss it; the authenticated journal (issue 16) already names it.
    assert not store.verify_chain().ok
    store.close()
    verify = cli(k, "verify-log", "--against", central_url)
    assert verify.returncode == 1 and "DIFFERS" in verify.stdout and "first: row 10" in verify.stdout
    fill(k, 5, seed=3)
    assert cli(k, "sync", "--once").returncode == 1
    assert [i.kind for i in centre.incidents()] == ["fork"]
    # A deleted row that was never sent leaves a gap.
    k2 = make_kiosk(tmp_path, "k2", central_url, gate="gate-2")
    fill(k2, 30, seed=9)
    _tamper(k2, "DELETE FROM entries WHERE seq = 5")
    run = cli(k2, "sync", "--once")
    assert run.returncode == 1
    assert ("gap", 6) in {(i.kind, i.seq) for i in centre.incidents(site_id="s1")}
    assert centre.head("s1", "gate-2")[0] == 4


def test_verify_against_the_centre_compares_row_content(tmp_path: Path, central_url: str, centre: CentralStore) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 12)
    assert cli(k, "sync", "--once").returncode == 0
    assert "match the local log" in cli(k, "verify-log", "--against", central_url).stdout
    # Edited after it was sent, its stored hashes left alone: the stored hashes still agree with the centre's.
    _tamper(k, "UPDATE entries SET temperature_c = temperature_c + 2.5, decision = 'DENY' WHERE seq = 4")
    verify = cli(k, "verify-log", "--against", central_url)
    assert verify.returncode == 1 and "DIFFERS" in verify.stdout and "first: row 4" in verify.stdout
    assert "match the local log" not in verify.stdout


def test_a_second_kiosk_with_the_same_gate_id_is_named_not_accused(tmp_path: Path, central_url: str,
                                                                    centre: CentralStore) -> None:
    first = make_kiosk(tmp_path, "k1", central_url)
    second = make_kiosk(tmp_path, "k2", central_url)  # the same site and gate id by mistake
    fill(first, 10, seed=1)
    fill(second, 10, seed=2)
    assert cli(first, "sync", "--once").returncode == 0
    run = cli(second, "sync", "--once")
    assert run.returncode == 1 and "two kiosks may share gate_id gate-1" in run.stderr
    store = EntryStore(second.database_url)
    log_id = store.ledger_state()[0][:12]
    store.close()
    (incident,) = centre.incidents()
    assert incident.kind == "fork" and f"kiosk log {log_id}" in incident.detail


def test_unreachable_centre_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    k = make_kiosk(tmp_path, "k1", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    fill(k, 5)
    run = cli(k, "sync", "--once")
    assert run.returncode == 3
    assert "cannot be reached" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    status = json.loads(cli(k, "sync", "status", "--json").stdout)
    assert status["pending"] == 5  # status works with the centre away


def test_pulls_roster_policy_and_issuer_keys_and_keeps_the_last_copy(tmp_path: Path, central_url: str,
                                                                     centre: CentralStore) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    (tmp_path / "policy.toml").write_text("[policy]\nversion = 'bureau-2026-03'\nfever_threshold_c = 37.5\n")
    (tmp_path / "roster.csv").write_text("学号,姓名,身份,班级,卡号\nS001,韩梅梅,student,初一(1)班,C001\n",
                                         encoding="utf-8")
    from kiosk.services.signedcode import generate_key

    (tmp_path / "issuers.toml").write_text(f"[trusted]\nbureau = '{generate_key()[1]}'\n")
    (tmp_path / "bad-issuers.toml").write_text("[trusted]\nbureau = 'AAAA'\n")
    bad = cli(k, "central", "publish", "issuers", str(tmp_path / "bad-issuers.toml"))
    assert bad.returncode == 2 and "not an Ed25519 public key" in bad.stderr
    assert cli(k, "central", "publish", "policy", str(tmp_path / "policy.toml"), "--scope", "*").returncode == 0
    assert cli(k, "central", "publish", "roster", str(tmp_path / "roster.csv")).returncode == 0
    assert cli(k, "central", "publish", "issuers", str(tmp_path / "issuers.toml"), "--scope", "*").returncode == 0
    assert cli(k, "sync", "--once").returncode == 0
    shown = json.loads(cli(k, "config", "show").stdout)
    assert shown["policy"]["version"] == "bureau-2026-03"  # `config show`: the settings in force, as pulled
    store = EntryStore(k.database_url)
    assert store.find_roster("S001") is not None and store.find_roster("C001").name == "韩梅梅"
    store.close()
    # The centre goes away: the kiosk keeps working on its last copy.
    away = make_kiosk(tmp_path, "k1", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    settings = central_overlay(away)
    assert settings.policy.version == "bureau-2026-03" and settings.policy.fever_threshold_c == 37.5
    assert "bureau" in settings.trusted_issuers
    checked = cli(away, "check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["policy_version"] == "bureau-2026-03"
    # A school's own policy wins over the district's.
    k = make_kiosk(tmp_path, "k1", central_url)  # the centre is back
    (tmp_path / "own.toml").write_text("[policy]\nversion = 'school-own-1'\n")
    assert cli(k, "central", "publish", "policy", str(tmp_path / "own.toml")).returncode == 0
    assert cli(k, "sync", "--once").returncode == 0
    assert central_overlay(k).policy.version == "school-own-1"


def test_kiosks_of_one_school_and_of_two_schools_sync_at_once(tmp_path: Path, central_url: str,
                                                              centre: CentralStore) -> None:
    kiosks = [make_kiosk(tmp_path, "a1", central_url, site="s1", gate="north", batch_size=50),
              make_kiosk(tmp_path, "a2", central_url, site="s1", gate="south", batch_size=50),
              make_kiosk(tmp_path, "b1", central_url, site="s2", gate="gate-1", school="第二小学", batch_size=50)]
    for i, k in enumerate(kiosks):
        fill(k, 300 + 50 * i, seed=i + 1)
    procs = [subprocess.Popen(["sleep", "0"])]  # placeholder so the list type is right
    procs = []
    import os
    import sys
    for k in kiosks:
        env = dict(os.environ, GATE_KIOSK_CONFIG=str(k.source_path), GATE_KIOSK_DATA=str(k.data_dir))
        procs.append(subprocess.Popen([sys.executable, "-m", "kiosk", "sync", "--once"], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    expected = set().union(*(local_ids(k) for k in kiosks))
    assert {r[0] for r in central_rows(central_url, "SELECT id FROM entries")} == expected
    from db.central.queries import site_day_totals

    assert site_day_totals(centre, "s1", DAY)["total"] > 0
    assert site_day_totals(centre, "s1", DAY)["gates"] == 2 and site_day_totals(centre, "s2", DAY)["gates"] == 1
    assert centre.verify_chains() == []
    gates = {(g["site_id"], g["gate_id"]): g for g in centre.gates()}
    assert gates[("s1", "north")]["site_name"] == "第一中学" and gates[("s2", "gate-1")]["site_name"] == "第二小学"


def test_worker_status_in_words(tmp_path: Path, central_url: str) -> None:
    k = make_kiosk(tmp_path, "k1", central_url)
    fill(k, 10)
    store = EntryStore(k.database_url)
    status = sync_status(store, SyncState.WAITING, "down")
    assert status.pending == 10 and "中心暂不可达" in status.words() and "待同步 10 条" in status.words()
    store.close()


def test_sync_status_says_when_the_centre_is_away_or_not_configured(tmp_path: Path) -> None:
    k = make_kiosk(tmp_path, "k1", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    fill(k, 3)
    assert json.loads(cli(k, "sync", "status", "--json").stdout)["state"] == "unknown"
    assert cli(k, "sync", "--once").returncode == 3
    away = json.loads(cli(k, "sync", "status", "--json").stdout)
    assert away["state"] == "waiting" and away["message"] and away["pending"] == 3
    alone = make_kiosk(tmp_path, "k2", "")
    fill(alone, 2)
    status = json.loads(cli(alone, "sync", "status", "--json").stdout)
    assert status["state"] == "not_configured" and "[central] url" in status["message"]


def test_worker_raises_unavailable_when_the_centre_is_away(tmp_path: Path) -> None:
    k = make_kiosk(tmp_path, "k1", "postgresql+psycopg://postgres@127.0.0.1:9/nowhere")
    fill(k, 3)
    store = EntryStore(k.database_url)
    central = CentralStore(k.central.url, connect_timeout_s=1)
    with pytest.raises(CentralUnavailable):
        SyncLoop(store, central, k).run_once()
    store.close()
    central.close()


def test_an_entry_id_already_held_for_another_row_is_refused_not_dropped(tmp_path: Path, central_url: str,
                                                                         centre: CentralStore) -> None:
    # Two kiosks whose logs share entry ids (demo data made with the same seed): the second must not lose rows.
    north = make_kiosk(tmp_path, "north", central_url, gate="north")
    south = make_kiosk(tmp_path, "south", central_url, gate="south")
    fill(north, 50, seed=7)
    fill(south, 50, seed=7)
    assert local_ids(north) == local_ids(south)
    assert cli(north, "sync", "--once").returncode == 0
    run = cli(south, "sync", "--once")
    assert run.returncode == 1 and "already at the centre" in run.stderr
    assert [i.kind for i in centre.incidents()] == ["conflict"]
    assert centre.head("s1", "south")[0] == 0
    assert json.loads(cli(south, "sync", "status", "--json").stdout)["pending"] == 50


def test_a_gate_lock_held_by_a_vanished_kiosk_gives_up_instead_of_hanging(central_url: str, centre: CentralStore) -> None:
    """Re-trial finding: a kiosk killed mid-batch behind a half-open connection left a session idle in
    transaction holding its gate's lock; every later sync of that gate waited on it for ever, silently."""
    import psycopg

    centre.register_gate("s1", "gate-9")
    plain = central_url.replace("postgresql+psycopg://", "postgresql://")
    stuck = psycopg.connect(plain)  # the vanished kiosk's session: lock taken, transaction never ended
    stuck.execute("SELECT pg_advisory_xact_lock(hashtext('s1/gate-9'))")
    impatient = CentralStore(central_url, lock_timeout_s=1.0, idle_in_transaction_s=3.0)
    try:
        with pytest.raises(CentralUnavailable):
            impatient.ingest_entries("s1", "gate-9", [])
        with impatient.engine.connect() as conn:
            shown = conn.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar_one()
        assert shown == "3s"  # the server ends such a session by itself
    finally:
        impatient.close()
        stuck.close()
