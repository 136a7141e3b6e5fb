"""The ``gate-kiosk`` command line.

Subcommands: ``run`` (the window; the default), ``check`` (one person,
headless), ``roster import``, ``db upgrade``, ``config show``. Every expected
failure (bad config, unwritable database, missing file, unknown lane) prints
one line on stderr and exits with status 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.domain import Element, Person
from kiosk.policy import PolicyError, person_kind_for_lane_arg
from kiosk.roster import RosterError

EXIT_USAGE = 2


class SteppedClock:
    """A clock that only moves when told to: the headless check's notion of time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class CliError(Exception):
    """An expected failure of a command: one line for the user, exit status 2."""


def _known_errors() -> tuple[type[BaseException], ...]:
    from db.central.store import CentralError
    from db.store import StoreError

    return (CliError, ConfigError, PolicyError, RosterError, StoreError, CentralError, FileNotFoundError)


# Subcommand registry: name -> (parser set-up, handler, help).
Handler = Callable[[argparse.Namespace, Settings], int]
Setup = Callable[[argparse.ArgumentParser], None]
_COMMANDS: dict[str, tuple[Setup, Handler, str]] = {}


def command(name: str, help_text: str, setup: Setup) -> Callable[[Handler], Handler]:
    """Register ``handler`` as subcommand ``name`` whose arguments ``setup`` declares."""
    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = (setup, handler, help_text)
        return handler
    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gate-kiosk", description="School gate-entry kiosk (三要素 / 三码联查).")
    parser.add_argument("--config", type=Path, help="config file (default: the platform config dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command")
    _register_more_commands()
    for name, (setup, _handler, help_text) in _COMMANDS.items():
        setup(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def _register_more_commands() -> None:
    # Modules that add subcommands register them on import (after this module exists).
    import kiosk.cli_codes  # noqa: F401
    import kiosk.cli_devices  # noqa: F401
    import kiosk.cli_reports  # noqa: F401
    import kiosk.cli_sync  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name = args.command or "run"
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "run"])
    try:
        settings = load_settings(args.config)
        if name not in ("central", "config"):
            from kiosk.sync import central_overlay

            settings = central_overlay(settings)  # the last roster/policy/keys pulled from the centre
        return _COMMANDS[name][1](args, settings)
    except _known_errors() as exc:
        print(f"gate-kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: the user gets one line, the details go to a file for the IT teacher
        path = _write_crash_report()
        print(f"gate-kiosk: unexpected error; details written to {path}", file=sys.stderr)
        return 1


def _write_crash_report() -> str:
    import tempfile
    import traceback

    from kiosk.config import default_data_dir

    text = traceback.format_exc()
    for folder in (default_data_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}.log"
            path.write_text(text, encoding="utf-8")
            return str(path)
        except OSError:
            continue
    return "(nowhere: no writable folder)"


# ----------------------------------------------------------------- commands
def _setup_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo", action="store_true", help="simulated camera and thermometer, nothing to configure")
    p.add_argument("--quit-after", type=float, metavar="S", help="close the window after S seconds")
    p.add_argument("--screenshot", type=Path, metavar="PNG", help="save a screenshot of the window when closing")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="window language (default: ui.language, zh_CN)")
    p.add_argument("--demo-scene", type=int, default=0, metavar="N", help="demo: start the cycle at person N")


@command("run", "open the guard's window", _setup_run)
def _run(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import run_window, demo_settings

    if args.demo:
        settings = demo_settings(settings)
    return run_window(settings, demo=args.demo, quit_after=args.quit_after, screenshot=args.screenshot,
                      language=args.lang, demo_scene=args.demo_scene)


def _setup_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lane", required=True, choices=["staff", "student", "worker", "visitor"])
    p.add_argument("--temp", type=float, action="append", default=[], metavar="C",
                   help="a temperature reading; repeat for a retake (readings in order)")
    p.add_argument("--mask", choices=["yes", "no"])
    p.add_argument("--confirm", action="append", default=[], metavar="ELEMENT",
                   help="the guard confirms an element by eye (health, itinerary, vaccine, card, "
                        "registration, nucleic_acid, mask)")
    p.add_argument("--reject", action="append", default=[], metavar="ELEMENT",
                   help="the guard judges an element failed")
    p.add_argument("--code", type=Path, action="append", default=[], metavar="IMAGE",
                   help="an image of a code the person shows")
    p.add_argument("--name")
    p.add_argument("--id", dest="id_number", help="ID number (masked and hashed, never stored)")
    p.add_argument("--person-ref", help="roster id (student or staff number)")
    p.add_argument("--returning", action="store_true", help="back from another area: nucleic acid required")
    p.add_argument("--guard", help="guard id for the log")


@command("check", "check one person headless and log the entry; prints one JSON object", _setup_check)
def _check(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_kiosk

    lane, kind = person_kind_for_lane_arg(args.lane)
    confirms = [_element(e) for e in args.confirm]
    rejects = [_element(e) for e in args.reject]
    for path in args.code:
        if not path.is_file():
            raise CliError(f"{path}: file not found")
    # A headless check does not wait in real time: readings given in order are
    # spaced by the retake wait on the check's own clock, so the second is the retake.
    clock = SteppedClock(datetime.now(timezone.utc))
    kiosk = build_kiosk(settings, clock=clock)
    try:
        controller = kiosk.controller
        if args.guard:
            controller.set_guard(args.guard)
        controller.set_lane(lane, kind)
        controller.start_visit(Person(kind, person_ref=args.person_ref, name=args.name,
                                      id_number=args.id_number, returning_from_risk_area=args.returning))
        with controller.collecting():
            for path in args.code:
                for check in kiosk.scan_file(path):
                    controller.code_seen(check)
            for element in confirms:
                controller.confirm(element, True)
            for element in rejects:
                controller.confirm(element, False)
            if args.mask:
                controller.confirm(Element.MASK, args.mask == "yes")
            for i, celsius in enumerate(args.temp):
                if i:
                    clock.advance(timedelta(seconds=settings.policy.retake_wait_s))
                controller.temperature(_typed(celsius))
        snap = controller.log_current()
        entry = kiosk.store.get(snap.entry_id) if snap.entry_id else None
        out: dict[str, Any] = {
            "decision": snap.decision.value,
            "reasons": [r.as_json() for r in snap.verdict.reasons],
            "flagged": bool(entry.flagged) if entry else snap.verdict.flagged,
            "entry_id": snap.entry_id,
            "lane": lane.value,
            "person_kind": snap.person.kind.value,
            "policy_version": snap.policy_version,
            "elements": {e.value: ev.as_json() for e, ev in snap.evidence.items()},
            "pending": [e.value for e in snap.verdict.pending],
        }
        print(json.dumps(out, ensure_ascii=False))
        return 0
    finally:
        kiosk.close()


def _typed(celsius: float) -> Any:
    from kiosk.domain import Source, TemperatureSample

    # Typed on the command line by a person, so it is a manual reading; it is
    # not allowed to jump the retake wait, hence not via type_temperature().
    return TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL)


def _element(name: str) -> Element:
    try:
        return Element(name)
    except ValueError:
        raise CliError(f"unknown element {name!r} (use: {', '.join(e.value for e in Element)})") from None


def _setup_roster(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="roster_command", required=True)
    imp = sub.add_parser("import", help="import a CSV or XLSX file: id, name, kind, class/department, card number")
    imp.add_argument("file", type=Path)


@command("roster", "manage the roster of students and staff", _setup_roster)
def _roster(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store
    from kiosk.roster import import_roster

    store = build_store(settings)
    try:
        report = import_roster(store, args.file)
    finally:
        store.close()
    print(f"imported {report.imported} new, updated {report.updated}, rejected {len(report.rejected)}")
    for line, why in report.rejected:
        print(f"  line {line}: {why}")
    return 0 if not report.rejected else 1


def _setup_db(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="db_command", required=True)
    sub.add_parser("upgrade", help="bring the database schema up to date (Alembic)")


@command("db", "database maintenance", _setup_db)
def _db(args: argparse.Namespace, settings: Settings) -> int:
    from db.store import EntryStore, current_revision

    store = EntryStore(settings.database_url)
    try:
        print(f"database at revision {current_revision(store.engine)}: {settings.database_url}")
    finally:
        store.close()
    return 0


def _setup_config(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", required=True)
    sub.add_parser("show", help="print the effective settings as JSON")


@command("config", "show the configuration in force", _setup_config)
def _config(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.as_dict(), ensure_ascii=False, indent=2, default=str))
    return 0
