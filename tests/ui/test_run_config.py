"""`gate-kiosk run` and its config file as a new user met them: a named file not there yet."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.cli.main import main
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
