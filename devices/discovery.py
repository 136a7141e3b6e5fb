"""Finding the devices plugged into a gate PC: cameras, serial ports, and which thermometer protocol speaks.

The IT teacher should never have to guess a camera index, a COM name or a
protocol. ``list_cameras`` asks the OS (on Linux the V4L2 device nodes, their
names and frame sizes through ``VIDIOC_ENUM_FRAMESIZES``; on Windows and macOS
OpenCV's Media Foundation / DirectShow / AVFoundation backend, index by index,
which tells the default frame size only). ``list_serial_ports`` is pyserial's
port listing with USB ids and, on Linux, the stable ``/dev/serial/by-id`` link.
``probe_thermometer`` listens on a port at each likely baud rate and feeds
everything it hears to every streaming protocol's parser at once, then asks
as a Modbus RTU master, and says which one spoke, with the reading, within a
time budget (10 s by default).
"""

from __future__ import annotations

import logging
import os
import re
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import serial
from serial.tools import list_ports

from devices.camera import camera_backends
from devices.thermoframes import GyMcuParser, make_parser
from devices.serialport import PortNotFound, _why, resolve_port

log = logging.getLogger(__name__)

PLAUSIBLE_PROBE_C = (10.0, 50.0)  # a thermometer's object or ambient reading, room to fever
COM_NAME = re.compile(r"^(\\\\\.\\)?COM\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class CameraInfo:
    """One camera: what to put in ``devices.camera``, its name and the frame sizes the OS lists."""

    index: int
    uri: str
    name: str
    backend: str
    resolutions: tuple[tuple[int, int], ...] = ()
    path: str = ""

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["resolutions"] = [f"{w}x{h}" for w, h in self.resolutions]
        return out


@dataclass(frozen=True)
class SerialPortInfo:
    """One serial port: what to put in ``devices.thermometer``, and how the OS describes it."""

    device: str
    suggested: str
    description: str
    vid_pid: str = ""
    manufacturer: str = ""
    serial_number: str = ""
    by_id: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProbeResult:
    """What ``probe_thermometer`` heard: the protocol and baud that spoke, or why none did."""

    port: str
    protocol: str = ""
    baud: int = 0
    readings: list[float] = field(default_factory=list)
    ambient: float | None = None
    bytes_heard: int = 0
    tried: list[str] = field(default_factory=list)
    error: str = ""
    config: dict[str, Any] = field(default_factory=dict)  # the [devices] keys to write for this finding
    listened: bool = False  # the port opened and was listened to at every speed in time: nothing known spoke

    @property
    def found(self) -> bool:
        return bool(self.protocol)

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["found"] = self.found
        out["celsius"] = self.readings[-1] if self.readings else None
        return out


# ---------------------------------------------------------------- cameras
def list_cameras(max_index: int = 8) -> list[CameraInfo]:
    """The cameras this machine has, without opening any on Linux (a camera in use stays usable)."""
    if sys.platform.startswith("linux"):
        return _v4l2_cameras(Path("/dev"), Path("/sys/class/video4linux"))
    return _opencv_cameras(max_index)


def _v4l2_cameras(dev: Path, sysfs: Path) -> list[CameraInfo]:
    out = []
    for node in sorted(dev.glob("video[0-9]*"), key=lambda p: int(p.name[5:])):
        index = int(node.name[5:])
        name = _read_text(sysfs / node.name / "name") or node.name
        try:
            caps, sizes = _v4l2_query(node)
        except OSError as exc:  # no permission (not in the 'video' group) or busy in a way ioctl minds
            log.info("cannot query %s: %s", node, exc)
            out.append(CameraInfo(index, f"v4l2:{index}", f"{name} (cannot query: {exc.strerror})", "v4l2",
                                  path=str(node)))
            continue
        if not caps & 0x1:  # V4L2_CAP_VIDEO_CAPTURE: UVC adds a metadata node per camera; skip those
            continue
        out.append(CameraInfo(index, f"v4l2:{index}", name, "v4l2", tuple(sizes), str(node)))
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _ioc(direction: int, nr: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord("V") << 8) | nr


_VIDIOC_QUERYCAP = _ioc(2, 0, 104)
_VIDIOC_ENUM_FMT = _ioc(3, 2, 64)
_VIDIOC_ENUM_FRAMESIZES = _ioc(3, 74, 44)


def _v4l2_query(node: Path) -> tuple[int, list[tuple[int, int]]]:
    """Capabilities and the distinct discrete frame sizes of a V4L2 node, largest first."""
    import fcntl

    fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
    try:
        buf = bytearray(104)
        fcntl.ioctl(fd, _VIDIOC_QUERYCAP, buf)
        capabilities, device_caps = struct.unpack_from("<I I", buf, 84)
        caps = device_caps if capabilities & 0x80000000 else capabilities
        sizes: set[tuple[int, int]] = set()
        if caps & 0x1:
            for fmt_index in range(32):
                fmt = bytearray(struct.pack("<II", fmt_index, 1) + bytes(56))  # type 1: video capture
                try:
                    fcntl.ioctl(fd, _VIDIOC_ENUM_FMT, fmt)
                except OSError:
                    break
                pixel_format = struct.unpack_from("<I", fmt, 44)[0]
                for size_index in range(64):
                    fs = bytearray(struct.pack("<II", size_index, pixel_format) + bytes(36))
                    try:
                        fcntl.ioctl(fd, _VIDIOC_ENUM_FRAMESIZES, fs)
                    except OSError:
                        break
                    kind, width, height = struct.unpack_from("<III", fs, 8)
                    if kind == 1:  # discrete; stepwise/continuous: the maximum
                        sizes.add((width, height))
                    else:
                        max_w, max_h = struct.unpack_from("<I", fs, 16)[0], struct.unpack_from("<I", fs, 28)[0]
                        sizes.add((max_w, max_h))
                        break
        return caps, sorted(sizes, key=lambda s: (-s[0] * s[1], -s[0]))
    finally:
        os.close(fd)


def _opencv_cameras(max_index: int) -> list[CameraInfo]:
    import cv2

    out: list[CameraInfo] = []
    for backend, api in camera_backends():
        for index in range(max_index):
            cap = cv2.VideoCapture(index, api)
            try:
                if not cap.isOpened():
                    continue
                size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            finally:
                cap.release()
            out.append(CameraInfo(index, f"{backend}:{index}", f"camera {index} ({backend})", backend,
                                  (size,) if all(size) else ()))
        if out:  # the first backend that sees cameras is the one to use
            break
    return out


# ----------------------------------------------------------- serial ports
def list_serial_ports(by_id_dir: Path = Path("/dev/serial/by-id")) -> list[SerialPortInfo]:
    """Serial ports with USB ids; ``suggested`` is the most stable name to configure."""
    links: dict[str, str] = {}
    if by_id_dir.is_dir():
        for link in sorted(by_id_dir.iterdir()):
            try:
                links[os.path.realpath(link)] = str(link)
            except OSError:
                continue
    out = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        vid_pid = f"{port.vid:04x}:{port.pid:04x}" if port.vid is not None and port.pid is not None else ""
        by_id = links.get(os.path.realpath(port.device), "") if not sys.platform.startswith("win") else ""
        description = port.description if port.description and port.description != "n/a" else ""
        if not vid_pid and not description and not by_id:
            continue  # a legacy ttyS with nothing behind it (Linux lists 32 of them)
        out.append(SerialPortInfo(
            device=port.device, suggested=by_id or port.device, description=description,
            vid_pid=vid_pid, manufacturer=port.manufacturer or "", serial_number=port.serial_number or "",
            by_id=by_id,
        ))
    return out


def port_exists(spec: str) -> bool:
    """Whether a configured port can be there: a path that exists, a COM name, a URL or a plugged USB id."""
    if spec.lower().startswith("usb:"):
        try:
            resolve_port(spec)
        except PortNotFound:
            return False
        return True
    if "://" in spec:
        return True
    if COM_NAME.match(spec):
        # Windows COM names are not files; whether COM3 is there, only the port list knows.
        return not sys.platform.startswith("win") or any(
            p.device.upper() == spec.upper().removeprefix("\\\\.\\") for p in list_ports.comports())
    try:
        return Path(spec).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: no port by that name
        return False


def _missing_port(port: str, path: str) -> str | None:
    """Why ``port`` (resolved to ``path``) is not a port on this machine, or None."""
    if COM_NAME.match(path) and not sys.platform.startswith("win"):
        return f"{port} is a Windows port name; on this system serial ports are /dev/ttyUSB0, /dev/ttyACM0 … " \
               "(gate-kiosk devices list)"
    if not port_exists(path):
        return f"{port}: no such serial port"
    return None


def port_problem(port: str, baud: int = 9600) -> str | None:
    """Why a serial port cannot be used, in plain words; None when it opened (a silent scanner's check)."""
    try:
        path = resolve_port(port)
    except PortNotFound as exc:
        return str(exc)
    missing = _missing_port(port, path)
    if missing:
        return missing
    try:
        with serial.serial_for_url(path, baudrate=baud, timeout=0.1):
            pass
    except (serial.SerialException, OSError, ValueError) as exc:
        return f"{port}: cannot open: {_why(exc)}"
    return None


# ------------------------------------------------------------------ probe
STREAM_BAUDS = (115200, 9600, 19200, 38400, 57600, 4800, 2400)
MODBUS_BAUDS = (9600, 19200, 4800, 38400, 115200)


def probe_thermometer(port: str, budget_s: float = 10.0, listen_s: float = 1.5) -> ProbeResult:
    """Find which protocol and baud rate the thermometer on ``port`` speaks, within ``budget_s``.

    Streaming devices (ascii, aa55, gy-mcu) are heard: at each baud rate
    everything read is fed to all three parsers at once, and two plausible
    frames decide. The gy-mcu module streams only after its start command,
    which is sent at its 9600 baud. A port that stays silent at every
    speed may be a Modbus pyrometer, which only answers when asked: slave 1,
    register 0, function codes 3 and 4.
    """
    result = ProbeResult(port)
    try:
        path = resolve_port(port)
    except PortNotFound as exc:
        result.error = str(exc)
        return result
    missing = _missing_port(port, path)
    if missing:
        result.error = missing
        return result
    deadline = time.monotonic() + budget_s
    for baud in STREAM_BAUDS:
        if time.monotonic() >= deadline:
            break
        result.tried.append(f"stream@{baud}")
        try:
            heard = _listen(path, baud, min(listen_s, deadline - time.monotonic()), result)
        except (serial.SerialException, OSError) as exc:
            result.error = f"{port}: cannot open: {_why(exc)}"
            return result
        if result.found:
            return result
        if not heard and baud != 115200:
            break  # silence does not depend on the baud rate: no streaming device (115200 then 9600+start)
    for baud in MODBUS_BAUDS:
        for functioncode in (3, 4):
            if time.monotonic() >= deadline:
                break
            result.tried.append(f"modbus@{baud}/fc{functioncode}")
            if _ask_modbus(path, baud, functioncode, result):
                return result
    result.listened = True
    listened_s = budget_s - max(0.0, deadline - time.monotonic())  # every speed tried: often before the budget
    result.error = (f"{port}: no thermometer protocol recognised after listening {listened_s:.0f} s "
                    f"({result.bytes_heard} bytes heard{'' if result.bytes_heard else ': is it powered?'})")
    return result


def _listen(path: str, baud: int, seconds: float, result: ProbeResult) -> bool:
    parsers = {name: make_parser(name) for name in ("aa55", "gy-mcu", "ascii")}
    found: dict[str, list[Any]] = {name: [] for name in parsers}
    heard = False
    with serial.serial_for_url(path, baudrate=baud, timeout=0.1) as ser:
        if baud == 9600:
            ser.write(GyMcuParser.START_COMMAND)
            ser.flush()
        end = time.monotonic() + max(0.1, seconds)
        while time.monotonic() < end:
            chunk = ser.read(max(1, ser.in_waiting))
            if not chunk:
                continue
            heard = True
            result.bytes_heard += len(chunk)
            for name, parser in parsers.items():
                for frame in parser.feed(chunk):
                    if PLAUSIBLE_PROBE_C[0] <= frame.celsius <= PLAUSIBLE_PROBE_C[1]:
                        found[name].append(frame)
            for name, frames in found.items():
                if len(frames) >= 2:
                    result.protocol, result.baud = name, baud
                    result.readings = [round(f.celsius, 2) for f in frames]
                    result.ambient = frames[-1].ambient
                    result.config = {"thermometer_protocol": name, "thermometer_baud": baud}
                    return True
    return heard


def _ask_modbus(path: str, baud: int, functioncode: int, result: ProbeResult) -> bool:
    import minimalmodbus

    try:
        inst = minimalmodbus.Instrument(path, 1, close_port_after_each_call=False)
    except (serial.SerialException, OSError):
        return False
    try:
        inst.serial.baudrate = baud
        inst.serial.timeout = 0.3
        inst.clear_buffers_before_each_transaction = True
        raw = inst.read_register(0, 0, functioncode, signed=True)
    except (minimalmodbus.ModbusException, serial.SerialException, OSError, ValueError):
        return False
    finally:
        inst.serial.close()
    for scale in (0.1, 0.01):
        if PLAUSIBLE_PROBE_C[0] <= raw * scale <= PLAUSIBLE_PROBE_C[1]:
            result.protocol, result.baud = "modbus", baud
            result.readings = [round(raw * scale, 2)]
            result.config = {"thermometer_protocol": "modbus", "thermometer_baud": baud, "modbus_slave": 1,
                             "modbus_register": 0, "modbus_functioncode": functioncode, "modbus_scale": scale}
            return True
    return False


