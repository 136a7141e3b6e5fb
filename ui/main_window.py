"""The guard's main window: a verdict banner readable from two metres.

This first version shows the last decision in a large coloured banner with
its reasons; the full guard screen (camera, tiles, lanes, actions) grows on
top of it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from kiosk.domain import Decision
from kiosk.gate import GateController, VisitSnapshot
from ui.bridge import QtBridge

BANNER_COLOURS = {
    Decision.PASS: ("#1b7f3a", "#ffffff"),
    Decision.DENY: ("#c62828", "#ffffff"),
    Decision.INCOMPLETE: ("#f2a900", "#1a1a1a"),
}


class VerdictBanner(QLabel):
    """A full-width coloured label: 通行 / 禁止通行 / 待核验, with reasons underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setMinimumHeight(220)
        self.show_idle()

    def show_idle(self) -> None:
        self.setText(self.tr("请出示健康码 / 学生卡"))
        self.setStyleSheet("background:#37474f;color:#ffffff;font-size:44px;font-weight:bold;border-radius:12px;")
        self.setProperty("decision", "")

    def show_visit(self, visit: VisitSnapshot) -> None:
        decision = visit.decision
        bg, fg = BANNER_COLOURS[decision]
        title = {Decision.PASS: self.tr("通行"), Decision.DENY: self.tr("禁止通行"),
                 Decision.INCOMPLETE: self.tr("请复测") if visit.retake_due_at else self.tr("待核验")}[decision]
        reasons = "<br>".join(r.message for r in visit.verdict.reasons)
        self.setText(f"<div style='font-size:72px;font-weight:bold'>{title}</div>"
                     f"<div style='font-size:26px'>{reasons}</div>")
        self.setStyleSheet(f"background:{bg};color:{fg};border-radius:12px;padding:12px;")
        self.setProperty("decision", decision.value)


class MainWindow(QMainWindow):
    """The kiosk window; receives the controller and the bridge and subscribes to it."""

    def __init__(self, controller: GateController, bridge: QtBridge) -> None:
        super().__init__()
        self._controller = controller
        self.setWindowTitle(self.tr("校园门岗入校核验"))
        central = QWidget(self)
        layout = QVBoxLayout(central)
        self.banner = VerdictBanner(central)
        layout.addWidget(self.banner)
        self.setCentralWidget(central)
        self.resize(1280, 800)
        bridge.visit_changed.connect(self._on_bridge_visit_changed)

    def _on_bridge_visit_changed(self, visit: Any) -> None:
        if not visit.visit_id:
            self.banner.show_idle()
        else:
            self.banner.show_visit(visit)
