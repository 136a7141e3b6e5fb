"""The guard's desk: everything the window may ask of the core, in one object.

The window holds no rules and makes no database calls; it talks to the gate
controller for the person in front of it, and to this desk for the rest:
today's figures, the flagged list and its follow-up, device and calibration
status, admin PIN checks, and the settings file. Built by ``kiosk.app``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk.services.access import AccessDenied, AdminAccess
from kiosk.config.settings import Settings
from kiosk.desk.store import DeskStore
from kiosk.services.gate import GateController
from kiosk.reports.figures import DayFigures, day_figures
from kiosk.domain import follow_up
from kiosk.desk.today import FlaggedPerson, FollowUpStep, TodayKeeper
from kiosk.domain.vocabulary import stored_reason_words, sync_words

if TYPE_CHECKING:
    from db.records import EntryRecord
    from kiosk.reports.export_process import ExportInProcess
    from kiosk.reports.exports import Exporter
    from kiosk.reports.source import LedgerSource
    from kiosk.services.scanning import VerificationService
    from kiosk.services.sync import SyncService
    from kiosk.services.thermometry import ThermometerService

log = logging.getLogger(__name__)


class GuardDesk:
    """See the module docstring."""

    def __init__(self, settings: Settings, store: DeskStore, controller: GateController,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.settings = settings
        self.store = store
        self.controller = controller
        self._clock = clock
        self._tz = ZoneInfo(settings.site.timezone)
        self.access = AdminAccess(settings.data_dir, ledger=store)
        self.thermometer: ThermometerService | None = None  # when devices run
        self.codes: VerificationService | None = None  # when devices run
        self._today: TodayKeeper | None = None  # once the window watches today
        self.decoder_name = settings.devices.decoder
        self.language = "en" if settings.ui.language == "en" else "zh"  # the window sets it to its own
        self.sync: SyncService | None = None  # when a centre is configured
        # How an export's own process opens the log (the root's build_store); None: exports run in this process.
        self.open_store_for_exports: Callable[[Settings], LedgerSource] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def watch_today(self, on_changed: Callable[[], None]) -> TodayKeeper:
        """Keep today's figures current from committed entries on a thread (``kiosk.desk.today``); see ``today_snapshot``."""
        if self._today is None:
            self._today = TodayKeeper(self, on_changed)
            self._today.start()
        return self._today

    def entry_committed(self, entry_id: str) -> None:
        if self._today is not None:
            self._today.entry_committed(entry_id)

    def today_snapshot(self) -> tuple[DayFigures, list[FlaggedPerson]]:
        """Today's figures and flagged people as last computed (no database call)."""
        if self._today is None:
            return self.summary(), self.flagged()
        figures, flagged = self._today.snapshot()
        return figures, flagged

    def close(self) -> None:
        if self._today is not None:
            self._today.close()
            self._today = None

    def sync_light(self) -> tuple[str, str, str] | None:
        """(state, words, detail) for the status bar's sync light; None when the kiosk has no centre."""
        if self.sync is None:
            return None
        status = self.sync.latest
        if status is None:
            return "unknown", sync_words("connecting", self.language), self.settings.central.url.split("@")[-1]
        state = {"idle": "ok", "sending": "ok", "waiting": "lost", "refused": "refused", "local_busy": "lost",
                 "failing": "lost"}.get(status.state, "unknown")
        return state, status.words(lang=self.language), status.message

    def school_totals(self) -> str | None:
        """The school's entries today across all its gates, in words; None when the centre is not reachable."""
        if self.sync is None or self.sync.school_today is None:
            return None
        t = self.sync.school_today
        return sync_words("school", self.language, total=t["total"], gates=t["gates"], flagged=t["flagged"])

    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    def summary(self, day: date | None = None) -> DayFigures:
        """Today at a glance: the same counts the daily report prints."""
        day = day or self.today()
        return day_figures(self.store.effective_entries(day), self.settings.policy.fever_threshold_c, self._tz)

    def flagged(self, day: date | None = None) -> list[FlaggedPerson]:
        day = day or self.today()
        entries = list(self.store.effective_entries(day, flagged_only=True))
        history = self.store.follow_ups(e.id for e in entries)
        return [self.flagged_person(e, history.get(e.id, [])) for e in reversed(entries)]  # newest first

    def flagged_person(self, entry: EntryRecord, steps: Sequence[FollowUpStep] = ()) -> FlaggedPerson:
        """One row of the flagged list: a flagged entry and its follow-up steps so far (oldest first)."""
        state = steps[-1][1] if steps else (entry.follow_up or follow_up.OPEN)
        return FlaggedPerson(
            entry_id=entry.id, at=entry.created_at.astimezone(self._tz), name=entry.name_masked or "—",
            kind=entry.person_kind, lane=entry.lane, decision=entry.decision,
            reasons=tuple(stored_reason_words(r, self.language) for r in entry.reasons),
            temperature=entry.temperature_c, follow_up=state, follow_up_note=steps[-1][3] if steps else "",
        )

    def set_follow_up(self, entry_id: str, state: str, note: str = "") -> None:
        """Mark a flagged entry's follow-up; with the window watching today, written off the GUI thread."""
        if state not in follow_up.GUARD_SETS:
            raise ValueError(f"unknown follow-up state {state!r}")
        if self._today is not None:
            from kiosk.desk.today import FollowUpMark

            self._today.mark_follow_up(FollowUpMark(entry_id, state, self.settings.site.guard_id, note))
            return
        self.store.follow_up(entry_id, state, self.settings.site.guard_id, note)

    def code_from_keyboard_scanner(self, text: str) -> None:
        """A keyboard-wedge scanner typed a code into the window: verified like the camera's, off the GUI thread."""
        if self.codes is None:  # a window built without devices (tests of other parts)
            log.warning("keyboard scanner code ignored: no verification service")
            return
        self.codes.submit_text(text, "keyboard-scanner")

    def calibration_status(self) -> tuple[bool, str]:
        if self.thermometer is None:
            return False, "未接测温仪"
        overdue, message = self.thermometer.calibration_status()
        return bool(overdue), str(message)

    def waiting_entries(self) -> int:
        return self.controller.waiting_entries

    def config_path(self) -> Path:
        from kiosk.config.settings import default_config_path

        return self.settings.source_path or default_config_path()

    def save_settings(self, changes: Mapping[str, Mapping[str, object]], pin: str,
                      abandoned: threading.Event | None = None) -> Path:
        """Write changed settings to the config file (admin PIN required); they apply on restart.

        ``abandoned``: the window stopped waiting for the PIN check (a locked
        database) and told the guard nothing was saved; set by then, nothing is written.
        """
        from kiosk.config.settings_file import write_settings

        self.access.verify(pin, self.settings.site.guard_id, "settings")
        if abandoned is not None and abandoned.is_set():
            raise AccessDenied("等待超时，设置未保存")
        saved = write_settings(self.config_path(), changes)
        detail: dict[str, Any] = {"file": str(saved.path), "changes": saved.written}
        if saved.policy_changed:
            # Entries judged under the new thresholds must carry a different version: say which.
            detail["policy_version"] = {"from": saved.policy_version_before, "to": saved.policy_version_after}
        self.store.audit(self.settings.site.guard_id, "settings_saved", detail)
        return saved.path

    def exporter(self, pin: str) -> Exporter | ExportInProcess:
        """An exporter acting for the guard, after the admin PIN was checked (exports are sensitive).

        With ``open_store_for_exports`` set (the window's desk), each export runs in a process of its own
        (``kiosk.reports.export_process``): its Python does not compete with the window's.
        """
        from kiosk.reports.export_process import ExportInProcess
        from kiosk.reports.exports import Exporter

        if self.access.has_pin:
            self.access.verify(pin, self.settings.site.guard_id, "export")
        if self.open_store_for_exports is not None:
            return ExportInProcess(self.settings, self.open_store_for_exports, pin=pin or None)
        return Exporter.for_settings(self.settings, self.store, pin=pin or None)
