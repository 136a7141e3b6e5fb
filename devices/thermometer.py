"""Serial infrared thermometers: one named reader thread per device, reconnecting on its own.

The reader owns its framing (a ``readline()`` with a timeout can hand back
half a line without any error), so it reads whatever bytes are waiting and
feeds them to the protocol's parser. Reopening after an unplug, with
backoff, and the port forms (path, by-id link, COM name, ``usb:VID:PID``) are
``devices.serialport``'s. No valid reading for ``silent_after_s`` (nothing,
or only bytes no frame is made of) reports ``silent``. Modbus RTU pyrometers
are polled through minimalmodbus instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import serial

from devices.serialport import PortNotFound, ReconnectingSerialReader, _why, resolve_port
from devices.thermoframes import DEFAULT_BAUD, GyMcuParser, make_parser
from devices.status import StatusReporter
from devices.worker import Worker

__all__ = ["PortNotFound", "ModbusThermometer", "SerialThermometer", "TemperatureReading", "ThermometerStatus",
           "resolve_port"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TemperatureReading:
    """One reading as the device gave it (uncalibrated)."""

    celsius: float
    ambient: float | None
    at: datetime
    thermometer_id: str
    frame: bytes = b""


@dataclass(frozen=True)
class ThermometerStatus:
    """A change of the device's state: connected, lost, reconnecting, silent, receiving."""

    state: str
    message: str
    thermometer_id: str


def _as_thermometer_status(on_status: Callable[[ThermometerStatus], None],
                           thermometer_id: str) -> Callable[[str, str], None]:
    """``on_status`` as a ``StatusReporter`` calls it: (state, message) become this thermometer's status."""
    return lambda state, message: on_status(ThermometerStatus(state, message, thermometer_id))


class SerialThermometer(ReconnectingSerialReader):
    """Reads a streaming thermometer (ascii, aa55, gy-mcu) on its own thread."""

    device_label = "测温仪"

    def __init__(
        self,
        port: str,
        protocol: str,
        *,
        thermometer_id: str = "thermo-1",
        baud: int = 0,
        pattern: str | None = None,
        on_reading: Callable[[TemperatureReading], None],
        on_status: Callable[[ThermometerStatus], None] = lambda s: None,
        silent_after_s: float = 5.0,
        backoff_s: tuple[float, float] = (0.2, 5.0),
    ) -> None:
        self.protocol = protocol
        self.thermometer_id = thermometer_id
        self._parser = make_parser(protocol, pattern)
        ReconnectingSerialReader.__init__(self, port, baud or DEFAULT_BAUD[protocol], backoff_s,
                                          _as_thermometer_status(on_status, thermometer_id))
        self.thread_name = f"thermometer-{thermometer_id}"
        self._on_reading = on_reading
        self._silent_after = silent_after_s
        self.readings = 0

    @property
    def checksum_errors(self) -> int:
        return self._parser.checksum_errors

    @property
    def garbage_bytes(self) -> int:
        return self._parser.garbage_bytes

    def _after_stop(self) -> None:
        self._close_port()
        self._status("stopped", "已停止")

    def _open(self) -> None:
        super()._open()
        if self.protocol == "gy-mcu" and self._serial is not None:
            self._serial.write(GyMcuParser.START_COMMAND)  # the module streams only after this command
            self._serial.flush()

    def _read_until_error(self) -> None:
        ser = self._serial
        assert ser is not None
        # Silence counts from the last VALID reading: a port that sends only bytes no frame can be made of
        # (noise, the wrong protocol or baud rate) measures nobody, as a silent one does.
        last_valid = time.monotonic()
        bytes_since_valid = False
        silent = False
        while not self._stop.is_set():
            chunk = ser.read(max(1, ser.in_waiting))
            valid = False
            for frame in self._parser.feed(chunk) if chunk else ():
                valid = True
                self.readings += 1
                self._on_reading(TemperatureReading(frame.celsius, frame.ambient, datetime.now(timezone.utc),
                                                    self.thermometer_id, frame.frame))
            now = time.monotonic()
            if valid:
                last_valid, bytes_since_valid = now, False
                if silent:
                    silent = False
                    self._status("connected", "测温仪恢复数据")
                continue
            bytes_since_valid = bytes_since_valid or bool(chunk)
            if not silent and now - last_valid >= self._silent_after:
                silent = True
                self._status("silent", f"测温仪 {self._silent_after:.0f} 秒无有效读数（收到无法识别的数据），"
                                       "请核对协议与波特率，先人工测温" if bytes_since_valid else
                             f"测温仪 {self._silent_after:.0f} 秒无数据，请检查探头与电源")

    def _status(self, state: str, message: str) -> None:
        self._reporter.report(state, message, again=state == "connected")  # every (re)connection is said


class ModbusThermometer(Worker):
    """Polls a Modbus RTU pyrometer over RS485 (minimalmodbus) on its own thread."""

    def __init__(
        self,
        port: str,
        *,
        thermometer_id: str = "thermo-1",
        baud: int = 9600,
        slave: int = 1,
        register: int = 0,
        functioncode: int = 3,
        scale: float = 0.1,
        ambient_register: int | None = None,
        interval_s: float = 0.5,
        on_reading: Callable[[TemperatureReading], None],
        on_status: Callable[[ThermometerStatus], None] = lambda s: None,
        silent_after_s: float = 5.0,
    ) -> None:
        self.port_spec = port
        self.thermometer_id = thermometer_id
        self.baud = baud
        self.slave, self.register, self.functioncode, self.scale = slave, register, functioncode, scale
        self.ambient_register = ambient_register
        self.interval_s = interval_s
        Worker.__init__(self)
        self.thread_name = f"thermometer-{thermometer_id}"
        self._on_reading = on_reading
        self._reporter = StatusReporter(_as_thermometer_status(on_status, thermometer_id))
        self._silent_after = silent_after_s
        self.readings = 0
        self.checksum_errors = 0

    def _instrument(self) -> Any:
        import minimalmodbus

        inst = minimalmodbus.Instrument(resolve_port(self.port_spec), self.slave, close_port_after_each_call=False)
        inst.serial.baudrate = self.baud
        inst.serial.timeout = 0.3
        inst.clear_buffers_before_each_transaction = True
        return inst

    def _run(self) -> None:
        import minimalmodbus

        inst = None
        last_ok = time.monotonic()
        while not self._stop.is_set():
            try:
                if inst is None:
                    inst = self._instrument()
                    self._reporter.report("connected", f"测温仪已连接 {self.port_spec}（Modbus 从站 {self.slave}）")
                raw = inst.read_register(self.register, 0, self.functioncode, signed=True)
                ambient = None
                if self.ambient_register is not None:
                    ambient = inst.read_register(self.ambient_register, 0, self.functioncode, signed=True) * self.scale
                last_ok = time.monotonic()
                self.readings += 1
                self._on_reading(TemperatureReading(raw * self.scale, ambient, datetime.now(timezone.utc),
                                                    self.thermometer_id))
            except (minimalmodbus.InvalidResponseError, minimalmodbus.NoResponseError) as exc:
                if isinstance(exc, minimalmodbus.InvalidResponseError):
                    self.checksum_errors += 1
                if time.monotonic() - last_ok >= self._silent_after:
                    self._reporter.report("silent", f"测温仪 {self._silent_after:.0f} 秒无应答，请检查RS485接线")
            except (serial.SerialException, OSError, PortNotFound) as exc:
                self._reporter.report("lost", f"测温仪连接中断（{_why(exc)}）")
                if inst is not None:
                    try:
                        inst.serial.close()
                    except Exception:  # already gone
                        pass
                inst = None
            self._stop.wait(self.interval_s)
        if inst is not None:
            inst.serial.close()

    @property
    def state(self) -> str:
        return self._reporter.state
