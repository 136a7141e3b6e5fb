"""When a thermometer's calibration is due, and whether it still holds at a given moment.

The one rule: a calibration holds strictly before its due moment (performed + interval); at the
due moment it is overdue. A kiosk must never show more certainty than it has, so the boundary
falls on the cautious side. The status bar (``kiosk.services.thermometry``), the daily and weekly
reports (``kiosk.reports.exports``) and the centre's district and monthly reports
(``db.central.queries``, which may not import the kiosk and is handed ``calibration_valid`` by
``kiosk.reports.district``) all ask this module.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def calibration_due(performed_at: datetime, interval_days: int) -> datetime:
    """The moment the calibration performed at ``performed_at`` stops holding."""
    return performed_at + timedelta(days=interval_days)


def calibration_valid(performed_at: datetime, interval_days: int, at: datetime) -> bool:
    """Whether the calibration still holds at ``at``: strictly before it is due (at the due moment it is overdue)."""
    return at < calibration_due(performed_at, interval_days)
