"""The composition root: the one place that builds and wires every part.

It reads nothing global: ``main()`` loads the settings and hands them here.
Order (logged): store (schema upgraded) -> salt -> controller -> devices ->
services -> window. Shutdown runs in reverse with bounded joins. This module
may import ``ui``, ``devices`` and ``db``; nothing else in ``kiosk`` imports
``ui`` or Qt (import-linter checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from db.store import EntryStore
from kiosk.config import Settings
from kiosk.gate import GateController, utc_now
from kiosk.ports import Clock, GateListener, ListenerHub
from kiosk.privacy import load_or_create_salt

log = logging.getLogger(__name__)


def build_store(settings: Settings) -> EntryStore:
    log.info("opening entry log %s", settings.database_url)
    return EntryStore(settings.database_url)


def build_controller(
    settings: Settings, store: EntryStore, listener: GateListener, clock: Clock = utc_now
) -> GateController:
    salt = load_or_create_salt(settings.data_dir)
    return GateController(
        settings.policy, store, listener, site=settings.site, gate=settings.gate, salt=salt, clock=clock,
    )


@dataclass
class Kiosk:
    """Everything a running kiosk holds, so that shutdown can close it in order."""

    settings: Settings
    store: EntryStore
    controller: GateController
    listeners: ListenerHub
    services: list[Any] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def scan_file(self, path: Any) -> list[Any]:
        """Decode and verify the codes in an image file (see kiosk.scanning)."""
        raise NotImplementedError("code scanning is not built yet")

    def start(self) -> None:
        for service in self.services:
            log.info("starting %s", type(service).__name__)
            service.start()

    def close(self) -> None:
        for service in reversed(self.services):
            try:
                service.close()
            except Exception:  # shutdown must reach the store whatever a device does
                log.exception("closing %s failed", type(service).__name__)
        for closer in reversed(self.closers):
            closer()
        self.store.close()


def build_kiosk(settings: Settings, demo: bool = False, clock: Clock = utc_now) -> Kiosk:
    """Store, controller and device services, without any window."""
    hub = ListenerHub()
    store = build_store(settings)
    controller = build_controller(settings, store, hub, clock)
    return Kiosk(settings, store, controller, hub)


def demo_settings(settings: Settings) -> Settings:
    """Demo mode: simulated devices and a separate database, so demo people never mix with real ones."""
    demo_db = f"sqlite:///{settings.data_dir / 'demo.sqlite3'}"
    devices = replace(settings.devices, camera="sim:", thermometer="sim:")
    return replace(settings, database_url=demo_db, devices=devices)


def run_window(settings: Settings, demo: bool = False, quit_after: float | None = None,
               screenshot: Any = None) -> int:
    """Open the guard's window and run the Qt event loop until it closes."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.bridge import QtBridge
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    kiosk = build_kiosk(settings, demo=demo)
    bridge = QtBridge()
    kiosk.listeners.add(bridge)
    window = MainWindow(kiosk.controller, bridge)
    window.show()
    kiosk.start()
    if quit_after is not None:
        def finish() -> None:
            if screenshot is not None:
                window.grab().save(str(screenshot))
                log.info("screenshot saved to %s", screenshot)
            window.close()
            app.quit()
        QTimer.singleShot(int(quit_after * 1000), finish)
    try:
        return int(app.exec())
    finally:
        kiosk.close()
