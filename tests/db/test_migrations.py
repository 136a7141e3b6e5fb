"""Alembic migrations: an empty database, one made by the previous revision, and model/schema parity."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db.models import Base
from db.store import EntryStore, alembic_config, current_revision, head_revision, make_engine, upgrade

REVISIONS = [s.revision for s in reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_empty_database_upgrades_to_head_and_matches_models(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
    from db.store import StoreError

    engine = make_engine(sqlite_url)
    upgrade(engine, REVISIONS[0])
    engine.dispose()
    with pytest.raises(StoreError, match="db upgrade"):
        EntryStore(sqlite_url, migrate=False)
    assert "entries" in inspect(make_engine(sqlite_url)).get_table_names()
