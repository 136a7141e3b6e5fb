"""What the window starts with when the config is not ready: the first-run setup, or a broken file said on screen.

Started by autostart (systemd ``Restart=always``) a gate whose config file is
broken printed one line to a terminal nobody reads and exited, again and
again: the guard saw nothing. With a display, that line is shown in a plain
message window too. ``run --setup`` then starts the setup from the defaults;
the broken file is kept beside it as ``config.toml.broken-<time>`` (put back
if the setup is left without saving).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox

from kiosk.config.loading import config_path
from kiosk.config.settings import Settings
from kiosk.desk.firstrun import DeviceOpeners
from ui.setup_flow import SetupTimedOut, run_setup

log = logging.getLogger(__name__)

EXIT_BROKEN_CONFIG = 2  # what the command line exits with for a bad config (kiosk.cli.base.EXIT_USAGE)


def settings_to_start(settings: Settings, setup: bool, broken: str | None, openers: DeviceOpeners,
                      open_ledger: Callable[[Settings], Any], screenshot: Path | str | None = None,
                      quit_after: float | None = None) -> Settings | int:
    """The settings to open the gate with, or the exit status when it does not open.

    ``broken``: the config file's one-line error (``settings`` are then the defaults, at that file's path).
    Leaving the setup closes the program only when the gate still needs setup; a configured gate opens as it was.
    A timed run (``quit_after``) whose time ran out in the setup ends there.
    """
    path = settings.source_path or config_path()
    if broken is not None:
        return _from_broken(path, broken, setup, openers, open_ledger, quit_after)
    log.info("no code source configured (or --setup): opening the setup")
    try:
        written = run_setup(path, openers, open_ledger, screenshot, quit_after)
    except SetupTimedOut:
        log.info("setup closed after --quit-after")
        return 0
    if written is None and settings.needs_setup:
        log.info("setup left without saving")
        return 0
    return written or settings


def _from_broken(path: Path, broken: str, setup: bool, openers: DeviceOpeners,
                 open_ledger: Callable[[Settings], Any], quit_after: float | None) -> Settings | int:
    if not setup:
        tell_broken_config(broken, "请管理员修复该文件，或运行 gate-kiosk run --setup 从默认值重新设置。\n"
                                   "Ask the administrator to fix the file, or run gate-kiosk run --setup to set up "
                                   "again from the defaults.", quit_after)
        return EXIT_BROKEN_CONFIG
    kept = path.with_name(f"{path.name}.broken-{datetime.now():%Y%m%d-%H%M%S}")
    tell_broken_config(broken, f"将从默认值重新设置；原文件保留为 {kept.name}。\n"
                               f"Setting up again from the defaults; the file is kept as {kept.name}.", quit_after)
    os.replace(path, kept)  # the setup writes a fresh file; the broken one stays for whoever fixes it
    log.warning("broken config %s kept as %s; setup from the defaults", path, kept)
    try:
        written = run_setup(path, openers, open_ledger, None, quit_after)
    except SetupTimedOut:
        written = None
    if written is None:
        os.replace(kept, path)  # nothing saved: the file is as it was
        return EXIT_BROKEN_CONFIG
    return written


def tell_broken_config(error: str, what_now: str, quit_after: float | None = None) -> None:
    """A plain, modal message window with the config's one-line error (closed by itself after ``quit_after``).

    In Chinese and English both: the window's language is a setting in the very file that is broken.
    """
    box = QMessageBox(QMessageBox.Icon.Critical, "门岗配置文件有误 / The gate's config file is broken",
                      f"{error}\n\n{what_now}")
    box.setObjectName("brokenConfigMessage")
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), box.accept)
    box.exec()
