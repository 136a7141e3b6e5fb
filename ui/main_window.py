"""The guard's main window: one glance per person, from two metres, with gloves on.

Left: the camera with decoded codes outlined, and the three element tiles
(code, temperature, mask). Right: the verdict banner with reasons in plain
words, the lane switch, the temporary-worker panel, the guard's actions (each
a big button and a key), and tabs for today's flagged people and figures.
Bottom: device status in words, with what to do.

The window receives the gate controller, the guard desk and the Qt bridge;
it holds no rules and makes no database calls of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton, QSizePolicy, QSplitter,
    QStatusBar, QTabWidget, QVBoxLayout, QWidget,
)

from kiosk.access import AccessDenied
from kiosk.config import ConfigError
from kiosk.desk import GuardDesk
from kiosk.domain import Decision, Element, Lane, PersonKind, Reason
from kiosk.gate import GateController, VisitSnapshot
from ui.bridge import QtBridge
from ui.dialogs import OverrideDialog, PinDialog, SettingsDialog, TemperatureDialog
from ui.panels import BIG_BUTTON, FlaggedList, TodayPanel, WorkerPanel
from ui.widgets import CameraView, ElementTile, VerdictBanner, tile_state

ASSETS = Path(__file__).resolve().parent / "assets"


class StatusLight(QLabel):
    """One device in the status bar: a coloured dot, its state and what to do, in words.

    The core's own message (more detail, in Chinese) is the tooltip.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.state = "unknown"
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_state("unknown", "")

    def words(self, state: str) -> str:
        return {
            "connected": self.tr("已连接"), "receiving": self.tr("已连接"), "ok": self.tr("正常"),
            "lost": self.tr("连接中断，请检查连接线"), "reconnecting": self.tr("正在重连…"),
            "silent": self.tr("无数据，请检查电源与探头"), "overdue": self.tr("需要校准，请用黑体或体温计校准"),
            "stopped": self.tr("已停止"), "unknown": self.tr("未知"), "error": self.tr("写入失败，请查看提示"),
        }.get(state, state)

    def set_state(self, state: str, message: str, words: str | None = None) -> None:
        self.state = state
        colour = {"connected": "#2e7d32", "ok": "#2e7d32", "receiving": "#2e7d32", "stopped": "#9e9e9e",
                  "unknown": "#9e9e9e"}.get(state, "#c62828")
        self.setText(f"<span style='color:{colour};font-size:20px'>●</span> <b>{self.title}</b> "
                     f"{words if words is not None else self.words(state)}")
        self.setToolTip(message)


class MainWindow(QMainWindow):
    """See the module docstring."""

    person_cleared = Signal()

    def __init__(self, controller: GateController, bridge: QtBridge, desk: GuardDesk | None = None,
                 *, sound: bool = True, flash: bool = True) -> None:
        super().__init__()
        self._controller = controller
        self._desk = desk
        self._bridge = bridge
        self._flash_enabled = flash
        self._visit: VisitSnapshot | None = None
        self.setWindowTitle(self.tr("校园门岗入校核验"))
        self.resize(1280, 800)

        root = QWidget(self)
        outer = QVBoxLayout(root)
        outer.setContentsMargins(8, 8, 8, 4)
        outer.addLayout(self._build_top_bar())
        splitter = QSplitter(Qt.Orientation.Horizontal, root)
        splitter.addWidget(self._build_left())
        splitter.addWidget(self._build_right())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        outer.addWidget(splitter, 1)
        self.setCentralWidget(root)
        self._build_status_bar()
        self._build_shortcuts()
        self._alert = self._build_alert(sound)

        bridge.visit_changed.connect(self._on_bridge_visit_changed)
        bridge.entry_logged.connect(self._on_bridge_entry_logged)
        bridge.frame_received.connect(self._on_bridge_frame_received)
        bridge.device_status_changed.connect(self._on_bridge_device_status_changed)
        bridge.storage_problem_changed.connect(self._on_bridge_storage_problem_changed)
        self._refresh = QTimer(self)
        self._refresh.setInterval(5000)  # also picks up the sync worker's latest status
        self._refresh.timeout.connect(self._on_refresh_timeout)
        self._refresh.start()
        self._select_lane(controller.lane)
        self._on_refresh_timeout()

    # ------------------------------------------------------------- building
    def _build_top_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        title = QLabel(self.tr("入校三要素核验：验码 · 测温 · 戴口罩"), self)
        title.setStyleSheet("font-size:22px;font-weight:bold;")
        bar.addWidget(title, 1)
        self.lane_buttons: dict[Lane, QPushButton] = {}
        group = QButtonGroup(self)
        for lane, text in ((Lane.CAMPUS, self.tr("师生通道 (F9)")), (Lane.WORKER, self.tr("临时人员专用通道 (F10)"))):
            b = QPushButton(text, self)
            b.setCheckable(True)
            b.setStyleSheet("QPushButton{font-size:20px;min-height:48px;padding:0 16px;}"
                            "QPushButton:checked{background:#1565c0;color:white;}")
            b.clicked.connect(lambda _=False, lane=lane: self._select_lane(lane))
            group.addButton(b)
            bar.addWidget(b)
            self.lane_buttons[lane] = b
        self.export_button = QPushButton(self.tr("导出"), self)
        self.export_button.setStyleSheet("font-size:16px;min-height:48px;")
        self.export_button.clicked.connect(self.open_export)
        bar.addWidget(self.export_button)
        self.settings_button = QPushButton(self.tr("设置"), self)
        self.settings_button.setStyleSheet("font-size:16px;min-height:48px;")
        self.settings_button.clicked.connect(self.open_settings)
        bar.addWidget(self.settings_button)
        return bar

    def _build_left(self) -> QWidget:
        left = QWidget(self)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        self.camera = CameraView(left)
        layout.addWidget(self.camera, 1)
        tiles = QHBoxLayout()
        self.tiles = {"code": ElementTile(self.tr("验码"), left), "temperature": ElementTile(self.tr("测温"), left),
                      "mask": ElementTile(self.tr("口罩"), left)}
        for t in self.tiles.values():
            tiles.addWidget(t)
        layout.addLayout(tiles)
        self.person_label = QLabel("", left)
        self.person_label.setStyleSheet("font-size:20px;")
        layout.addWidget(self.person_label)
        return left

    def _build_right(self) -> QWidget:
        right = QWidget(self)
        layout = QVBoxLayout(right)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = VerdictBanner(right)
        layout.addWidget(self.banner)
        self.worker_panel = WorkerPanel(right)
        self.worker_panel.registered.connect(self._on_worker_panel_registered)
        self.worker_panel.handoff_requested.connect(self._on_worker_panel_handoff_requested)
        layout.addWidget(self.worker_panel)
        actions = QGridLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        specs = [
            ("confirm_mask", self.tr("确认已戴口罩"), "F1", self.confirm_mask),
            ("type_temperature", self.tr("手动录入体温"), "F2", self.type_temperature),
            ("confirm_code", self.tr("人工核验健康码"), "F3", self.confirm_code),
            ("confirm_itinerary", self.tr("确认行程卡"), "F4", self.confirm_itinerary),
            ("override", self.tr("人工改判"), "F5", self.override),
            ("observation", self.tr("送观察点"), "F6", self.send_to_observation),
            ("next", self.tr("下一位"), "Space", self.next_person),
        ]
        for i, (name, text, key, slot) in enumerate(specs):
            b = QPushButton(f"{text}\n[{key}]", right)
            b.setStyleSheet(BIG_BUTTON + ("background:#1565c0;color:white;" if name == "next" else ""))
            b.clicked.connect(slot)
            actions.addWidget(b, i // 3, i % 3)
            self.action_buttons[name] = b
        layout.addLayout(actions)
        self.shortcut_help = QLabel(self.tr("其他快捷键：F7 登记 · F8 交接 · Enter 下一位 · F9/F10 切换通道 · "
                                            "F11 全屏"), right)
        self.shortcut_help.setStyleSheet("color:#546e7a;font-size:14px;")
        self.shortcut_help.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.shortcut_help)
        self.tabs = QTabWidget(right)
        self.flagged = FlaggedList(self.tabs)
        self.flagged.follow_up_requested.connect(self._on_flagged_follow_up_requested)
        self.today = TodayPanel(self.tabs)
        self.tabs.addTab(self.flagged, self.tr("今日异常"))
        self.tabs.addTab(self.today, self.tr("今日概况"))
        # The tabs take whatever height is left: in the worker lane the registration panel needs it.
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.tabs, 1)
        return right

    def _build_status_bar(self) -> None:
        bar = QStatusBar(self)
        self.lights = {"camera": StatusLight(self.tr("摄像头"), bar), "thermometer": StatusLight(self.tr("测温仪"), bar),
                       "database": StatusLight(self.tr("数据库"), bar), "decoder": StatusLight(self.tr("解码"), bar),
                       "calibration": StatusLight(self.tr("校准"), bar)}
        if self._desk is not None and self._desk.sync is not None:
            self.lights["sync"] = StatusLight(self.tr("同步"), bar)
            self.lights["school"] = StatusLight(self.tr("全校今日"), bar)
        for light in self.lights.values():
            bar.addWidget(light, 1)
        self.lights["database"].set_state("ok", "")
        decoder = self._desk.decoder_name if self._desk else "zxing"
        self.lights["decoder"].set_state("ok", decoder, decoder)
        self.setStatusBar(bar)

    def _build_shortcuts(self) -> None:
        keys = {"F1": self.confirm_mask, "F2": self.type_temperature, "F3": self.confirm_code,
                "F4": self.confirm_itinerary, "F5": self.override, "F6": self.send_to_observation,
                "F7": self.worker_panel.register_button.click, "F8": self.worker_panel.handoff_button.click,
                "Space": self.next_person, "Return": self.next_person,
                "F9": lambda: self._select_lane(Lane.CAMPUS), "F10": lambda: self._select_lane(Lane.WORKER),
                "F11": self._toggle_fullscreen}
        self._shortcuts = []
        for key, slot in keys.items():
            sc = QShortcut(QKeySequence(key), self)
            sc.activated.connect(slot)
            self._shortcuts.append(sc)

    def _build_alert(self, enabled: bool) -> Any:
        if not enabled:
            return None
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError:  # no audio stack on this machine: flash only
            return None
        effect = QSoundEffect(self)
        effect.setSource(QUrl.fromLocalFile(str(ASSETS / "alert.wav")))
        effect.setVolume(0.9)
        return effect

    # ------------------------------------------------------------- actions
    def _select_lane(self, lane: Lane) -> None:
        if lane is not self._controller.lane:
            self._controller.set_lane(lane)
        self._show_lane(lane)

    def _show_lane(self, lane: Lane) -> None:
        self.lane_buttons[lane].setChecked(True)
        self.worker_panel.setVisible(lane is Lane.WORKER)
        self.action_buttons["confirm_itinerary"].setEnabled(lane is Lane.WORKER)

    def confirm_mask(self) -> None:
        self._controller.confirm(Element.MASK, True)

    def confirm_code(self) -> None:
        element = Element.CARD if self._current_kind() is PersonKind.STUDENT else Element.HEALTH
        self._controller.confirm(element, True)

    def confirm_itinerary(self) -> None:
        if self._controller.lane is Lane.WORKER:
            self._controller.confirm(Element.ITINERARY, True)

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
            try:
                self._desk.access.verify(pin, self._desk.settings.site.guard_id, "override")
            except AccessDenied as exc:
                QMessageBox.warning(self, self.tr("人工改判"), str(exc))
                return
        dialog = OverrideDialog(self)
        if dialog.exec():
            self._controller.override(dialog.decision(), dialog.reason_text())

    def send_to_observation(self) -> None:
        visit = self._visit
        if visit is not None and visit.entry_id and self._desk is not None:
            self._desk.set_follow_up(visit.entry_id, "observation", self.tr("门卫送观察点"))
            self._on_refresh_timeout()

    def next_person(self) -> None:
        self._controller.next_person()
        self.worker_panel.clear()

    def open_settings(self) -> None:
        if self._desk is None:
            return
        dialog = SettingsDialog(self._desk.settings, self)
        while dialog.exec():
            try:
                path = self._desk.save_settings(dialog.changes(), dialog.pin.text().strip())
            except (AccessDenied, ConfigError) as exc:
                dialog.error.setText(str(exc))
                continue
            QMessageBox.information(self, self.tr("设置"), self.tr("已保存到 %1，重启后生效。").replace("%1", str(path)))
            return

    def open_export(self) -> None:
        if self._desk is None:
            return
        pin = ""
        if self._desk.access.has_pin:
            pin = self.ask_pin(self.tr("导出需要管理员 PIN")) or ""
        try:
            exporter = self._desk.exporter(pin)
        except AccessDenied as exc:
            QMessageBox.warning(self, self.tr("导出"), str(exc))
            return
        from ui.export_dialog import ExportDialog

        self.export_dialog = ExportDialog(exporter, self._desk.today(), self)
        self.export_dialog.exec()

    def ask_pin(self, purpose: str) -> str | None:
        dialog = PinDialog(purpose, self)
        return dialog.value() if dialog.exec() else None

    def _toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _current_kind(self) -> PersonKind:
        return self._visit.person.kind if self._visit else self._controller.default_kind

    # ---------------------------------------------------------------- slots
    def _on_bridge_visit_changed(self, visit: VisitSnapshot) -> None:
        if self.lane_buttons[visit.lane].isChecked() is False:
            self._show_lane(visit.lane)  # the lane was switched elsewhere (demo, another guard action)
        if not visit.visit_id:
            self._visit = None
            self.banner.show_idle()
            for tile in self.tiles.values():
                tile.set_state("none", "—", "")
            self.person_label.setText("")
            self.worker_panel.show_visit(None)
            return
        self._visit = visit
        self.banner.show_visit(visit, [self.reason_text(visit, r) for r in visit.verdict.reasons])
        self._show_tiles(visit)
        who = " ".join(x for x in (self.flagged.kind_label(visit.person.kind.value), visit.name_masked,
                                   visit.id_masked) if x)
        self.person_label.setText(self.tr("身份：%1").replace("%1", who))
        self.worker_panel.show_visit(visit)

    def _show_tiles(self, visit: VisitSnapshot) -> None:
        required = set(visit.required)
        code_el = Element.CARD if Element.CARD in required else Element.HEALTH
        code = visit.evidence.get(code_el)
        value = {"green": self.tr("绿码"), "yellow": self.tr("黄码"), "red": self.tr("红码"),
                 "unknown": self.tr("无法识别"), "invalid": self.tr("无效")}.get(str(code.value), str(code.value)) \
            if code is not None and code_el is Element.HEALTH else (self.tr("名册已核对") if code else self.tr("请出示"))
        self.tiles["code"].set_state(tile_state(code, code_el in required), value, self.tiles["code"].source_text(code))
        temp = visit.evidence.get(Element.TEMPERATURE)
        temp_value = f"{float(temp.value):.1f} °C" if temp is not None and temp.value is not None else self.tr("请测温")
        self.tiles["temperature"].set_state(tile_state(temp, True), temp_value,
                                            self.tiles["temperature"].source_text(temp))
        mask = visit.evidence.get(Element.MASK)
        mask_value = self.tr("请戴口罩") if mask is None else (self.tr("已戴") if mask.value else self.tr("未戴"))
        self.tiles["mask"].set_state(tile_state(mask, True), mask_value, self.tiles["mask"].source_text(mask))

    def _on_bridge_entry_logged(self, visit: VisitSnapshot, entry_id: str) -> None:
        if visit.decision is Decision.DENY or visit.verdict.flagged:
            if self._flash_enabled:
                self.banner.flash()
            if self._alert is not None:
                self._alert.play()
        self._on_refresh_timeout()

    def _on_bridge_frame_received(self, frame: Any, overlays: list[dict[str, Any]]) -> None:
        self.camera.set_frame(frame, overlays)

    def _on_bridge_device_status_changed(self, device: str, state: str, message: str) -> None:
        if device in self.lights:
            self.lights[device].set_state(state, message)

    def _on_bridge_storage_problem_changed(self, message: str, waiting: int) -> None:
        if waiting:
            self.lights["database"].set_state("error", message,
                                              self.tr("写入失败，%1 条待写入").replace("%1", str(waiting)))
        else:
            self.lights["database"].set_state("ok", "")

    def _on_worker_panel_registered(self, fields: dict[str, str]) -> None:
        self._controller.register(fields)

    def _on_worker_panel_handoff_requested(self, fields: dict[str, str]) -> None:
        self._controller.handoff(fields)
        self.worker_panel.clear()

    def _on_flagged_follow_up_requested(self, entry_id: str, state: str) -> None:
        if self._desk is not None:
            self._desk.set_follow_up(entry_id, state)
            self._on_refresh_timeout()

    def _on_refresh_timeout(self) -> None:
        if self._desk is None:
            return
        self.flagged.set_people(self._desk.flagged())
        self.today.set_summary(self._desk.summary())
        overdue, message = self._desk.calibration_status()
        self.lights["calibration"].set_state("overdue" if overdue else "ok", message,
                                             None if overdue else self.tr("有效"))
        sync = self._desk.sync_light()
        if sync is not None:
            self.lights["sync"].set_state(sync[0], sync[2], sync[1])
            totals = self._desk.school_totals()
            self.lights["school"].set_state("ok" if totals else "unknown", "",
                                            totals if totals else self.tr("中心不可达"))

    # ------------------------------------------------------------ wording
    def reason_text(self, visit: VisitSnapshot, r: Reason) -> str:
        """A reason in the window's language; the core's Chinese text is the fallback."""
        names = {Element.HEALTH: self.tr("健康码"), Element.ITINERARY: self.tr("行程卡"),
                 Element.VACCINE: self.tr("疫苗接种"), Element.CARD: self.tr("学生卡"),
                 Element.TEMPERATURE: self.tr("体温"), Element.MASK: self.tr("口罩"),
                 Element.REGISTRATION: self.tr("登记信息"), Element.NUCLEIC_ACID: self.tr("核酸检测")}
        ev = visit.evidence.get(r.element) if r.element else None
        if r.code == "retake" and ev is not None:
            return self.tr("体温 %1 °C 偏高，请稍后复测").replace("%1", f"{float(ev.value):.1f}")
        if r.code == "failed" and r.element is Element.TEMPERATURE and ev is not None:
            return self.tr("复测仍发热：%1 °C，请送观察点").replace("%1", f"{float(ev.value):.1f}")
        if r.code == "failed" and r.element is Element.MASK:
            return self.tr("未佩戴口罩")
        if r.code == "failed" and r.element is Element.HEALTH and ev is not None:
            colour = {"yellow": self.tr("黄码"), "red": self.tr("红码")}.get(str(ev.value))
            if colour:
                return self.tr("健康码异常：%1").replace("%1", colour)
        if r.code in ("not_checked", "unverified") and r.element:
            return self.tr("%1未核验").replace("%1", names[r.element])
        if r.code == "needs_confirmation" and r.element is Element.MASK:
            return self.tr("检测到未戴口罩，请提示佩戴") if ev is not None and ev.value is False \
                else self.tr("请确认口罩")
        if r.code == "needs_confirmation" and r.element:
            return self.tr("%1需人工核验").replace("%1", names[r.element])
        if r.code == "replay":
            return self.tr("同一二维码刚被他人使用（疑似代刷）")
        if r.code == "wrong_lane":
            return self.tr("请走对应通道")
        if r.code == "registration_incomplete":
            return self.tr("登记信息不完整")
        return r.message
