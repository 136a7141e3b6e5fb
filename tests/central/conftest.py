"""Fixtures of the centre tests: the real central PostgreSQL store, migrated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from db.central.store import CentralStore


@pytest.fixture
def centre(central_url: str) -> Iterator[CentralStore]:
    store = CentralStore(central_url, migrate=True)
    yield store
    store.close()
