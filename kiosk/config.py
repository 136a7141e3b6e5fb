"""Typed, immutable settings loaded once from a TOML file.

``load_settings`` is called once in ``main()``; the resulting ``Settings``
object is handed down through constructors and no adapter reads global state.
Every mistake in the file becomes a ``ConfigError`` naming the file, the key
and what is expected, so the IT teacher gets one clear line instead of a
traceback.

Where the file lives: ``--config PATH``, else ``$GATE_KIOSK_CONFIG``, else
``config.toml`` in the platform's user config directory (platformdirs); a
missing default file means built-in defaults. ``$GATE_KIOSK_DATA`` overrides
the data directory (useful for tests and for running two kiosks on one box).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from kiosk.policy import Policy, PolicyError

APP_NAME = "gate-kiosk"


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SiteSettings:
    """Who this kiosk is: its school, gate and default guard."""

    site_id: str = "school"
    gate_id: str = "gate-1"
    name: str = ""  # the school's name as the bureau knows it (report headers)
    gate_name: str = ""  # e.g. "北门"; the gate id when empty
    district: str = ""  # the county/district bureau the school reports to
    guard_id: str = "guard"
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class GateSettings:
    """Timing of a visit at the gate."""

    visit_timeout_s: float = 120.0
    result_display_s: float = 3.0  # how long a verdict holds before the next person starts
    debounce_s: float = 8.0  # the same code seen again within this is the same scan
    replay_window_min: float = 10.0  # same code at a different visit within this is flagged


@dataclass(frozen=True)
class DeviceSettings:
    """Which camera, thermometer and decoder to use; ``sim:`` picks a simulator."""

    camera: str = "sim:"
    decoder: str = "zxing"
    thermometer: str = "sim:"
    thermometer_protocol: str = "aa55"
    thermometer_baud: int = 0  # 0: the protocol's default
    thermometer_id: str = "thermo-1"
    thermometer_silent_s: float = 5.0
    stable_tolerance_c: float = 0.2
    thermometer_pattern: str = ""  # ascii protocol: a regex with one group, e.g. "T:(\\d+\\.\\d)"
    modbus_slave: int = 1
    modbus_register: int = 0
    modbus_functioncode: int = 3
    modbus_scale: float = 0.1
    modbus_ambient_register: int = -1  # -1: the device gives no ambient temperature
    mask_detector: bool = True


@dataclass(frozen=True)
class CalibrationSettings:
    """How often the thermometer must be calibrated against a reference."""

    interval_days: int = 7


@dataclass(frozen=True)
class CentralSettings:
    """Where the kiosk forwards its log (empty url: the kiosk is an island) and how."""

    url: str = ""  # postgresql+psycopg://user@host/db of the school's or bureau's centre
    batch_size: int = 500
    interval_s: float = 5.0  # pause between rounds when nothing is pending
    max_backoff_s: float = 300.0  # longest wait between attempts while the centre is away
    connect_timeout_s: float = 5.0
    pull: bool = True  # take roster, policy and issuer keys published at the centre
    silent_after_h: float = 2.0  # reports call a gate silent after this long without a sync


@dataclass(frozen=True)
class UiSettings:
    """Window options the guard or the IT teacher may change."""

    language: str = "zh_CN"
    fullscreen: bool = False
    sound: bool = True
    flash: bool = True


@dataclass(frozen=True)
class Settings:
    """Everything the kiosk needs to start, in one immutable object."""

    data_dir: Path
    database_url: str
    site: SiteSettings = field(default_factory=SiteSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    devices: DeviceSettings = field(default_factory=DeviceSettings)
    calibration: CalibrationSettings = field(default_factory=CalibrationSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    central: CentralSettings = field(default_factory=CentralSettings)
    policy: Policy = field(default_factory=Policy)
    trusted_issuers: Mapping[str, str] = field(default_factory=dict)  # key id -> public key (base64)
    issuer_server_url: str = ""
    issuer_app_id: str = ""
    issuer_app_secret: str = ""
    source_path: Path | None = None

    @property
    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url[len("sqlite:///"):])
        return None

    def as_dict(self) -> dict[str, Any]:
        """A plain view for ``gate-kiosk config show``."""
        out: dict[str, Any] = {
            "config_file": str(self.source_path) if self.source_path else None,
            "data_dir": str(self.data_dir),
            "database_url": self.database_url,
        }
        for name in ("site", "gate", "devices", "calibration", "ui", "central"):
            section = getattr(self, name)
            out[name] = {f.name: getattr(section, f.name) for f in fields(section)}
        p = self.policy
        out["policy"] = {
            "version": p.version,
            "fever_threshold_c": p.fever_threshold_c,
            "retake_wait_s": p.retake_wait_s,
            "plausible_range_c": [p.plausible_min_c, p.plausible_max_c],
            "nucleic_window_h": p.nucleic_window_h,
            "nucleic_counting": p.nucleic_counting,
            "accept_strength": {k.value: v.value for k, v in p.accept_strength.items()},
            "auto_mask_satisfies": p.auto_mask_satisfies,
            "rules": {
                g: {r.element.value: r.mode.value + (" (returning only)" if r.only_returning else "") for r in rules}
                for g, rules in p.rules.items()
            },
        }
        out["trusted_issuers"] = sorted(self.trusted_issuers)
        out["issuer_server_url"] = self.issuer_server_url
        return out


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    env = os.environ.get("GATE_KIOSK_DATA")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


def load_settings(path: Path | str | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read and validate the configuration; raise ``ConfigError`` with a clear message."""
    explicit = path is not None or "GATE_KIOSK_CONFIG" in os.environ
    cfg_path = Path(path) if path is not None else Path(os.environ.get("GATE_KIOSK_CONFIG", default_config_path()))
    data: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            with cfg_path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{cfg_path}: not valid TOML: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{cfg_path}: not valid TOML: nested too deeply") from None
        except OSError as exc:
            raise ConfigError(f"{cfg_path}: cannot read: {exc.strerror}") from None
    elif explicit:
        raise ConfigError(f"{cfg_path}: config file not found")
    if overrides:
        data = _merge(data, overrides)
    try:
        return _build(data, cfg_path if cfg_path.exists() else None)
    except ConfigError as exc:
        where = f"{cfg_path}: " if cfg_path.exists() else ""
        raise ConfigError(f"{where}{exc}") from None


_TOP_KEYS = {"site", "gate", "devices", "calibration", "ui", "policy", "database", "paths", "issuers", "central"}


def _build(data: Mapping[str, Any], source: Path | None) -> Settings:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"unknown section(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(_TOP_KEYS))})")
    paths = _table(data, "paths")
    data_dir = Path(paths["data_dir"]).expanduser() if "data_dir" in paths else default_data_dir()
    db = _table(data, "database")
    url = db.get("url") or ""
    if not isinstance(url, str):
        raise ConfigError("database.url must be a string (an SQLAlchemy URL)")
    if not url:
        url = f"sqlite:///{data_dir / 'entries.sqlite3'}"
    try:
        policy = Policy.from_mapping(_table(data, "policy"))
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    issuers = _table(data, "issuers")
    trusted = issuers.get("trusted", {})
    if not isinstance(trusted, Mapping) or not all(isinstance(v, str) for v in trusted.values()):
        raise ConfigError("issuers.trusted must be a table of key_id = \"<base64 Ed25519 public key>\"")
    server = issuers.get("server_url", "")
    for key in ("server_url", "app_id", "app_secret"):
        if not isinstance(issuers.get(key, ""), str):
            raise ConfigError(f"issuers.{key} must be a string")
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        site=_section(SiteSettings, _table(data, "site"), "site"),
        gate=_section(GateSettings, _table(data, "gate"), "gate"),
        devices=_section(DeviceSettings, _table(data, "devices"), "devices"),
        calibration=_section(CalibrationSettings, _table(data, "calibration"), "calibration"),
        ui=_section(UiSettings, _table(data, "ui"), "ui"),
        central=_section(CentralSettings, _table(data, "central"), "central"),
        policy=policy,
        trusted_issuers=dict(trusted),
        issuer_server_url=str(server),
        issuer_app_id=str(issuers.get("app_id", "")),
        issuer_app_secret=str(issuers.get("app_secret", "")),
        source_path=source,
    )
    if settings.ui.language not in ("zh_CN", "en"):
        raise ConfigError("ui.language must be 'zh_CN' or 'en'")
    if settings.central.url and not settings.central.url.startswith("postgresql"):
        raise ConfigError("central.url must be a PostgreSQL URL (postgresql+psycopg://user@host/db)")
    if settings.central.batch_size < 1:
        raise ConfigError("central.batch_size must be at least 1")
    if settings.devices.decoder not in ("zxing", "pyzbar", "auto"):
        raise ConfigError("devices.decoder must be 'zxing', 'pyzbar' or 'auto'")
    return settings


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _section(cls: Any, table: Mapping[str, Any], name: str) -> Any:
    default = cls()
    known = {f.name: f for f in fields(cls)}
    kw: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown key (known: {', '.join(sorted(known))})")
        expected = type(getattr(default, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{name}.{key} must be {expected.__name__}, got {value!r}")
        kw[key] = value
    return replace(default, **kw)


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
