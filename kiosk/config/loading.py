"""Reading the TOML config file into ``Settings``, once, with every mistake one clear ``ConfigError``.

Where the file lives: ``--config PATH``, else ``$GATE_KIOSK_CONFIG``, else
``config.toml`` in the platform's user config directory (platformdirs); a
missing default file means built-in defaults. ``$GATE_KIOSK_DATA`` overrides
the data directory (useful for tests and for running two kiosks on one box).
"""

from __future__ import annotations

import codecs
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 (Ubuntu 22.04): the same parser, from PyPI
    import tomli as tomllib

from kiosk.config.settings import (
    MAX_DECLARED_VERSION,
    MAX_REPLAY_WINDOW_MIN,
    MIN_REPLAY_WINDOW_MIN,
    CalibrationSettings,
    CentralSettings,
    ConfigError,
    DeviceSettings,
    GateSettings,
    Settings,
    SiteSettings,
    UiSettings,
    compile_issuer_patterns,
    default_config_path,
    default_data_dir,
    issuer_content,
    with_digest,
)
from kiosk.domain.policy import Policy, PolicyError


def config_path(path: Path | str | None = None) -> Path:
    """The config file in use: ``--config``, else ``$GATE_KIOSK_CONFIG``, else the platform's (may not exist yet)."""
    return Path(path) if path is not None else Path(os.environ.get("GATE_KIOSK_CONFIG", default_config_path()))


def unwritten_settings(path: Path) -> Settings:
    """The defaults, for a config file named but not written yet: the first-run setup writes it there."""
    return _build({}, path)


def load_settings(path: Path | str | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read and validate the configuration; raise ``ConfigError`` with a clear message."""
    explicit = path is not None or "GATE_KIOSK_CONFIG" in os.environ
    cfg_path = config_path(path)
    data: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            raw = cfg_path.read_bytes()
            # Windows Notepad saves UTF-8 with a byte-order mark; TOML does not allow one, the kiosk does.
            data = tomllib.loads(raw.removeprefix(codecs.BOM_UTF8).decode("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{cfg_path}: not valid TOML: {exc}{_backslash_hint(exc, raw)}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{cfg_path}: not UTF-8 text (save the file as UTF-8)") from None
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
    for key in ("data_dir", "export_key"):
        if isinstance(paths.get(key), str) and foreign_path(paths[key]):
            raise ConfigError(f"paths.{key}: {foreign_path(paths[key])}")
    if "data_dir" in paths and (not isinstance(paths["data_dir"], str) or not paths["data_dir"].strip()):
        raise ConfigError("paths.data_dir must be the path of a folder")
    data_dir = Path(paths["data_dir"]).expanduser() if "data_dir" in paths else default_data_dir()
    export_key_file = None
    if "export_key" in paths:
        if not isinstance(paths["export_key"], str) or not paths["export_key"].strip():
            raise ConfigError("paths.export_key must be the path of a PEM key file")
        export_key_file = Path(paths["export_key"]).expanduser()
        if export_key_file.resolve().is_relative_to(data_dir.resolve()):
            raise ConfigError(f"paths.export_key: {export_key_file} is inside the data dir; the export signing "
                              "key must not lie beside the log (leave it unset to keep it locked with the admin PIN)")
    db = _table(data, "database")
    url = db.get("url") or ""
    if not isinstance(url, str):
        raise ConfigError("database.url must be a string (an SQLAlchemy URL)")
    if not url:
        url = f"sqlite:///{data_dir / 'entries.sqlite3'}"
    elif not url.startswith(("sqlite:///", "postgresql")):
        # Checked here, where the settings dialog's save is checked too: a URL the store cannot open
        # saved from the dialog left a gate that would not start and no window to say why.
        raise ConfigError(f"bad database URL {url!r}: database.url must be sqlite:///<file> "
                          "or postgresql+psycopg://user@host/db")
    _require_finite(data, "")
    policy_table = _table(data, "policy")
    version = policy_table.get("version")
    if isinstance(version, str) and (len(version.strip()) > MAX_DECLARED_VERSION or "+" in version):
        raise ConfigError(f"policy.version must be at most {MAX_DECLARED_VERSION} characters without '+' "
                          "(the kiosk appends the content digest)")
    try:
        policy = Policy.from_mapping(policy_table)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    issuers = _table(data, "issuers")
    trusted = issuers.get("trusted", {})
    if not isinstance(trusted, Mapping) or not all(isinstance(v, str) for v in trusted.values()):
        raise ConfigError("issuers.trusted must be a table of key_id = \"<base64 Ed25519 public key>\"")
    server = issuers.get("server_url", "")
    patterns = issuers.get("health_codes", {})
    if not isinstance(patterns, Mapping):
        raise ConfigError("issuers.health_codes must be a table of issuer_name = \"<regular expression>\"")
    for name, pattern in patterns.items():
        if not isinstance(pattern, str) or not pattern.strip():
            raise ConfigError(f"issuers.health_codes.{name} must be a non-empty regular expression "
                              "(matched from the start of the code's content)")
    try:
        compile_issuer_patterns(patterns)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
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
        # The version covers the issuers too: trusting another key is a policy change.
        policy=with_digest(policy, issuer_content(trusted, patterns, str(server))),
        trusted_issuers=dict(trusted),
        issuer_server_url=str(server),
        issuer_app_id=str(issuers.get("app_id", "")),
        issuer_app_secret=str(issuers.get("app_secret", "")),
        health_code_patterns=dict(patterns),
        source_path=source,
        export_key_file=export_key_file,
    )
    if settings.ui.language not in ("zh_CN", "en"):
        raise ConfigError("ui.language must be 'zh_CN' or 'en'")
    if settings.ui.speech_backend not in ("auto", "tts", "files"):
        raise ConfigError("ui.speech_backend must be 'auto', 'tts' or 'files'")
    if settings.central.url and not settings.central.url.startswith("postgresql"):
        raise ConfigError("central.url must be a PostgreSQL URL (postgresql+psycopg://user@host/db)")
    if settings.central.batch_size < 1:
        raise ConfigError("central.batch_size must be at least 1")
    if settings.devices.decoder not in ("zxing", "pyzbar", "auto"):
        raise ConfigError("devices.decoder must be 'zxing', 'pyzbar' or 'auto'")
    from devices.thermoframes import PROTOCOLS

    if settings.devices.thermometer_protocol not in PROTOCOLS:
        raise ConfigError(f"devices.thermometer_protocol must be one of {', '.join(repr(p) for p in PROTOCOLS)}, "
                          f"got {settings.devices.thermometer_protocol!r}")
    _check_ranges(settings)
    return settings


_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")  # C:\… or C:/… or \\server\share


def foreign_path(text: str) -> str | None:
    """Why ``text`` is not a path on this OS (a Windows drive or share path on Linux), or None.

    On Linux ``C:\\Users\\guard\\kiosk`` is a valid relative file name, so it would quietly
    make a folder of that name in the current directory.
    """
    if sys.platform != "win32" and _WINDOWS_PATH.match(text.strip()):
        return f'"{text}" is a Windows path; on this system use a path like /home/guard/kiosk'
    return None


def _backslash_hint(exc: Exception, raw: bytes) -> str:
    """A hint when the TOML error is on a line with backslashes (a Windows path in double quotes)."""
    found = re.search(r"line (\d+)", str(exc))
    lines = raw.decode("utf-8", "replace").splitlines()
    if not found or not 1 <= int(found.group(1)) <= len(lines) or "\\" not in lines[int(found.group(1)) - 1]:
        return ""
    return (" — backslashes in \"…\" start escapes: write the path with / (\"C:/Users/guard/kiosk\") "
            "or in single quotes ('C:\\Users\\guard\\kiosk')")


def _require_finite(value: Any, where: str) -> None:
    # TOML has nan and inf; no setting of the kiosk means either.
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _require_finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _require_finite(item, f"{where}[{i}]")


def _check_ranges(s: Settings) -> None:
    """Every number within a range that makes sense; the message names the key and the range."""
    p, g, d = s.policy, s.gate, s.devices
    checks: list[tuple[str, float, float, float]] = [
        ("gate.visit_timeout_s", g.visit_timeout_s, 1.0, 3600.0),
        ("gate.result_display_s", g.result_display_s, 0.5, 60.0),
        ("gate.debounce_s", g.debounce_s, 0.5, 600.0),
        ("gate.replay_window_min", g.replay_window_min, MIN_REPLAY_WINDOW_MIN, MAX_REPLAY_WINDOW_MIN),
        ("devices.thermometer_silent_s", d.thermometer_silent_s, 0.5, 3600.0),
        ("devices.stable_tolerance_c", d.stable_tolerance_c, 0.05, 1.0),
        ("devices.modbus_scale", d.modbus_scale, 1e-6, 1e6),
        ("devices.thermometer_baud", d.thermometer_baud, 0, 4_000_000),
        ("devices.scanner_key_gap_ms", d.scanner_key_gap_ms, 10, 500),
        ("calibration.interval_days", s.calibration.interval_days, 1, 365),
        ("policy.retake_wait_s", p.retake_wait_s, 1.0, 3600.0),
        ("policy.plausible_min_c", p.plausible_min_c, 30.0, 37.0),
        ("policy.plausible_max_c", p.plausible_max_c, 38.0, 45.0),
    ]
    for name, value, low, high in checks:
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    if not p.plausible_min_c < p.fever_threshold_c < p.plausible_max_c:
        raise ConfigError("policy.fever_threshold_c must lie inside the plausible range "
                          f"({p.plausible_min_c:g}–{p.plausible_max_c:g} °C)")
    try:
        ZoneInfo(s.site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"site.timezone: unknown time zone {s.site.timezone!r} (e.g. 'Asia/Shanghai')") from None


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{name}] must be a table")
    return value


_INDEX_KEYS = {("devices", "camera")}  # string keys that also take a device index as a plain number


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
        if (name, key) in _INDEX_KEYS and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)  # camera = 0, as the example lists it: the camera with index 0
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
