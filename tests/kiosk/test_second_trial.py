"""Issue 16, second new-user trial: trusted keys and the plausible range need an admin, the ledger alarm holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.store import EntryStore
from kiosk.cli.main import main
from kiosk.config.loading import load_settings

PIN = "246810"


def config(tmp_path: Path, text: str) -> None:
    (tmp_path / "config.toml").write_text(text)


def check(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict | None, str]:
    code = main(["check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip().startswith("{") else None), err


def audit(tmp_path: Path, action: str) -> list[dict]:
    store = EntryStore(load_settings(tmp_path / "config.toml").database_url)
    try:
        return store.audit_events(action)
    finally:
        store.close()


def test_a_new_trusted_issuer_key_changes_the_version_and_needs_the_admin_pin(tmp_path: Path, capsys) -> None:
    from kiosk.services.signedcode import generate_key

    _, school = generate_key()
    config(tmp_path, f'[issuers.trusted]\nschool = "{school}"\n')
    assert check(capsys, "--confirm", "health")[0] == 0  # keys in force at the first start: the setup's
    assert main(["admin", "set-pin", "--new-pin", PIN]) == 0
    before = load_settings(tmp_path / "config.toml").policy.version
    evil_pem, evil = generate_key()
    key = tmp_path / "evil.pem"
    key.write_bytes(evil_pem)
    config(tmp_path, f'[issuers.trusted]\nschool = "{school}"\nevil = "{evil}"\n')
    assert load_settings(tmp_path / "config.toml").policy.version != before
    png = tmp_path / "evil.png"
    assert main(["issue-code", "--kind", "health", "--name", "王小明", "--id", "110101199003077777",
                 "--key", str(key), "--key-id", "evil", "--out", str(png)]) == 0
    capsys.readouterr()
    code, out, err = check(capsys, "--code", str(png))
    assert code == 2 and out is None and "issuers.trusted.evil" in err and "confirm-policy" in err
    changes = audit(tmp_path, "policy_in_force")
    assert len(changes) == 2 and "evil" in changes[1]["detail"]["issuers"]["trusted"]
    assert main(["admin", "confirm-policy", "--pin", "111111"]) == 2
    capsys.readouterr()
    assert check(capsys, "--code", str(png))[0] == 2  # a wrong PIN confirms nothing
    assert main(["admin", "confirm-policy", "--pin", PIN]) == 0
    capsys.readouterr()
    code, out, _ = check(capsys, "--code", str(png))
    assert code == 0 and out["decision"] == "PASS" and out["elements"]["health"]["source"] == "signature"
    # Removing a key needs nobody; a server nobody confirmed does.
    config(tmp_path, f'[issuers.trusted]\nschool = "{school}"\n')
    assert check(capsys, "--confirm", "health")[0] == 0
    config(tmp_path, f'[issuers]\nserver_url = "https://codes.example/verify"\n[issuers.trusted]\nschool = "{school}"\n')
    code, _, err = check(capsys, "--confirm", "health")
    assert code == 2 and "issuers.server_url" in err


@pytest.mark.parametrize("line, key", [("plausible_max_c = 38.0", "plausible_max_c"),
                                       ("plausible_max_c = 41.5", "plausible_max_c"),
                                       ("plausible_min_c = 36.0", "plausible_min_c")])
def test_a_narrow_plausible_range_needs_the_admin_pin(tmp_path: Path, capsys, line: str, key: str) -> None:
    assert check(capsys, "--confirm", "health")[0] == 0
    assert main(["admin", "set-pin", "--new-pin", PIN]) == 0
    config(tmp_path, f"[policy]\n{line}\n")
    capsys.readouterr()
    code, out, err = check(capsys, "--confirm", "health")
    assert code == 2 and out is None and f"policy.{key}" in err and "confirm-policy" in err
    assert main(["admin", "confirm-policy", "--pin", PIN]) == 0
    capsys.readouterr()
    assert check(capsys, "--confirm", "health")[0] == 0


def test_the_default_plausible_range_needs_nobody(tmp_path: Path, capsys) -> None:
    config(tmp_path, "[policy]\nplausible_max_c = 42.0\nplausible_min_c = 33.0\n")
    main(["check", "--lane", "staff", "--temp", "39.5", "--temp", "39.6", "--mask", "yes", "--confirm", "health"])
    out = json.loads(capsys.readouterr().out)
    assert out["decision"] == "DENY"  # a fever of 39.5 °C is a fever, not an implausible reading


@pytest.mark.parametrize("command", [["simulate", "gate", "--people", "3", "--rate", "20"],
                                     ["demo-data", "--from", "2026-03-02", "--to", "2026-03-02", "--per-day", "5"]])
def test_a_simulation_with_db_never_becomes_the_kiosks_log(tmp_path: Path, capsys, command: list[str]) -> None:
    sim = tmp_path / "x" / "sim.sqlite3"
    sim.parent.mkdir()
    assert main([*command, "--db", str(sim)]) == 0
    capsys.readouterr()
    code, out, err = check(capsys, "--confirm", "health")  # a fresh kiosk: its own, first log
    assert code == 0 and out["decision"] == "PASS", err
    assert main(["admin", "set-pin", "--new-pin", PIN]) == 0
    assert json.loads((tmp_path / "data" / "ledger.json").read_text())["url"].endswith("entries.sqlite3")
    assert [p.name.startswith("other-ledger-") for p in (tmp_path / "data").glob("*ledger-*.json")] == [True]


def test_deleting_the_log_and_its_markers_while_the_pin_remains_is_the_ledger_alarm(tmp_path: Path, capsys) -> None:
    from kiosk.services.access import AdminAccess

    data = tmp_path / "data"
    AdminAccess(data).set_pin(PIN, "setup")  # first-run setup: the PIN comes before any log
    assert check(capsys, "--confirm", "health")[0] == 0  # not an alarm: this kiosk never kept a log
    assert check(capsys, "--confirm", "health")[0] == 0
    for name in ("entries.sqlite3", "ledger.json", "ledger-kept"):
        (data / name).unlink()
    code, out, err = check(capsys, "--confirm", "health")
    assert code == 2 and out is None and "ledger accept" in err
    assert not (data / "entries.sqlite3").exists() or main(["ledger", "accept", "--pin", "111111"]) == 2
    assert main(["ledger", "accept", "--pin", PIN]) == 0
    capsys.readouterr()
    assert check(capsys, "--confirm", "health")[0] == 0
    accepted = audit(tmp_path, "ledger_accepted")
    assert len(accepted) == 1 and accepted[0]["detail"]["rows_now"] >= 1


def test_verify_log_with_the_key_runs_under_a_ledger_alarm_and_names_what_is_gone(tmp_path: Path, capsys) -> None:
    import sqlite3

    for _ in range(3):
        assert check(capsys, "--confirm", "health")[0] == 0
    log = tmp_path / "data" / "entries.sqlite3"
    con = sqlite3.connect(log)
    initial = con.execute("SELECT initial_key FROM log_key").fetchone()[0]
    # Cut the newest entry off the end, journal row and key position with it.
    seq, ref = con.execute("SELECT seq, ref FROM log_journal WHERE kind = 'entry' ORDER BY seq DESC LIMIT 1").fetchone()
    con.execute("DELETE FROM log_journal WHERE seq >= ?", (seq,))
    con.execute("DELETE FROM entries WHERE id = ?", (ref,))
    con.execute("UPDATE log_key SET next_seq = ?", (seq,))
    con.commit()
    con.close()
    code, _, err = check(capsys, "--confirm", "health")
    assert code == 2 and "went back" in err  # the gate is stopped
    assert main(["verify-log", "--key", initial]) == 1
    out = capsys.readouterr().out
    assert "BROKEN: ledger: " in out and "went back" in out
    assert "current key is not the one its rows lead to" in out  # what the key says is gone: the end
    assert main(["verify-log"]) == 1
    assert "BROKEN: ledger: " in capsys.readouterr().out
    assert check(capsys, "--confirm", "health")[0] == 2  # verifying accepted nothing
    marker = tmp_path / "data" / "ledger.json"
    kept = marker.read_text()
    marker.write_text("{}")  # an emptied record of the log: still verified
    assert main(["verify-log", "--key", initial]) == 1
    out = capsys.readouterr().out
    assert "unreadable" in out and "current key is not the one its rows lead to" in out
    marker.write_text(kept)
    log.unlink()
    assert main(["verify-log"]) == 1 and not log.exists()  # a log that is gone is said, not re-created
    assert "missing" in capsys.readouterr().out


def test_check_prints_every_reason_it_stored_including_a_clock_set_back(capsys, monkeypatch) -> None:
    from datetime import datetime, timedelta

    import kiosk.cli.gate as gate_cli

    assert check(capsys, "--confirm", "health")[0] == 0

    class HourBack(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.now(tz) - timedelta(hours=1)

    monkeypatch.setattr(gate_cli, "datetime", HourBack)
    code, out, _ = check(capsys, "--confirm", "health")
    assert code == 0 and out["flagged"] is True
    assert [r["code"] for r in out["reasons"]] == ["clock_backwards"]
    assert out["reasons"][0]["message"] == "本机时间早于上一条记录" and "last_at" in out["reasons"][0]["params"]


def test_no_pin_and_no_terminal_asks_for_pin_and_counts_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    import io

    monkeypatch.delenv("GATE_KIOSK_PIN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal
    assert check(capsys, "--confirm", "health")[0] == 0
    assert main(["admin", "set-pin", "--new-pin", PIN]) == 0
    capsys.readouterr()
    assert main(["log-key", "handout", "--out", str(tmp_path / "sheet.pdf")]) == 2
    err = capsys.readouterr().err
    assert "--pin" in err and "GATE_KIOSK_PIN" in err and len(err.strip().splitlines()) == 1
    assert audit(tmp_path, "log_key_handout") == []  # no attempt recorded, so none counted
    assert main(["log-key", "handout", "--out", str(tmp_path / "sheet.pdf"), "--pin", PIN]) == 0


@pytest.mark.parametrize("tamper", [
    "INSERT INTO audit_log (at, actor, action, detail) VALUES "
    "('2026-01-01 00:00:00', 'it', 'export', '{\"granted\": true}')",
    "DELETE FROM audit_log WHERE action = 'export'",
    "UPDATE audit_log SET detail = '{\"granted\": true}' WHERE id = (SELECT max(id) FROM audit_log)",
    "UPDATE audit_log SET action = 'note' WHERE action = 'export'",
])
def test_forged_or_deleted_audit_rows_never_give_pin_attempts_back(tmp_path: Path, tamper: str) -> None:
    import sqlite3
    import time

    from kiosk.services.access import AccessDenied, AdminAccess
    from tests.kiosk.test_access import Clock

    db = tmp_path / "entries.sqlite3"
    store = EntryStore(f"sqlite:///{db}")
    clock = Clock()
    clock.t = time.time()
    access = AdminAccess(tmp_path, ledger=store, clock=clock)
    access.set_pin(PIN, "it")
    for _ in range(5):
        with pytest.raises(AccessDenied):
            access.verify("000000", "attacker", "export")
    con = sqlite3.connect(db)
    con.execute(tamper)
    con.commit()
    con.close()
    with pytest.raises(AccessDenied, match="锁定") as denied:
        AdminAccess(tmp_path, ledger=store, clock=clock).verify(PIN, "attacker", "export")
    assert "未通过日志认证" in str(denied.value)  # and it is said
    assert store.last_audit("export")["detail"]["unauthenticated"] >= 1
    clock.t += 3601  # the lock runs out (at most an hour): the right PIN works again, it is not a lock for ever
    AdminAccess(tmp_path, ledger=store, clock=clock).verify(PIN, "it", "export")
    store.close()


def test_on_postgresql_deleted_failure_rows_still_count(tmp_path: Path, pg_url: str) -> None:
    from sqlalchemy import text

    from kiosk.services.access import AccessDenied, AdminAccess

    store = EntryStore(pg_url)
    access = AdminAccess(tmp_path, ledger=store)
    access.set_pin(PIN, "it")
    for _ in range(5):
        with pytest.raises(AccessDenied):
            access.verify("000000", "attacker", "export")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE action = 'export'"))
    with pytest.raises(AccessDenied, match="未通过日志认证"):
        AdminAccess(tmp_path, ledger=store).verify(PIN, "attacker", "export")
    store.close()


def test_opening_a_busy_log_waits_its_turn_and_a_url_change_is_audited_once(tmp_path: Path, monkeypatch) -> None:
    import sqlite3
    import threading

    import db.store
    from db.engine import StoreError

    marker = tmp_path / "ledger.json"
    first, moved = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    EntryStore(f"sqlite:///{first}", ledger_marker=marker).close()
    first.rename(moved)  # a copied data dir: the same log under another URL
    holder = sqlite3.connect(moved, check_same_thread=False, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command writes for longer than the 2 s busy timeout
    threading.Timer(3.0, holder.rollback).start()
    opened: list[object] = []

    def open_store() -> None:
        try:
            opened.append(EntryStore(f"sqlite:///{moved}", ledger_marker=marker))
        except StoreError as exc:
            opened.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(s, EntryStore) for s in opened), opened  # waited, none "database is locked"
    assert len(opened[0].audit_events("database_url_changed")) == 1  # type: ignore[union-attr]
    for s in opened:
        s.close()  # type: ignore[union-attr]
    # Bounded: a log held for good is a storage fault in one line, not a hang.
    monkeypatch.setattr(db.store, "OPEN_WAIT_S", 1.0)
    holder.execute("BEGIN IMMEDIATE")
    marker.write_text(marker.read_text().replace("b.sqlite3", "c.sqlite3"))  # opening must write again
    with pytest.raises(StoreError, match="locked"):
        EntryStore(f"sqlite:///{moved}", ledger_marker=marker)
    holder.rollback()
    holder.close()


def test_the_same_signed_code_at_a_second_check_within_debounce_is_a_replay(tmp_path: Path, capsys) -> None:
    from kiosk.services.signedcode import generate_key

    pem, public = generate_key()
    key = tmp_path / "school.pem"
    key.write_bytes(pem)
    config(tmp_path, f'[gate]\ndebounce_s = 600.0\n[issuers.trusted]\nschool = "{public}"\n')
    png = tmp_path / "code.png"
    assert main(["issue-code", "--kind", "health", "--name", "王小明", "--id", "110101199003077777",
                 "--key", str(key), "--key-id", "school", "--out", str(png)]) == 0
    capsys.readouterr()
    code, first, _ = check(capsys, "--code", str(png))
    assert code == 0 and first["elements"]["health"]["source"] == "signature"
    _, second, _ = check(capsys, "--code", str(png))  # another person, a moment later (well within debounce_s)
    assert "replay" in [r["code"] for r in second["reasons"]]
    assert second["elements"]["health"]["source"] == "signature"  # checked: not "not checked"
    assert second["decision"] == "INCOMPLETE"  # the guard checks the person's identity first
