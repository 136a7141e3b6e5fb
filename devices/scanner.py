"""Serial (USB-CDC / virtual COM port) QR scanners: one code per line, on its own reader thread.

Fixed and handheld scanners in "USB COM" mode send each code followed by CR,
LF or both. The reader owns its framing like the thermometer's: it reads
what is waiting, splits on line ends, and hands each non-empty line over as
text (UTF-8; a scanner set to GBK for Chinese payloads is read as GBK when
the bytes are not UTF-8). A line longer than ``MAX_LINE`` without an end is
garbage from a wrong baud rate: it is dropped and counted, never passed on.
An unplugged scanner reports ``lost`` and reopens with backoff
(``devices.serialport``, shared with the thermometer). Ports: a path, ``/dev/serial/by-id/…``, ``COM4`` or ``usb:VID:PID``.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.serialport import ReconnectingSerialReader

MAX_LINE = 4096  # the largest QR code holds 2,953 bytes; anything longer without a line end is noise


def decode_line(raw: bytes) -> str:
    """A scanned line as text: UTF-8, else GBK (Chinese scanners' other setting), else Latin-1 (never fails)."""
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


class LineFramer:
    """Splits a byte stream into lines on CR, LF or CRLF; overlong lines are dropped and counted."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buf = bytearray()
        self._max = max_line
        self._skipping = False
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        out = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                if self._buf and not self._skipping:
                    out.append(bytes(self._buf))
                self._buf.clear()
                self._skipping = False
                continue
            if self._skipping:
                continue
            self._buf.append(byte)
            if len(self._buf) > self._max:
                self._buf.clear()
                self._skipping = True  # until the next line end
                self.dropped += 1
        return out


class SerialCodeScanner(ReconnectingSerialReader):
    """Reads codes from a serial scanner; ``on_code(text)`` per code, ``on_status(state, message)`` on changes."""

    thread_name = "code-scanner"
    device_label = "扫码枪"

    def __init__(self, port: str, *, baud: int = 9600, on_code: Callable[[str], None],
                 on_status: Callable[[str, str], None] = lambda s, m: None,
                 backoff_s: tuple[float, float] = (0.2, 5.0)) -> None:
        ReconnectingSerialReader.__init__(self, port, baud, backoff_s, on_status)
        self._on_code = on_code
        self._framer = LineFramer()
        self.codes = 0

    def _read_until_error(self) -> None:
        ser = self._serial
        assert ser is not None
        while not self._stop.is_set():
            for line in self._framer.feed(ser.read(max(1, ser.in_waiting))):
                text = decode_line(line).strip().strip("\x00")
                if any(ch.isprintable() and not ch.isspace() for ch in text):  # noise is not a code
                    self.codes += 1
                    self._on_code(text)

    def _after_stop(self) -> None:
        self._close_port()
        self._status("stopped", "扫码枪已停止")
