"""The composition root's adapters: the devices and stores that ``kiosk.app`` (and the commands above it) build.

Part of the one composition root, kept apart so that ``kiosk/app.py`` stays
the wiring of a running kiosk. Services, the desk and the demo never build an
adapter themselves: they are handed one, or a factory from here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from db.store import EntryStore
from kiosk.config.settings import DeviceSettings, Settings
from kiosk.desk.firstrun import DeviceOpeners

if TYPE_CHECKING:
    from kiosk.services.sync import SyncService, SyncStatus
    from devices.camera import FrameGrabber
    from devices.thermometer import ModbusThermometer, SerialThermometer, TemperatureReading, ThermometerStatus


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


def sync_service(settings: Settings, on_status: Callable[[SyncStatus], None] | None = None,
                 totals_every_s: float = 30.0) -> SyncService:
    """The sync worker with its own entry store and centre connection (opened on its thread)."""
    from kiosk.services.sync import SyncService, central_store

    return SyncService(settings, lambda: EntryStore(settings.database_url), lambda: central_store(settings),
                       on_status=on_status, totals_every_s=totals_every_s)
