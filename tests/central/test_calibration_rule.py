"""The centre's district report asks the kiosk's calibration rule (kiosk.domain.calibration) at the day's end.

``db.central.queries`` may not import the kiosk, so ``kiosk.reports.district`` hands it the rule; this
holds the centre's answer to the kiosk's at due - 1 s, due and due + 1 s. The ledger exported from the
centre (``db.central.ledger``) picks the calibration that held at the day's end, as the kiosk's store does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from db.central import queries
from db.central.store import CentralStore
from kiosk.domain.calibration import calibration_valid

pytestmark = pytest.mark.postgres

DAY = date(2022, 2, 22)
SINCE = datetime(2022, 2, 21, 16, tzinfo=timezone.utc)  # midnight in Shanghai
UNTIL = SINCE + timedelta(days=1)


@pytest.mark.parametrize("seconds_from_due, valid", [(-1, True), (0, False), (1, False)])
def test_district_day_calibration_at_the_due_moment(centre: CentralStore, seconds_from_due: int, valid: bool) -> None:
    centre.register_gate("s1", "north", thermometer_id="thermo-1", calibration_interval_days=7)
    performed = UNTIL - timedelta(days=7, seconds=seconds_from_due)
    centre.run(lambda conn: conn.execute(text(
        "INSERT INTO calibrations (id, site_id, gate_id, thermometer_id, performed_at, operator, reference_c, readings, "
        "offset_c, residual_c) VALUES ('cal-1', 's1', 'north', 'thermo-1', :p, 'it', 37.0, '[]', 0.2, 0.0)"),
        {"p": performed}))
    (gate,) = queries.district_day(centre, DAY, fever_c=37.3, since=SINCE, until=UNTIL,
                                   silent_after=timedelta(hours=2), now=UNTIL, calibration_valid=calibration_valid)
    assert gate.calibration_ok is valid is calibration_valid(performed, 7, UNTIL)
    assert ("已过期" in gate.calibration) is not valid


def test_the_centres_ledger_judges_the_calibration_made_before_the_day_ended(centre: CentralStore) -> None:
    """``CentralLedger`` answers the exporter's ``latest_calibration(before=)`` as the kiosk's own store does."""
    from db.central.ledger import CentralLedger
    from db.store import EntryStore

    centre.register_gate("s1", "north", thermometer_id="thermo-1", calibration_interval_days=7)
    for n, performed in enumerate((UNTIL - timedelta(days=2), UNTIL + timedelta(hours=3))):
        centre.run(lambda conn, n=n, performed=performed: conn.execute(text(
            "INSERT INTO calibrations (id, site_id, gate_id, thermometer_id, performed_at, operator, reference_c, "
            "readings, offset_c, residual_c) VALUES (:i, 's1', 'north', 'thermo-1', :p, 'it', 37.0, '[36.8]', 0.2, 0.0)"),
            {"i": f"cal-{n}", "p": performed}))
    ledger = CentralLedger(centre, "s1", "north", EntryStore("sqlite://"))
    held = ledger.latest_calibration("thermo-1", before=UNTIL)
    assert held is not None and held["id"] == "cal-0" and held["performed_at"] == UNTIL - timedelta(days=2)
    assert held["readings"] == [36.8] and set(held) == {"id", "thermometer_id", "performed_at", "operator",
                                                         "reference_c", "readings", "offset_c", "residual_c",
                                                         "ambient_c", "ambient_coefficient"}
    newest = ledger.latest_calibration("thermo-1")
    assert newest is not None and newest["id"] == "cal-1"
    assert [c["id"] for c in ledger.calibrations(SINCE, UNTIL)] == []
    assert [c["id"] for c in ledger.calibrations(UNTIL - timedelta(days=3), UNTIL + timedelta(days=1))] == [
        "cal-0", "cal-1"]
