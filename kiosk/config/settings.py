"""Typed, immutable settings loaded once from a TOML file (``loading.py`` reads it).

``load_settings`` is called once in ``main()``; the resulting ``Settings``
object is handed down through constructors and no adapter reads global state.
Every mistake in the file becomes a ``ConfigError`` naming the file, the key
and what is expected, so the IT teacher gets one clear line instead of a
traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import platformdirs

from kiosk.domain.policy import Policy

APP_NAME = "gate-kiosk"
FEVER_CONFIRM_FREE = (37.0, 38.5)  # outside this an admin must confirm the policy
# A plausible range narrower than this needs an admin's confirmation: a fever reading above
# plausible_max_c is discarded as implausible (INCOMPLETE), so it must stay well above the threshold.
PLAUSIBLE_MAX_CONFIRM_FREE = 42.0
PLAUSIBLE_MIN_CONFIRM_FREE = 34.0
MIN_REPLAY_WINDOW_MIN = 5.0  # shorter, and a code handed on at the gate slips through
MAX_REPLAY_WINDOW_MIN = 24 * 60.0  # recent codes are kept a day (db.store_side.RECENT_CODE_HORIZON)
MAX_DECLARED_VERSION = 19  # + "+" + 12 digest digits fits the 32 characters of entries.policy_version


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


@dataclass(frozen=True)
class SiteSettings:
    """Who this kiosk is: its school, gate and default guard."""

    site_id: str = "school"
    school_name: str = ""  # shown in the window title and on reports; set by the first-run setup
    gate_id: str = "gate-1"
    name: str = ""  # the school's name as the bureau knows it (report headers)
    gate_name: str = ""  # e.g. "北门"; the gate id when empty
    district: str = ""  # the county/district bureau the school reports to
    guard_id: str = "guard"
    timezone: str = "Asia/Shanghai"

    @property
    def report_name(self) -> str:
        """The school as reports and the centre name it: the bureau's name when set, else the setup's, else the id."""
        return self.name or self.school_name or self.site_id

    def today(self) -> date:
        """The school's date now (its time zone): what days, versions and cut-offs are counted in."""
        return datetime.now(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class GateSettings:
    """Timing of a visit at the gate."""

    visit_timeout_s: float = 120.0
    result_display_s: float = 3.0  # how long a verdict holds before the next person starts
    debounce_s: float = 8.0  # the same code seen again within this is the same scan
    replay_window_min: float = 10.0  # same code at a different visit within this is flagged


@dataclass(frozen=True)
class DeviceSettings:
    """Which camera, thermometer, code scanner and decoder to use; ``sim:`` picks a simulator (demo only).

    Empty means "none": nothing is configured by default, so a fresh install
    never logs simulated people; with no camera and no scanner there is
    nothing to read codes with, and the window opens the first-run setup.
    """

    camera: str = ""
    decoder: str = "zxing"
    thermometer: str = ""
    scanner: str = ""  # "" none | "keyboard" (keyboard-wedge handheld) | a serial port (USB-CDC scanner)
    # A keyboard-wedge scanner's keys come at most this far apart (slow ones: ~60 ms); a person's come slower.
    scanner_key_gap_ms: int = 100
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
    speech: bool = True  # spoken prompts (kiosk/domain/prompts.py); the guard can mute them in the window
    speech_backend: str = "auto"  # auto: a text-to-speech voice if one exists, else the recordings; tts; files


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
    # Health-code issuers whose codes may be read by colour: name -> regular expression
    # matched against the code's content (``[issuers.health_codes]``).
    health_code_patterns: Mapping[str, str] = field(default_factory=dict)
    source_path: Path | None = None
    export_key_file: Path | None = None  # paths.export_key: the export signing key, outside the data dir
    # False for a demo, a simulation or a database named with --db: the ledger registry
    # (``kiosk.config.ledger_file.ledger_marker``) keeps the kiosk's own log only.
    own_log: bool = True

    @property
    def needs_setup(self) -> bool:
        """Nothing to read codes with: the window opens the first-run setup instead of the gate."""
        return not self.devices.camera and not self.devices.scanner

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
        out["policy"] = {"version": self.policy.version, **policy_content(self.policy)}
        out["trusted_issuers"] = sorted(self.trusted_issuers)
        out["health_code_patterns"] = dict(self.health_code_patterns)
        out["issuer_server_url"] = self.issuer_server_url
        return out


def policy_content(p: Policy) -> dict[str, Any]:
    """Everything a policy decides, without its version: what the version's digest covers."""
    return {
        "fever_threshold_c": p.fever_threshold_c,
        "retake_wait_s": p.retake_wait_s,
        "plausible_range_c": [p.plausible_min_c, p.plausible_max_c],
        "nucleic_window_h": p.nucleic_window_h,
        "nucleic_counting": p.nucleic_counting,
        "accept_strength": {k.value: v.value for k, v in sorted(p.accept_strength.items(), key=lambda kv: kv[0].value)},
        "auto_mask_satisfies": p.auto_mask_satisfies,
        "local_areas": list(p.local_areas),
        "case_areas": list(p.case_areas),
        "key_post_groups": list(p.key_post_groups),
        "key_post_nucleic_days": p.key_post_nucleic_days,
        "rules": {
            g: {r.element.value: r.mode.value + (" (returning only)" if r.only_returning else "") for r in rules}
            for g, rules in sorted(p.rules.items())
        },
    }


def issuer_content(trusted: Mapping[str, str], health_codes: Mapping[str, str], server_url: str) -> dict[str, Any]:
    """The ``[issuers]`` settings that decide which health codes are believed: part of the policy's digest."""
    return {"trusted": dict(sorted(trusted.items())), "health_codes": dict(sorted(health_codes.items())),
            "server_url": server_url}


def policy_digest(p: Policy, issuers: Mapping[str, Any] | None = None) -> str:
    content = policy_content(p)
    if issuers and any(issuers.values()):  # no [issuers]: the digest a policy had before issuers were covered
        content["issuers"] = dict(issuers)
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_digest(p: Policy, issuers: Mapping[str, Any] | None = None) -> Policy:
    """The policy with ``version = "<declared>+<first 12 hex digits of the content digest>"``.

    Every entry records this, so an edited file can never pass as the old
    version: change one threshold, or trust another issuer key
    (``issuer_content``), and the recorded version changes with it.
    """
    declared = p.version.split("+", 1)[0]
    return replace(p, version=f"{declared}+{policy_digest(p, issuers)[:12]}")


def fever_threshold_needs_confirmation(p: Policy) -> bool:
    """A threshold outside 37.0–38.5 °C is legal (IEC 80601-2-59: 34–39) but needs an admin's confirmation."""
    return not FEVER_CONFIRM_FREE[0] <= p.fever_threshold_c <= FEVER_CONFIRM_FREE[1]


def values_needing_confirmation(p: Policy) -> list[str]:
    """Each value of the policy that is legal but unusual enough that an admin must confirm it (one line each)."""
    out = []
    if fever_threshold_needs_confirmation(p):
        out.append(f"policy.fever_threshold_c = {p.fever_threshold_c:g} °C is outside "
                   f"{FEVER_CONFIRM_FREE[0]:g}–{FEVER_CONFIRM_FREE[1]:g} °C")
    if p.plausible_max_c < PLAUSIBLE_MAX_CONFIRM_FREE:
        out.append(f"policy.plausible_max_c = {p.plausible_max_c:g} °C is below {PLAUSIBLE_MAX_CONFIRM_FREE:g} °C "
                   "(a fever above it would be discarded as implausible, not denied)")
    if p.plausible_min_c > PLAUSIBLE_MIN_CONFIRM_FREE:
        out.append(f"policy.plausible_min_c = {p.plausible_min_c:g} °C is above {PLAUSIBLE_MIN_CONFIRM_FREE:g} °C")
    return out


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    env = os.environ.get("GATE_KIOSK_DATA")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


def compile_issuer_patterns(patterns: Mapping[str, str]) -> list[tuple[str, re.Pattern[str]]]:
    """Compile ``issuer name -> regular expression``; a bad expression is a ``ValueError`` naming it."""
    out = []
    for name, pattern in patterns.items():
        try:
            out.append((name, re.compile(pattern)))
        except re.error as exc:
            raise ValueError(f"issuers.health_codes.{name}: not a valid regular expression: {exc}") from None
    return out
