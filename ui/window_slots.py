"""What the main window shows as the core reports (visits, entries, frames, devices, storage), and closing it."""

from __future__ import annotations

import gc
import logging
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QImage
from PySide6.QtWidgets import (
    QApplication, QLabel, QMessageBox, QPushButton,
)

from kiosk.desk.actions import ACTION_OF, GuardAction
from kiosk.domain.model import Decision, Element, PersonKind, Reason
from kiosk.services.gate import ConfirmRefused, VisitSnapshot
from kiosk.services.ports import Overlay
from kiosk.domain.visit import VisitState
from kiosk.domain.vocabulary import reason_words
from ui.device_alerts import device_problem
from ui.panels import FlaggedList, KindBar, TodayPanel
from ui.widgets import CameraView, ElementTile, VerdictBanner, tile_state

from ui.guard_keys import GuardKeys

log = logging.getLogger(__name__)


class WindowSlots(GuardKeys):
    """The window's answers to the bridge's signals and to its widgets; ``closeEvent`` keeps entries."""

    # Set by MainWindow (``__init__`` and its builders).
    _alert: Any
    _flash_enabled: bool
    banner: VerdictBanner
    camera: CameraView
    flagged: FlaggedList
    kind_bar: KindBar
    person_label: QLabel
    tiles: dict[str, ElementTile]
    today: TodayPanel
    _unreadable_timer: QTimer
    unsaved_box: QMessageBox | None
    # How long a close waits for the store before asking the guard (or, unattended, before giving up).
    _unattended_wait_s: float = 3.0

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
        source = self.tiles["code"].source_text(code)
        if code is None:
            value = self.tr("请出示健康码")
        elif code.detail.get("unknown_code"):
            # No colour was read: a code of no known issuer (a scanner's text too).
            value, source = self.tr("未知二维码"), self.tr("需人工核验")
        else:
            value = {"green": self.tr("绿码"), "yellow": self.tr("黄码"), "red": self.tr("红码"),
                     "unknown": self.tr("无法识别"), "invalid": self.tr("无效")}.get(str(code.value), str(code.value))
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

    def _on_bridge_frame_received(self, frame: QImage, overlays: list[Overlay]) -> None:
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
    def close_unattended(self, wait_s: float) -> None:
        """Close with nobody at the desk to ask (``--quit-after``, SIGTERM): write what waits if the
        store answers within ``wait_s``, then close whatever is left; the caller reports what was not
        written. A close that waits for a guard who is not there would never end."""
        self._unattended_wait_s = wait_s
        self._lose_unsaved = True
        if self.unsaved_box is not None:
            self.unsaved_box.done(0)
            self.unsaved_box = None
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Entries that wait for storage are not dropped by closing the window: the guard decides."""
        # A running export is cancelled first: its reads must not hold up the last entries' writes,
        # and its thread must not outlive the dialog that owns it.
        export = getattr(self, "export_dialog", None)  # set once an export was opened
        if export is not None and not export.cancel_and_wait(15000):
            log.error("closing with an export still running after 15 s")
        self._controller.close_gate()  # the person in front and the retake list are logged first
        waiting = self._unsaved_entries(self._unattended_wait_s)
        if waiting and not self._lose_unsaved:
            event.ignore()
            self._ask_about_unsaved(waiting)
            return
        if waiting:
            log.error("window closed with %d entries not written to the database", waiting)
        if self.unsaved_box is not None:
            self.unsaved_box.done(0)
            self.unsaved_box = None
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        if self._desk is not None:
            self._desk.close()
        if getattr(self, "_froze_gc", False):
            self._froze_gc = False
            gc.unfreeze()  # collectable again (tests open many windows in one process)
        super().closeEvent(event)

    def _unsaved_entries(self, wait_s: float) -> int:
        # The writer thread may simply not have written the last entries yet: give it a moment
        # (bounded) before asking the guard; a storage fault makes the wait end at the bound.
        self._controller.writer.drain(wait_s)
        if self._controller.waiting_entries:
            self._controller.tick()  # one more try to write them before asking
        return self._controller.waiting_entries

    def _unsaved_text(self, waiting: int) -> tuple[str, str]:
        """The box's text and its close-anyway button for ``waiting`` entries."""
        return (self.tr("%1 条入校记录还在等待写入数据库（%2）。现在关闭，这些记录将丢失。")
                .replace("%1", str(waiting)).replace("%2", self.lights["database"].toolTip() or "-"),
                self.tr("仍然关闭（%1 条记录丢失）").replace("%1", str(waiting)))

    def _ask_about_unsaved(self, waiting: int) -> None:
        text, lose_text = self._unsaved_text(waiting)
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("记录尚未保存"), text, parent=self)
        box.setObjectName("unsavedEntriesBox")
        retry = box.addButton(self.tr("重试写入"), QMessageBox.ButtonRole.AcceptRole)
        lose = box.addButton(lose_text, QMessageBox.ButtonRole.DestructiveRole)
        lose.setObjectName("loseUnsavedButton")
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: self._on_unsaved_choice(button is retry, button is lose))
        self.unsaved_box = box
        box.open()

    def _on_unsaved_choice(self, retry: bool, lose: bool) -> None:
        self.unsaved_box = None
        if lose:
            self._lose_unsaved = True
        if retry or lose:
            QTimer.singleShot(0, self.close)  # asks again if writing still fails

    def _update_unsaved_box(self, waiting: int) -> None:
        """The open box follows the writer: a new count, or, once everything is written, the close
        the guard asked for goes ahead (nothing is lost any more)."""
        box = self.unsaved_box
        if box is None:
            return
        if waiting == 0:
            box.done(0)
            self.unsaved_box = None
            log.info("the waiting entries are written: closing as the guard asked")
            QTimer.singleShot(0, self.close)
            return
        text, lose_text = self._unsaved_text(waiting)
        box.setText(text)
        lose = box.findChild(QPushButton, "loseUnsavedButton")
        if lose is not None:
            lose.setText(lose_text)

    def _on_bridge_storage_problem_changed(self, message: str, waiting: int) -> None:
        if waiting:
            self.lights["database"].set_state("error", message,
                                              self.tr("写入失败，%1 条待写入").replace("%1", str(waiting)))
        else:
            self.lights["database"].set_state("ok", "")
        self._update_unsaved_box(waiting)


    def _on_retake_list_resume_requested(self, visit_id: str) -> None:
        self._controller.resume(visit_id)
        self._refresh_retakes()

    def _on_kind_bar_kind_chosen(self, kind: str) -> None:
        self._controller.set_kind(PersonKind(kind))

    def _on_single_key(self, text: str) -> None:
        """A key the guard pressed (not part of a scanner's burst) that waited for its run to end: a Space."""
        action = self._guard_key_action(text)
        if action is not None:
            self.act(action)

    def _on_tentative_key(self, text: str) -> None:
        """A letter or digit, acted on at once; the gate takes it back if a scanner's burst follows (ui/wedge.py)."""
        action = self._guard_key_action(text)
        if action is not None:
            self._controller.guard_key(lambda: self.act(action))

    def _guard_key_action(self, text: str) -> GuardAction | None:
        """The one-key action of ``text``, only while this window is the one in front.

        A key typed in a dialog (settings, export) is never a guard's action on the gate.
        """
        if QApplication.activeModalWidget() is not None or QApplication.activeWindow() is not self:
            return None
        return GuardAction.NEXT if text == " " else ACTION_OF.get(text.upper())

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
        if not getattr(self, "_froze_gc", False):
            # What start-up built (modules, the kiosk, this window's Qt wrappers, the demo's frames) lives as
            # long as the window: kept out of full garbage collections, which walked it (~150k objects) holding
            # the GIL, every thread and this window stopped for 90–150 ms (bench/bench_gui_gaps.py).
            self._froze_gc = True
            gc.freeze()
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
        """A reason in the window's language, from the one vocabulary (kiosk.domain.vocabulary)."""
        return reason_words(r.code, r.params, r.element.value if r.element else None, self.language)
