"""Thermometer frame parsers and encoders, fed with bytes and tested without any port.

Each parser is a plain class (pyserial's ``Packetizer`` idea): ``feed(bytes)``
returns the complete readings found so far and keeps any partial frame for
the next call. Garbage is skipped by resynchronising on the frame header;
checksum failures are counted and dropped. Encoders build the same frames for
the simulator and the tests.

Protocols (see docs and DOMAIN.md):
- ``ascii``: ``{36.7}`` tokens or ``T:36.5`` lines; the pattern is configurable.
- ``aa55``: ``AA 55 06 <whole> <tenths> <sum>``, sum = low byte of the preceding bytes.
- ``gy-mcu``: ``5A 5A 45 04 TOh TOl TAh TAl SUM`` (x100, big-endian, signed), start with ``A5 45 EA``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameReading:
    """One decoded frame: object temperature and, where the module gives it, ambient."""

    celsius: float
    ambient: float | None
    frame: bytes


class FrameError(ValueError):
    """A frame could not be built (value out of the protocol's range)."""


class AsciiParser:
    """Text readings such as ``{36.7}`` or ``T:36.5\\n`` found anywhere in the stream."""

    DEFAULT_PATTERN = rb"\{\s*(-?\d{1,3}(?:\.\d{1,3})?)\s*\}|T:\s*(-?\d{1,3}(?:\.\d{1,3})?)\s*[\r\n]"
    MAX_BUFFER = 256

    def __init__(self, pattern: bytes | str | None = None) -> None:
        if isinstance(pattern, str):
            pattern = pattern.encode()
        self._re = re.compile(pattern or self.DEFAULT_PATTERN)
        self._buf = b""
        self.checksum_errors = 0
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[FrameReading]:
        self._buf += data
        out: list[FrameReading] = []
        pos = 0
        for m in self._re.finditer(self._buf):
            self.garbage_bytes += m.start() - pos  # bytes skipped to reach this frame
            value = next((g for g in m.groups() if g is not None), None)
            if value is None:
                pos = m.end()
                continue
            try:
                out.append(FrameReading(float(value), None, m.group(0)))
            except ValueError:
                self.checksum_errors += 1
            pos = m.end()
        self._buf = self._buf[pos:]
        if len(self._buf) > self.MAX_BUFFER:
            # No frame in a long run of bytes: keep only a tail that may start one.
            drop = len(self._buf) - 32
            self.garbage_bytes += drop
            self._buf = self._buf[drop:]
        return out


class _HeaderFrameParser:
    """Shared resynchronising loop for fixed-length binary frames with a header."""

    HEADER = b""
    LENGTH = 0

    def __init__(self) -> None:
        self._buf = bytearray()
        self.checksum_errors = 0
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[FrameReading]:
        self._buf += data
        out: list[FrameReading] = []
        while True:
            start = self._buf.find(self.HEADER)
            if start < 0:
                # Keep a last byte that may be the first half of a header.
                keep = 1 if self._buf[-1:] == self.HEADER[:1] else 0
                self.garbage_bytes += len(self._buf) - keep
                del self._buf[: len(self._buf) - keep]
                return out
            if start:
                self.garbage_bytes += start
                del self._buf[:start]
            if len(self._buf) < self.LENGTH:
                return out
            frame = bytes(self._buf[: self.LENGTH])
            reading = self._decode(frame)
            if reading is None:
                # Bad frame: skip its first header byte and look for the next header.
                self.checksum_errors += 1
                del self._buf[:1]
                continue
            out.append(reading)
            del self._buf[: self.LENGTH]

    def _decode(self, frame: bytes) -> FrameReading | None:
        raise NotImplementedError


def checksum8(data: bytes) -> int:
    """Low byte of the sum of the bytes (both binary protocols use it)."""
    return sum(data) & 0xFF


class Aa55Parser(_HeaderFrameParser):
    """``AA 55 06 <whole> <tenths> <sum>``: ``AA 55 06 24 07 30`` is 36.7 °C."""

    HEADER = b"\xaa\x55"
    LENGTH = 6

    def _decode(self, frame: bytes) -> FrameReading | None:
        if frame[2] != 0x06 or checksum8(frame[:5]) != frame[5] or frame[4] > 9:
            return None
        return FrameReading(frame[3] + frame[4] / 10.0, None, frame)


class GyMcuParser(_HeaderFrameParser):
    """GY-MCU90614/90615: ``5A 5A 45 04 TOh TOl TAh TAl SUM`` (x100, big-endian)."""

    HEADER = b"\x5a\x5a"
    LENGTH = 9
    START_COMMAND = bytes([0xA5, 0x45, 0xEA])

    def _decode(self, frame: bytes) -> FrameReading | None:
        if frame[2] != 0x45 or frame[3] != 0x04 or checksum8(frame[:8]) != frame[8]:
            return None
        obj = int.from_bytes(frame[4:6], "big", signed=True) / 100.0
        amb = int.from_bytes(frame[6:8], "big", signed=True) / 100.0
        return FrameReading(obj, amb, frame)


def encode_ascii(celsius: float) -> bytes:
    return f"{{{celsius:.1f}}}".encode()


def encode_aa55(celsius: float) -> bytes:
    tenths_total = round(celsius * 10)
    whole, tenths = divmod(tenths_total, 10)
    if not 0 <= whole <= 255:
        raise FrameError(f"{celsius} °C does not fit an AA55 frame")
    body = bytes([0xAA, 0x55, 0x06, whole, tenths])
    return body + bytes([checksum8(body)])


def encode_gymcu(celsius: float, ambient: float) -> bytes:
    body = bytes([0x5A, 0x5A, 0x45, 0x04]) + round(celsius * 100).to_bytes(2, "big", signed=True) \
        + round(ambient * 100).to_bytes(2, "big", signed=True)
    return body + bytes([checksum8(body)])


PARSERS = {"ascii": AsciiParser, "aa55": Aa55Parser, "gy-mcu": GyMcuParser}
DEFAULT_BAUD = {"ascii": 115200, "aa55": 115200, "gy-mcu": 9600, "modbus": 9600}
PROTOCOLS = ("ascii", "aa55", "gy-mcu", "modbus")


def make_parser(protocol: str, pattern: str | None = None) -> AsciiParser | Aa55Parser | GyMcuParser:
    if protocol == "ascii":
        return AsciiParser(pattern)
    try:
        return PARSERS[protocol]()  # type: ignore[no-any-return]
    except KeyError:
        raise ValueError(f"unknown thermometer protocol {protocol!r} (use {', '.join(PROTOCOLS)})") from None


def crc16_modbus(data: bytes) -> bytes:
    """Modbus RTU CRC (poly 0xA001), little-endian as sent on the wire; used by the simulator."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc.to_bytes(2, "little")
