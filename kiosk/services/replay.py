"""The replay guard: the same code at another person's visit within a window is suspicious.

A code seen again within ``debounce_s`` is the same scan (a phone stays in
view for many frames) and is ignored, if this run saw it (a sighting another
process recorded is never a phone still in view here). Seen again later at a *different*
visit within ``window_min``, it is a replay: a shared or screenshotted code.
The guard keeps its own small table; where the store offers
``remember_code``/``recent_code`` (a table of recent code keys), it writes
through so that a restart does not forget. The database is never touched
under the controller's lock (a locked database would hold up the guard's
keys on the GUI thread): ``prefetch`` reads a key before the lock is taken,
``record`` only notes what to write, and ``persist`` writes it afterwards.
A key the store cannot take (a locked database) stays noted, in order, and is
written by a later ``persist`` (at most one try per ``RETRY_PAUSE_S``, so a
locked database does not hold each scan for its lock wait); detection goes on
from memory meanwhile. A fault is logged once, in one line.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Protocol

from kiosk.services.faultlog import FaultLog

log = logging.getLogger(__name__)


class Sighting(str, enum.Enum):
    """What one scan of a code is, for the controller."""

    FRESH = "fresh"  # new, or seen long ago
    REPEAT = "repeat"  # the same scan again (debounced)
    REPLAY = "replay"  # used at another visit a moment ago


class RecentCodes(Protocol):
    """Optional persistence of recent code keys (the entry store)."""

    def remember_code(self, key: str, visit_id: str, at: datetime) -> None: ...

    def recent_code(self, key: str) -> tuple[datetime, str] | None: ...


class ReplayGuard:
    """See the module docstring. Not thread-safe on its own: the controller's lock covers it."""

    MAX_KEYS = 4096
    RETRY_PAUSE_S = 5.0  # after a failed write, keys wait this long before the next try

    def __init__(self, debounce_s: float, window_min: float, persistence: RecentCodes | None = None) -> None:
        self.debounce = timedelta(seconds=debounce_s)
        self.window = timedelta(minutes=window_min)
        self._persistence = persistence
        self._seen: dict[str, tuple[datetime, str]] = {}
        self._fetched: dict[str, tuple[datetime, str] | None] = {}  # read from persistence, outside the lock
        self._unsaved: list[tuple[str, str, datetime]] = []
        self._io = threading.Lock()  # persistence calls in order, by whichever thread brings them
        self._notes = threading.Lock()  # the list of unsaved sightings (never held while the store works)
        self._read_faults = FaultLog(log, "reading recent codes")
        self._write_faults = FaultLog(log, "remembering recent codes")
        self._failed_at = float("-inf")  # time.monotonic() of the last failed write

    def prefetch(self, key: str) -> None:
        """Read ``key`` from persistence now (a database read), so that ``classify`` under the lock need not."""
        if self._persistence is None or key in self._seen or key in self._fetched:
            return
        try:
            with self._io:
                seen = self._persistence.recent_code(key)
        except Exception as exc:  # persistence is a help, never a reason to stop the gate
            self._read_faults.failed(exc)
            return
        self._read_faults.recovered()
        if len(self._fetched) > self.MAX_KEYS:
            self._fetched.clear()
        self._fetched[key] = seen

    def last_seen(self, key: str) -> tuple[datetime, str] | None:
        seen = self._seen.get(key)
        return seen if seen is not None else self._fetched.get(key)

    def classify(self, key: str, visit_id: str | None, now: datetime, *, front_busy: bool = False,
                 entered: Callable[[str], bool | None] = lambda visit_id: None) -> Sighting:
        """What this scan is, judged against the last sighting (without recording it).

        ``visit_id``: the visit in front; ``front_busy``: that visit already has someone's evidence (a
        reading, a code) and is not the one the code was last seen at; ``entered(visit)``: whether the
        code's earlier visit ended in a pass (None: not known, e.g. after a restart).
        """
        seen = self.last_seen(key)
        if seen is None:
            return Sighting.FRESH
        last_at, last_visit = seen
        if last_visit == visit_id:
            return Sighting.REPEAT
        if now - last_at < self.debounce and key in self._seen:
            # The same phone still in view: a repeat, unless somebody else is being checked now.
            # Only a sighting of this run can be a phone still in view: one another process
            # recorded (the previous `check`) is the code shown again, judged like any later one.
            return Sighting.REPLAY if front_busy else Sighting.REPEAT
        if now - last_at < self.window:
            # A code that got nobody in (not completed, refused) shown again is its holder trying again.
            return Sighting.FRESH if entered(last_visit) is False else Sighting.REPLAY
        return Sighting.FRESH

    def record(self, key: str, visit_id: str, now: datetime) -> None:
        self._seen[key] = (now, visit_id)
        if len(self._seen) > self.MAX_KEYS:
            horizon = self.window + self.debounce
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < horizon}
        if self._persistence is not None:
            with self._notes:
                self._unsaved.append((key, visit_id, now))
                if len(self._unsaved) > self.MAX_KEYS:  # storage down for long: the newest sightings matter most
                    del self._unsaved[: len(self._unsaved) - self.MAX_KEYS]

    @property
    def unsaved(self) -> int:
        """Sightings noted but not yet in the store (a locked database keeps them here)."""
        with self._notes:
            return len(self._unsaved)

    def persist(self) -> None:
        """Write the sightings ``record`` noted (call without the controller's lock held).

        A failure keeps the sighting (and those after it) for a later call.
        """
        if time.monotonic() - self._failed_at < self.RETRY_PAUSE_S:
            return  # the store failed a moment ago: the keys wait in memory, detection goes on
        with self._io:
            while True:
                with self._notes:
                    if not self._unsaved:
                        break
                    sighting = self._unsaved[0]
                try:
                    self._persistence.remember_code(*sighting)  # type: ignore[union-attr]
                except Exception as exc:
                    self._failed_at = time.monotonic()
                    self._write_faults.failed(exc)
                    return
                with self._notes:
                    if self._unsaved and self._unsaved[0] is sighting:
                        self._unsaved.pop(0)
        self._write_faults.recovered()

    def touch(self, key: str, now: datetime) -> None:
        """A debounced repeat keeps the sighting fresh (the phone is still in view)."""
        seen = self._seen.get(key)
        if seen is not None:
            self._seen[key] = (now, seen[1])
