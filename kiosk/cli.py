"""The ``gate-kiosk`` command line.

Subcommands: ``run`` (the window; the default), ``check`` (one person,
headless), ``roster import``, ``db upgrade``, ``config show``. Every expected
failure (bad config, unwritable database, missing file, unknown lane) prints
one line on stderr and exits with status 2; no traceback reaches the user.
``check`` exits 3 when it reached a verdict but its entry is not in the log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, Settings, load_settings
from kiosk.domain import Element, Person, PersonKind
from kiosk.gate import ConfirmRefused
from kiosk.ports import SteppedClock
from kiosk.policy import PolicyError, person_kind_for_lane_arg
from kiosk.roster import RosterError

EXIT_USAGE = 2
EXIT_NOT_LOGGED = 3  # check: a verdict was reached but its entry is not in the log
log = logging.getLogger(__name__)


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
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name in DB_COMMANDS and name != "simulate":  # simulate takes it on ``simulate gate``
            command_parser.add_argument(
                "--db", metavar="PATH|URL",
                help=DB_COMMANDS[name] + " (an SQLite file path or an SQLAlchemy URL)")
        setup(command_parser)
        if name in DB_COMMANDS and name != "simulate":
            # Also after a sub-command (``report weekly --db X``), without hiding one given before it.
            for action in command_parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for child in action.choices.values():
                        child.add_argument("--db", metavar="PATH|URL", default=argparse.SUPPRESS,
                                           help=DB_COMMANDS[name])
    return parser


# Commands that take --db: the simulations write to their own database (never the
# production log); the readers can read such a database.
DB_COMMANDS = {
    "simulate": "database of the simulated gate (default: demo.sqlite3 beside the real log)",
    "demo-data": "database for the demo entries (default: demo.sqlite3 beside the real log)",
    "export": "read this database instead of the real log",
    "report": "read this database instead of the real log",
    "verify-log": "check this database instead of the real log",
}
SIMULATIONS = ("simulate", "demo-data")


def _with_database(name: str, args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings a command runs with: a simulation never touches the production log."""
    from dataclasses import replace

    db = getattr(args, "db", None)
    if name in SIMULATIONS and (name != "simulate" or getattr(args, "device", "") == "gate"):
        url = _database_arg(db, settings) if db else f"sqlite:///{settings.data_dir / 'demo.sqlite3'}"
        if _same_database(url, settings.database_url):
            raise CliError("the demo database is the production log: set database.url or pass --db")
        if _holds_live_entries(url):
            raise CliError(f"{db or url}: this database holds live entries (a gate's real log); "
                           "simulated entries never go there")
        return replace(settings, database_url=url, own_log=False)
    if db and name in DB_COMMANDS:
        url = _url_of(db)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
            raise CliError(f"{db}: no such database file")
        return replace(settings, database_url=url, own_log=False)
    return settings


def _register_more_commands() -> None:
    # Modules that add subcommands register them on import (after this module exists).
    import kiosk.cli_codes  # noqa: F401
    import kiosk.cli_devices  # noqa: F401
    import kiosk.cli_reports  # noqa: F401
    import kiosk.cli_sync  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    from kiosk.operations import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    name = args.command or "run"
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "run"])
    try:
        if name == "doctor":  # the doctor reports a broken config as one finding among others
            from kiosk.doctor import run_doctor

            return run_doctor(args.config, as_json=args.json)
        if name in ("run", "devices"):
            _create_named_config(args.config)
        settings = _with_database(name, args, load_settings(args.config))
        if name not in ("central", "config"):
            from kiosk.sync import central_overlay

            settings = central_overlay(settings)  # the last roster/policy/keys pulled from the centre
        return _COMMANDS[name][1](args, settings)
    except _known_errors() as exc:
        print(f"gate-kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except Exception:  # a bug: the user gets one line, the details go to a file for the IT teacher
        # The traceback goes to the crash file and the log file, not to the terminal (one line there).
        log.warning("unexpected error in %s", name, exc_info=True)
        path = _write_crash_report()
        print(f"gate-kiosk: unexpected error; details written to {path}", file=sys.stderr)
        return 1


def _create_named_config(path: Path | None) -> None:
    """A config file named (--config or $GATE_KIOSK_CONFIG) but not there yet: the first-run setup
    writes it, so it starts empty (0600) instead of being an error; device discovery needs none."""
    import os

    target = path or (Path(os.environ["GATE_KIOSK_CONFIG"]) if os.environ.get("GATE_KIOSK_CONFIG") else None)
    if target is None or target.exists() or str(target) == os.devnull:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise CliError(f"{target}: cannot create the config file: {exc.strerror}") from None


def _closed_pipe() -> int:
    """The reader of our output went away (``| head``): not an error to report, and no crash file.

    stdout is pointed at devnull so that the interpreter's final flush does not raise again.
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a program stopped by a closed pipe


def _write_crash_report() -> str:
    import tempfile
    import traceback

    from db.store import write_private
    from kiosk.operations import log_dir

    text = traceback.format_exc()
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{datetime.now():%Y%m%d-%H%M%S}.log"
            write_private(path, text)  # tracebacks may name people and paths: 0600
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
    p.add_argument("--setup", action="store_true", help="open the setup (devices, school, PIN) before the gate")
    p.add_argument("--fullscreen", action="store_true", help="full screen whatever ui.fullscreen says (gate PCs)")


@command("run", "open the guard's window", _setup_run)
def _run(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import run_window, demo_settings

    missing = missing_display()
    if missing:
        raise CliError(missing)
    if args.demo:
        settings = demo_settings(settings)
    if args.fullscreen:
        from dataclasses import replace

        settings = replace(settings, ui=replace(settings.ui, fullscreen=True))
    return run_window(settings, demo=args.demo, quit_after=args.quit_after, screenshot=args.screenshot,
                      language=args.lang, demo_scene=args.demo_scene, setup=args.setup)


def missing_display() -> str | None:
    """Why the window cannot open here (Linux with no X11 or Wayland display), or None.

    Qt would abort (exit 134) with a paragraph about platform plugins; the IT
    teacher who typed ``run`` over ssh needs one line.
    """
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, eglfs, linuxfb, vnc: no desktop display needed
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on ($DISPLAY and $WAYLAND_DISPLAY are empty): run it in the gate "
            "PC's desktop session (or ssh -X); `check` and `doctor` need no display")


def _setup_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lane", required=True, choices=["staff", "student", "worker", "visitor"])
    p.add_argument("--temp", type=float, action="append", default=[], metavar="C",
                   help="a temperature reading; repeat for a retake (readings in order)")
    p.add_argument("--mask", choices=["yes", "no"])
    p.add_argument("--confirm", action="append", default=[], metavar="ELEMENT[=SEEN]",
                   help="the guard confirms an element by eye (health, itinerary, vaccine, card, "
                        "registration, nucleic_acid, mask); health alone means a green code was seen, "
                        "health=yellow or health=red records another colour; itinerary=risk, vaccine=none")
    p.add_argument("--reject", action="append", default=[], metavar="ELEMENT",
                   help="the guard judges an element failed (health: a red code was seen)")
    p.add_argument("--kind", choices=[k.value for k in PersonKind],
                   help="who the person is (default: from --lane)")
    p.add_argument("--group", help="roster group or post (e.g. 门卫): key posts need a recent negative test")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the reasons' words")
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
    if args.kind:
        kind = PersonKind(args.kind)
    confirms = [_seen(e) for e in args.confirm]
    rejects = [_element(e) for e in args.reject]
    if any(e is Element.TEMPERATURE for e, _ in confirms) or Element.TEMPERATURE in rejects:
        raise CliError("a temperature is a reading: give it with --temp C")
    said_mask = {seen or "yes" for e, seen in confirms if e is Element.MASK} | {"no" for e in rejects
                                                                                if e is Element.MASK}
    if args.mask:
        said_mask.add(args.mask)
    if len(said_mask) > 1:
        raise CliError("--mask and --confirm/--reject mask disagree: say once what the guard saw")
    for path in args.code:
        if not path.is_file():
            raise CliError(f"{path}: file not found")
    # A headless check does not wait in real time: readings given in order are
    # spaced by the retake wait on the check's own clock, so the second is the retake.
    for celsius in args.temp:
        if not math.isfinite(celsius) or not 20.0 <= celsius <= 45.0:
            raise CliError(f"--temp {celsius}: a body temperature in °C, between 20 and 45")
    # The last reading is now (the time the person is judged); earlier ones lie back by the retake
    # wait, so an entry is never stamped in the future (the log would flag the next one as a clock set back).
    clock = SteppedClock(datetime.now(timezone.utc)
                         - timedelta(seconds=settings.policy.retake_wait_s * max(0, len(args.temp) - 1)))
    kiosk = build_kiosk(settings, clock=clock)
    try:
        controller = kiosk.controller
        if args.guard:
            controller.set_guard(args.guard)
        controller.set_lane(lane, kind)
        controller.start_visit(Person(kind, person_ref=args.person_ref, name=args.name,
                                      id_number=args.id_number, returning_from_risk_area=args.returning,
                                      group=args.group))
        with controller.collecting():
            for path in args.code:
                for check in kiosk.scan_file(path):
                    controller.code_seen(check)
            try:
                for element, seen in confirms:
                    controller.confirm(element, True, value=seen)
                for element in rejects:
                    controller.confirm(element, False)
            except (ConfirmRefused, ValueError) as exc:
                raise CliError(str(exc)) from None
            if args.mask:
                controller.confirm(Element.MASK, args.mask == "yes")
            for i, celsius in enumerate(args.temp):
                if i:
                    clock.advance(timedelta(seconds=settings.policy.retake_wait_s))
                controller.temperature(_typed(celsius))
        snap = controller.log_current()
        entry = _committed_entry(kiosk, snap.entry_id)
        out: dict[str, Any] = {
            "decision": snap.decision.value,
            "reasons": [dict(r.as_json(), message=r.words(args.lang)) for r in snap.verdict.reasons],
            "flagged": bool(entry.flagged) if entry else snap.verdict.flagged,
            "entry_id": snap.entry_id,
            "lane": lane.value,
            "person_kind": snap.person.kind.value,
            "policy_version": snap.policy_version,
            "elements": {e.value: ev.as_json() for e, ev in snap.evidence.items()},
            "pending": [e.value for e in snap.verdict.pending],
            "logged": entry is not None,
        }
        print(json.dumps(out, ensure_ascii=False))
        if entry is None:
            # Acknowledged means written: a verdict whose entry is not committed is not
            # in the log, so say so and fail (and where it waits, if it reached the spool).
            writer = kiosk.controller.writer
            where = (f"; it waits in {writer.spool.path} and is written at the next start"
                     if writer.on_disk and writer.spool else "")
            print(f"gate-kiosk: error: entry {snap.entry_id} was NOT saved: the database is not writable "
                  f"({kiosk.store.url}); the verdict above is not in the log{where}", file=sys.stderr)
            return EXIT_NOT_LOGGED
        return 0
    finally:
        kiosk.close()


def _committed_entry(kiosk: Any, entry_id: str | None) -> Any:
    """The entry as committed in the log, or None when it only waits in the queue."""
    if entry_id is None:
        return None
    with contextlib.suppress(Exception):  # the store being down is exactly the case asked about
        # No second try: the write already waited the store's whole lock limit.
        if not kiosk.controller.waiting_entries:
            return kiosk.store.get(entry_id)
    return None


def _typed(celsius: float) -> Any:
    from kiosk.domain import Source, TemperatureSample

    # Typed on the command line by a person, so it is a manual reading; it is
    # not allowed to jump the retake wait, hence not via type_temperature().
    return TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL)


def _seen(spec: str) -> tuple[Element, str | None]:
    """``health`` or ``health=red``: an element and what the guard saw (None: all is well)."""
    from kiosk.gate import SEEN_VALUES

    name, equals, seen = spec.partition("=")
    element = _element(name.strip())
    if equals and not seen.strip():
        raise CliError(f"--confirm {spec}: say what was seen after '='")
    if not seen:
        return element, None
    allowed = SEEN_VALUES.get(element, ("ok", "wrong"))
    if seen.strip() not in allowed:
        raise CliError(f"--confirm {spec}: {element.value} can be seen as {', '.join(allowed)}")
    return element, seen.strip()


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
    from db.store import current_revision
    from kiosk.app import build_store

    store = build_store(settings)
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


def _setup_scenario(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="scenario_command", required=True)
    run = sub.add_parser("run", help="run scenario files headless and check their banners and ledger rows")
    run.add_argument("files", type=Path, nargs="+", metavar="FILE.toml")
    run.add_argument("--db", metavar="PATH|URL",
                     help="database for the scenario's rows (default: a fresh one per scenario in a temporary "
                          "folder); the production log is refused")
    run.add_argument("--json", action="store_true", help="print the rows each scenario left as JSON")


@command("scenario", "run gate scenarios (a timeline of scenes, readings and keys) headless", _setup_scenario)
def _scenario(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from kiosk.scenario import ScenarioError, load_scenario, run_headless, scenario_settings

    failures = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(f"FAIL {path}: {exc}")
            failures += 1
            continue
        with tempfile.TemporaryDirectory(prefix="gate-scenario-") as tmp:
            url = _database_arg(args.db, settings) if args.db else f"sqlite:///{Path(tmp) / 'scenario.sqlite3'}"
            run_settings = scenario_settings(settings, scenario, Path(tmp) / "data", url)
            try:
                rows = run_headless(scenario, run_settings)
            except ScenarioError as exc:
                print(f"FAIL {path.name}: {exc}")
                failures += 1
                continue
            except (ValueError, TypeError, KeyError, OverflowError) as exc:
                # A value of the wrong kind in the file (a word where a number goes, ...).
                print(f"FAIL {path.name}: the scenario has a bad value: {type(exc).__name__}: {exc}")
                failures += 1
                continue
        print(f"ok   {path.name}: {scenario.name} ({len(rows)} rows)")
        if args.json:
            print(json.dumps([{"decision": r.decision, "flagged": r.flagged, "kind": r.person_kind,
                               "reasons": [x.get("code") for x in r.reasons], "codes": len(r.codes or [])}
                              for r in rows], ensure_ascii=False))
    print(f"scenarios: {len(args.files) - failures} ok, {failures} failed")
    return 1 if failures else 0


def _database_arg(value: str, settings: Settings) -> str:
    """``--db PATH|URL`` for commands that must not touch the production log."""
    url = _url_of(value)
    if _same_database(url, settings.database_url):
        raise CliError(f"{value}: that is the production log; simulated entries never go there")
    return url


def _url_of(value: str) -> str:
    """``--db PATH|URL`` as an SQLAlchemy URL (a path is an SQLite file)."""
    return value if "://" in value else f"sqlite:///{Path(value).expanduser().resolve()}"


def _holds_live_entries(url: str) -> bool:
    """Whether a database already holds entries of a live gate (whatever its path or link)."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            if "entries" not in tables:
                return False
            columns = {c["name"] for c in inspect(conn).get_columns("entries")}
            if "origin" not in columns:  # written before entries said where they came from: a real log
                return bool(conn.execute(text("SELECT 1 FROM entries LIMIT 1")).first())
            row = conn.execute(text("SELECT 1 FROM entries WHERE origin IS NULL OR origin = 'live' LIMIT 1"))
            return row.first() is not None
    except SQLAlchemyError as exc:
        raise CliError(f"cannot read {url}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()


def _same_database(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        if url.startswith("sqlite:///"):
            return "sqlite:///" + str(Path(url[len("sqlite:///"):]).expanduser().resolve())
        return url.rstrip("/")
    return norm(a) == norm(b)


def _setup_registration(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="registration_command", required=True)
    reveal = sub.add_parser("reveal", help="show a worker's full phone and ID number for a contact-tracing request "
                                           "(admin PIN; audited)")
    reveal.add_argument("entry_id")
    reveal.add_argument("--reason", required=True, help="the tracing request this is for (kept in the audit log)")
    reveal.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


@command("registration", "sealed registration details of temporary workers (contact tracing)", _setup_registration)
def _registration(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from kiosk.cli_reports import admin_store
    from kiosk.sealing import RegistrationSealer, SealError

    if not args.reason.strip():
        raise CliError("--reason must say which tracing request this is for")
    pin = args.pin or os.environ.get("GATE_KIOSK_PIN")
    with admin_store(settings, pin, "reveal_registration") as (store, _pin):
        from kiosk.access import AdminAccess

        if not AdminAccess(settings.data_dir, ledger=store).has_pin:
            raise CliError("set an admin PIN first (gate-kiosk admin set-pin): revealing needs it")
        entry = store.get(args.entry_id)
        if entry is None:
            raise CliError(f"no entry {args.entry_id}")
        if not entry.registration_sealed:
            raise CliError(f"entry {args.entry_id} has no sealed registration")
        try:
            details = RegistrationSealer(settings.data_dir).open(entry.registration_sealed)
        except SealError as exc:
            raise CliError(str(exc)) from None
        store.audit(settings.site.guard_id, "reveal_registration",
                    {"entry_id": entry.id, "reason": args.reason.strip()})
    print(json.dumps({"entry_id": entry.id, **details}, ensure_ascii=False))
    return 0


def _setup_doctor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="the findings as one JSON list")


@command("doctor", "check config, devices, database, fonts, keys, calibration and disk; say what to fix",
         _setup_doctor)
def _doctor(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.doctor import run_doctor  # main() calls it before loading the config; kept for completeness

    return run_doctor(args.config, as_json=args.json)


def _setup_autostart(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="autostart_command", required=True)
    sub.add_parser("install", help="open the kiosk full screen at login and restart it if it dies")
    sub.add_parser("remove", help="undo install")


@command("autostart", "a dedicated gate PC: start the kiosk at login (systemd user service / Windows Run key)",
         _setup_autostart)
def _autostart(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.autostart import AutostartError, home_dir, install, remove

    if args.autostart_command == "install":
        try:
            written = install(home_dir(), settings.source_path)
        except AutostartError as exc:
            for path in exc.written:
                print(f"wrote {path}")
            print(f"gate-kiosk: error: {exc}", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
        print("The kiosk now starts at login, full screen, and comes back if it stops. "
              "For a gate PC, also turn on automatic login (README: 'A dedicated gate PC').")
    else:
        for path in remove(home_dir()):
            print(f"removed {path}")
    return 0
