"""The waiting file: entries that storage refused, kept on disk until they are written.

When the entry log cannot take a row (a locked database, a full disk), the
``EntryWriter`` appends the row here (one JSON line, fsynced, mode 0600)
before the guard is told it is decided but not yet saved, so a killed or
crashed kiosk loses none of it. The writer reads the file back at start and
after later successful writes, writes what the log does not hold yet (by
entry id, so a row written just before a crash is not written twice) and
then removes what was written.

Each line carries a SHA-256 of its payload: a line cut short by a crash, or
damaged later, is never parsed into a wrong row and never silently dropped;
it is moved to ``<name>.damaged`` and reported.

Several processes may share one file (the window and a ``check``): every
change happens under an OS file lock on ``<name>.lock``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from db.records import EntryRecord

log = logging.getLogger(__name__)

_DATETIMES = ("created_at", "purged_at")


def entry_line(entry: EntryRecord) -> str:
    """One spool line: ``<sha256 of payload> <payload JSON>`` (no newline)."""
    data = dataclasses.asdict(entry)
    for name in _DATETIMES:
        if data[name] is not None:
            data[name] = data[name].isoformat()
    data["local_date"] = entry.local_date.isoformat()
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return f"{hashlib.sha256(payload.encode()).hexdigest()} {payload}"


def parse_line(line: str) -> EntryRecord:
    """The entry of one spool line; ``ValueError`` when the line is damaged in any way."""
    digest, _, payload = line.strip().partition(" ")
    if not payload or hashlib.sha256(payload.encode()).hexdigest() != digest:
        raise ValueError("checksum does not match (line cut short or changed)")
    try:
        data = json.loads(payload)
        for name in _DATETIMES:
            if data.get(name) is not None:
                data[name] = datetime.fromisoformat(data[name])
        data["local_date"] = date.fromisoformat(data["local_date"])
        entry = EntryRecord(**data)
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not an entry: {exc}") from None
    if entry.created_at.tzinfo is None:
        raise ValueError("created_at has no time zone")
    return entry


class EntrySpool:
    """An append-only file of entries waiting for storage (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.aside = self.path.with_name(self.path.name + ".damaged")
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def has_entries(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def append(self, entries: Iterable[EntryRecord]) -> None:
        """Add entries at the end, durable (fsync) before returning; ``OSError`` when the disk refuses."""
        text = "".join(entry_line(e) + "\n" for e in entries)
        if not text:
            return
        with self._locked():
            new = not self.path.exists()
            _write_synced(self.path, os.O_APPEND | os.O_CREAT, text.encode())
            if new:
                _fsync_dir(self.path.parent)  # the file's name must survive a power cut too

    def read(self) -> tuple[list[EntryRecord], int]:
        """The entries waiting, in the order they were added, and how many damaged lines were set aside.

        Damaged lines go to ``<name>.damaged`` (kept, never dropped) and leave the spool.
        """
        with self._locked():
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return [], 0
            entries: list[EntryRecord] = []
            damaged: list[bytes] = []
            for number, line in enumerate(raw.splitlines(keepends=True), 1):
                if not line.strip():
                    continue
                try:
                    entries.append(parse_line(line.decode("utf-8")))
                except (ValueError, UnicodeDecodeError) as exc:
                    log.error("waiting-entries file %s line %d is damaged (%s): set aside in %s",
                              self.path, number, exc, self.aside)
                    damaged.append(line if line.endswith(b"\n") else line + b"\n")
            if damaged:
                _write_synced(self.aside, os.O_APPEND | os.O_CREAT, b"".join(damaged))
                self._rewrite(entries)
            return entries, len(damaged)

    def discard(self, written: set[str]) -> None:
        """Remove the entries now in the log; lines another process added meanwhile stay."""
        if not written:
            return
        with self._locked():
            try:
                raw = self.path.read_bytes()
            except FileNotFoundError:
                return
            keep = [line for line in raw.splitlines(keepends=True) if line.strip() and _line_id(line) not in written]
            if not keep:
                _write_synced(self.path, os.O_TRUNC, b"")
            else:
                self._replace(b"".join(keep))

    def _rewrite(self, entries: list[EntryRecord]) -> None:
        self._replace("".join(entry_line(e) + "\n" for e in entries).encode())

    def _replace(self, data: bytes) -> None:
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        _write_synced(tmp, os.O_CREAT | os.O_TRUNC, data)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_fd(fd)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _line_id(line: bytes) -> str | None:
    try:
        return parse_line(line.decode("utf-8")).id
    except (ValueError, UnicodeDecodeError):
        return None  # damaged: never counted as written, so it stays for read() to set aside


def _write_synced(path: Path, flags: int, data: bytes) -> None:
    """Write ``data`` through a new descriptor (mode 0600 if created) and fsync it before returning."""
    fd = os.open(path, os.O_WRONLY | flags, 0o600)
    try:
        view = memoryview(data)
        while view:  # os.write may take less than all of it
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock_fd(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ten seconds; the other holder is still writing
                continue
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def spool_for(data_dir: Path, database_url: str) -> EntrySpool:
    """The spool of one database: entries meant for a demo log never go into the real one."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return EntrySpool(Path(data_dir) / f"entries-waiting-{digest}.jsonl")

