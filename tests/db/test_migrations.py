"""Alembic migrations: an empty database, one made by the previous revision, and model/schema parity."""

from __future__ import annotations

import importlib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db.models import Base
from db.store import EntryStore
from db.engine import alembic_config, current_revision, head_revision, make_engine, upgrade

REVISIONS = [s.revision for s in reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")

USER_TEXT = importlib.import_module("db.migrations.versions.0008_unbounded_user_text").USER_TEXT


def test_empty_database_upgrades_to_head_and_matches_models(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    if engine.dialect.name == "sqlite":
        # SQLite does not enforce varchar lengths, so 0008 leaves its declared types (no table rebuilt).
        diff = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type"
                                        and d[0][3] in USER_TEXT.get(d[0][2], ()))]
    assert diff == [], f"models and migrations disagree: {diff}"
    engine.dispose()


@pytest.mark.parametrize("previous", REVISIONS[:-1])
def test_upgrade_from_each_previous_revision_keeps_data(url: str, previous: str) -> None:
    engine = make_engine(url)
    upgrade(engine, previous)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO entries (id, site_id, gate_id, lane, person_kind, elements, decision, reasons, flagged, "
            "policy_version, guard_id, created_at, local_date, registration, handoff) VALUES "
            "('e1', 's', 'g', 'campus', 'staff', '{}', 'PASS', '[]', false, 'v0', 'guard', :at, :day, '{}', false)"
        ), {"at": datetime(2022, 3, 1, tzinfo=timezone.utc), "day": "2022-03-01"})
    engine.dispose()
    store = EntryStore(url)  # the app upgrades on start
    assert current_revision(store.engine) == head_revision()
    got = store.get("e1")
    assert got is not None and got.policy_version == "v0" and got.decision == "PASS"
    store.close()


def test_there_is_more_than_one_revision() -> None:
    assert len(REVISIONS) >= 2 and REVISIONS[0] == "0001"


def test_store_refuses_an_old_schema_when_not_migrating(sqlite_url: str) -> None:
    from db.engine import StoreError

    engine = make_engine(sqlite_url)
    upgrade(engine, REVISIONS[0])
    engine.dispose()
    with pytest.raises(StoreError, match="db upgrade"):
        EntryStore(sqlite_url, migrate=False)
    assert "entries" in inspect(make_engine(sqlite_url)).get_table_names()


def test_long_names_and_ids_are_written_on_postgresql(pg_url: str, tmp_path: Path, capsys) -> None:
    """Issue 16: a name, person id or guard id over 64 characters failed on PostgreSQL as "not writable"."""
    import json

    from kiosk.cli.main import main

    (tmp_path / "config.toml").write_text(f'[database]\nurl = "{pg_url}"\n')
    name, ref, guard, id_number = "阿" * 100, "R" * 80, "g" * 70, "X" * 40
    assert main(["check", "--lane", "visitor", "--temp", "36.5", "--mask", "yes", "--name", name,
                 "--person-ref", ref, "--guard", guard, "--id", id_number]) == 0
    out = json.loads(capsys.readouterr().out)
    store = EntryStore(pg_url)
    try:
        row = store.get(out["entry_id"])
        assert row is not None and row.person_ref == ref and row.guard_id == guard
        assert len(row.name_masked) == 100 and len(row.id_masked) == 40
        assert store.verify_chain().ok
    finally:
        store.close()
