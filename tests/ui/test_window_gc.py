"""While the guard's window is shown, what start-up built is kept out of full garbage collections (GUI pauses)."""

from __future__ import annotations

import gc

from kiosk.config.loading import load_settings
from tests.fakes import ManualClock
from tests.ui.conftest import open_window


def test_the_shown_window_freezes_what_start_up_built_and_releases_it_at_close(qtbot, tmp_path) -> None:
    gc.collect()
    before = gc.get_freeze_count()
    window, kiosk = open_window(qtbot, load_settings(tmp_path / "config.toml"), ManualClock())
    try:
        # The modules, the kiosk and the window are no longer walked by a full collection (90–150 ms with the GIL).
        assert gc.get_freeze_count() > before + 10_000
    finally:
        window.close()
        kiosk.close()
    assert gc.get_freeze_count() == 0  # collectable again: a process that opens many windows does not grow
