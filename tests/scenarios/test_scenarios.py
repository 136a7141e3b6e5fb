"""Every scenario file, through the real window (pytest-qt) and through the CLI.

A scenario is what a guard does and sees at the gate (``kiosk/scenario.py``
describes the format). Here each one is driven through the guard's window:
codes arrive as the camera thread delivers them, readings as the thermometer
thread does, and every guard action is a real key press on the window (the
dialogs it opens are filled as a guard would). The banner, the lists and the
ledger rows left in a real SQLite file are checked after every step. The same
files are then run headless by ``gate-kiosk scenario run`` in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from kiosk.actions import ACTION_OF, GuardAction
from kiosk.config import load_settings
from kiosk.domain import Decision, TemperatureSample
from kiosk.scenario import (
    SCENARIO_ROSTER, START, Observation, SceneClock, SceneMaker, Scenario, check_expect, check_rows, issuer_key,
    load_scenario, scenario_settings,
)
from tests.ui.conftest import answer_dialog, open_window
from ui.main_window import MainWindow
from ui.widgets import DECISION_COLOUR

HERE = Path(__file__).resolve().parent
FILES = sorted(HERE.glob("*.toml"))
REPO = HERE.parent.parent


def test_there_are_scenarios_for_every_case_of_the_visits_issue() -> None:
    names = {f.stem for f in FILES}
    assert {"red_code_campus", "students_health_code", "unknown_green_qr", "people_do_not_merge",
            "worker_codes_of_three_people", "replay_is_not_a_pass", "fever_retake_in_a_rush", "courier_handoff",
            "staff_green_code", "worker_three_codes_pass", "fever_confirmed", "returnee_48h",
            "deny_everywhere", "person_kind_keys", "key_post_nucleic",
            # found by trying the kiosk as a new user would:
            "wrong_green_guard_keys_on_red", "wrong_green_red_then_anonymous_code", "wrong_green_inferred_returnee",
            "worker_anonymous_health_code", "key_post_by_code_holder", "retake_does_not_take_others_readings",
            "same_person_lingers", "idle_keys_log_nothing",
            # and by a second such try:
            "trial_guard_red_then_green", "trial_handoff_after_red", "trial_override_then_red",
            "trial_override_then_risk_itinerary", "trial_phone_passed_back_within_debounce",
            "trial_refused_then_other_signed", "trial_registration_other_name_before_codes",
            "trial_resume_ends_next_person", "trial_timeout_then_same_person", "trial_card_plus_anonymous_colour",
            "trial_second_reading_not_ignored"} <= names


class WindowDriver:
    """Plays a scenario's steps on the real window, as the guard and the devices would."""

    def __init__(self, qtbot, window: MainWindow, kiosk, scenes: SceneMaker, clock: SceneClock) -> None:
        self.qtbot, self.window, self.kiosk, self.scenes, self.clock = qtbot, window, kiosk, scenes, clock

    def press(self, key: str) -> None:
        self.window.activateWindow()
        self.qtbot.waitUntil(self.window.isActiveWindow, timeout=2000)
        combo = QKeySequence(key)[0]
        self.qtbot.keyClick(self.window, combo.key(), combo.keyboardModifiers())
        if len(key) == 1 and key != " ":
            # A letter or digit is the guard's once twice the scanner gap passed with nothing after it
            # (ui/wedge.py: a slow scanner's keys are held until their run ends).
            self.qtbot.wait(int(self.window.wedge.slow_gap_s * 1000) + 140)

    def run_step(self, data) -> Observation:
        c = self.kiosk.controller
        self.window.notice.setText("")
        if "scene" in data:
            for check in self.scenes.checks(list(data["scene"])):
                c.code_seen(check)  # what the camera thread does with a decoded, verified code
            self.window.camera.set_frame(self.scenes.last_frame, [])
        if "reading" in data:
            r = float(data["reading"])
            c.temperature(TemperatureSample(r, r - 0.2, thermometer_id="thermo-1"))
        if "mask" in data:
            c.mask_seen(bool(data["mask"]), 0.95)
        if "key" in data:
            self.key_step(data)
        if data.get("resume"):
            self.window.retake_list.table.selectRow(0)
            self.window.retake_list.resume_button.click()
        if "wait" in data:
            remaining = float(data["wait"])
            while remaining > 0:
                step = min(1.0, remaining)
                self.clock.advance(step)
                remaining -= step
                c.tick()
            self.window._refresh_retakes()
        QApplication.processEvents()
        return self.observe()

    def key_step(self, data) -> None:
        action = ACTION_OF[data["key"]]
        panel = self.window.worker_panel
        if action is GuardAction.TYPE_TEMPERATURE:
            answer_dialog(lambda d: (d.spin.setValue(float(data["value"])), d.accept()))
        elif action is GuardAction.OVERRIDE:
            def fill(d) -> None:
                d.reason.setPlainText(str(data["reason"]))
                (d.allow if data["decision"] == "PASS" else d.deny).setChecked(True)
                d.buttons.accepted.emit()
            answer_dialog(fill)
        elif action in (GuardAction.REGISTER, GuardAction.HANDOFF):
            for key, value in dict(data.get("fields", {})).items():
                panel.inputs[key].setText(str(value))  # QTest cannot type CJK offscreen; an IME would
            self.window.setFocus()
        self.press(data["key"])
        if action in (GuardAction.TYPE_TEMPERATURE, GuardAction.OVERRIDE):
            self.qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=3000)

    def observe(self) -> Observation:
        w = self.window
        decision = w.banner.property("decision") or ""
        if decision:
            # The banner's colour is the decision's, whatever the reasons say.
            assert w.banner.property("colour") == DECISION_COLOUR[Decision(decision)], (decision, w.banner.text())
        visit = w._visit
        reasons = [r.code for r in visit.verdict.reasons] if visit is not None and decision else []
        kind = next((k for k, b in w.kind_bar.buttons.items() if b.isChecked()), None) if decision else None
        waiting = w.retake_list.table.rowCount() if w.retake_list.isVisibleTo(w) else 0
        return Observation(decision, reasons, kind, waiting, bool(w.notice.text()),
                           w.kind_bar.returning.isChecked())


def run_in_window(qtbot, scenario: Scenario, tmp_path: Path) -> list:
    base = load_settings(tmp_path / "config.toml")
    settings = scenario_settings(base, scenario, tmp_path / "data", f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    clock = SceneClock(START)
    window, kiosk = open_window(qtbot, settings, clock, origin="simulation")
    try:
        kiosk.store.upsert_roster(SCENARIO_ROSTER)
        kiosk.controller.set_lane(scenario.lane, scenario.kind)
        QApplication.processEvents()
        driver = WindowDriver(qtbot, window, kiosk, SceneMaker(issuer_key(settings), "scenario", kiosk.decoder,
                                                               kiosk.verifier, clock), clock)
        for step in scenario.steps:
            check_expect(step, driver.run_step(step.data))
            clock.advance(0.5)
        rows = sorted(kiosk.store.entries(START.date(), START.date().replace(day=START.day + 1)),
                      key=lambda r: r.seq or 0)
        check_rows(scenario, rows)
        return rows
    finally:
        window.close()
        kiosk.close()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_scenario_in_the_window(qtbot, tmp_path: Path, path: Path) -> None:
    rows = run_in_window(qtbot, load_scenario(path), tmp_path)
    assert all(r.origin == "simulation" for r in rows)


@pytest.mark.slow
def test_every_scenario_through_the_cli(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "run", *map(str, FILES)],
                            capture_output=True, text=True, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"scenarios: {len(FILES)} ok, 0 failed" in result.stdout


def test_a_failing_scenario_names_its_step_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "wrong on purpose"\nkind = "staff"\n'
        '[[step]]\nscene = [{ signed = "health", status = "red" }]\nexpect = { banner = "PASS" }\n',
        encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "run", str(bad)],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1
    assert "step 1 (scene" in result.stdout and "banner DENY, expected PASS" in result.stdout
    rows_bad = tmp_path / "rows.toml"
    rows_bad.write_text('name = "rows"\nkind = "staff"\n[[step]]\nscene = [{ signed = "health", status = "red" }]\n'
                        '[[row]]\ndecision = "PASS"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "kiosk", "scenario", "run", str(rows_bad)],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert "row 1: decision 'DENY', expected 'PASS'" in result.stdout
