"""Injected fakes for the core's ports (no mock.patch of import paths)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from db.records import EntryRecord, RosterPerson


class ManualClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2022, 3, 1, 0, 30, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class MemoryLog:
    """An entry log in a list; ``fail_with`` makes appends raise (storage faults)."""

    def __init__(self) -> None:
        self.entries: list[EntryRecord] = []
        self.roster: dict[str, RosterPerson] = {}
        self.fail_with: Exception | None = None

    def append(self, entry: EntryRecord) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.entries.append(entry)
        return entry.id

    def get(self, entry_id: str) -> EntryRecord | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def find_roster(self, key: str) -> RosterPerson | None:
        return self.roster.get(key)


class RecordingListener:
    """Keeps every callback for assertions."""

    def __init__(self) -> None:
        self.visits: list[Any] = []
        self.logged: list[tuple[Any, str]] = []
        self.storage: list[tuple[str, int]] = []
        self.devices: list[tuple[str, str, str]] = []
        self.frames = 0
        self.committed: list[str] = []

    def on_visit_changed(self, visit: Any) -> None:
        self.visits.append(visit)

    def on_entry_logged(self, visit: Any, entry_id: str) -> None:
        self.logged.append((visit, entry_id))

    def on_entry_committed(self, entry_id: str) -> None:
        self.committed.append(entry_id)

    def on_storage_problem(self, message: str, waiting: int) -> None:
        self.storage.append((message, waiting))

    def on_device_status(self, device: str, state: str, message: str) -> None:
        self.devices.append((device, state, message))

    def on_frame(self, frame: Any, overlays: Any) -> None:
        self.frames += 1


def counter_ids(prefix: str = "id") -> Any:
    n = iter(range(1, 10**9))
    return lambda: f"{prefix}-{next(n)}"
