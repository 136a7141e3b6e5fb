"""The figures reports print: counts of a stream of entries, temperature bands, the ISO week."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo


from db.records import EntryRecord
from kiosk.domain import fever as fever_rule
from kiosk.domain.model import Element
from kiosk.reports import ExportError
from kiosk.reports.entries import evidence

Progress = Callable[[int, int], None]

# A day's figures in the order the reports' tables list them (their headers: vocabulary.figure_words).
FIGURE_ORDER = ("total", "campus", "worker", "PASS", "DENY", "INCOMPLETE", "flagged", "fevers", "handoffs")


@dataclass
class DayFigures:
    """Counts for one day (or one range) that the reports print."""

    total: int = 0
    by_lane: Counter[str] = field(default_factory=Counter)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    decisions: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    fevers: int = 0
    handoffs: int = 0
    temperatures: Counter[float] = field(default_factory=Counter)  # rounded to 0.1 °C
    temperature_bands: Counter[tuple[float, str]] = field(default_factory=Counter)  # (0.1 °C, band)
    flagged_entries: list[EntryRecord] = field(default_factory=list)
    origins: Counter[str] = field(default_factory=Counter)  # live | demo | simulation

    def copy(self) -> DayFigures:
        """A copy to read while the original goes on counting: each counter and list is new, the records shared.

        Records are frozen, so sharing them is safe; a deep copy of a busy day
        (hundreds of flagged records) took the window's thread 15–25 ms.
        """
        copied: dict[str, Any] = {f.name: _copied(getattr(self, f.name)) for f in fields(self)}
        return replace(self, **copied)

    @property
    def not_live(self) -> int:
        """Entries of a demo or a simulation: a report holding any says so on its face."""
        return sum(n for origin, n in self.origins.items() if origin != "live")

    def figure(self, key: str) -> int:
        """One figure of FIGURE_ORDER: a count, a lane or a decision."""
        if key in ("campus", "worker"):
            return self.by_lane.get(key, 0)
        if key in ("PASS", "DENY", "INCOMPLETE"):
            return self.decisions.get(key, 0)
        value: int = getattr(self, key)
        return value


def _copied(value: object) -> object:
    return value.copy() if isinstance(value, (Counter, list)) else value


def counted(entries: Iterable[EntryRecord], progress: Progress | None, total: int,
            share: float = 1.0) -> Iterator[EntryRecord]:
    """The entries, reporting progress about every 1 % (at least every 1,000 rows) along the way.

    ``share`` < 1 leaves the rest of the bar for a step that follows (the PDF's layout).
    """
    if progress is None:
        yield from entries
        return
    step = max(1, min(1000, total // 100))
    progress(0, total)
    for done, e in enumerate(entries, start=1):
        yield e
        if done % step == 0:
            progress(min(total, int(done * share)), total)


def temperature_band(e: EntryRecord, fever: float) -> str:
    """normal / retake / fever, from the entry's own temperature outcome (kiosk.domain.fever)."""
    return fever_rule.temperature_band((evidence(e, Element.TEMPERATURE) or {}).get("outcome"), e.temperature_c, fever)


def day_figures(entries: Iterable[EntryRecord], fever: float, tz: ZoneInfo) -> DayFigures:
    """Counts of a stream of entries, as the reports and the window's "today" panel show them."""
    figures = DayFigures()
    for e in entries:
        tally(figures, e, fever, tz)
    return figures


def tally(f: DayFigures, e: EntryRecord, fever: float, tz: ZoneInfo) -> None:
    """Count one entry into the figures."""
    _count(f, e, fever, tz, 1)


def untally(f: DayFigures, e: EntryRecord, fever: float, tz: ZoneInfo) -> None:
    """Take a counted entry back out (a later row corrected it): the exact opposite of ``tally``.

    Counts that fall to zero are removed, so the figures equal a fresh count without that entry.
    """
    _count(f, e, fever, tz, -1)


def _count(f: DayFigures, e: EntryRecord, fever: float, tz: ZoneInfo, step: int) -> None:
    """What one entry adds to the figures (``step`` 1) or takes back (-1): one list, so the two never part."""
    f.total += step
    _add(f.by_lane, e.lane, step)
    f.by_hour[e.created_at.astimezone(tz).hour] += step
    _add(f.decisions, e.decision, step)
    _add(f.origins, e.origin or "live", step)
    f.handoffs += step * e.handoff
    if e.temperature_c is not None:
        _add(f.temperatures, round(e.temperature_c, 1), step)
        _add(f.temperature_bands, (round(e.temperature_c, 1), temperature_band(e, fever)), step)
        f.fevers += step * fever_rule.is_fever(e.temperature_c, fever)
    if e.flagged:
        f.flagged += step
        if step < 0:
            f.flagged_entries[:] = [x for x in f.flagged_entries if x.id != e.id]
        elif len(f.flagged_entries) < 5000:  # the report lists them; a bound keeps memory bounded
            f.flagged_entries.append(e)


def _add(counter: Counter[Any], key: Any, step: int) -> None:
    counter[key] += step
    if counter[key] <= 0:
        del counter[key]  # as a fresh count would have it: no key for nothing


def parse_iso_week(week: str) -> date:
    """``2022-W08`` -> the Monday of that ISO week."""
    try:
        year_s, w_s = week.upper().split("-W")
        return date.fromisocalendar(int(year_s), int(w_s), 1)
    except (ValueError, TypeError):
        raise ExportError(f"bad week {week!r}: use YYYY-Www, e.g. 2022-W08") from None
