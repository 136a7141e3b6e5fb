"""First-run setup, the core side: what the setup window asks devices for, and writing the first config.

The setup window (``ui/setup_flow.py``) may not reach devices or the database
itself; it uses this module. Setup writes the config file and the admin PIN,
and the gate starts afterwards with them; the entry log is opened only to
record a PIN changed when setup is run again on a gate that kept a log.

- ``discover()``: cameras and serial ports (``devices.discovery``).
- ``CameraPreview``: a camera opened on its own thread, newest frame on demand.
- ``ThermometerWatch``: a thermometer read with the settings chosen so far,
  newest readings on demand (the IT teacher sees the numbers move).
- ``probe()``: which protocol a port speaks.
- ``write_first_config()``: the answers into the config file (comments of an
  existing file kept) and the PIN into the data directory (a new one replacing
  the current one when setup is run again).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.config.settings import default_data_dir, ConfigError, DeviceSettings, Settings
from kiosk.config.loading import load_settings, unwritten_settings
from kiosk.services.ports import FrameFeed, Service
from kiosk.services.access import PinLedger, as_pin, is_digits, is_new_pin

if TYPE_CHECKING:
    from devices.discovery import CameraInfo, ProbeResult, SerialPortInfo
    from devices.thermometer import TemperatureReading, ThermometerStatus
    from kiosk.services.ports import FrameImage
    from kiosk.services.access import AdminAccess

log = logging.getLogger(__name__)

GATE_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # fullmatch: "$" would let a trailing newline in


def gate_id_ok(gate_id: str) -> bool:
    """Whether ``gate_id`` can name a gate (it goes into entry ids, exports and the centre's tables)."""
    return bool(GATE_ID_PATTERN.fullmatch(gate_id))


@dataclass
class SetupAnswers:
    """Everything the setup flow asks; ``thermometer_config`` holds what the probe found."""

    school_name: str = ""
    gate_id: str = "gate-1"
    camera: str = ""
    thermometer: str = ""
    thermometer_config: dict[str, Any] = field(default_factory=dict)
    scanner: str = ""
    scanner_key_gap_ms: int = 0  # measured from a test scan in setup (0: not measured, the config's value stays)
    pin: str = ""  # the PIN to set; on a gate that has one (``has_pin``), the current PIN, whatever its length
    has_pin: bool = False  # setup run again on a gate with an admin PIN (``write_first_config`` looks itself)
    new_pin: str = ""  # setup run again: a new PIN replacing the current one ("" keeps it)

    def problems(self) -> list[str]:
        """What is still wrong, in the words the setup window shows (empty: ready to write)."""
        out = []
        if not self.school_name.strip():
            out.append("请填写学校名称")
        if not gate_id_ok(self.gate_id.strip()):
            out.append("门岗编号只能用字母、数字、-、_、.（如 east-1）")
        if not self.camera and not self.scanner:
            out.append("请选择摄像头或扫码枪（至少一个用来读码）")
        if self.thermometer and not self.thermometer_config.get("thermometer_protocol"):
            out.append("请先识别测温仪协议，或不使用测温仪")
        if self.has_pin:
            # The current PIN is checked against the file, not the rule for new ones: a 4-digit PIN
            # from before still unlocks until it is changed (kiosk.services.access).
            if not is_digits(as_pin(self.pin)):
                out.append("请输入此门岗现有的管理员 PIN")
            if self.new_pin and not is_new_pin(self.new_pin):
                out.append("新 PIN 须为 6–12 位数字")
        elif not is_new_pin(self.pin):
            out.append("管理员 PIN 须为 6–12 位数字")
        return out

    def changes(self) -> dict[str, dict[str, Any]]:
        devices: dict[str, Any] = {"camera": self.camera, "thermometer": self.thermometer, "scanner": self.scanner}
        devices.update(self.thermometer_config)
        if self.scanner == "keyboard" and self.scanner_key_gap_ms:
            devices["scanner_key_gap_ms"] = self.scanner_key_gap_ms
        return {"site": {"school_name": self.school_name.strip(), "gate_id": self.gate_id.strip()},
                "devices": devices}


# The [devices] keys a probe finds (devices.discovery.ProbeResult.config): kept from the config when setup runs again.
THERMOMETER_KEYS = ("thermometer_protocol", "thermometer_baud", "thermometer_pattern", "modbus_slave", "modbus_register",
                    "modbus_functioncode", "modbus_scale", "modbus_ambient_register")


def saved_thermometer_config(devices: DeviceSettings) -> dict[str, Any]:
    """How the configured thermometer is read: setup run again starts from it instead of probing anew."""
    return {key: getattr(devices, key) for key in THERMOMETER_KEYS}


def discover() -> tuple[list[CameraInfo], list[SerialPortInfo]]:
    """(cameras, serial ports) on this machine."""
    from devices.discovery import list_cameras, list_serial_ports

    return list_cameras(), list_serial_ports()


def probe(port: str, budget_s: float = 10.0) -> ProbeResult:
    """A ``ProbeResult``: the protocol and baud that spoke on ``port``, or why none did."""
    from devices.discovery import probe_thermometer

    return probe_thermometer(port, budget_s=budget_s)


CameraOpener = Callable[[str, Callable[[str, str], None]], FrameFeed]  # (uri, on_status(state, message))
ThermometerOpener = Callable[
    [DeviceSettings, str, Callable[["TemperatureReading"], None], Callable[["ThermometerStatus"], None]], Service]


@dataclass(frozen=True)
class DeviceOpeners:
    """How the setup opens a camera and a thermometer: given by the composition root (``kiosk.app_adapters``)."""

    camera: CameraOpener
    thermometer: ThermometerOpener


class CameraPreview:
    """A camera on its own thread for the setup's live preview; ``latest()`` never waits."""

    def __init__(self, uri: str, open_camera: CameraOpener) -> None:
        self.uri = uri
        self.state = "connecting"
        self.message = ""
        self._seq = 0
        self._grabber = open_camera(uri, self._on_status)

    def _on_status(self, state: str, message: str) -> None:
        self.state, self.message = state, message

    def start(self) -> "CameraPreview":
        self._grabber.start()
        return self

    def latest(self) -> FrameImage | None:
        """The newest frame not yet returned (a BGR array), or None."""
        frame = self._grabber.latest(self._seq, timeout=0)
        if frame is None:
            return None
        self._seq = frame.seq
        self.state = "connected"
        return frame.image

    def close(self) -> None:
        self._grabber.close()


class ThermometerWatch:
    """Reads a thermometer with the protocol found, for the setup's live readings."""

    def __init__(self, port: str, config: dict[str, Any], open_thermometer: ThermometerOpener) -> None:
        settings = replace(DeviceSettings(), **config)
        self._lock = threading.Lock()
        self._readings: deque[float] = deque(maxlen=20)
        self.state = "connecting"
        self.message = ""
        self._device = open_thermometer(settings, port, self._on_reading, self._on_status)

    def _on_reading(self, reading: TemperatureReading) -> None:
        with self._lock:
            self._readings.append(round(float(reading.celsius), 2))

    def _on_status(self, status: ThermometerStatus) -> None:
        self.state, self.message = status.state, status.message

    def start(self) -> "ThermometerWatch":
        self._device.start()
        return self

    def readings(self) -> list[float]:
        with self._lock:
            return list(self._readings)

    def close(self) -> None:
        self._device.close()


class LedgerStore(PinLedger, Protocol):
    """The entry log as setup needs it to record a PIN change (``db.store.EntryStore``)."""

    def close(self) -> None: ...


def write_first_config(path: Path, answers: SetupAnswers,
                       open_ledger: Callable[[Settings], LedgerStore] | None = None) -> Settings:
    """Write the answers and the PIN; returns the settings the gate starts with. Raises ``ConfigError``.

    On a gate that has a PIN, ``answers.pin`` is the current one, checked before anything is
    written; ``answers.new_pin`` replaces it. A PIN change is audited like ``gate-kiosk admin
    set-pin``'s: in the entry log (opened with ``open_ledger``) once the gate has kept one, where
    the PIN file's fingerprint is checked at every start, and the export signing key follows it.
    """
    from kiosk.config.settings_file import write_settings
    from kiosk.services.access import AdminAccess

    before = load_settings(path) if path.exists() else None
    data_dir = before.data_dir if before is not None else default_data_dir()
    # The entry log is not opened to set the first PIN; that is recorded in the log file instead.
    access = AdminAccess(data_dir, audit=lambda actor, action, detail: log.info(
        "audit (setup): %s %s %s", actor, action, detail))
    answers = replace(answers, has_pin=access.has_pin)
    problems = answers.problems()
    if problems:
        raise ConfigError("；".join(problems))
    if answers.has_pin:
        # The config may be gone while the PIN stays (deleted, or setup cut short): the defaults say where.
        _check_or_change_pin(access, answers, before if before is not None else unwritten_settings(path), open_ledger)
    write_settings(path, answers.changes())
    settings = load_settings(path)
    if not answers.has_pin:
        access.set_pin(answers.pin, "setup")
    log.info("first-run setup wrote %s (camera %r, thermometer %r, scanner %r)", path, answers.camera,
             answers.thermometer, answers.scanner)
    return settings


def _check_or_change_pin(access: AdminAccess, answers: SetupAnswers, settings: Settings,
                         open_ledger: Callable[[Settings], LedgerStore] | None) -> None:
    """Setup again on a gate with a PIN: the current PIN is checked, and replaced when a new one was given."""
    from kiosk.config.ledger_file import kept_a_log_before
    from kiosk.reports import ExportError
    from kiosk.reports.signing import rekey_export_key
    from kiosk.services.access import AccessDenied, AdminAccess

    if not answers.new_pin:
        try:
            access.verify(answers.pin, "setup", "setup")
        except AccessDenied as exc:
            raise ConfigError(f"此门岗已设置管理员 PIN，请输入现有的 PIN：{exc}") from None
        return
    store = None
    if settings.own_log and kept_a_log_before(settings):
        # The log vouches for the PIN file (its fingerprint): a change it did not record would lock
        # every admin function at the next start.
        if open_ledger is None:
            raise ConfigError("这里不能更换 PIN（门岗日志未接入）：请用 gate-kiosk admin set-pin")
        try:
            store = open_ledger(settings)
        except Exception as exc:  # noqa: BLE001 - said to the teacher; the PIN stays as it was
            raise ConfigError(f"无法打开门岗日志来记录 PIN 更换（{exc}）：PIN 未更换，设置未保存") from None
        access = AdminAccess(settings.data_dir, ledger=store)
    try:
        access.set_pin(answers.new_pin, "setup", answers.pin)
    except AccessDenied as exc:
        raise ConfigError(f"此门岗已设置管理员 PIN，请输入现有的 PIN：{exc}") from None
    finally:
        if store is not None:
            store.close()
    try:
        rekey_export_key(settings.data_dir, answers.pin, answers.new_pin)  # the signing key follows the PIN
    except ExportError as exc:
        raise ConfigError(f"PIN 已更换，但导出签名密钥未能随之更换：{exc}；设置未保存：请把新 PIN 填作现有的 PIN 再保存") from None
