"""Tamper evidence and retention on a real database: edits and deletions are caught, purges are not."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from db.store import EntryStore
from kiosk.cli.main import main
from kiosk.config.loading import load_settings
from kiosk.app_adapters import demo_entries


@pytest.fixture
def logged(tmp_path: Path):
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    store.append_many(demo_entries(settings, date(2022, 2, 21), date(2022, 2, 23), 40))
    yield store, Path(settings.database_url[len("sqlite:///"):])
    store.close()


def test_intact_chain_verifies(logged, capsys) -> None:
    store, _ = logged
    report = store.verify_chain()
    assert report.ok and report.checked == store.count() == 120
    assert main(["verify-log"]) == 0 and "chain intact" in capsys.readouterr().out


def test_an_edit_with_plain_sql_is_named(logged, capsys) -> None:
    store, path = logged
    con = sqlite3.connect(path)
    seq, entry_id = con.execute("SELECT seq, id FROM entries WHERE decision = 'DENY' ORDER BY seq LIMIT 1").fetchone()
    con.execute("UPDATE entries SET decision = 'PASS' WHERE id = ?", (entry_id,))
    con.commit()
    con.close()
    report = store.verify_chain()
    assert report.broken == [("gate-1", seq, entry_id, "the row was changed after it was written")]
    assert main(["verify-log", "--date", "2022-02-22"]) == 1
    assert f"row {seq}" in capsys.readouterr().out


def test_a_deleted_row_and_edited_personal_field_are_caught(logged) -> None:
    store, path = logged
    con = sqlite3.connect(path)
    con.execute("DELETE FROM entries WHERE seq = 50")
    con.commit()
    assert "deleted" in store.verify_chain().broken[0][3]
    con.execute("UPDATE entries SET name_masked = '某*' WHERE seq = 10")
    con.commit()
    con.close()
    broken = store.verify_chain().broken  # every break is named, not only the earliest
    assert ("gate-1", 10) in [(b[0], b[1]) for b in broken if b[3] == "personal fields were changed"]
    assert any(b[0] == "gate-1" and b[1] == 51 and "deleted" in b[3] for b in broken)


def test_purge_blanks_personal_fields_keeps_counts_and_chain(logged, capsys) -> None:
    store, _ = logged
    before = store.count()
    n = store.purge_personal(date(2022, 2, 23))
    assert n == 80 and store.count() == before
    old = list(store.entries(date(2022, 2, 21)))
    assert all(e.name_masked is None and e.registration == {} and e.purged_at for e in old)
    assert all(e.decision and e.lane for e in old)  # what the reports count stays
    assert any(e.name_masked for e in store.entries(date(2022, 2, 23)))
    assert store.verify_chain().ok
    assert main(["purge", "--older-than", "30d"]) == 0
    assert "purged personal fields of 40 entries" in capsys.readouterr().out
    assert store.audit_events("purge")
    with pytest.raises(SystemExit) as usage:
        main(["purge", "--older-than", "soon"])
    assert usage.value.code == 2


def test_the_key_sheet_and_verify_log_with_the_key(tmp_path: Path, capsys) -> None:
    """Issue 16: verify-log said OK to a log recomputed by someone with file access; with --key it cannot."""
    from pypdf import PdfReader

    (tmp_path / "config.toml").write_text('[site]\nsite_id = "s-0417"\nschool_name = "实验小学"\n')
    assert main(["check", "--lane", "staff", "--temp", "36.5", "--mask", "yes", "--confirm", "health"]) == 0
    assert main(["log-key", "handout", "--out", str(tmp_path / "data" / "sheet.pdf")]) == 2  # not beside the log
    sheet = tmp_path / "sheet.pdf"
    assert main(["log-key", "handout", "--out", str(sheet)]) == 0
    assert main(["log-key", "handout", "--out", str(tmp_path / "again.pdf")]) == 2  # once only
    text = "".join(page.extract_text() for page in PdfReader(sheet).pages)
    assert text.index("实验小学") < text.index("s-0417")  # the school's name first, the site id second
    key_line = re.search(r"GKLOG1:[0-9a-f-]{36}:[0-9a-f]{64}", "".join(text.split())).group(0)
    capsys.readouterr()
    assert main(["verify-log", "--key", key_line]) == 0
    assert "authenticated with the initial key" in capsys.readouterr().out
    (tmp_path / "key.txt").write_text(key_line)
    assert main(["verify-log", "--key", str(tmp_path / "key.txt")]) == 0
    assert main(["verify-log", "--key", "not-a-key"]) == 2
    con = sqlite3.connect(tmp_path / "data" / "entries.sqlite3")
    con.execute("UPDATE log_journal SET mac = '00' WHERE seq = 1")
    con.commit()
    con.close()
    capsys.readouterr()
    assert main(["verify-log"]) == 0  # without the key a forged MAC cannot be seen
    assert main(["verify-log", "--key", key_line]) == 1
    assert "not authentic" in capsys.readouterr().out


def test_an_emptied_log_stops_every_command_until_an_admin_accepts(tmp_path: Path, capsys) -> None:
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    db = tmp_path / "data" / "entries.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")
    capsys.readouterr()
    assert main(["verify-log"]) == 1  # the alarm is named, the auditor is not stopped (issue 16 trial 2, finding 8)
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 2
    err = capsys.readouterr().err
    assert "empty" in err and "ledger accept" in err and db.stat().st_size == 0
    assert main(["ledger", "accept"]) == 0
    assert main(["verify-log"]) == 0
    store = EntryStore(f"sqlite:///{db}")
    assert store.last_audit("ledger_accepted")["detail"]["previous_rows"] == 2  # the entry and the policy row
    store.close()


def test_a_changed_database_url_or_a_deleted_marker_is_an_alarm_not_a_new_log(tmp_path: Path, capsys) -> None:
    """Issue 16: the marker was named by the URL, so editing database.url (or deleting it) began a new log quietly."""
    config = tmp_path / "config.toml"
    first, second = tmp_path / "data" / "entries.sqlite3", tmp_path / "elsewhere.sqlite3"
    assert main(["demo-data", "--from", "2022-02-21", "--to", "2022-02-21", "--per-day", "3"]) == 0  # the demo first
    assert main(["admin", "set-pin", "--new-pin", "246810"]) == 0
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    config.write_text(f'[database]\nurl = "sqlite:///{second}"\n')
    capsys.readouterr()
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and "database.url changed" in err and not second.exists()
    EntryStore(f"sqlite:///{second}").close()  # a fresh log made there by hand
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 2
    assert "not the log this kiosk kept" in capsys.readouterr().err
    assert main(["ledger", "accept", "--pin", "000000"]) == 2  # an admin acts, with the PIN
    (tmp_path / "data" / "admin.json").unlink()  # nor does losing the PIN file let it through
    assert main(["ledger", "accept"]) == 2 and "admin.json" in capsys.readouterr().err
    config.write_text("")
    registry = tmp_path / "data" / "ledger.json"
    kept = registry.read_bytes()
    registry.unlink()  # back to the first log, the record of it deleted
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 2
    assert "missing" in capsys.readouterr().err
    registry.write_text("{}")  # or emptied
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 2
    assert "unreadable" in capsys.readouterr().err
    # The same log under another spelling of its path: no alarm, but the change is audited.
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/data/../data/entries.sqlite3"\n')
    registry.write_bytes(kept)  # restored from its backup
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    config.write_text("")
    assert main(["check", "--lane", "staff", "--temp", "36.5"]) == 0
    store = EntryStore(f"sqlite:///{first}")
    moves = [e["detail"] for e in store.audit_events("database_url_changed")]
    assert [("/../" in m["to"], "/../" in m["from"]) for m in moves] == [(True, False), (False, True)]
    store.close()
