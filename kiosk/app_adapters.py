"""The composition root's adapters and factories: what ``kiosk.app`` (and the commands above it) build and hand down.

Part of the one composition root, kept apart so that ``kiosk/app.py`` stays
the wiring of a running kiosk. Services, the desk and the demo never build an
adapter or a controller themselves: they are handed one, or a factory from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from db.records import EntryRecord
from db.store import EntryStore
from kiosk.config.settings import DeviceSettings, Settings
from kiosk.desk.firstrun import DeviceOpeners
from kiosk.services.gate import GateController
from kiosk.services.ports import Clock, EntryLog, IdFactory, ListenerHub

if TYPE_CHECKING:
    from db.central.store import CentralStore
    from devices.camera import FrameGrabber
    from devices.thermometer import ModbusThermometer, SerialThermometer, TemperatureReading, ThermometerStatus
    from kiosk.services.sync import SyncService, SyncStatus


def thermometer_device(d: DeviceSettings, port: str, on_reading: Callable[[TemperatureReading], None],
                       on_status: Callable[[ThermometerStatus], None]) -> SerialThermometer | ModbusThermometer:
    """The serial or Modbus reader the ``[devices]`` settings describe (also the setup's live readings)."""
    from devices.thermometer import ModbusThermometer, SerialThermometer

    if d.thermometer_protocol == "modbus":
        return ModbusThermometer(port, thermometer_id=d.thermometer_id, baud=d.thermometer_baud or 9600,
                                 slave=d.modbus_slave, register=d.modbus_register, functioncode=d.modbus_functioncode,
                                 scale=d.modbus_scale,
                                 ambient_register=None if d.modbus_ambient_register < 0 else d.modbus_ambient_register,
                                 on_reading=on_reading, on_status=on_status, silent_after_s=d.thermometer_silent_s)
    return SerialThermometer(port, d.thermometer_protocol, thermometer_id=d.thermometer_id, baud=d.thermometer_baud,
                             pattern=d.thermometer_pattern or None, on_reading=on_reading,
                             on_status=on_status, silent_after_s=d.thermometer_silent_s)


def camera_grabber(uri: str, on_status: Callable[[str, str], None]) -> FrameGrabber:
    """A camera (or video file, or network stream) read on its own thread: the setup's live picture."""
    from devices.camera import FrameGrabber, capture_opener

    return FrameGrabber(capture_opener(uri), on_status=on_status)


SETUP_DEVICES = DeviceOpeners(camera=camera_grabber, thermometer=thermometer_device)


def central_store(settings: Settings, url: str | None = None) -> CentralStore:
    """The one way the kiosk opens the centre: the configured URL (or ``url``), the configured timeout."""
    from db.central.store import CentralStore

    return CentralStore(url or settings.central.url, connect_timeout_s=settings.central.connect_timeout_s)


def sync_service(settings: Settings, on_status: Callable[[SyncStatus], None] | None = None,
                 totals_every_s: float = 30.0) -> SyncService:
    """The sync worker with its own entry store and centre connection (opened on its thread)."""
    from kiosk.services.sync import SyncService

    return SyncService(settings, lambda: EntryStore(settings.database_url), lambda: central_store(settings),
                       on_status=on_status, totals_every_s=totals_every_s)


def demo_data_controller(settings: Settings, log: EntryLog, clock: Clock, new_id: IdFactory) -> GateController:
    """The controller that judges ``demo-data`` entries: the live rules, a fixed salt, nobody listening."""
    return GateController(settings.policy, log, ListenerHub(), site=settings.site, gate=settings.gate,
                          salt=b"demo-data", clock=clock, origin="demo", new_id=new_id)


def demo_entries(settings: Settings, day_from: date, day_to: date, per_day: int, seed: int = 1) -> Iterator[EntryRecord]:
    """Realistic demo entries for ``gate-kiosk demo-data`` (``kiosk.sim.demodata``), judged by the real controller."""
    from kiosk.sim.demodata import generate

    return generate(settings, day_from, day_to, per_day, seed, new_controller=demo_data_controller)
