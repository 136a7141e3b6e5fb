"""Tamper evidence and retention on a real database: edits and deletions are caught, purges are not."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from db.store import EntryStore
from kiosk.cli import main
from kiosk.config import load_settings
from kiosk.demodata import generate


@pytest.fixture
def logged(tmp_path: Path):
    settings = load_settings(tmp_path / "config.toml")
    store = EntryStore(settings.database_url)
    store.append_many(generate(settings, date(2022, 2, 21), date(2022, 2, 23), 40))
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
