"""Chinese by default, English through Qt's translation files, and nothing left untranslated."""

from __future__ import annotations

from dataclasses import replace

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QCoreApplication

from ui.i18n import I18N, install_translator

TS = I18N / "gate_kiosk_en.ts"


def sources(ts: Path) -> set[tuple[str, str]]:
    tree = ET.parse(ts)
    return {(ctx.findtext("name"), m.findtext("source")) for ctx in tree.iter("context") for m in ctx.iter("message")}


def test_every_tr_string_in_ui_is_in_the_committed_translation(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    lupdate = Path(PySide6.__path__[0]) / "lupdate"
    repo = I18N.parent.parent
    subprocess.run([str(lupdate), *sorted(str(p) for p in (repo / "ui").glob("*.py")), "-ts", str(fresh),
                    "-silent"], check=True, cwd=repo)
    missing = sources(fresh) - sources(TS)
    assert not missing, f"run scripts/translations.sh: new strings {sorted(missing)[:5]}"


def test_no_unfinished_translation() -> None:
    tree = ET.parse(TS)
    unfinished = [m.findtext("source") for m in tree.iter("message")
                  if m.find("translation").get("type") == "unfinished" or not m.findtext("translation")]
    assert unfinished == []


def test_english_loads_and_chinese_is_the_default(qapp) -> None:
    translators = install_translator(qapp, "en")
    try:
        assert QCoreApplication.translate("VerdictBanner", "通行") == "PASS"
        assert QCoreApplication.translate("GuardKeys", "不能确认：%1") == "Cannot confirm: %1"  # ui/guard_keys.py
    finally:
        for t in translators:
            qapp.removeTranslator(t)
    assert QCoreApplication.translate("VerdictBanner", "通行") == "通行"
    with pytest.raises(FileNotFoundError):
        install_translator(qapp, "fr")


def test_nothing_is_cut_in_the_english_window_at_1280x800(qapp, qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from tests.ui.conftest import gate_pc_window, press

    with gate_pc_window(qapp, qtbot, tmp_path, "en") as (window, kiosk):
        # The longest words the lights show at a start without a calibration record.
        for device, state in (("camera", "connected"), ("thermometer", "connected"), ("calibration", "overdue"),
                              ("face", "haar_opencv_too_old")):
            kiosk.listeners.on_device_status(device, state, "")
        qtbot.waitUntil(lambda: window.lights["face"].state == "haar_opencv_too_old")
        qtbot.wait(50)
        cut = {key: (light.width(), light.sizeHint().width()) for key, light in window.lights.items()
               if light.width() < light.sizeHint().width()}
        assert cut == {}, f"status lights narrower than their words: {cut}"
        helptext = window.shortcut_help
        assert helptext.height() >= helptext.heightForWidth(helptext.width())
        press(qtbot, window, Qt.Key.Key_F10)  # the worker lane: the registration panel shows under the camera
        qtbot.waitUntil(window.worker_panel.isVisible)
        qtbot.wait(50)
        assert helptext.height() >= helptext.heightForWidth(helptext.width())
        assert window.tabs.height() >= window.tabs.tabBar().sizeHint().height()  # the tab names stay whole


def test_the_english_window_finds_the_words_of_each_of_its_parts(qapp, qtbot, tmp_path: Path) -> None:
    """MainWindow builds the window, WindowSlots shows what the core reports, GuardKeys acts: each source file is
    its own translation context (lupdate's), and the running window looks in all of them."""
    from kiosk.config.loading import load_settings
    from kiosk.desk.actions import GuardAction
    from tests.fakes import ManualClock
    from tests.ui.conftest import open_window

    translators = install_translator(qapp, "en")
    try:
        settings = load_settings(tmp_path / "config.toml")
        settings = replace(settings, ui=replace(settings.ui, language="en"))  # as run_window builds it
        window, kiosk = open_window(qtbot, settings, ManualClock())
        try:
            assert window.windowTitle() == "School gate check"  # MainWindow
            assert window.tr("请出示健康码") == "Show your health code"  # WindowSlots
            assert window.action_label(GuardAction.NEXT) == "Next person"  # GuardKeys
            assert window.lights["camera"].words("connected") == "Connected"  # StatusLight (ui/widgets.py)
        finally:
            window.close()
            kiosk.close()
    finally:
        for t in translators:
            qapp.removeTranslator(t)
