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

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication, QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QMessageBox, QPushButton,
    QSizePolicy, QSplitter, QStatusBar, QTabWidget, QVBoxLayout, QWidget,
)

from kiosk.access import AccessDenied
from kiosk.actions import ACTION_OF, KEY_OF, KEYMAP, KIND_ACTIONS, GuardAction, perform
from kiosk.config import ConfigError
from kiosk.desk import GuardDesk
from kiosk.domain import Decision, Element, Lane, PersonKind, Reason
from kiosk.gate import ConfirmRefused, GateController, VisitSnapshot
from kiosk.visit import VisitState
from kiosk.vocabulary import reason_words
from ui.bridge import QtBridge
from ui.busy import ADMIN_WAIT_S, StepOutcome, run_admin_step
from ui.device_alerts import device_problem
from ui.dialogs import OverrideDialog, PinDialog, SettingsDialog, TemperatureDialog
from ui.panels import BIG_BUTTON, FlaggedList, KindBar, RetakeList, TodayPanel, WorkerPanel
from ui.wedge import DEFAULT_GAP_S, KeyboardWedge
from ui.widgets import CameraView, ElementTile, VerdictBanner, tile_state

ASSETS = Path(__file__).resolve().parent / "assets"


log = logging.getLogger(__name__)


class StatusLight(QLabel):
    """One device in the status bar: a coloured dot, its state and what to do, in words.

    The core's own message (more detail, in Chinese) is the tooltip.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.state = "unknown"
        # Each light as wide as its words where the bar has room (equal shares cut the long ones, e.g.
        # "Thermometer Connected", while "Database OK" had room to spare); narrower only when it must.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.set_state("unknown", "")

    def words(self, state: str) -> str:
        return {
            "connected": self.tr("已连接"), "receiving": self.tr("已连接"), "ok": self.tr("正常"),
            "lost": self.tr("连接中断，请检查连接线"), "reconnecting": self.tr("正在重连…"),
            "silent": self.tr("无数据，请检查电源与探头"), "overdue": self.tr("需要校准，请用黑体或体温计校准"),
            "stopped": self.tr("已停止"), "unknown": self.tr("未知"), "asking": self.tr("正在核验…"), "error": self.tr("写入失败，请查看提示"),
            "yunet": "YuNet", "haar": self.tr("Haar（YuNet 不可用，检出率低）"),
            # Why YuNet is not in use (devices.face.Fallback.cause); the tooltip has the detail.
            "haar_model_missing": self.tr("Haar：缺少模型文件"),
            "haar_model_damaged": self.tr("Haar：模型文件损坏"),
            "haar_opencv_too_old": self.tr("Haar：OpenCV 过旧（需 4.8+）"),
            "haar_model_load_failed": self.tr("Haar：模型无法加载"),
        }.get(state, state)

    def set_state(self, state: str, message: str, words: str | None = None) -> None:
        self.state = state
        colour = {"connected": "#2e7d32", "ok": "#2e7d32", "receiving": "#2e7d32", "stopped": "#9e9e9e",
                  "asking": "#1565c0",
                  "unknown": "#9e9e9e", "yunet": "#2e7d32"}.get(state, "#ef6c00" if state.startswith("haar") else "#c62828")
        self.setText(f"<span style='color:{colour};font-size:20px'>●</span> <b>{self.title}</b> "
                     f"{words if words is not None else self.words(state)}")
        self.setToolTip(message)


class MainWindow(QMainWindow):
    """See the module docstring."""

    person_cleared = Signal()
    today_changed = Signal()  # emitted from the today-figures thread; delivered queued on the GUI thread

    def __init__(self, controller: GateController, bridge: QtBridge, desk: GuardDesk | None = None,
                 *, sound: bool = True, flash: bool = True, language: str = "zh", speaker: Any = None) -> None:
        super().__init__()
        self.language = "en" if language.startswith("en") else "zh"
        if desk is not None:
            desk.language = self.language
        self._controller = controller
        self._desk = desk
        self._lose_unsaved = False  # the guard chose to close with entries not saved
        self.admin_wait_s = ADMIN_WAIT_S  # how long a PIN check may wait for a locked database
        self.unsaved_box: QMessageBox | None = None
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
        # A keyboard-wedge QR scanner "types" codes into the window: read them like the camera's
        # (an application-wide key filter while the window is shown; see showEvent/closeEvent).
        gap_s = desk.settings.devices.scanner_key_gap_ms / 1000 if desk is not None else DEFAULT_GAP_S
        self.wedge = KeyboardWedge(self._on_wedge_code, gap_s=gap_s, parent=self, on_single_key=self._on_single_key,
                                   on_unreadable=self._on_wedge_unreadable)
        self._unreadable_timer = QTimer(self)  # the banner's "scan not read" line goes after a while
        self._unreadable_timer.setSingleShot(True)
        self._unreadable_timer.setInterval(8000)
        self._unreadable_timer.timeout.connect(lambda: self.banner.set_device_problem("scan", None))
        self._build_speech(speaker, bridge)

        bridge.visit_changed.connect(self._on_bridge_visit_changed)
        bridge.entry_logged.connect(self._on_bridge_entry_logged)
        bridge.frame_received.connect(self._on_bridge_frame_received)
        bridge.device_status_changed.connect(self._on_bridge_device_status_changed)
        bridge.storage_problem_changed.connect(self._on_bridge_storage_problem_changed)
        bridge.entry_committed.connect(self._on_bridge_entry_committed)
        # Today's figures follow committed entries (kiosk/today.py); the timer only re-reads the calibration.
        self.today_changed.connect(self._show_today)
        if desk is not None:
            desk.watch_today(self.today_changed.emit)
        self._refresh = QTimer(self)
        self._refresh.setInterval(5000)  # the sync worker's latest status; the calibration once a minute
        self._refresh.timeout.connect(self._on_refresh_timeout)
        self._refresh.start()
        self._retake_timer = QTimer(self)  # the retake list's countdown
        self._retake_timer.setInterval(1000)
        self._retake_timer.timeout.connect(self._refresh_retakes)
        self._retake_timer.start()
        self._select_lane(controller.lane)
        server = getattr(getattr(getattr(desk, "codes", None), "verifier", None), "server", None)
        if server is not None:
            self.watch_issuer(server)
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
        kinds = [(kind.value, KEY_OF[action], self.action_label(action)) for action, kind in KIND_ACTIONS.items()]
        self.kind_bar = KindBar(kinds, KEY_OF[GuardAction.RETURNING], left)
        self.kind_bar.kind_chosen.connect(self._on_kind_bar_kind_chosen)
        self.kind_bar.returning_toggled.connect(lambda: self.act(GuardAction.RETURNING))
        layout.addWidget(self.kind_bar)
        self.retake_list = RetakeList(left)
        self.retake_list.resume_requested.connect(self._on_retake_list_resume_requested)
        self.retake_list.setVisible(False)
        layout.addWidget(self.retake_list)
        return left

    def _build_right(self) -> QWidget:
        right = QWidget(self)
        layout = QVBoxLayout(right)
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = VerdictBanner(right)
        layout.addWidget(self.banner)
        self.notice = QLabel("", right)  # a refused action, said where the guard is looking
        self.notice.setStyleSheet("color:#c62828;font-size:18px;font-weight:bold;")
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        self.worker_panel = WorkerPanel(right)
        self.worker_panel.registered.connect(self._on_worker_panel_registered)
        self.worker_panel.handoff_requested.connect(self._on_worker_panel_handoff_requested)
        layout.addWidget(self.worker_panel)
        actions = QGridLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        grid = (
            (GuardAction.HEALTH_GREEN, GuardAction.HEALTH_YELLOW, GuardAction.HEALTH_RED, GuardAction.CONFIRM_IDENTITY),
            (GuardAction.CONFIRM_MASK, GuardAction.TYPE_TEMPERATURE, GuardAction.ITINERARY_OK, GuardAction.VACCINE_OK),
            (GuardAction.OVERRIDE, GuardAction.OBSERVATION, GuardAction.NUCLEIC_NEGATIVE, GuardAction.NEXT),
        )
        colours = {GuardAction.HEALTH_GREEN: "background:#1b7f3a;color:white;",
                   GuardAction.HEALTH_YELLOW: "background:#f2a900;color:#1a1a1a;",
                   GuardAction.HEALTH_RED: "background:#c62828;color:white;",
                   GuardAction.NEXT: "background:#1565c0;color:white;"}
        for r, row in enumerate(grid):
            for c, action in enumerate(row):
                b = QPushButton(f"{self.action_label(action)}\n[{KEY_OF[action]}]", right)
                # Four to a row beside the camera at 1280 px: a size that fits the longest label.
                b.setStyleSheet(BIG_BUTTON + "font-size:16px;padding:2px 2px;" + colours.get(action, ""))
                b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                b.clicked.connect(lambda _=False, a=action: self.act(a))
                actions.addWidget(b, r, c)
                self.action_buttons[action.value] = b
        # Names kept from the first layout (tests and docs refer to them).
        self.action_buttons["confirm_code"] = self.action_buttons[GuardAction.HEALTH_GREEN.value]
        self.action_buttons["confirm_itinerary"] = self.action_buttons[GuardAction.ITINERARY_OK.value]
        self.action_buttons["next"] = self.action_buttons[GuardAction.NEXT.value]
        layout.addLayout(actions)
        self.shortcut_help = QLabel(self.tr("其他快捷键：F7 登记 · F8 交接 · Shift+F4 行程卡异常 · Shift+F12 未接种 · "
                                            "F9/F10 切换通道 · F11 全屏"), right)
        self.shortcut_help.setStyleSheet("color:#546e7a;font-size:14px;")
        self.shortcut_help.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.shortcut_help.setWordWrap(True)  # the English line is longer than the panel at 1280 px: two lines
        layout.addWidget(self.shortcut_help)
        self.tabs = QTabWidget(right)
        self.flagged = FlaggedList(self.tabs)
        self.flagged.follow_up_requested.connect(self._on_flagged_follow_up_requested)
        self.today = TodayPanel(self.tabs)
        self.tabs.addTab(self.flagged, self.tr("今日异常"))
        self.tabs.addTab(self.today, self.tr("今日概况"))
        # The tabs take whatever height is left: in the worker lane the registration panel needs it.
        self.tabs.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.tabs.setMinimumHeight(self.tabs.tabBar().sizeHint().height() + 4)  # never less than its tab names
        layout.addWidget(self.tabs, 1)
        return right

    def _build_status_bar(self) -> None:
        bar = QStatusBar(self)
        self.lights = {"camera": StatusLight(self.tr("摄像头"), bar), "thermometer": StatusLight(self.tr("测温仪"), bar),
                       "database": StatusLight(self.tr("数据库"), bar), "decoder": StatusLight(self.tr("解码"), bar),
                       "calibration": StatusLight(self.tr("校准"), bar), "face": StatusLight(self.tr("人脸检测"), bar)}
        if self._desk is not None and self._desk.sync is not None:
            self.lights["sync"] = StatusLight(self.tr("同步"), bar)
            self.lights["school"] = StatusLight(self.tr("全校今日"), bar)
        for light in self.lights.values():
            bar.addWidget(light)  # no stretch: each its own width (stretch shares the bar equally)
        self.lights["database"].set_state("ok", "")
        decoder = self._desk.decoder_name if self._desk else "zxing"
        self.lights["decoder"].set_state("ok", decoder, decoder)
        self.setStatusBar(bar)
        self._show_configured_devices()

    def _show_configured_devices(self) -> None:
        """A part the gate does not have is said so (a scanner-only gate showed 等待摄像头画面… and 未知 lights)."""
        if self._desk is None:
            return
        devices = self._desk.settings.devices
        if not devices.camera:
            self.camera.idle_text = self.tr("未接摄像头：请用扫码枪扫码")
            self.lights["camera"].set_state("stopped", "", self.tr("未使用"))
            self.lights["face"].set_state("stopped", self.tr("没有摄像头，不做人脸检测"), self.tr("未使用"))
        if not devices.thermometer:
            self.lights["thermometer"].set_state("stopped", self.tr("未配置测温仪：体温由门卫按 F2 录入"), self.tr("未使用"))
        if devices.scanner:
            light = StatusLight(self.tr("扫码枪"), self.statusBar())
            self.statusBar().insertWidget(1, light)  # beside the camera: the gate's code readers together
            self.lights["scanner"] = light
            if devices.scanner == "keyboard":  # a keyboard cannot be asked whether it is plugged in
                light.set_state("unknown", self.tr("键盘式扫码枪：无法检测是否插好，扫一个码试试"), self.tr("键盘式"))

    def _build_shortcuts(self) -> None:
        # One table of keys for the window and the scenario runner (kiosk.actions). Letter and
        # digit keys typed into a form field go to the field (QLineEdit takes them first).
        self._shortcuts = []
        for binding in KEYMAP:
            sc = QShortcut(QKeySequence(binding.key), self)
            sc.activated.connect(lambda a=binding.action: self.act(a))
            self._shortcuts.append(sc)
        for key, slot in (("Return", self._on_return_pressed), ("Enter", self._on_return_pressed),
                          ("F11", self._toggle_fullscreen)):
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

    def _build_speech(self, speaker: Any, bridge: QtBridge) -> None:
        """Spoken prompts (ui/speech.py): heard for every visit change; a status-bar toggle and Ctrl+M mute them.

        (F12 is the vaccination record seen; a chord for a setting keeps it apart from the guard's one-key checks.)
        """
        self.speaker = speaker
        self.speech_button: QPushButton | None = None
        if speaker is None:
            return
        bridge.visit_changed.connect(speaker.on_visit)
        button = QPushButton(self)
        button.setCheckable(True)
        button.setChecked(not speaker.muted)
        button.setMinimumHeight(36)

        def show(on: bool) -> None:
            speaker.set_muted(not on)
            button.setText(self.tr("语音：开 Ctrl+M") if on else self.tr("语音：关 Ctrl+M"))

        button.toggled.connect(show)
        show(button.isChecked())
        self.statusBar().addPermanentWidget(button)
        self.speech_button = button
        shortcut = QShortcut(QKeySequence("Ctrl+M"), self)
        shortcut.activated.connect(button.toggle)
        self._shortcuts.append(shortcut)

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
        labels = {
            GuardAction.CONFIRM_MASK: self.tr("确认已戴口罩"), GuardAction.TYPE_TEMPERATURE: self.tr("手动录入体温"),
            GuardAction.HEALTH_GREEN: self.tr("健康码：绿码"), GuardAction.HEALTH_YELLOW: self.tr("健康码：黄码"),
            GuardAction.HEALTH_RED: self.tr("健康码：红码"), GuardAction.ITINERARY_OK: self.tr("行程卡无风险"),
            GuardAction.ITINERARY_RISK: self.tr("行程卡：到过风险地区"), GuardAction.VACCINE_OK: self.tr("疫苗：已接种"),
            GuardAction.VACCINE_NONE: self.tr("疫苗：未接种"), GuardAction.NUCLEIC_NEGATIVE: self.tr("核酸阴性"),
            GuardAction.CONFIRM_IDENTITY: self.tr("身份已核对"), GuardAction.OVERRIDE: self.tr("人工改判"),
            GuardAction.OBSERVATION: self.tr("送观察点"), GuardAction.REGISTER: self.tr("登记"),
            GuardAction.HANDOFF: self.tr("快递交接，不入校"), GuardAction.NEXT: self.tr("下一位"),
            GuardAction.KIND_STUDENT: self.tr("学生"), GuardAction.KIND_STAFF: self.tr("教职工"),
            GuardAction.KIND_VISITOR: self.tr("访客"), GuardAction.KIND_COURIER: self.tr("快递员"),
            GuardAction.KIND_DELIVERY: self.tr("送货"), GuardAction.KIND_GARBAGE: self.tr("垃圾清运"),
            GuardAction.KIND_OTHER_WORKER: self.tr("其他临时人员"), GuardAction.RETURNING: self.tr("返校人员"),
            GuardAction.LANE_CAMPUS: self.tr("师生通道"), GuardAction.LANE_WORKER: self.tr("临时人员专用通道"),
        }
        return labels[action]

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
            self._desk.set_follow_up(visit.entry_id, "observation", self.tr("门卫送观察点"))

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

    def _current_kind(self) -> PersonKind:
        return self._visit.person.kind if self._visit else self._controller.default_kind

    # ---------------------------------------------------------------- slots
    def _on_bridge_visit_changed(self, visit: VisitSnapshot) -> None:
        if self.lane_buttons[visit.lane].isChecked() is False:
            self._show_lane(visit.lane)  # the lane was switched elsewhere (demo, another guard action)
        self._refresh_retakes()
        if visit.state in (VisitState.RETAKE_WAIT, VisitState.CLOSED):
            return  # news of a visit that is no longer in front (stepped aside, logged on expiry)
        current = self._controller.current()
        if visit.visit_id and current is not None and current.visit_id != visit.visit_id:
            return
        if not visit.visit_id:
            if self._visit is not None:
                self.worker_panel.clear()
            self._visit = None
            self.banner.show_idle()
            for tile in self.tiles.values():
                tile.set_state("none", "—", "")
            self.person_label.setText("")
            self.worker_panel.show_visit(None)
            self.kind_bar.show_person(None, False)
            return
        if self._visit is None or self._visit.visit_id != visit.visit_id:
            # Someone new in front: the last person's registration must never become theirs.
            self.worker_panel.clear()
        self._visit = visit
        self.kind_bar.show_person(visit.person.kind.value, visit.person.returning_from_risk_area)
        self.banner.show_visit(visit, [self.reason_text(visit, r) for r in visit.verdict.reasons])
        self._show_tiles(visit)
        who = " ".join(x for x in (self.flagged.kind_label(visit.person.kind.value), visit.name_masked,
                                   visit.id_masked,
                                   self.tr("（返校人员）") if visit.person.returning_from_risk_area else "") if x)
        self.person_label.setText(self.tr("身份：%1").replace("%1", who))
        self.worker_panel.show_visit(visit)

    def _show_tiles(self, visit: VisitSnapshot) -> None:
        # The code tile is about the health code, for everyone: a roster card says who the
        # person is, not whether their code is green (that is the roster's daily status, if any).
        code = visit.evidence.get(Element.HEALTH)
        if code is not None:
            value = {"green": self.tr("绿码"), "yellow": self.tr("黄码"), "red": self.tr("红码"),
                     "unknown": self.tr("无法识别"), "invalid": self.tr("无效")}.get(str(code.value), str(code.value))
            if code.detail.get("unknown_code"):
                value = self.tr("未知二维码")
        else:
            value = self.tr("请出示健康码")
        source = self.tiles["code"].source_text(code)
        card = visit.evidence.get(Element.CARD)
        if card is not None:
            source = " · ".join(x for x in (source, self.tr("名册已核对") if card.outcome.value == "ok"
                                            else self.tr("卡号不在名册中")) if x)
        self.tiles["code"].set_state(tile_state(code, True), value, source)
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

    def _on_bridge_frame_received(self, frame: Any, overlays: list[dict[str, Any]]) -> None:
        self.camera.set_frame(frame, overlays)

    def _on_bridge_device_status_changed(self, device: str, state: str, message: str) -> None:
        if device in self.lights:
            words = None
            if device == "issuer":  # a server, not a cable: its own words
                words = {"lost": self.tr("无应答"), "error": self.tr("拒绝查询"),
                         "ok": self.tr("正常")}.get(state)
            self.lights[device].set_state(state, message, words)
        if device in ("camera", "thermometer", "scanner", "issuer"):
            self.banner.set_device_problem(device, device_problem(device, state))

    # ---------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Entries that wait for storage are not dropped by closing the window: the guard decides."""
        # A running export is cancelled first: its reads must not hold up the last entries' writes,
        # and its thread must not outlive the dialog that owns it.
        export = getattr(self, "export_dialog", None)  # set once an export was opened
        if export is not None and not export.cancel_and_wait(15000):
            log.error("closing with an export still running after 15 s")
        self._controller.close_gate()  # the person in front and the retake list are logged first
        waiting = self._unsaved_entries()
        if waiting and not self._lose_unsaved:
            event.ignore()
            self._ask_about_unsaved(waiting)
            return
        if waiting:
            log.error("window closed by the guard with %d entries not saved", waiting)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        if self._desk is not None:
            self._desk.close()
        super().closeEvent(event)

    def _unsaved_entries(self) -> int:
        # The writer thread may simply not have written the last entries yet: give it a moment
        # (bounded) before asking the guard; a storage fault makes the wait end at the bound.
        self._controller.writer.drain(3.0)
        if self._controller.waiting_entries:
            self._controller.tick()  # one more try to write them before asking
        return self._controller.waiting_entries

    def _ask_about_unsaved(self, waiting: int) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("记录尚未保存"),
                          self.tr("%1 条入校记录还在等待写入数据库（%2）。现在关闭，这些记录将丢失。")
                          .replace("%1", str(waiting)).replace("%2", self.lights["database"].toolTip() or "-"),
                          parent=self)
        box.setObjectName("unsavedEntriesBox")
        retry = box.addButton(self.tr("重试写入"), QMessageBox.ButtonRole.AcceptRole)
        lose = box.addButton(self.tr("仍然关闭（%1 条记录丢失）").replace("%1", str(waiting)),
                             QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: self._on_unsaved_choice(button is retry, button is lose))
        self.unsaved_box = box
        box.open()

    def _on_unsaved_choice(self, retry: bool, lose: bool) -> None:
        if lose:
            self._lose_unsaved = True
        if retry or lose:
            QTimer.singleShot(0, self.close)  # asks again if writing still fails

    def _on_bridge_storage_problem_changed(self, message: str, waiting: int) -> None:
        if waiting:
            self.lights["database"].set_state("error", message,
                                              self.tr("写入失败，%1 条待写入").replace("%1", str(waiting)))
        else:
            self.lights["database"].set_state("ok", "")

    def _refresh_retakes(self) -> None:
        self.retake_list.set_waiting(self._controller.retake_list(), self._controller.now())

    def _on_retake_list_resume_requested(self, visit_id: str) -> None:
        self._controller.resume(visit_id)
        self._refresh_retakes()

    def _on_kind_bar_kind_chosen(self, kind: str) -> None:
        self._controller.set_kind(PersonKind(kind))

    def _on_single_key(self, text: str) -> None:
        """A letter or digit the guard pressed (not part of a scanner's burst): its one-key action.

        Only while this window is the one in front: a key typed in a dialog (settings, export) is
        never a guard's action on the gate.
        """
        if QApplication.activeModalWidget() is not None or QApplication.activeWindow() is not self:
            return
        action = GuardAction.NEXT if text == " " else ACTION_OF.get(text.upper())
        if action is not None:
            self.act(action)

    def _on_wedge_unreadable(self, keys: int) -> None:
        """A keyboard scan that could not be told from typing was dropped (ui/wedge.py): said in the banner."""
        self.banner.set_device_problem("scan", (
            self.tr("扫码未读取"),
            self.tr("扫码枪太慢，分不清扫码与按键：这次没有读取，也未当作按键。请重扫；常出现请在设置向导测量扫码枪")))
        self._unreadable_timer.start()

    def _on_wedge_code(self, text: str) -> None:
        self.banner.set_device_problem("scan", None)
        if "scanner" in self.lights:
            self.lights["scanner"].set_state("ok", self.tr("键盘式扫码枪：刚读到一个码"), self.tr("已读到码"))
        if self._desk is not None:
            self._desk.code_from_keyboard_scanner(text)

    def _on_worker_panel_registered(self, fields: dict[str, str]) -> None:
        try:
            snap = self._controller.register(fields)
        except ConfirmRefused as exc:
            self.notice.setText(self.tr("不能登记：%1").replace("%1", str(exc)))
            return
        self.notice.setText("")
        if Element.REGISTRATION in snap.evidence:
            # Registered: the full phone and ID leave the screen (the entry keeps them sealed).
            self.worker_panel.clear()

    def _on_worker_panel_handoff_requested(self, fields: dict[str, str]) -> None:
        try:
            self._controller.handoff(fields)
        except ConfirmRefused as exc:
            self.notice.setText(self.tr("不能交接：%1").replace("%1", str(exc)))
            return
        self.notice.setText("")
        self.worker_panel.clear()

    def _on_flagged_follow_up_requested(self, entry_id: str, state: str) -> None:
        if self._desk is not None:
            self._desk.set_follow_up(entry_id, state)

    def _on_bridge_entry_committed(self, entry_id: str) -> None:
        if self._desk is not None:
            self._desk.entry_committed(entry_id)

    def _show_today(self) -> None:
        if self._desk is None:
            return
        figures, flagged = self._desk.today_snapshot()
        self.flagged.set_people(flagged)
        self.today.set_summary(figures)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)  # never twice
            app.installEventFilter(self.wedge)
        super().showEvent(event)


    def _on_refresh_timeout(self) -> None:
        if self._desk is None:
            return
        self._refresh_ticks = getattr(self, "_refresh_ticks", -1) + 1
        if not self._desk.settings.devices.thermometer:
            self.lights["calibration"].set_state("stopped", "", self.tr("无测温仪"))
        elif self._refresh_ticks % 12 == 0:  # the calibration reads the database: once a minute is plenty
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
        """A reason in the window's language, from the one vocabulary (kiosk.vocabulary)."""
        return reason_words(r.code, r.params, r.element.value if r.element else None, self.language)
