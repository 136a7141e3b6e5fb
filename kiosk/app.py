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
from dataclasses import dataclass, field
from typing import Any

from db.store import EntryStore
from kiosk.config import Settings
from kiosk.gate import GateController, utc_now
from kiosk.ports import Clock, GateListener, ListenerHub, report_device_status
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
    thermometer: Any = None
    thermometer_sim: Any = None
    demo: bool = False
    director: Any = None
    scene_hold_s: float = 4.0

    verifier: Any = None
    decoder: Any = None

    def scan_file(self, path: Any) -> list[Any]:
        """The code checks found in an image or video file (``check --code``)."""
        from kiosk.scanning import scan_path

        result = scan_path(path, self.decoder, self.verifier)
        if result.error:
            raise FileNotFoundError(f"{path}: {result.error}")
        return [v.check for v in result.verdicts]

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


def build_verifier(settings: Settings, store: EntryStore) -> Any:
    from kiosk.signedcode import SignedCodeError
    from kiosk.verification import IssuerServer, Verifier

    server = None
    if settings.issuer_server_url:
        server = IssuerServer(settings.issuer_server_url, settings.issuer_app_id, settings.issuer_app_secret)
    try:
        return Verifier(settings.policy, dict(settings.trusted_issuers), roster=store, server=server)
    except SignedCodeError as exc:
        from kiosk.config import ConfigError

        raise ConfigError(f"issuers.trusted: {exc}") from None


def build_decoder(settings: Settings) -> Any:
    from devices.decoders import make_decoder

    try:
        return make_decoder(settings.devices.decoder)
    except ImportError as exc:  # pyzbar without the system's libzbar0
        from kiosk.config import ConfigError

        raise ConfigError(f"decoder {settings.devices.decoder!r} unavailable: {exc} (install libzbar0)") from None


def build_kiosk(settings: Settings, demo: bool = False, clock: Clock = utc_now, with_devices: bool = False,
                demo_scene: int = 0, scene_hold_s: float = 4.0) -> Kiosk:
    """Store, controller, decoder and verifier; with ``with_devices`` the camera and thermometer too."""
    hub = ListenerHub()
    log.info("building kiosk (demo=%s, devices=%s)", demo, with_devices)
    store = build_store(settings)
    controller = build_controller(settings, store, hub, clock)
    kiosk = Kiosk(settings, store, controller, hub, demo=demo, scene_hold_s=scene_hold_s)
    kiosk.decoder = build_decoder(settings)
    kiosk.verifier = build_verifier(settings, store)
    if with_devices:
        from kiosk.gate import Ticker

        kiosk.services.append(Ticker(controller))
        _add_devices(kiosk, demo, demo_scene, scene_hold_s)
    return kiosk


def _add_devices(kiosk: Kiosk, demo: bool, demo_scene: int = 0, scene_hold_s: float = 4.0) -> None:
    """Camera + scanner and thermometer services, real or simulated per the settings."""
    from devices.camera import FrameGrabber, capture_opener
    from kiosk.scanning import ScanService
    from kiosk.thermometry import ThermometerService

    settings, hub = kiosk.settings, kiosk.listeners
    scenes, director = None, None
    if settings.devices.camera.startswith("sim:"):
        from kiosk.demo import DEMO_ROSTER, DemoDirector, demo_people, scene_for

        people = demo_people(settings)
        scenes = [scene_for(p, seed=i) for i, p in enumerate(people)]
        director = DemoDirector(people, kiosk.controller, hold_s=scene_hold_s)
        kiosk.closers.append(director.close)
        kiosk.director = director
        if demo:
            kiosk.store.upsert_roster(DEMO_ROSTER)
    grabber = FrameGrabber(capture_opener(settings.devices.camera, scenes, director.on_scene if director else None,
                                          hold_s=scene_hold_s, first_scene=demo_scene),
                           on_status=lambda state, msg: report_device_status(hub, kiosk.store, "camera", state, msg))
    mask_detector = None
    if settings.devices.mask_detector:
        from devices.mask import MaskDetector

        mask_detector = MaskDetector()
    kiosk.services.append(ScanService(grabber, kiosk.decoder, kiosk.verifier, kiosk.controller, hub,
                                      mask_detector=mask_detector))
    thermo = ThermometerService(settings.devices.thermometer_id, kiosk.controller, kiosk.store, hub,
                                tolerance_c=settings.devices.stable_tolerance_c,
                                plausible=(settings.policy.plausible_min_c, settings.policy.plausible_max_c),
                                interval_days=settings.calibration.interval_days)
    thermo.device = _thermometer_device(kiosk, thermo)
    kiosk.services.append(thermo)
    kiosk.thermometer = thermo
    if director is not None:
        director.thermometer_sim = kiosk.thermometer_sim


def _thermometer_device(kiosk: Kiosk, service: Any) -> Any:
    from devices.thermometer import ModbusThermometer, SerialThermometer

    d = kiosk.settings.devices
    port = d.thermometer
    if port.startswith("sim:"):
        from devices.simulators import ThermometerSimulator

        protocol = port[4:] or d.thermometer_protocol
        sim = ThermometerSimulator(protocol, interval_s=min(0.5, kiosk.scene_hold_s / 8),
                                   fever_rate=0.0 if kiosk.demo else 0.08)
        sim.start()
        kiosk.closers.append(sim.close)
        kiosk.thermometer_sim = sim
        port = sim.path
    else:
        protocol = d.thermometer_protocol
    if protocol == "modbus":
        return ModbusThermometer(port, thermometer_id=d.thermometer_id, baud=d.thermometer_baud or 9600,
                                 slave=d.modbus_slave, register=d.modbus_register, functioncode=d.modbus_functioncode,
                                 scale=d.modbus_scale,
                                 ambient_register=None if d.modbus_ambient_register < 0 else d.modbus_ambient_register,
                                 on_reading=service.on_reading, on_status=service.on_status,
                                 silent_after_s=d.thermometer_silent_s)
    return SerialThermometer(port, protocol, thermometer_id=d.thermometer_id, baud=d.thermometer_baud,
                             pattern=d.thermometer_pattern or None, on_reading=service.on_reading,
                             on_status=service.on_status, silent_after_s=d.thermometer_silent_s)


def demo_settings(settings: Settings) -> Settings:
    """Demo mode: simulated devices, a separate database, the demo issuer trusted."""
    from kiosk.demo import demo_settings as make

    return make(settings)


def run_window(settings: Settings, demo: bool = False, quit_after: float | None = None,
               screenshot: Any = None, language: str | None = None, demo_scene: int = 0) -> int:
    """Open the guard's window and run the Qt event loop until it closes."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from kiosk.desk import GuardDesk
    from ui.bridge import QtBridge
    from ui.i18n import install_translator
    from ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setFont(QFont("Noto Sans CJK SC", 11))
    translators = install_translator(app, language or settings.ui.language)
    kiosk = build_kiosk(settings, demo=demo, with_devices=True, demo_scene=demo_scene)
    bridge = QtBridge()
    kiosk.listeners.add(bridge)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller)
    desk.thermometer = kiosk.thermometer
    if settings.central.url and not demo:
        from kiosk.sync import SyncService

        desk.sync = SyncService(settings)
        kiosk.services.append(desk.sync)  # started with the devices, closed before the store
    window = MainWindow(kiosk.controller, bridge, desk, sound=settings.ui.sound, flash=settings.ui.flash)
    log.info("window built; starting devices")
    if settings.ui.fullscreen:
        # Without a window manager (a bare kiosk X session) full screen needs the geometry too.
        window.setGeometry(app.primaryScreen().geometry())
        window.showFullScreen()
    else:
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
        del translators
