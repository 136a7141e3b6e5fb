"""A flagged entry's follow-up: its states, which of them the guard sets, which count as handled,
and the reasons that mean a retake is awaited.

The states' words are the vocabulary's (``kiosk.domain.vocabulary.FOLLOW_UP_WORDS``); the
window's flagged list, the guard desk, the exports, the PDF and the weekly checklist all take
the states from here.
"""

from __future__ import annotations

from collections.abc import Iterable

OPEN = "open"  # flagged, nobody has acted yet
RETAKE_DUE = "retake_due"  # the entry was written while a fever reading waited for its retake
OBSERVATION = "observation"  # the guard sent the person to the observation point
CLEARED = "cleared"  # the guard checked and cleared the flag

STATES = (OPEN, RETAKE_DUE, OBSERVATION, CLEARED)
# What the guard may move an entry to: an entry starts open or retake_due, and never goes back to open.
GUARD_SETS = (RETAKE_DUE, OBSERVATION, CLEARED)
# Handled: the guard has done what a flagged entry asks (the weekly checklist's 异常人员均已跟进处置).
HANDLED = (OBSERVATION, CLEARED)

# A retake can still be taken: the person steps aside onto the retake list instead of being logged.
RETAKE_WAITING_CODES = frozenset({"retake"})
# A retake is owed: waiting for one, or the visit ended without it; the entry starts as retake_due.
RETAKE_OWED_CODES = RETAKE_WAITING_CODES | {"fever_no_retake"}


def waits_for_retake(reason_codes: Iterable[str]) -> bool:
    """Whether a verdict with these reasons still waits for a retake (the person may step aside)."""
    return any(code in RETAKE_WAITING_CODES for code in reason_codes)


def first_state(reason_codes: Iterable[str]) -> str | None:
    """The follow-up an entry is written with: retake_due when a retake is owed, else none (read as open)."""
    return RETAKE_DUE if any(code in RETAKE_OWED_CODES for code in reason_codes) else None


def is_handled(state: str | None) -> bool:
    return state in HANDLED
