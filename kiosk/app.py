"""The composition root: the one place that builds and wires every part.

It reads nothing global: ``main()`` loads the settings and hands them here.
Order (logged): store (schema upgraded) -> salt -> controller -> devices ->
services -> window. Shutdown runs in reverse with bounded joins. This module
may import ``ui``, ``devices`` and ``db``; nothing else in ``kiosk`` imports
``ui`` or Qt (import-linter checks it).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from db.store import EntryStore
from devices.states import DeviceKind
from kiosk.config.settings import Settings
from kiosk.services.gate import GateController, utc_now
from kiosk.services.ports import Clock, GateListener, ListenerHub, report_device_word
from kiosk.services.sealing import load_or_create_salt
from kiosk.services.spool import spool_for
from kiosk.config.ledger_file import KEPT_A_LOG, kept_a_log_before, ledger_marker, note_log_kept
from kiosk.services.access import check_policy
from kiosk.services.ports import Service
from kiosk.app_adapters import SETUP_DEVICES, sync_service, thermometer_device

if TYPE_CHECKING:
    from devices.decoders import Decoder
    from devices.simulators import ThermometerSimulator
    from kiosk.desk.guard_desk import GuardDesk
    from kiosk.domain.visit import CodeCheck
    from kiosk.services.scanning import VerificationService
    from kiosk.services.thermometry import ThermometerService
    from kiosk.services.verification import Verifier
    from kiosk.sim.demo import DemoDirector
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)


def build_store(settings: Settings, accept_ledger: bool = False) -> EntryStore:
    log.info("opening entry log %s", settings.database_url)
    kept_before = settings.own_log and kept_a_log_before(settings)
    store = EntryStore(settings.database_url, ledger_marker=ledger_marker(settings), accept_ledger=accept_ledger,
                       ledger_expected=kept_before)
    if settings.own_log and not (settings.data_dir / KEPT_A_LOG).exists():
        note_log_kept(settings)
    return store


def build_controller(
    settings: Settings, store: EntryStore, listener: GateListener, clock: Clock = utc_now, origin: str = "live"
) -> GateController:
    from kiosk.services.sealing import RegistrationSealer

    salt = load_or_create_salt(settings.data_dir)
    # The store keeps recent code keys, so a restart does not forget a replay.
    controller = GateController(
        settings.policy, store, listener, site=settings.site, gate=settings.gate, salt=salt, clock=clock,
        origin=origin, sealer=RegistrationSealer(settings.data_dir), recent_codes=store,
        spool=spool_for(settings.data_dir, settings.database_url),
    )
    # Entries a crash left waiting go into the log first, before anyone new is judged
    # (the chain keeps the order they were judged in); if storage is still down they wait.
    if recovered := controller.writer.recover():
        log.warning("%d entries left waiting by the last run: %d written, %d still waiting", recovered,
                    recovered - controller.waiting_entries, controller.waiting_entries)
    return controller


@dataclass
class Kiosk:
    """Everything a running kiosk holds, so that shutdown can close it in order."""

    settings: Settings
    store: EntryStore
    controller: GateController
    listeners: ListenerHub
    decoder: Decoder
    verifier: Verifier
    services: list[Service] = field(default_factory=list)
    closers: list[Callable[[], None]] = field(default_factory=list)
    thermometer: ThermometerService | None = None
    thermometer_sim: ThermometerSimulator | None = None
    demo: bool = False
    director: DemoDirector | None = None
    scene_hold_s: float = 4.0
    codes: VerificationService | None = None  # the one verifier thread every code source feeds (with devices)

    def scan_file(self, path: Path) -> list[CodeCheck]:
        """The code checks found in an image or video file (``check --code``)."""
        from kiosk.services.scanning import scan_path

        result = scan_path(path, self.decoder, self.verifier)
        if result.error:
            raise FileNotFoundError(f"{path}: {result.error}")
        return [v.check for v in result.verdicts]

    def start(self) -> None:
        for service in self.services:
            log.info("starting %s", type(service).__name__)
            service.start()

    def unsaved_entries(self) -> int:
        """Entries still waiting for storage after one last try to write them."""
        # The writer thread's last entries, unless storage is down; unthreaded, one last try
        # (none when a write failed a moment ago: it already waited the store's lock limit).
        self.controller.writer.drain(3.0)
        return self.controller.waiting_entries

    def close(self) -> None:
        left = self.unsaved_entries()
        if left:
            log.warning("closing with %d entries not saved (storage unavailable)", left)
        for service in reversed(self.services):
            try:
                service.close()
            except Exception:  # shutdown must reach the store whatever a device does
                log.exception("closing %s failed", type(service).__name__)
        for closer in reversed(self.closers):
            closer()
        closed = self.controller.close_gate()  # nobody in front or on the retake list is forgotten
        if closed:
            log.info("gate closed: %d visits logged as not completed", closed)
        writer = self.controller.writer
        writer.close(timeout=5.0)
        if left := writer.waiting:
            log.warning("%d entries could not be written before closing (%d kept on disk for the next start%s): %s",
                        left, writer.on_disk, f" in {writer.spool.path}" if writer.spool else "",
                        writer.last_problem)
        self.store.close()


def build_verifier(settings: Settings, store: EntryStore, clock: Clock = utc_now) -> Verifier:
    from kiosk.services.signedcode import SignedCodeError
    from kiosk.services.verification import IssuerServer, Verifier

    server = None
    if settings.issuer_server_url:
        server = IssuerServer(settings.issuer_server_url, settings.issuer_app_id, settings.issuer_app_secret)
    from zoneinfo import ZoneInfo

    try:
        return Verifier(settings.policy, dict(settings.trusted_issuers), roster=store, server=server, clock=clock,
                        health_code_patterns=settings.health_code_patterns,
                        local_tz=ZoneInfo(settings.site.timezone))
    except SignedCodeError as exc:
        from kiosk.config.settings import ConfigError

        raise ConfigError(f"issuers.trusted: {exc}") from None


def build_decoder(settings: Settings) -> Decoder:
    from devices.decoders import make_decoder

    try:
        return make_decoder(settings.devices.decoder)
    except ImportError as exc:  # pyzbar without the system's libzbar0
        from kiosk.config.settings import ConfigError

        raise ConfigError(f"decoder {settings.devices.decoder!r} unavailable: {exc} (install libzbar0)") from None


def build_kiosk(settings: Settings, demo: bool = False, clock: Clock = utc_now, with_devices: bool = False,
                demo_scene: int = 0, scene_hold_s: float = 4.0, origin: str | None = None) -> Kiosk:
    """Store, controller, decoder and verifier; with ``with_devices`` the camera and thermometer too.

    Simulated devices run only in demo mode (or a simulation with its own
    database): nothing simulated ever enters a real log.
    """
    origin = origin or ("demo" if demo else "live")
    if with_devices and origin == "live":
        _refuse_simulators(settings)
    hub = ListenerHub()
    log.info("building kiosk (demo=%s, devices=%s, origin=%s)", demo, with_devices, origin)
    store = build_store(settings)
    try:
        check_policy(settings, store)
    except Exception:
        store.close()
        raise
    try:
        decoder, verifier = build_decoder(settings), build_verifier(settings, store, clock)
    except Exception:
        store.close()
        raise
    controller = build_controller(settings, store, hub, clock, origin)
    kiosk = Kiosk(settings, store, controller, hub, decoder, verifier, demo=demo, scene_hold_s=scene_hold_s)
    if with_devices:
        from kiosk.services.gate import Ticker
        from kiosk.services.scanning import VerificationService

        kiosk.services.append(Ticker(controller))
        controller.writer.start()  # with devices, no device or GUI thread waits for the database
        # One verifier thread for every code source; started before them and closed after them.
        kiosk.codes = VerificationService(kiosk.verifier, controller)
        kiosk.services.append(kiosk.codes)
        _add_devices(kiosk, kiosk.codes, demo, demo_scene, scene_hold_s)
    return kiosk


def _add_devices(kiosk: Kiosk, codes: VerificationService, demo: bool, demo_scene: int = 0,
                 scene_hold_s: float = 4.0) -> None:
    """Camera + scanner and thermometer services, real or simulated per the settings; empty means none."""
    from kiosk.services.thermometry import ThermometerService

    settings, hub = kiosk.settings, kiosk.listeners
    director = None
    if settings.devices.camera:
        director = _add_camera(kiosk, demo, demo_scene, scene_hold_s)
    scanner = settings.devices.scanner
    if scanner and scanner != "keyboard":  # a keyboard-wedge scanner types into the window instead
        from devices.scanner import SerialCodeScanner

        kiosk.services.append(SerialCodeScanner(
            scanner, on_code=lambda text: codes.submit_text(text, "serial-scanner"),
            on_status=lambda state, msg: report_device_word(hub, kiosk.store, DeviceKind.SCANNER, state, msg)))
    if settings.devices.thermometer:
        thermo = ThermometerService(settings.devices.thermometer_id, kiosk.controller, kiosk.store, hub,
                                    tolerance_c=settings.devices.stable_tolerance_c,
                                    plausible=(settings.policy.plausible_min_c, settings.policy.plausible_max_c),
                                    interval_days=settings.calibration.interval_days)
        thermo.device = _open_thermometer(kiosk, thermo)
        kiosk.services.append(thermo)
        kiosk.thermometer = thermo
    if director is not None:
        director.thermometer_sim = kiosk.thermometer_sim


def _add_camera(kiosk: Kiosk, demo: bool, demo_scene: int, scene_hold_s: float) -> DemoDirector | None:
    from devices.camera import FrameGrabber, capture_opener
    from kiosk.services.scanning import ScanService

    settings, hub = kiosk.settings, kiosk.listeners
    scenes, director = None, None
    if settings.devices.camera.startswith("sim:") and demo:
        from kiosk.sim.demo import DemoDirector, demo_people, demo_roster, scene_for

        people = demo_people(settings)
        scenes = [scene_for(p, seed=i) for i, p in enumerate(people)]
        director = DemoDirector(people, kiosk.controller, hold_s=scene_hold_s)
        kiosk.closers.append(director.close)
        kiosk.director = director
        if demo:
            kiosk.store.upsert_roster(demo_roster(settings.site.today()))
    grabber = FrameGrabber(capture_opener(settings.devices.camera, scenes, director.on_scene if director else None,
                                          hold_s=scene_hold_s, first_scene=demo_scene),
                           on_status=lambda state, msg: report_device_word(hub, kiosk.store, DeviceKind.CAMERA, state, msg))
    mask_detector = None
    if settings.devices.mask_detector:
        from devices.mask import MaskDetector

        mask_detector = MaskDetector()
    kiosk.services.append(ScanService(
        grabber, kiosk.decoder, kiosk.verifier, kiosk.controller, hub, mask_detector=mask_detector,
        verification=kiosk.codes,
        on_face_status=lambda state, msg: report_device_word(hub, kiosk.store, DeviceKind.FACE, state, msg)))
    return director


def _refuse_simulators(settings: Settings) -> None:
    """A live gate with a simulated or missing device would log people who never came."""
    from kiosk.config.settings import ConfigError

    d = settings.devices
    if settings.needs_setup:
        raise ConfigError("no camera and no code scanner are set: run the first-run setup (gate-kiosk run), "
                          "see gate-kiosk devices list, or try the kiosk with `gate-kiosk run --demo`")
    if d.camera.startswith("sim:") or d.thermometer.startswith("sim:") or d.scanner.startswith("sim:"):
        raise ConfigError("sim: devices are simulators and never write to the real log: use "
                          "`gate-kiosk run --demo`, or set devices.camera and devices.thermometer")


def _open_thermometer(kiosk: Kiosk, service: ThermometerService) -> Service:
    """The running kiosk's thermometer: the configured port, or a simulator on a pty for ``sim:`` (demo)."""
    d = kiosk.settings.devices
    port = d.thermometer
    if port.startswith("sim:"):
        from devices.simulators import ThermometerSimulator

        d = replace(d, thermometer_protocol=port[4:] or d.thermometer_protocol)
        sim = ThermometerSimulator(d.thermometer_protocol, interval_s=min(0.5, kiosk.scene_hold_s / 8),
                                   fever_rate=0.0 if kiosk.demo else 0.08)
        sim.start()
        kiosk.closers.append(sim.close)
        kiosk.thermometer_sim = sim
        port = sim.path
    return thermometer_device(d, port, service.on_reading, service.on_status)


def build_window(kiosk: Kiosk, language: str | None = None) -> tuple[MainWindow, GuardDesk]:
    """The guard's window on a built kiosk, and its desk: what ``run_window`` shows (the benches too)."""
    from kiosk.desk.guard_desk import GuardDesk
    from ui.bridge import QtBridge
    from ui.main_window import MainWindow
    from ui.speech import make_speaker

    settings, bridge = kiosk.settings, QtBridge()
    kiosk.listeners.add(bridge)
    desk = GuardDesk(settings, kiosk.store, kiosk.controller)
    desk.thermometer, desk.codes = kiosk.thermometer, kiosk.codes
    desk.open_store_for_exports = build_store  # the window's exports run in a process of their own
    if settings.central.url and not kiosk.demo:
        desk.sync = sync_service(settings)
        kiosk.services.append(desk.sync)  # started with the devices, closed before the store
    language = "en" if (language or settings.ui.language) == "en" else "zh"
    speaker = make_speaker("en" if language == "en" else "zh_CN", settings.ui.speech_backend, settings.ui.speech)
    window = MainWindow(kiosk.controller, bridge, desk, sound=settings.ui.sound, flash=settings.ui.flash,
                        language=language, speaker=speaker)
    return window, desk


def run_window(settings: Settings, demo: bool = False, quit_after: float | None = None,
               screenshot: Path | str | None = None, language: str | None = None, demo_scene: int = 0, setup: bool = False,
               close_wait_s: float = 10.0, broken_config: str | None = None) -> int:
    """Open the guard's window and run the Qt event loop until it closes.

    With nothing configured to read codes with (or ``setup``, or a ``broken_config`` error: ``settings`` are
    then the defaults) the setup or the error comes first (``ui.start_settings``).
    """
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from ui.i18n import install_translator
    from ui.qtlog import route_qt_messages

    route_qt_messages()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([])
    app.setFont(QFont("Noto Sans CJK SC", 11))
    translators = install_translator(app, language or settings.ui.language)
    if not demo and (setup or settings.needs_setup or broken_config is not None):
        from ui.start_settings import settings_to_start

        started = settings_to_start(settings, setup, broken_config, SETUP_DEVICES, build_store, screenshot, quit_after)
        if isinstance(started, int):
            return started
        settings = started
    kiosk = build_kiosk(settings, demo=demo, with_devices=True, demo_scene=demo_scene)
    window, _ = build_window(kiosk, language)
    log.info("window built; starting devices")
    if settings.ui.fullscreen:
        # Without a window manager (a bare kiosk X session) full screen needs the geometry too.
        window.setGeometry(app.primaryScreen().geometry())
        window.showFullScreen()
    else:
        window.show()
    window.activateWindow()  # the guard's keys go to the focused window: with no window manager, none is
    kiosk.start()
    # Inside an application that already runs (tests, an embedding program) a local loop is quit instead of
    # the application: quitting someone else's application leaves its later event loops returning at once.
    loop = QEventLoop() if existing is not None else None
    if loop is not None:
        app.lastWindowClosed.connect(loop.quit)
    stop = loop.quit if loop is not None else app.quit
    # SIGTERM (systemctl stop, logout, shutdown) and --quit-after close the window without a guard to ask:
    # waiting entries are written if the store answers within close_wait_s, else counted and named below.
    import signal

    def close_unattended() -> None:
        window.close_unattended(close_wait_s)
        stop()

    try:
        signal.signal(signal.SIGTERM, lambda *_: QTimer.singleShot(0, close_unattended))
    except ValueError:  # not the main thread (an embedding program): its own business
        pass
    sigterm_poll = QTimer()  # lets Python run the handler while Qt's loop waits
    sigterm_poll.start(500)
    sigterm_poll.timeout.connect(lambda: None)
    if quit_after is not None:
        def finish() -> None:
            if screenshot is not None:
                window.grab().save(str(screenshot))
                log.info("screenshot saved to %s", screenshot)
            close_unattended()
        QTimer.singleShot(int(quit_after * 1000), finish)
    closed = False
    try:
        code = int(loop.exec()) if loop is not None else int(app.exec())
        kiosk.close()  # its writer has one last bounded try; what is still waiting after it is named
        closed = True
        if left := kiosk.controller.writer.pending():
            from kiosk.services.entry_writer import not_written_report
            print(not_written_report(left, kiosk.controller.writer.last_problem), file=sys.stderr)
            return 3
        return code
    finally:
        if not closed:
            kiosk.close()
        del translators
