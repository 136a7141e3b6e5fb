"""``simport://NAME``: an in-process serial link between a simulated device and the kiosk's reader.

Where there is no pty (Windows), the demo's thermometer simulator cannot
offer a device node; it registers a link under a name instead, and the
kiosk opens ``simport://NAME`` through pyserial like any port (pyserial finds
this module through ``serial.protocol_handler_packages``, which
``devices.serialport`` extends). Bytes written by either end wait in the
other end's buffer; closing the device end (an unplug) makes the next read
raise ``SerialException``, as a pulled USB adapter does. Modbus RTU is not
offered here: minimalmodbus opens ports by name, not by URL.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException


class SimLink:
    """Two byte buffers between a device (the simulator) and a host (the kiosk); ``closed`` is an unplug."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._cond = threading.Condition()
        self._to_host = bytearray()
        self._to_device = bytearray()
        self.closed = False

    # device side
    def device_write(self, data: bytes) -> None:
        with self._cond:
            if self.closed:
                raise OSError("simulated port closed")
            self._to_host += data
            self._cond.notify_all()

    def device_read(self, timeout: float) -> bytes:
        with self._cond:
            if not self._to_device and not self.closed:
                self._cond.wait(timeout)
            data, self._to_device[:] = bytes(self._to_device), b""
            return data

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    # host side
    def host_write(self, data: bytes) -> None:
        with self._cond:
            if self.closed:
                raise SerialException("device disconnected (simulated port closed)")
            self._to_device += data
            self._cond.notify_all()

    def host_read(self, size: int, timeout: float | None) -> bytes:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._to_host:
                if self.closed:
                    raise SerialException("device reports readiness to read but returned no data "
                                          "(simulated port closed)")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return b""
                self._cond.wait(left)
            data = bytes(self._to_host[:size])
            del self._to_host[:size]
            return data

    def host_waiting(self) -> int:
        with self._cond:
            return len(self._to_host)

    def host_clear(self) -> None:
        with self._cond:
            self._to_host.clear()


_LINKS: dict[str, SimLink] = {}
_LOCK = threading.Lock()


def create_link(name: str) -> SimLink:
    """A fresh link under ``name`` (replacing an unplugged one of the same name)."""
    link = SimLink(name)
    with _LOCK:
        _LINKS[name] = link
    return link


def remove_link(name: str) -> None:
    with _LOCK:
        _LINKS.pop(name, None)


class Serial(SerialBase):  # type: ignore[misc]  # pyserial ships no types
    """The host (kiosk) end of a ``SimLink``, as a pyserial port."""

    is_open: bool
    _link: SimLink

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        parts = urllib.parse.urlsplit(self._port)
        with _LOCK:
            link = _LINKS.get(parts.netloc)
        if parts.scheme != "simport" or link is None or link.closed:
            raise SerialException(f"could not open port {self._port}: no such simulated port")
        self._link = link
        self.is_open = True
        self.reset_input_buffer()

    def close(self) -> None:
        self.is_open = False
        super().close()

    def _reconfigure_port(self) -> None:
        pass  # a simulated line has no baud rate to set

    @property
    def in_waiting(self) -> int:
        if not self.is_open:
            raise PortNotOpenError()
        return self._link.host_waiting()

    def read(self, size: int = 1) -> bytes:
        if not self.is_open:
            raise PortNotOpenError()
        return self._link.host_read(size, self._timeout)

    def write(self, data: Any) -> int:
        if not self.is_open:
            raise PortNotOpenError()
        payload = bytes(data)
        self._link.host_write(payload)
        return len(payload)

    def flush(self) -> None:
        pass

    def reset_input_buffer(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()
        self._link.host_clear()

    def reset_output_buffer(self) -> None:
        pass

    @property
    def out_waiting(self) -> int:
        return 0
