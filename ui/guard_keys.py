"""What the guard's keys and buttons do in the main window: lanes, the one-key actions, dialogs, the PIN."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtWidgets import (
    QApplication, QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton, QWidget,
)

from kiosk.services.access import AccessDenied
from kiosk.desk.actions import GuardAction, button_words, perform
from kiosk.config.settings import ConfigError
from kiosk.desk.guard_desk import GuardDesk
from kiosk.domain import follow_up
from kiosk.domain.model import Lane
from kiosk.services.gate import ConfirmRefused, GateController, VisitSnapshot
from ui.bridge import QtBridge
from ui.busy import StepOutcome, run_admin_step
from ui.dialogs import OverrideDialog, PinDialog, SettingsDialog, TemperatureDialog
from ui.panels import RetakeList, WorkerPanel
from ui.wedge import KeyboardWedge
from ui.widgets import StatusLight


log = logging.getLogger(__name__)


class GuardKeys(QMainWindow):
    """The guard's actions (one table, ``kiosk.desk.actions``), each a key and a big button."""

    # Set by MainWindow (``__init__`` and its builders).
    language: str
    _controller: GateController
    _desk: GuardDesk | None
    _visit: VisitSnapshot | None
    lane_buttons: dict[Lane, QPushButton]
    notice: QLabel
    worker_panel: WorkerPanel
    retake_list: RetakeList
    lights: dict[str, StatusLight]
    wedge: KeyboardWedge
    admin_wait_s: float
    _bridge: QtBridge

    # ------------------------------------------------------------- actions
    def _select_lane(self, lane: Lane) -> None:
        if lane is not self._controller.lane:
            self._controller.set_lane(lane)
        self._show_lane(lane)

    def _show_lane(self, lane: Lane) -> None:
        self.lane_buttons[lane].setChecked(True)
        self.worker_panel.setVisible(lane is Lane.WORKER)

    def act(self, action: GuardAction) -> None:
        """Do one guard action (a key or a button); refusals are said under the banner, never raised."""
        self.notice.setText("")
        if action is GuardAction.TYPE_TEMPERATURE:
            self.type_temperature()
        elif action is GuardAction.OVERRIDE:
            self.override()
        elif action is GuardAction.OBSERVATION:
            self.send_to_observation()
        elif action is GuardAction.REGISTER:
            self.worker_panel.register_button.click()
        elif action is GuardAction.HANDOFF:
            self.worker_panel.handoff_button.click()
        elif action is GuardAction.NEXT:
            self.next_person()
        elif action in (GuardAction.LANE_CAMPUS, GuardAction.LANE_WORKER):
            self._select_lane(Lane.CAMPUS if action is GuardAction.LANE_CAMPUS else Lane.WORKER)
        else:
            try:
                perform(self._controller, action)
            except ConfirmRefused as exc:
                self.notice.setText(self.tr("不能确认：%1").replace("%1", str(exc)))

    def action_label(self, action: GuardAction) -> str:
        """The words on an action's button: kiosk.desk.actions holds them (kinds and lanes: the vocabulary's)."""
        return button_words(action, self.language)

    def confirm_mask(self) -> None:
        self.act(GuardAction.CONFIRM_MASK)

    def confirm_code(self) -> None:
        """F3: the guard saw a green health code (yellow and red have their own keys)."""
        self.act(GuardAction.HEALTH_GREEN)

    def confirm_itinerary(self) -> None:
        self.act(GuardAction.ITINERARY_OK)

    def type_temperature(self) -> None:
        dialog = TemperatureDialog(self)
        if dialog.exec():
            self._controller.type_temperature(dialog.value())

    def override(self) -> None:
        if self._controller.current() is None:
            return
        if self._desk is not None and self._desk.access.has_pin:
            pin = self.ask_pin(self.tr("改判需要管理员 PIN"))
            if pin is None:
                return
            access, guard = self._desk.access, self._desk.settings.site.guard_id
            checked = self.admin_step(self.tr("人工改判"), lambda abandoned: access.verify(pin, guard, "override"))
            if not checked.ok:
                QMessageBox.warning(self, self.tr("人工改判"), checked.refusal or "")
                return
        dialog = OverrideDialog(self)
        if dialog.exec():
            self._controller.override(dialog.decision(), dialog.reason_text())

    def send_to_observation(self) -> None:
        visit = self._visit
        if visit is not None and visit.entry_id and self._desk is not None:
            self._desk.set_follow_up(visit.entry_id, follow_up.OBSERVATION, self.tr("门卫送观察点"))

    def next_person(self) -> None:
        self._controller.next_person()
        self.worker_panel.clear()
        self._refresh_retakes()

    def _on_return_pressed(self) -> None:
        # Enter in a form field belongs to the form (WorkerPanel moves to the next field);
        # elsewhere it means "next person", like Space.
        focused = QApplication.focusWidget()
        if isinstance(focused, QLineEdit):
            focused.returnPressed.emit()  # the shortcut took the key: hand it back to the field
            return
        self.next_person()

    def open_settings(self) -> None:
        if self._desk is None:
            return
        dialog = SettingsDialog(self._desk.settings, self, pin_warning=self._desk.access.weakness(),
                                gap_s=self.wedge.gap_s)
        desk = self._desk
        while dialog.exec():
            changes, pin = dialog.changes(), dialog.pin.text().strip()
            saved = self.admin_step(self.tr("设置"), lambda abandoned: desk.save_settings(changes, pin, abandoned),
                                    parent=dialog)
            if not saved.ok:
                dialog.error.setText(saved.refusal or "")
                continue
            QMessageBox.information(self, self.tr("设置"),
                                    self.tr("已保存到 %1，重启后生效。").replace("%1", str(saved.value)))
            return

    def open_export(self) -> None:
        if self._desk is None:
            return
        pin = ""
        if self._desk.access.has_pin:
            asked = self.ask_pin(self.tr("导出需要管理员 PIN"))
            if asked is None:
                return  # cancelled: not a PIN attempt
            pin = asked
        desk = self._desk
        made = self.admin_step(self.tr("导出"), lambda abandoned: desk.exporter(pin))
        if not made.ok:
            QMessageBox.warning(self, self.tr("导出"), made.refusal or "")
            return
        exporter = made.value
        from ui.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(exporter, self._desk.today(), self, language=self.language)
        self.export_dialog.exec()

    def admin_step(self, title: str, step: Any, parent: QWidget | None = None) -> StepOutcome:
        """A PIN check (and what it guards) on a worker thread behind a busy box (ui/busy.py): never a freeze."""
        return run_admin_step(parent or self, title, self.tr("正在核验管理员 PIN…"), step,
                              (AccessDenied, ConfigError), wait_s=self.admin_wait_s)

    def watch_issuer(self, server: Any) -> None:
        """The issuer server's calls (kiosk.verification.IssuerServer): a status light, and 正在核验… in the banner.

        The server is told on the verifier thread; the bridge's signal carries it to the GUI thread.
        """
        if "issuer" not in self.lights:
            self.lights["issuer"] = StatusLight(self.tr("验码服务器"), self.statusBar())
            self.statusBar().insertWidget(len(self.lights) - 1, self.lights["issuer"])
            self.lights["issuer"].set_state("unknown", "", self.tr("尚未查询"))
        emit = self._bridge.device_status_changed.emit
        server.status_listener = lambda state, message: emit("issuer", state, message)

    def ask_pin(self, purpose: str) -> str | None:
        dialog = PinDialog(purpose, self, gap_s=self.wedge.gap_s)
        return dialog.value() if dialog.exec() else None

    def _toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _refresh_retakes(self) -> None:
        self.retake_list.set_waiting(self._controller.retake_list(), self._controller.now())
