"""How the reports read a stored entry: through the domain's enums, never the storage's strings.

``db.records.EntryRecord`` keeps what the ledger stores (``decision`` as text,
``elements`` as the JSON of each checked element), and ``db`` cannot import the
core; these accessors turn that back into ``kiosk.domain.model``'s words, so a
report asks ``decision(e) is Decision.PASS``, not ``e.decision == "PASS"``.
"""

from __future__ import annotations

from typing import Any

from db.records import EntryRecord
from kiosk.domain.model import Decision, Element, Outcome

_DECISIONS = {d.value: d for d in Decision}
_OUTCOMES = {o.value: o for o in Outcome}


def decision(e: EntryRecord) -> Decision | None:
    """The entry's verdict (None: a stored word this version does not know, which no rule counts as a pass)."""
    return _DECISIONS.get(e.decision)


def evidence(e: EntryRecord, element: Element) -> dict[str, Any] | None:
    """What the entry recorded of ``element`` (its outcome, value, source, detail), None if it was not checked."""
    found: dict[str, Any] | None = e.elements.get(element.value)
    return found


def checked(e: EntryRecord, element: Element) -> bool:
    """Whether the entry recorded ``element`` at all."""
    return element.value in e.elements


def outcome(e: EntryRecord, element: Element) -> Outcome | None:
    """What ``element``'s evidence said on its own; None when not checked (or a word this version does not know)."""
    return _OUTCOMES.get(str((evidence(e, element) or {}).get("outcome")))
