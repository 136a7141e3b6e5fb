"""Shared fixtures: offscreen Qt, a temporary data dir per test, the PostgreSQL URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may touch the real config or data directory of the machine.
    monkeypatch.setenv("GATE_KIOSK_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GATE_KIOSK_CONFIG", str(tmp_path / "config.toml"))
    (tmp_path / "config.toml").write_text("")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'entries.sqlite3'}"


def postgres_url() -> str | None:
    return os.environ.get("KIOSK_TEST_PG_URL")


@pytest.fixture
def pg_url() -> str:
    """A clean PostgreSQL database (all tables dropped) or a skip saying why."""
    url = postgres_url()
    if not url:
        if os.environ.get("KIOSK_REQUIRE_PG"):
            pytest.fail("KIOSK_REQUIRE_PG is set but KIOSK_TEST_PG_URL is empty: no PostgreSQL server")
        pytest.skip("no PostgreSQL server: set KIOSK_TEST_PG_URL (scripts/test.sh does when one answers)")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        if os.environ.get("KIOSK_REQUIRE_PG"):
            raise
        pytest.skip(f"PostgreSQL at {url} not usable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def central_url() -> str:
    """A clean central database next to the test database (``<name>_central``), created when missing."""
    url = postgres_url()
    if not url:
        if os.environ.get("KIOSK_REQUIRE_PG"):
            pytest.fail("KIOSK_REQUIRE_PG is set but KIOSK_TEST_PG_URL is empty: no PostgreSQL server")
        pytest.skip("no PostgreSQL server: set KIOSK_TEST_PG_URL (scripts/test.sh does when one answers)")
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    central = base.set(database=f"{base.database}_central")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": central.database}):
                conn.execute(text(f'CREATE DATABASE "{central.database}"'))
    finally:
        admin.dispose()
    engine = create_engine(central)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return central.render_as_string(hide_password=False)
