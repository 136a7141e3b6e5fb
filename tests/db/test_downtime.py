"""Device downtime, the one algorithm the kiosk's PDF reports and the centre's district day both sum with."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from db.downtime import downtime

T0 = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_down_from_the_first_loss_until_the_device_is_back_and_to_the_end_when_it_never_is() -> None:
    events = [
        (at(0), "camera", "connected"),  # up without a loss: nothing
        (at(10), "camera", "lost"),
        (at(12), "camera", "reconnecting"),  # still the same outage: it started at 10
        (at(25), "camera", "receiving"),
        (at(30), "thermometer", "silent"),
        (at(40), "camera", "lost"),
        (at(45), "camera", "stopped"),
        (at(50), "database", "lost"),
    ]
    assert downtime(events, until=at(60)) == {
        "camera": timedelta(minutes=20), "thermometer": timedelta(minutes=30), "database": timedelta(minutes=10)}


def test_a_loss_after_the_span_counts_nothing_and_no_events_mean_no_downtime() -> None:
    assert downtime([(at(70), "camera", "lost")], until=at(60)) == {"camera": timedelta(0)}
    assert downtime([], until=at(60)) == {}
