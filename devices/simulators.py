"""Simulated devices, shipped as product code (OctoPrint ships its virtual printer too).

``ThermometerSimulator`` opens a real pseudo-terminal (``os.openpty``) and
speaks a thermometer protocol on it, so the kiosk's reader, demo mode and
the tests exercise the same serial code as a real device. Where there is no
pty (Windows) it offers an in-process ``simport://`` port instead, which the
same reader opens through pyserial. It can inject
faults: fevers, garbage bytes, corrupted checksums, frames split across
writes, silence, and a disconnect (the master side closed). For ``modbus``
it answers read-register requests as an RTU slave would.
"""

from __future__ import annotations

import os
import random
import select
import sys
import threading
import time
from pathlib import Path

from devices.thermoframes import (
    PROTOCOLS, GyMcuParser, crc16_modbus, encode_aa55, encode_ascii, encode_gymcu,
)
from devices.worker import Worker


class ThermometerSimulator(Worker):
    """A thermometer on a pty; ``path`` is the slave side the kiosk opens (its thread: ``start``/``close``)."""

    def __init__(
        self,
        protocol: str = "aa55",
        *,
        interval_s: float = 0.5,
        fever_rate: float = 0.0,
        garbage_rate: float = 0.0,
        bad_checksum_rate: float = 0.0,
        split_rate: float = 0.0,
        seed: int | None = None,
        link: Path | None = None,
        modbus_slave: int = 1,
        modbus_scale: float = 0.1,
        ambient_c: float = 22.0,
        mean_c: float = 36.5,
        noise_c: float = 0.25,
        transport: str = "auto",
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r} (use {', '.join(PROTOCOLS)})")
        Worker.__init__(self)
        self.thread_name = f"thermo-sim-{protocol}"
        self.protocol = protocol
        self.interval_s = interval_s
        self.fever_rate = fever_rate
        self.garbage_rate = garbage_rate
        self.bad_checksum_rate = bad_checksum_rate
        self.split_rate = split_rate
        self.ambient_c = ambient_c
        self.mean_c = mean_c  # 36.5 ± 0.25: a crowd; a blackbody is one value with little noise
        self.noise_c = noise_c
        self.modbus_slave = modbus_slave
        self.modbus_scale = modbus_scale
        self.link = link
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._queue: list[float] = []  # scripted readings, sent before random ones
        if transport == "auto":
            transport = "pty" if hasattr(os, "openpty") and sys.platform != "win32" else "inprocess"
        if transport not in ("pty", "inprocess"):
            raise ValueError(f"unknown transport {transport!r} (pty or inprocess)")
        if transport == "inprocess" and protocol == "modbus":
            raise ValueError("the in-process port does not carry Modbus (minimalmodbus opens ports by name)")
        self.transport = transport
        self._port: _PtyPort | _InProcessPort | None = None
        self.paused = threading.Event()  # set: silent (no output), as a thermometer with no power
        self.started_streaming = protocol not in ("gy-mcu",)
        self.sent: list[float] = []
        self.path = ""
        self._open_pty()

    # ------------------------------------------------------------- control
    def _after_stop(self) -> None:
        self._close_pty()
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

    def queue(self, *celsius: float) -> None:
        """Send these readings next, in order (tests and demo scripting)."""
        with self._lock:
            self._queue.extend(celsius)

    def write_raw(self, data: bytes) -> None:
        """Write bytes as they are (tests: garbage, split frames)."""
        assert self._port is not None
        self._port.write(data)

    def unplug(self) -> None:
        """Close the device side, as a USB-serial adapter that is pulled out."""
        self._close_pty()

    def replug(self) -> None:
        """A new port (a new device node on a pty, as after re-enumeration); the link follows it."""
        self._close_pty()
        self._open_pty()

    # ----------------------------------------------------------- internals
    def _open_pty(self) -> None:
        self._port = _PtyPort() if self.transport == "pty" else _InProcessPort(f"thermo-{id(self):x}")
        self.path = self._port.path
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            if tmp.is_symlink() or tmp.exists():
                tmp.unlink()
            tmp.symlink_to(self.path)
            tmp.replace(self.link)

    def _close_pty(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.close()

    def _next_value(self) -> float:
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
        if self._rng.random() < self.fever_rate:
            return round(self._rng.uniform(37.5, 39.0), 1)
        return round(self._rng.gauss(self.mean_c, self.noise_c), 1)

    def frame(self, celsius: float) -> bytes:
        if self.protocol == "ascii":
            return encode_ascii(celsius)
        if self.protocol == "aa55":
            return encode_aa55(celsius)
        return encode_gymcu(celsius, self.ambient_c)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            port = self._port
            if port is None:
                self._stop.wait(0.05)
                continue
            try:
                incoming = port.read_available(0.02)
                if self.protocol == "modbus":
                    if incoming:
                        self._answer_modbus(port, incoming)
                    continue
                if incoming and GyMcuParser.START_COMMAND in incoming:
                    self.started_streaming = True
                if time.monotonic() < next_at:
                    continue
                next_at = time.monotonic() + self.interval_s
                if self.paused.is_set() or not self.started_streaming:
                    continue
                self._emit(port)
            except OSError:
                self._stop.wait(0.05)  # the port was closed under us (unplug)

    def _emit(self, port: "_PtyPort | _InProcessPort") -> None:
        value = self._next_value()
        data = self.frame(value)
        if self._rng.random() < self.bad_checksum_rate and self.protocol != "ascii":
            data = data[:-1] + bytes([(data[-1] + 1) & 0xFF])  # the reader must drop this one
        else:
            self.sent.append(value)
        if self._rng.random() < self.garbage_rate:
            garbage = bytes(self._rng.randrange(256) for _ in range(self._rng.randrange(1, 12)))
            port.write(garbage.replace(b"\xaa", b"\x00").replace(b"\x5a", b"\x00").replace(b"{", b"("))
        if self._rng.random() < self.split_rate and len(data) > 2:
            cut = self._rng.randrange(1, len(data))
            port.write(data[:cut])
            time.sleep(0.03)
            port.write(data[cut:])
        else:
            port.write(data)

    def _answer_modbus(self, port: "_PtyPort | _InProcessPort", request: bytes) -> None:
        # Read Holding/Input Registers: slave, fc, addr(2), count(2), crc(2).
        if len(request) < 8 or request[0] != self.modbus_slave or request[1] not in (3, 4):
            return
        if crc16_modbus(request[:6]) != request[6:8] or self.paused.is_set():
            return
        # Register map of the simulated pyrometer: 0 = object, 1 = ambient (x scale).
        address = int.from_bytes(request[2:4], "big")
        count = int.from_bytes(request[4:6], "big")
        registers = []
        for reg in range(address, address + count):
            if reg == 0:
                value = self._next_value()
                self.sent.append(value)
                registers.append(round(value / self.modbus_scale))
            else:
                registers.append(round(self.ambient_c / self.modbus_scale))
        body = bytes([self.modbus_slave, request[1], 2 * count]) + b"".join(
            r.to_bytes(2, "big", signed=True) for r in registers)
        port.write(body + crc16_modbus(body))


class _PtyPort:
    """A pseudo-terminal: the kiosk opens ``path`` (the slave side) like a USB-serial adapter."""

    def __init__(self) -> None:
        import tty

        master, slave = os.openpty()  # type: ignore[attr-defined,unused-ignore]  # POSIX only
        tty.setraw(slave)  # no echo, no line discipline: bytes pass as they are
        tty.setraw(master)
        self._master: int | None = master
        self._slave: int | None = slave
        self.path = os.ttyname(slave)  # type: ignore[attr-defined,unused-ignore]

    def write(self, data: bytes) -> None:
        fd = self._master  # read once: another thread may unplug (close) at any moment
        if fd is None:
            raise OSError("pty closed")
        os.write(fd, data)

    def read_available(self, timeout: float) -> bytes:
        fd = self._master
        if fd is None:
            raise OSError("pty closed")
        try:
            ready, _, _ = select.select([fd], [], [], timeout)
        except ValueError as exc:  # closed under us between the check and the select
            raise OSError(str(exc)) from None
        return os.read(fd, 256) if ready else b""

    def close(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None


class _InProcessPort:
    """Where there is no pty (Windows): a ``simport://`` link the kiosk opens through pyserial."""

    def __init__(self, name: str) -> None:
        import devices.serialport  # noqa: F401  # registers the simport:// handler with pyserial
        from devices.urlhandlers.protocol_simport import create_link

        self._link = create_link(name)
        self.path = f"simport://{name}"

    def write(self, data: bytes) -> None:
        self._link.device_write(data)

    def read_available(self, timeout: float) -> bytes:
        if self._link.closed:
            raise OSError("simulated port closed")
        return self._link.device_read(timeout)

    def close(self) -> None:
        from devices.urlhandlers.protocol_simport import remove_link

        self._link.close()
        remove_link(self._link.name)
