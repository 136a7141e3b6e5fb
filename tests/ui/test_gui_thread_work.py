"""The window's thread does only what it must: newest camera frame only, no repeated restyling, no rebuilt rows or charts.

Each of these was GUI-thread time measured by bench/bench_gui_gaps.py; the
tests check the behaviour that removed it (what the guard sees stays the same).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage

from kiosk.desk.today import FlaggedPerson
from kiosk.reports.figures import DayFigures
from ui.bridge import QtBridge
from ui.panels import FlaggedList, TodayPanel
from ui.widgets import ElementTile


def test_frames_from_a_camera_thread_reach_the_window_as_images_newest_only(qapp) -> None:
    bridge = QtBridge()
    shown: list[tuple[QImage, object]] = []
    bridge.frame_received.connect(lambda image, overlays: shown.append((image, overlays)))

    def camera() -> None:  # the GUI thread is busy meanwhile: no events are processed
        for grey in range(10):
            bridge.on_frame(np.full((6, 8, 3), grey * 20, np.uint8), [{"box": (grey, 0, 1, 1)}])

    thread = threading.Thread(target=camera)
    thread.start()
    thread.join()
    qapp.processEvents()
    assert len(shown) == 1  # nine stale frames skipped, not painted one after another
    image, overlays = shown[0]
    assert isinstance(image, QImage) and (image.width(), image.height()) == (8, 6)
    assert image.pixelColor(3, 3).red() == 180 and overlays == [{"box": (9, 0, 1, 1)}]  # the newest
    bridge.on_frame(np.zeros((6, 8, 3), np.uint8), [])
    qapp.processEvents()
    assert len(shown) == 2  # and the next frame comes through again


class StyleChanges(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StyleChange:
            self.count += 1
        return False


def test_a_tile_told_the_same_state_again_is_not_restyled(qapp) -> None:
    tile = ElementTile("体温")
    tile.show()  # a hidden widget is not re-polished
    changes = StyleChanges()
    tile.installEventFilter(changes)
    tile.set_state("pending", "请测温", "")
    after_first = changes.count
    assert after_first >= 1
    tile.set_state("pending", "请测温", "")
    assert changes.count == after_first
    tile.set_state("ok", "36.5 °C", "设备自动")
    assert changes.count > after_first and "#e8f5e9" in tile.styleSheet()


def person(entry_id: str, state: str) -> FlaggedPerson:
    return FlaggedPerson(entry_id, datetime(2026, 12, 6, 7, 30, tzinfo=timezone.utc), "张*", "student", "campus",
                         "DENY", ("体温异常",), 38.2, state)


def test_a_follow_up_mark_changes_its_cell_not_every_row(qapp) -> None:
    panel = FlaggedList()
    panel.set_people([person("a", "open"), person("b", "open")])
    first_row_time = panel.table.item(0, 0)
    panel.set_people([person("a", "open"), person("b", "observation")])
    assert panel.table.item(0, 0) is first_row_time  # the row was not built again
    assert panel.table.item(1, 5).text() != panel.table.item(0, 5).text()
    panel.set_people([person("c", "open"), person("a", "open"), person("b", "observation")])
    assert panel.table.rowCount() == 3 and panel.table.item(1, 5).text() == panel.table.item(0, 5).text()


def test_the_hour_chart_shows_new_counts_in_the_same_hours_and_grows_with_new_hours(qapp) -> None:
    panel = TodayPanel()

    def day(**hours: int) -> DayFigures:
        figures = DayFigures(total=sum(hours.values()), by_lane=Counter(campus=sum(hours.values())))
        for hour, n in hours.items():
            figures.by_hour[int(hour.removeprefix("h"))] = n
        return figures

    def bars() -> tuple[list[str], list[float]]:
        series = panel.chart.series()[0]
        values = series.barSets()[0]
        return panel.chart.axes()[0].categories(), [values.at(i) for i in range(values.count())]

    panel.set_summary(day(h7=3, h8=5))
    series_before = panel.chart.series()[0]
    panel.set_summary(day(h7=4, h8=5))
    assert panel.chart.series()[0] is series_before  # the same chart, new heights
    assert bars() == (["7:00", "8:00"], [4.0, 5.0]) and panel.figure("campus") == "9"
    panel.set_summary(day(h7=4, h8=5, h9=1))
    assert bars() == (["7:00", "8:00", "9:00"], [4.0, 5.0, 1.0])

