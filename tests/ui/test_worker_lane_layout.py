"""The worker lane at a 1280x800 gate PC: the registration form, the guard's keys and today's flagged list all fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from kiosk.domain.model import Element
from tests.ui.conftest import gate_pc_window, press


def _rect(window, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def _whole(window, widget: QWidget) -> bool:
    """Shown, inside the window's central area, and not clipped by any parent."""
    inside = window.centralWidget().geometry().contains(_rect(window, widget))
    return widget.isVisible() and inside and widget.visibleRegion().boundingRect() == widget.rect()


def _words(widget) -> str:
    return widget.text() or widget.placeholderText()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_worker_lane_shows_form_keys_and_flagged_rows_at_1280x800(qapp, qtbot, tmp_path: Path,
                                                                      language: str) -> None:
    with gate_pc_window(qapp, qtbot, tmp_path, language) as (window, kiosk):
        press(qtbot, window, Qt.Key.Key_F10)  # the worker lane
        qtbot.waitUntil(window.worker_panel.isVisible)
        kiosk.controller.confirm(Element.HEALTH, True)  # a courier at the gate: the banner says what is left
        qtbot.waitUntil(lambda: window.banner.property("decision") == "INCOMPLETE")
        qtbot.wait(50)
        assert window.size().width() == 1280 and window.size().height() == 800, window.size()
        panel = window.worker_panel
        form = [*panel.inputs.values(), panel.register_button, panel.handoff_button]
        keys = list(dict.fromkeys(window.action_buttons.values()))
        follow_ups = [window.flagged.observe_button, window.flagged.clear_button]

        def squashed() -> list[str]:
            return [_words(w) for w in [*form, *keys] if w.height() < w.minimumSizeHint().height()]

        # A new banner title is laid out over a few passes of the event loop: wait for the window to settle
        # (on a loaded machine 50 ms was not always enough); a form that stays lower than its words fails here.
        qtbot.waitUntil(lambda: squashed() == [], timeout=5000)
        cut = [_words(w) for w in [*form, *keys, *follow_ups] if not _whole(window, w)]
        assert cut == [], f"clipped or hidden at 1280x800: {cut}"
        table = window.flagged.table
        assert window.tabs.currentWidget() is window.flagged and _whole(window, window.tabs) and _whole(window, table)
        rows = table.viewport().height() // table.verticalHeader().defaultSectionSize()
        assert rows >= 3, f"the flagged list shows {rows} rows ({table.viewport().height()} px)"
        boxes = [(w, _rect(window, w)) for w in [*form, *keys, window.tabs, window.banner, window.shortcut_help]]
        overlaps = [(_words(a) if hasattr(a, "text") else type(a).__name__, type(b).__name__)
                    for i, (a, ra) in enumerate(boxes) for b, rb in boxes[i + 1:] if ra.intersects(rb)]
        assert overlaps == []


def test_the_worker_lane_with_someone_waiting_for_a_retake_still_fits_800_px(qapp, qtbot, tmp_path: Path) -> None:
    """The trial: the retake list under the form made the window 885 px high, its bottom off an 800-px screen."""
    from kiosk.domain.model import Source, TemperatureSample

    with gate_pc_window(qapp, qtbot, tmp_path, "zh") as (window, kiosk):
        press(qtbot, window, Qt.Key.Key_F10)  # the worker lane
        qtbot.waitUntil(window.worker_panel.isVisible)
        c = kiosk.controller
        c.confirm(Element.HEALTH, True)
        c.temperature(TemperatureSample(38.6, 38.6, source=Source.DEVICE))  # a fever: a retake is due
        c.next_person()  # steps aside into the retake list
        qtbot.waitUntil(lambda: window.retake_list.isVisible())
        qtbot.wait(100)
        assert window.minimumSizeHint().height() <= 800 and window.height() <= 800, window.size()
        assert _whole(window, window.retake_list) and _whole(window, window.worker_panel.register_button)
