"""Device subcommands of ``gate-kiosk``: devices list/probe, thermometer, simulate, calibrate.

``register`` adds them to the parser (``kiosk.cli.main.build_parser``). A missing port or a
wrong protocol is one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import queue
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.base import EXIT_NOTHING_HEARD, EXIT_USAGE, CliError, Subcommands, positive_int
from kiosk.cli.command import Needs, OtherDatabase, add_command
from kiosk.config.settings import DeviceSettings, Settings

if TYPE_CHECKING:
    from devices.thermometer import TemperatureReading, ThermometerStatus

PROTOCOL_CHOICES = ["ascii", "aa55", "gy-mcu", "modbus"]


def port_name(text: str) -> str:
    """An argparse type: a port name that says something (an empty one found the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: name a port, e.g. /dev/ttyUSB0 or COM3 (gate-kiosk devices list)")
    return text.strip()


def _port_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", required=True, type=port_name, help="device path, /dev/serial/by-id/…, or usb:VID:PID")
    p.add_argument("--protocol", required=True, choices=PROTOCOL_CHOICES)
    p.add_argument("--baud", type=int, default=0, help="default: the protocol's (115200, gy-mcu/modbus 9600)")
    p.add_argument("--timeout", type=float, default=15.0, help="give up after S seconds without enough readings")
    m = p.add_argument_group("modbus")
    m.add_argument("--slave", type=int, default=1, help="Modbus slave id")
    m.add_argument("--register", type=int, default=0, help="register of the object temperature")
    m.add_argument("--functioncode", type=int, default=3, choices=[3, 4])
    m.add_argument("--scale", type=float, default=0.1, help="°C per register count")
    m.add_argument("--ambient-register", type=int, help="register of the ambient temperature, if any")


def read_readings(port: str, d: DeviceSettings, count: int, *, timeout: float = 15.0) -> list[TemperatureReading]:
    """Open the port, collect ``count`` readings, close; a port that never opens is a CliError.

    The reader is the kiosk's own (``thermometer_device``) for the protocol and options in ``d``."""
    from devices.discovery import port_exists
    from devices.thermometer import PortNotFound, resolve_port
    from kiosk.app_adapters import thermometer_device

    try:
        path = resolve_port(port)
    except PortNotFound as exc:
        raise CliError(str(exc)) from None
    if not port_exists(path):
        raise CliError(f"{port}: no such serial port")
    readings: queue.Queue[TemperatureReading] = queue.Queue()
    statuses: list[ThermometerStatus] = []
    device = thermometer_device(d, port, readings.put, statuses.append)
    device.start()
    got: list[TemperatureReading] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < count and time.monotonic() < deadline:
            try:
                got.append(readings.get(timeout=0.2))
            except queue.Empty:
                continue
    finally:
        device.close()
    if len(got) < count:
        problems = [s.message for s in statuses if s.state in ("lost", "reconnecting", "silent")]
        last = problems[-1] if problems else ""
        detail = "nothing in the expected frame format: is the protocol right?" if not got else ""
        raise CliError(f"{port}: only {len(got)} of {count} readings in {timeout:.0f} s. {detail} {last}".strip())
    return got


def _thermometer_settings(args: argparse.Namespace, settings: Settings, thermometer_id: str = "thermo-1") -> DeviceSettings:
    """The config's ``[devices]`` with the thermometer the command line names (port options, Modbus registers)."""
    return replace(settings.devices, thermometer_protocol=args.protocol, thermometer_baud=args.baud,
                   thermometer_id=thermometer_id, modbus_slave=args.slave, modbus_register=args.register,
                   modbus_functioncode=args.functioncode, modbus_scale=args.scale,
                   modbus_ambient_register=-1 if args.ambient_register is None else args.ambient_register)


def _setup_thermometer(p: argparse.ArgumentParser) -> None:
    _port_args(p)
    p.add_argument("--count", type=positive_int, default=5)
    p.add_argument("--json", action="store_true", help="one JSON line per reading")


def _thermometer(args: argparse.Namespace, settings: Settings) -> int:
    for r in read_readings(args.port, _thermometer_settings(args, settings), args.count, timeout=args.timeout):
        row = {"celsius": r.celsius, "raw": r.frame.hex(" ") if r.frame else None, "ambient": r.ambient,
               "at": r.at.isoformat()}
        print(json.dumps(row) if args.json else f"{r.at:%H:%M:%S.%f} {r.celsius:.2f} °C"
              + (f" (ambient {r.ambient:.2f})" if r.ambient is not None else ""))
    return 0


def _setup_simulate(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="device", required=True)
    t = sub.add_parser("thermometer", help="a thermometer on a pty; prints the port path first")
    t.add_argument("--protocol", required=True, choices=PROTOCOL_CHOICES)
    t.add_argument("--interval", type=float, default=0.5, help="seconds between readings")
    t.add_argument("--fever-rate", type=float, default=0.0, help="share of readings that are fevers (0–1)")
    t.add_argument("--garbage-rate", type=float, default=0.0, help="share of readings preceded by garbage bytes")
    t.add_argument("--bad-checksum-rate", type=float, default=0.0)
    t.add_argument("--mean", type=float, default=36.5, help="mean reading, °C (a blackbody: its set point)")
    t.add_argument("--noise", type=float, default=0.25, help="standard deviation of readings, °C")
    t.add_argument("--link", type=Path, help="also make this symlink to the pty (like /dev/serial/by-id)")
    t.add_argument("--seed", type=int)
    g = sub.add_parser("gate", help="the whole gate headless: simulated people and devices, a database of its own")
    own_database = OtherDatabase("database of the simulated gate (default: demo.sqlite3 beside the real log; "
                                 "the production log is refused)", simulated=True)
    g.set_defaults(needs=Needs(db=own_database))  # the simulated thermometer alone needs no database
    g.add_argument("--db", metavar="PATH|URL", help=own_database.help)
    g.add_argument("--people", type=positive_int, default=20)
    g.add_argument("--rate", type=float, default=2.0, help="people per second")
    g.add_argument("--seed", type=int)


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    if args.device == "gate":
        from kiosk.sim.gatesim import simulate_gate

        if not 0.1 <= args.rate <= 20:
            raise CliError("--rate must be between 0.1 and 20 people per second")
        return simulate_gate(settings, people=args.people, rate=args.rate, seed=args.seed)
    from devices.simulators import ThermometerSimulator

    for name in ("fever_rate", "garbage_rate", "bad_checksum_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise CliError(f"--{name.replace('_', '-')} must be between 0 and 1")
    sim = ThermometerSimulator(args.protocol, interval_s=args.interval, fever_rate=args.fever_rate,
                               garbage_rate=args.garbage_rate, bad_checksum_rate=args.bad_checksum_rate,
                               seed=args.seed, link=args.link, mean_c=args.mean, noise_c=args.noise)
    print(sim.path, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sim.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


def _setup_calibrate(p: argparse.ArgumentParser) -> None:
    _port_args(p)
    p.add_argument("--reference", type=float, required=True, help="the reference source's temperature, °C")
    p.add_argument("--count", type=positive_int, default=10)
    p.add_argument("--operator", default="", help="who calibrated (default: the site's guard id)")
    p.add_argument("--thermometer-id", help="default: devices.thermometer_id from the config")
    p.add_argument("--ambient", type=float, help="room temperature during calibration, °C")
    p.add_argument("--ambient-coefficient", type=float, default=0.0,
                   help="°C of correction per °C of ambient away from --ambient (0: none)")


def _calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, timezone

    from kiosk.app import build_store
    from kiosk.services.thermometry import CalibrationError, compute_calibration

    thermometer_id = args.thermometer_id or settings.devices.thermometer_id
    readings = read_readings(args.port, _thermometer_settings(args, settings, thermometer_id), args.count,
                             timeout=args.timeout)
    try:
        cal = compute_calibration(
            [r.celsius for r in readings], args.reference, thermometer_id=thermometer_id,
            operator=args.operator or settings.site.guard_id, at=datetime.now(timezone.utc),
            ambient_c=args.ambient if args.ambient is not None else readings[-1].ambient,
            ambient_coefficient=args.ambient_coefficient,
        )
    except CalibrationError as exc:
        raise CliError(f"calibration refused: {exc}") from None
    store = build_store(settings)
    try:
        store.add_calibration(cal.as_record())
        store.audit(cal.operator, "calibrate", {"thermometer_id": thermometer_id, "calibration_id": cal.id,
                                                "offset_c": cal.offset_c, "residual_c": cal.residual_c})
    finally:
        store.close()
    print(json.dumps({"calibration_id": cal.id, "thermometer_id": thermometer_id, "reference_c": cal.reference_c,
                      "mean_c": round(sum(cal.readings) / len(cal.readings), 3), "offset_c": cal.offset_c,
                      "residual_c": cal.residual_c, "readings": list(cal.readings),
                      "due_days": settings.calibration.interval_days}, ensure_ascii=False))
    print(f"calibrated {thermometer_id}: offset {cal.offset_c:+.2f} °C, residual ±{cal.residual_c:.2f} °C",
          file=sys.stderr)
    return 0


def _setup_devices(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="devices_command", required=True)
    ls = sub.add_parser("list", help="cameras and serial ports on this machine, with what to put in the config")
    ls.add_argument("--json", action="store_true", help="one JSON object: {cameras: [...], serial_ports: [...]}")
    pr = sub.add_parser("probe", help="find which thermometer protocol and baud rate a port speaks",
                        description="find which thermometer protocol and baud rate a port speaks",
                        epilog=f"exit status: 0 found, {EXIT_NOTHING_HEARD} listened but no thermometer protocol "
                        f"spoke (powered? the right port?), {EXIT_USAGE} the port cannot be opened or a usage error")
    pr.add_argument("--port", required=True, type=port_name,
                    help="device path, COM3, /dev/serial/by-id/…, or usb:VID:PID")
    pr.add_argument("--budget", type=float, default=10.0, help="give up after S seconds (default 10)")
    pr.add_argument("--json", action="store_true")


def _devices(args: argparse.Namespace, settings: Settings) -> int:
    from devices.discovery import list_cameras, list_serial_ports, probe_thermometer

    if args.devices_command == "probe":
        if not 1.0 <= args.budget <= 120.0:
            raise CliError("--budget must be between 1 and 120 seconds")
        result = probe_thermometer(args.port, budget_s=args.budget)
        if args.json:
            print(json.dumps(result.as_json(), ensure_ascii=False))
        elif result.found:
            ambient = f", ambient {result.ambient:.1f} °C" if result.ambient is not None else ""
            print(f"{args.port}: {result.protocol} at {result.baud} baud, reading {result.readings[-1]:.1f} °C"
                  f"{ambient}")
            reading = result.readings[-1]
            if not settings.policy.plausible(reading):
                print(f"note: {reading:.1f} °C is outside a person's plausible {settings.policy.plausible_min_c:.1f}"
                      f"–{settings.policy.plausible_max_c:.1f} °C: point it at a forehead and probe again, or check "
                      f"the thermometer's mode (object, not ambient)")
            # Lines to paste into config.toml as they are (the kiosk writes them itself in its setup).
            print("config.toml:\n[devices]")
            print(f"thermometer = {json.dumps(args.port)}")  # the port itself, then how it speaks
            for key, value in result.config.items():
                print(f"{key} = {json.dumps(value)}")
        if result.listened:  # not a usage error: the port is there, nothing on it spoke a known protocol
            print(f"gate-kiosk: {result.error}", file=sys.stderr)
            return EXIT_NOTHING_HEARD
        if not result.found:
            raise CliError(result.error)
        return 0
    cameras, ports = list_cameras(), list_serial_ports()
    if args.json:
        print(json.dumps({"cameras": [c.as_json() for c in cameras],
                          "serial_ports": [p.as_json() for p in ports]}, ensure_ascii=False))
        return 0
    print("Cameras (devices.camera):" if cameras else "Cameras: none found")
    for c in cameras:
        sizes = ", ".join(f"{w}x{h}" for w, h in c.resolutions[:6]) or "sizes not listed"
        print(f"  {c.uri:<10} {c.name}  [{sizes}]")
    print("Serial ports (devices.thermometer):" if ports else "Serial ports: none found")
    for p in ports:
        ids = f" USB {p.vid_pid}" if p.vid_pid else ""
        print(f"  {p.suggested}  ({p.device}{ids}) {p.description}")
    if ports:
        print("Next: gate-kiosk devices probe --port PORT   finds the thermometer's protocol")
    return 0


def register(sub: Subcommands) -> None:
    """Add the device commands to ``gate-kiosk``."""
    add_command(sub, 'thermometer', 'read N temperatures from a serial thermometer',
                _setup_thermometer, _thermometer)
    add_command(sub, 'simulate', 'run a simulated device, or the whole gate, for demos and tests',
                _setup_simulate, _simulate)
    add_command(sub, 'calibrate', 'calibrate a thermometer against a blackbody or clinical thermometer',
                _setup_calibrate, _calibrate)
    add_command(sub, 'devices', "find cameras and serial ports, and probe a thermometer's protocol",
                _setup_devices, _devices, Needs(missing_config_ok=True))
