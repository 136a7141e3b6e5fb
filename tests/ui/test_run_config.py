"""`gate-kiosk run` and its config file as a new user met them: a named file not there yet."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.cli.main import main
from ui.main_window import MainWindow
from ui.setup_flow import SetupFlow


def leave_setup(seen: list[str]) -> None:
    flow = QApplication.activeModalWidget()
    if not isinstance(flow, SetupFlow):
        QTimer.singleShot(50, lambda: leave_setup(seen))
        return
    seen.append(str(flow.config_path))
    flow.reject()


def test_a_named_config_not_there_is_not_created_when_setup_is_left(qtbot, tmp_path: Path) -> None:
    missing = tmp_path / "site" / "kiosk.toml"
    seen: list[str] = []
    QTimer.singleShot(50, lambda: leave_setup(seen))
    assert main(["--config", str(missing), "run"]) == 0
    assert seen == [str(missing)]  # the setup would have written the file named
    assert not missing.exists() and not missing.parent.exists()


BROKEN = "[site\nschool_name = 第三中学\n"  # what a hand edit left: not TOML


def when_active(kind: type, act, seen: list[str], modal: bool = True) -> None:
    """Act on the next (modal) window of ``kind`` once it is up (the CLI runs its own modal loops)."""
    def poll() -> None:
        shown = QApplication.activeModalWidget() if modal else next(
            (w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)
        if not isinstance(shown, kind):
            QTimer.singleShot(50, poll)
            return
        seen.append(type(shown).__name__)
        act(shown)
    QTimer.singleShot(50, poll)


def test_a_broken_config_is_shown_in_a_window_and_the_terminal_keeps_its_line(qtbot, tmp_path: Path, capsys) -> None:
    """The trial: autostarted with a broken config.toml, the gate printed one line nobody saw and exited, for ever."""
    from PySide6.QtWidgets import QMessageBox

    config = tmp_path / "config.toml"
    config.write_text(BROKEN, encoding="utf-8")
    seen: list[str] = []
    texts: list[str] = []
    when_active(QMessageBox, lambda box: (texts.append(box.text()), box.accept()), seen)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not valid TOML" in err
    assert seen == ["QMessageBox"] and err.strip().removeprefix("gate-kiosk: error: ") in texts[0]
    assert "管理员" in texts[0] and "administrator" in texts[0]  # both languages: the language setting is in the file
    assert config.read_text(encoding="utf-8") == BROKEN  # nothing rewritten without the setup


def test_run_setup_with_a_broken_config_keeps_it_aside_and_sets_up_from_the_defaults(qtbot, tmp_path: Path,
                                                                                     frames: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from kiosk.config.loading import load_settings
    from tests.ui.test_setup_flow import fill_first_setup

    config = tmp_path / "config.toml"
    config.write_text(BROKEN, encoding="utf-8")
    seen: list[str] = []

    def fill(flow: SetupFlow) -> None:
        assert flow.school_page.school.text() == ""  # the defaults: nothing read from the broken file
        fill_first_setup(flow, frames)

    when_active(QMessageBox, lambda box: (box.accept(), when_active(SetupFlow, fill, seen)), seen)
    # The gate opens after the setup; a stop from the system closes it (--quit-after would close the setup too).
    when_active(MainWindow, lambda window: os.kill(os.getpid(), signal.SIGTERM), seen, modal=False)
    before = signal.getsignal(signal.SIGTERM)
    try:
        assert main(["run", "--setup"]) == 0
    finally:
        signal.signal(signal.SIGTERM, before)
    assert seen == ["QMessageBox", "SetupFlow", "MainWindow"]
    kept = list(tmp_path.glob("config.toml.broken-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == BROKEN
    assert load_settings(config).site.school_name == "第三中学"
    assert (tmp_path / "data" / "entries.sqlite3").exists()  # the gate opened after the setup


def test_run_setup_quit_after_alone_closes_the_setup_and_ends(qtbot, tmp_path: Path) -> None:
    """An IT teacher's check that the setup opens: `run --setup --quit-after S`, no --screenshot needed."""
    config = tmp_path / "config.toml"
    config.write_text('[devices]\nscanner = "keyboard"\n', encoding="utf-8")  # a configured gate
    seen: list[str] = []
    forced: list[str] = []

    def watch(flow: SetupFlow) -> None:  # the test's own way out if --quit-after is ignored: it fails, not hangs
        timer = QTimer(flow)  # goes with the setup
        timer.setSingleShot(True)
        timer.timeout.connect(lambda: (forced.append("setup still open"), flow.reject()))
        timer.start(20000)

    when_active(SetupFlow, watch, seen)
    assert main(["run", "--setup", "--quit-after", "0.5"]) == 0
    assert seen == ["SetupFlow"] and forced == []
    assert not (tmp_path / "data" / "entries.sqlite3").exists()  # the run ended with the setup: no gate after it
    assert config.read_text(encoding="utf-8") == '[devices]\nscanner = "keyboard"\n'  # left without saving
