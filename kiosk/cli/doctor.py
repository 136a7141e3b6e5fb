"""``gate-kiosk doctor``: check everything a gate needs and say what to fix, one line per finding.

Checks, in the order an IT teacher would fix them: the config file, the
camera, the thermometer, the code scanner, the database, the PDF font, the
keys (trusted issuers, the export signing key, the admin PIN), the
thermometer's calibration, free disk space and the log folder. Every finding
is OK, WARN (works, but should be fixed) or FAIL (the gate cannot work this
way), with what to do. Exit status 0 without FAILs, 1 with.

The device checks open the devices briefly: run the doctor while the kiosk
is closed, or a busy camera or port is reported as such.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from db.records import CalibrationRecord
from kiosk.config.settings import ConfigError, Settings
from kiosk.config.loading import config_path, load_settings

OK, WARN, FAIL = "OK", "WARN", "FAIL"
MIN_FREE_BYTES = 500 * 1024 * 1024  # a day of 10,000 entries is ~12 MB; exports and logs need room too


CONFIG_ERROR = 2  # the exit status of a config file that does not load, as for every other command


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    check: str
    status: str
    message: str
    fix: str = ""


def run_doctor(path: Path | None, as_json: bool = False, out: Callable[[str], None] = print) -> int:
    findings = diagnose(path)
    if as_json:
        out(json.dumps([asdict(f) for f in findings], ensure_ascii=False))
    else:
        for f in findings:
            out(f"{f.status:<4}  {f.check:<12} {f.message}" + (f"\n      → {f.fix}" if f.fix else ""))
        fails = sum(f.status == FAIL for f in findings)
        warns = sum(f.status == WARN for f in findings)
        out(f"\n{fails} to fix, {warns} to look at" if fails or warns else "\nall checks passed")
    if len(findings) == 1 and findings[0].check == "config" and findings[0].status == FAIL:
        return CONFIG_ERROR  # the config did not load (nothing else was checked): exit as every command does
    return 1 if any(f.status == FAIL for f in findings) else 0


def diagnose(path: Path | None) -> list[Finding]:
    cfg = config_path(path)
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return [Finding("config", FAIL, str(exc), "fix the file (see docs/config.example.toml) or delete it "
                                                  "and run gate-kiosk to set up again")]
    findings = [Finding("config", OK, f"{cfg}" if cfg.exists() else f"{cfg} (not there: built-in defaults)")]
    if settings.needs_setup:
        findings.append(Finding("config", FAIL, "no camera and no scanner configured: nothing reads codes",
                                "run gate-kiosk (the setup opens) or gate-kiosk devices list"))
    for check in (_camera, _thermometer, _scanner, _database, _font, _keys, _disk, _logs):
        try:
            findings.extend(check(settings))
        except Exception as exc:  # a check that breaks is itself a finding, never a traceback
            findings.append(Finding(check.__name__.strip("_"), FAIL, f"check failed: {exc}"))
    return findings


def _camera(settings: Settings) -> list[Finding]:
    uri = settings.devices.camera
    if not uri:
        return [Finding("camera", WARN if settings.devices.scanner else FAIL, "no camera configured",
                        "gate-kiosk devices list, then set devices.camera")]
    if uri.startswith("sim:"):
        return [Finding("camera", WARN, "simulated camera (demo only)", "set devices.camera to a real camera")]
    from devices.camera import CameraError, open_capture

    try:
        cap = open_capture(uri)
    except CameraError as exc:
        return [Finding("camera", FAIL, str(exc), "gate-kiosk devices list shows the cameras there are")]
    try:
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            ok, frame = cap.read()
            if ok and frame is not None:
                h, w = frame.shape[:2]
                return [Finding("camera", OK, f"{uri}: {w}×{h}")]
    finally:
        cap.release()
    return [Finding("camera", FAIL, f"{uri} opens but gives no picture",
                    "close other programs using it, check the cable, or pick another camera")]


def _thermometer(settings: Settings) -> list[Finding]:
    d = settings.devices
    if not d.thermometer:
        return [Finding("thermometer", WARN, "no thermometer: every temperature is typed by the guard (F2)",
                        "gate-kiosk devices probe --port PORT finds a thermometer's protocol")]
    if d.thermometer.startswith("sim:"):
        return [Finding("thermometer", WARN, "simulated thermometer (demo only)", "set devices.thermometer")]
    from devices.discovery import probe_thermometer

    result = probe_thermometer(d.thermometer, budget_s=10.0)
    if not result.found:
        return [Finding("thermometer", FAIL, result.error, "check the cable and power; gate-kiosk devices list")]
    if result.protocol != d.thermometer_protocol:
        return [Finding("thermometer", FAIL, f"{d.thermometer} speaks {result.protocol}, configured "
                        f"{d.thermometer_protocol}", f"set devices.thermometer_protocol = \"{result.protocol}\"")]
    return [Finding("thermometer", OK, f"{d.thermometer}: {result.protocol}, {result.readings[-1]:.1f} °C")]


def _scanner(settings: Settings) -> list[Finding]:
    scanner = settings.devices.scanner
    if not scanner or scanner == "keyboard":
        return [Finding("scanner", OK, "keyboard-wedge scanner (nothing to open)" if scanner else "none")]
    from devices.discovery import port_problem

    # Opened like the thermometer's port (a scanner is silent until it scans, so there is nothing to hear):
    # a COM name on Linux or a plain file is not "there".
    problem = port_problem(scanner)
    if problem:
        return [Finding("scanner", FAIL, problem, "gate-kiosk devices list")]
    return [Finding("scanner", OK, f"{scanner} opens")]


def _database(settings: Settings) -> list[Finding]:
    from db.store import EntryStore
    from db.engine import StoreError, current_revision

    sqlite = settings.sqlite_path
    if sqlite is not None and not sqlite.exists():
        folder = sqlite.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not os.access(folder, os.W_OK):
            return [Finding("database", FAIL, f"{sqlite} cannot be created: {folder} is not writable",
                            "set paths.data_dir to a writable folder")]
        return [Finding("database", OK, f"{sqlite} is made at the first start")]
    try:
        store = EntryStore(settings.database_url)
    except StoreError as exc:
        return [Finding("database", FAIL, str(exc), "check database.url, the folder's permissions, the server")]
    try:
        revision = current_revision(store.engine)
        out = [Finding("database", OK, f"{_safe_url(settings.database_url)} at revision {revision}"),
               _log_key(settings, store.initial_key_pending())]
        if settings.devices.thermometer and not settings.devices.thermometer.startswith("sim:"):
            out.append(_calibration(settings, store.latest_calibration(settings.devices.thermometer_id)))
        return out
    finally:
        store.close()


def _log_key(settings: Settings, pending: bool) -> Finding:
    """Whether K_0 (the key that proves the log was not rewritten) left the kiosk.

    It is not sent to the centre, even when central sync is configured: the kiosk
    reaches the centre with credentials kept on the kiosk, and the centre's setup
    has no role that may insert a key but never read it back, so a key stored
    there would be readable to whoever takes the kiosk. The printed sheet
    (``log-key handout``) is the way out; until it is run, the doctor warns.
    """
    if not pending:
        return Finding("log key", OK, "the initial log key was handed out (or no entry was logged yet)")
    central = " and is not sent to the centre by central sync" if settings.central.url else ""
    return Finding("log key", WARN, "the initial log key is still held in clear on this kiosk"
                   f"{central}: whoever takes the machine could rewrite the log without verify-log --key noticing",
                   "gate-kiosk log-key handout (print the sheet for the school and the bureau; it erases the "
                   "key from the kiosk)")


def _calibration(settings: Settings, record: CalibrationRecord | None) -> Finding:
    if record is None:
        return Finding("calibration", WARN, f"{settings.devices.thermometer_id} never calibrated",
                       "gate-kiosk calibrate --port … --protocol … --reference 37.0")
    at = record["performed_at"]
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    days = (datetime.now(timezone.utc) - at).days
    if days >= settings.calibration.interval_days:
        return Finding("calibration", WARN, f"last calibrated {days} days ago "
                       f"(due every {settings.calibration.interval_days})", "calibrate against a blackbody")
    return Finding("calibration", OK, f"calibrated {days} days ago, offset {record['offset_c']:+.2f} °C")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


def _font(settings: Settings) -> list[Finding]:
    from kiosk.reports import ExportError
    from kiosk.reports.pdf import find_cjk_font

    try:
        return [Finding("font", OK, f"PDF font {find_cjk_font()}")]
    except ExportError as exc:
        return [Finding("font", FAIL, str(exc), "reinstall gate-kiosk (the font ships with it)")]


def _keys(settings: Settings) -> list[Finding]:
    from kiosk.services.access import AdminAccess
    from kiosk.services.signedcode import SignedCodeError, load_public_key

    out = []
    bad = []
    for key_id, public in settings.trusted_issuers.items():
        try:
            load_public_key(public)
        except (SignedCodeError, ValueError):
            bad.append(key_id)
    if bad:
        out.append(Finding("keys", FAIL, f"issuers.trusted: unreadable key(s) {', '.join(bad)}",
                           "copy the issuer's public key again (base64, 44 characters)"))
    elif not settings.trusted_issuers and not settings.issuer_server_url:
        out.append(Finding("keys", WARN, "no trusted issuer and no issuer server: codes are read by colour only",
                           "add the county's key under [issuers.trusted] or set issuers.server_url"))
    else:
        out.append(Finding("keys", OK, f"{len(settings.trusted_issuers)} trusted issuer key(s)"
                           + (", issuer server set" if settings.issuer_server_url else "")))
    out.append(_export_key_finding(settings))
    access = AdminAccess(settings.data_dir)
    if not access.has_pin:
        out.append(Finding("pin", FAIL, "no admin PIN: settings, exports and overrides are unprotected",
                           "gate-kiosk admin set-pin"))
    elif access.weakness():
        out.append(Finding("pin", WARN, str(access.weakness()), "gate-kiosk admin set-pin --pin OLD --new-pin NEW"))
    else:
        out.append(Finding("pin", OK, "admin PIN set"))
    return out


def _export_key_finding(settings: Settings) -> Finding:
    from kiosk.reports.signing import export_key_path, sealed_key_path

    if settings.export_key_file is not None:
        return Finding("keys", OK, f"export signing key in a key file outside the data dir: {settings.export_key_file}")
    if sealed_key_path(settings.data_dir).exists():
        return Finding("keys", OK, f"export signing key sealed with the admin PIN: {sealed_key_path(settings.data_dir)}",
                       "stronger: keep it in a key file off this machine (paths.export_key)")
    if export_key_path(settings.data_dir).exists():
        return Finding("keys", WARN, f"export signing key not yet sealed with the PIN: {export_key_path(settings.data_dir)}",
                       "set the admin PIN and export once (or use paths.export_key)")
    return Finding("keys", OK, "export signing key is made at the first export")


def _disk(settings: Settings) -> list[Finding]:
    folder = settings.data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    text = f"{free / 1024 ** 3:.1f} GB free at {settings.data_dir}"
    if free < MIN_FREE_BYTES:
        return [Finding("disk", FAIL, text, "free space: old exports, or gate-kiosk purge --older-than 30d")]
    return [Finding("disk", OK, text)]


def _logs(settings: Settings) -> list[Finding]:
    from kiosk.config.operations import LOG_FILE, log_dir

    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".doctor-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return [Finding("logs", WARN, f"{folder}: not writable ({exc.strerror})", "fix the folder's permissions")]
    return [Finding("logs", OK, f"{folder / LOG_FILE}")]
