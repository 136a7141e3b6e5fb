"""Today's figures follow committed entries one by one; only corrections and follow-ups read the day again."""

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
            c.confirm(Element.HEALTH, True)
            c.confirm(Element.MASK, True)
            c.temperature(TemperatureSample(celsius, celsius, source=Source.MANUAL))
            c.log_current()
            c.next_person()
        wait_for(lambda: keeper.entries_added >= 3)
        figures, flagged = desk.today_snapshot()
        assert figures.total == 3 and figures.by_lane["campus"] == 3 and figures.fevers == 1
        assert len(flagged) == 1 and flagged[0].temperature == 38.6
        assert keeper.full_reloads == 1  # three entries, no re-query of the day
        # An override corrects an earlier entry: the day is read again so it counts once.
        c.confirm(Element.HEALTH, True)
        c.confirm(Element.MASK, False)
        c.temperature(TemperatureSample(36.4, 36.4, source=Source.MANUAL))
        c.log_current()
        c.override(Decision.PASS, "口罩在包里，已当场戴上")
        wait_for(lambda: keeper.full_reloads >= 2)
        # (a guard key after a verdict writes a correction row too: wait until every one was followed)
        wait_for(lambda: (desk.today_snapshot()[0].total, dict(desk.today_snapshot()[0].decisions))
                 == (desk.summary().total, dict(desk.summary().decisions)))
        figures, _ = desk.today_snapshot()
        full = desk.summary()
        assert (figures.total, figures.flagged, dict(figures.decisions)) == (full.total, full.flagged,
                                                                              dict(full.decisions))
        fever_id = flagged[0].entry_id
        reloads = keeper.full_reloads
        desk.set_follow_up(fever_id, "observation")
        wait_for(lambda: {p.entry_id: p.follow_up for p in desk.today_snapshot()[1]}[fever_id] == "observation")
        assert keeper.full_reloads == reloads  # the flagged list is re-read, not the whole day
    finally:
        desk.close()
        kiosk.close()
    assert keeper._thread is None
