"""A serial port that is read on its own thread and reopened, with backoff, whenever it goes away.

Shared by the streaming thermometer and the serial code scanner: both own
their framing and only differ in what they do with the bytes. A USB-serial
adapter that is unplugged raises ``SerialException`` (often "device reports
readiness to read but returned no data"): the reader closes the port,
reports ``lost``, and reopens with exponential backoff; a port that cannot
be opened yet is ``lost`` the first time and ``reconnecting`` after.

Ports may be given by path, by a ``/dev/serial/by-id/...`` link, a COM name,
a pyserial URL, or as ``usb:VID:PID`` (resolved with pyserial's port listing
at every reopen, so a re-enumerated adapter is found again).
"""

from __future__ import annotations

import errno
import logging
import re
from collections.abc import Callable

import serial
from serial.tools import list_ports

from devices.status import StatusReporter
from devices.worker import Worker

log = logging.getLogger(__name__)

# simport://NAME, the in-process simulated port (devices/urlhandlers/protocol_simport.py).
if "devices.urlhandlers" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("devices.urlhandlers")


class PortNotFound(Exception):
    """The configured port does not exist (yet)."""


def resolve_port(spec: str) -> str:
    """Turn ``usb:VID:PID`` into a device path; other specs are paths used as given."""
    if spec.lower().startswith("usb:"):
        try:
            vid_s, pid_s = spec[4:].split(":")
            vid, pid = int(vid_s, 16), int(pid_s, 16)
        except ValueError:
            raise PortNotFound(f"bad USB id {spec!r}: use usb:VID:PID in hex, e.g. usb:1a86:7523") from None
        for port in list_ports.comports():
            if port.vid == vid and port.pid == pid:
                return str(port.device)
        raise PortNotFound(f"no serial adapter with USB id {vid:04x}:{pid:04x} is plugged in")
    return spec


class ReconnectingSerialReader(Worker):
    """See the module docstring; subclasses read in ``_read_until_error`` and report through ``_status``."""

    device_label = "串口设备"  # in the status messages: 测温仪, 扫码枪

    def __init__(self, port: str, baud: int, backoff_s: tuple[float, float] = (0.2, 5.0),
                 on_status: Callable[[str, str], None] = lambda state, message: None) -> None:
        Worker.__init__(self)
        self.port_spec = port
        self.baud = baud
        self._backoff = backoff_s
        self._serial: serial.Serial | None = None
        self._reporter = StatusReporter(on_status)
        self.reconnects = 0

    @property
    def state(self) -> str:
        return self._reporter.state

    def _open(self) -> None:
        self._serial = serial.serial_for_url(resolve_port(self.port_spec), baudrate=self.baud, bytesize=8,
                                             parity="N", stopbits=1, timeout=0.2)

    def _read_until_error(self) -> None:
        raise NotImplementedError

    def _status(self, state: str, message: str) -> None:
        self._reporter.report(state, message)

    def _run(self) -> None:
        delay = self._backoff[0]
        first = True
        while not self._stop.is_set():
            try:
                self._open()
            except (serial.SerialException, OSError, PortNotFound) as exc:
                self._status("lost" if first else "reconnecting",
                             f"{self.device_label}无法打开（{_why(exc)}），正在重试")
                first = False
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            delay = self._backoff[0]
            if not first:
                self.reconnects += 1
            first = False
            self._status("connected", f"{self.device_label}已连接 {self.port_spec}")
            try:
                self._read_until_error()
            except (serial.SerialException, OSError) as exc:
                log.warning("%s on %s lost: %s", type(self).__name__, self.port_spec, exc)
                self._status("lost", f"{self.device_label}连接中断（{_why(exc)}），请检查USB线")
            finally:
                self._close_port()

    def _close_port(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            try:
                ser.close()
            except Exception:  # closing a vanished device may fail; it is gone either way
                pass


# What an OS error on opening a port means, for the person at the gate PC (not "[Errno 13] ...").
_PLAIN_ERRNO = {
    errno.ENOENT: "no such port (unplugged, or another name: gate-kiosk devices list)",
    errno.EACCES: "permission denied (on Linux: add the user to the dialout group, then log in again)",
    errno.EPERM: "permission denied",
    errno.EBUSY: "in use by another program",
    errno.EISDIR: "a folder, not a serial port",
    errno.ENOTTY: "not a serial port",
    errno.EIO: "the device does not answer (unplug it and plug it in again)",
    errno.ENXIO: "the device is gone (unplugged?)",
    errno.ENODEV: "the device is gone (unplugged?)",
}


def _why(exc: BaseException) -> str:
    """An error opening or reading a port, in plain words (one line)."""
    code = getattr(exc, "errno", None)
    if code in _PLAIN_ERRNO:
        return _PLAIN_ERRNO[code]
    text = str(exc).strip() or type(exc).__name__
    if "Inappropriate ioctl" in text:  # pyserial's "Could not configure port: (25, ...)": a plain file
        return _PLAIN_ERRNO[errno.ENOTTY]
    text = re.sub(r"\[Errno \d+\]\s*|^could not open port [^:]*:\s*", "", text.splitlines()[0], flags=re.IGNORECASE)
    return text[:120]
