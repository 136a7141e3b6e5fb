"""Today's figures and flagged list follow committed entries and follow-up marks one by one; only corrections read the day again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kiosk.app import build_kiosk
from kiosk.config.loading import load_settings
from kiosk.desk.guard_desk import GuardDesk
from kiosk.domain.model import Decision, Element, Lane, PersonKind, Source, TemperatureSample
from kiosk.services.ports import SilentListener


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def log_person(c, celsius: float) -> None:
    """One person with a green code and a mask, at this temperature, logged; the next one called."""
    c.confirm(Element.HEALTH, True)
    c.confirm(Element.MASK, True)
    c.temperature(TemperatureSample(celsius, celsius, source=Source.MANUAL))
    c.log_current()
    c.next_person()


def test_figures_follow_commits_without_rereading_the_day(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config.toml")
    kiosk = build_kiosk(settings)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller)
    changed = threading.Event()
    keeper = desk.watch_today(changed.set)
    class Commits(SilentListener):  # the window forwards commits through the Qt bridge; here directly
        def on_entry_committed(self, entry_id: str) -> None:
            desk.entry_committed(entry_id)

    kiosk.listeners.add(Commits())
    try:
        assert keeper.loaded.wait(5) and keeper.full_reloads == 1
        c = kiosk.controller
        c.set_lane(Lane.CAMPUS, PersonKind.STAFF)
        for celsius in (36.5, 36.7, 38.6):
            log_person(c, celsius)
        wait_for(lambda: keeper.entries_added >= 3)
        figures, flagged = desk.today_snapshot()
        assert figures.total == 3 and figures.by_lane["campus"] == 3 and figures.fevers == 1
        assert len(flagged) == 1 and flagged[0].temperature == 38.6
        assert keeper.full_reloads == 1  # three entries, no re-query of the day
        # An override corrects an earlier entry: it is taken back out and the correction counted, so the
        # person counts once, without reading the day again.
        c.confirm(Element.HEALTH, True)
        c.confirm(Element.MASK, False)
        c.temperature(TemperatureSample(36.4, 36.4, source=Source.MANUAL))
        c.log_current()
        c.override(Decision.PASS, "口罩在包里，已当场戴上")
        # (a guard key after a verdict writes a correction row too: wait until every one was followed)
        wait_for(lambda: (desk.today_snapshot()[0].total, dict(desk.today_snapshot()[0].decisions))
                 == (desk.summary().total, dict(desk.summary().decisions)))
        figures, _ = desk.today_snapshot()
        full = desk.summary()
        assert (figures.total, figures.flagged, dict(figures.decisions)) == (full.total, full.flagged,
                                                                              dict(full.decisions))
        assert figures.total == 4 and figures.decisions["PASS"] == 3  # the override counts once, as a pass
        assert figures == full  # every counter, the flagged records too
        assert keeper.full_reloads == 1
        fever_id = flagged[0].entry_id
        reloads = keeper.full_reloads
        desk.set_follow_up(fever_id, "observation")
        wait_for(lambda: {p.entry_id: p.follow_up for p in desk.today_snapshot()[1]}[fever_id] == "observation")
        assert keeper.full_reloads == reloads  # the mark changes its row, the day is not read again
        # Kept row by row, the list is what a fresh read of the day gives.
        assert desk.today_snapshot()[1] == desk.flagged()
    finally:
        desk.close()
        kiosk.close()
    assert keeper._thread is None


def test_flagged_list_is_kept_row_by_row_without_reading_the_flagged_entries_again(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "config.toml")
    kiosk = build_kiosk(settings)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller)
    reads = []
    read_flagged = desk.flagged
    desk.flagged = lambda day=None: reads.append(day) or read_flagged(day)  # type: ignore[method-assign]
    keeper = desk.watch_today(lambda: None)

    class Commits(SilentListener):
        def on_entry_committed(self, entry_id: str) -> None:
            desk.entry_committed(entry_id)

    kiosk.listeners.add(Commits())
    try:
        assert keeper.loaded.wait(5)
        loads = len(reads)
        c = kiosk.controller
        c.set_lane(Lane.CAMPUS, PersonKind.STUDENT)
        for celsius in (38.1, 36.6, 38.9, 37.9):  # three fevers flagged, one pass
            log_person(c, celsius)
        wait_for(lambda: keeper.entries_added >= 4)
        flagged = desk.today_snapshot()[1]
        assert [p.temperature for p in flagged] == [37.9, 38.9, 38.1]  # newest first
        desk.set_follow_up(flagged[1].entry_id, "observation", "送医务室")
        desk.set_follow_up(flagged[2].entry_id, "cleared")
        first = flagged[0].follow_up  # not marked: stays as it was written
        wait_for(lambda: [p.follow_up for p in desk.today_snapshot()[1]] == [first, "observation", "cleared"])
        assert desk.today_snapshot()[1][1].follow_up_note == "送医务室"
        assert len(reads) == loads  # no flagged entry and no mark read the day's flagged entries again
        assert desk.today_snapshot()[1] == read_flagged()  # and the rows are the ones a fresh read gives
    finally:
        desk.close()
        kiosk.close()
