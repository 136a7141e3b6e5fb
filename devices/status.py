"""A device's state (connected, lost, reconnecting, silent, stopped), told to its listener only when it changes.

A reading loop reports its state on every pass; the guard's status light and
the device log want one line per change, not one per pass.
"""

from __future__ import annotations

from collections.abc import Callable


class StatusReporter:
    """Holds a device's last state and calls ``on_status(state, message)`` when a new one is reported."""

    def __init__(self, on_status: Callable[[str, str], None], state: str = "stopped") -> None:
        self.state = state
        self._on_status = on_status

    def report(self, state: str, message: str, *, again: bool = False) -> bool:
        """Tell the listener if ``state`` is not the last one (or ``again``); True when it was told."""
        if state == self.state and not again:
            return False
        self.state = state
        self._on_status(state, message)
        return True
