"""Device downtime from the device events a gate logged: one algorithm for the kiosk's reports and the centre's.

A device is down from its first lost / reconnecting / silent event until it is connected, receiving
or stopped again; one still down at the end of the span counts up to the span's end. The kiosk's
PDF reports (``kiosk.reports.exports``) and the centre's district day (``db.central.queries``) both
sum with ``downtime``: it lives in the database layer because the centre may not import the kiosk.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

DOWN_STATES = frozenset({"lost", "reconnecting", "silent"})
UP_STATES = frozenset({"connected", "receiving", "stopped"})


def downtime(events: Iterable[tuple[datetime, str, str]], until: datetime) -> dict[str, timedelta]:
    """Downtime per device of ``(at, device, state)`` events in time order, a device still down counted to ``until``."""
    down: dict[str, timedelta] = {}
    lost_at: dict[str, datetime] = {}
    for at, device, state in events:
        if state in DOWN_STATES:
            lost_at.setdefault(device, at)
        elif state in UP_STATES and device in lost_at:
            down[device] = down.get(device, timedelta(0)) + (at - lost_at.pop(device))
    for device, at in lost_at.items():
        down[device] = down.get(device, timedelta(0)) + max(timedelta(0), until - at)
    return down
