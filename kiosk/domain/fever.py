"""Which recorded temperatures count as fevers, and the band a reading falls in on the histograms.

The threshold is the policy's (``Policy.fever_threshold_c``): a reading at or above it is
elevated, which the verdict answers with a retake, and which the figures count as a fever.
The kiosk's figures (``kiosk.reports.figures``) call ``is_fever``; the centre's district query
(``db.central.queries.district_day``, which may not import the kiosk) counts in SQL with the same
``>=``, and is given the threshold by the kiosk side that holds the policy
(``kiosk.reports.district``); a test runs both over the same entries at two thresholds.
"""

from __future__ import annotations

TEMPERATURE_BANDS = ("normal", "retake", "fever")  # the histogram's colours: 正常 / 复测 / 发热


def is_fever(celsius: float | None, threshold_c: float) -> bool:
    """A fever reading: at or above the threshold (a reading exactly at it is one)."""
    return celsius is not None and celsius >= threshold_c


def temperature_band(outcome: str | None, celsius: float | None, threshold_c: float) -> str:
    """normal / retake / fever, from the temperature element's outcome (a retake pending is not a fever yet)."""
    if outcome == "retake":
        return "retake"
    if outcome == "fail" or is_fever(celsius, threshold_c):
        return "fever"
    return "normal"

