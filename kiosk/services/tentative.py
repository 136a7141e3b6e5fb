"""A guard's key that may still be a keyboard scanner's first key: acted on at once, taken back if a scan follows.

A keyboard-wedge scanner "types" its code, and a code may begin with a letter
or digit that is also one of the guard's one-key actions (``R`` red code,
``2`` staff). The window cannot know on the first key whether more follow
(``ui/wedge.py``), so it acts on it at once *tentatively*: the visit on screen
changes, but no decision is taken and nothing is logged until the run of keys
ends. If it ends as the guard's, the visit is judged as usual (``settle``
with ``keep``); if it turns out to be a scan, the visit is put back as it was
(``undo_own_changes``): a wrong key from a scan never writes a refusal into the
append-only log.

Taking back is a three-way merge: each field the key changed is put back only
where it still holds what the key left, so what a device added meanwhile (a
reading, a code) stays.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from kiosk.domain.model import TemperatureSample
from kiosk.domain.visit import Visit

HOLD_MAX_S = 1.0  # a hold never outlives this (the window settles it within ~0.3 s): then it is kept


@dataclass
class Tentative:
    """What was in front before the guard's first key of a run, and what the keys made of it."""

    previous: Visit | None  # the visit in front before the keys
    previous_before: Visit | None  # a copy of it then
    parked: TemperatureSample | None  # the reading waiting for the next visit then
    since: float  # time.monotonic() when the hold began
    visit: Visit | None = None  # the visit the keys acted on (``previous``, or one they started)
    visit_before: Visit | None = None  # a copy of it before the first key acted on it
    visit_after: Visit | None = None  # a copy of it after the last key
    previous_after: Visit | None = None  # a copy of ``previous`` after the last key (a start may end it)

    @classmethod
    def begin(cls, previous: Visit | None, parked: TemperatureSample | None) -> "Tentative":
        return cls(previous, copy.deepcopy(previous), parked, time.monotonic())

    def acting_on(self, visit: Visit) -> None:
        """The keys act on ``visit`` (called before each key acts)."""
        if self.visit is not visit:
            self.visit, self.visit_before = visit, copy.deepcopy(visit)

    def acted(self) -> None:
        """A key acted: remember what it left (called after each key)."""
        self.visit_after = copy.deepcopy(self.visit)
        self.previous_after = copy.deepcopy(self.previous)

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.since > HOLD_MAX_S


def undo_own_changes(now: Any, before: Any, after: Any) -> Any:
    """``now`` with every field that changed from ``before`` to ``after`` put back, where it still holds ``after``'s value.

    Works on a ``Visit`` in place (returned), and on frozen dataclasses (``Person``) by returning a copy.
    Dicts (the evidence) are merged key by key, nested dataclasses field by field.
    """
    changes: dict[str, Any] = {}
    for f in fields(now):
        current, was, made = getattr(now, f.name), getattr(before, f.name), getattr(after, f.name)
        if was == made:
            continue
        if isinstance(current, dict) and isinstance(was, dict) and isinstance(made, dict):
            for key in set(was) | set(made):
                if was.get(key) != made.get(key) and current.get(key) == made.get(key):
                    if key in was:
                        current[key] = was[key]
                    else:
                        del current[key]
        elif is_dataclass(current) and type(current) is type(was) is type(made) and current != made:
            changes[f.name] = undo_own_changes(current, was, made)  # others changed it too: field by field
        elif current == made:
            changes[f.name] = copy.deepcopy(was)
    if isinstance(now, Visit):
        for name, value in changes.items():
            setattr(now, name, value)
        return now
    return replace(now, **changes) if changes else now
