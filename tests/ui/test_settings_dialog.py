"""The settings dialog fits a 1280x800 gate PC with every page reachable, and saving bumps the policy version."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialogButtonBox, QScrollArea

from kiosk.config.loading import load_settings
from ui.dialogs import SettingsDialog


def test_settings_dialog_fits_1280x800(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(load_settings(tmp_path / "config.toml"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.adjustSize()
    assert dialog.width() <= 1280 and dialog.height() <= 800, dialog.size()
    buttons = dialog.findChild(QDialogButtonBox)
    for widget in (dialog.pin, buttons):
        bottom = widget.mapTo(dialog, widget.rect().bottomLeft()).y()
        assert 0 < bottom <= dialog.height()  # the PIN field and Save are on screen
    pages = dialog.findChildren(QScrollArea)
    assert len(pages) == 4  # the tall rules page scrolls instead of growing the dialog


def test_settings_saved_from_the_dialog_bump_the_policy_version(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    dialog = SettingsDialog(load_settings(path))
    qtbot.addWidget(dialog)
    from kiosk.config.settings_file import write_settings

    assert not write_settings(path, dialog.changes()).policy_changed  # untouched dialog: same policy
    dialog.fever.setValue(37.6)
    saved = write_settings(path, dialog.changes())
    assert saved.policy_changed and load_settings(path).policy.fever_threshold_c == 37.6
