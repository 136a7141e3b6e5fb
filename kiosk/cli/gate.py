"""The gate's own commands: ``run`` (the window), ``check`` (one person, headless), ``config``, ``scenario``."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config.settings import ConfigError, Settings
from kiosk.domain.model import Element, Lane, Person, PersonKind
from kiosk.domain.policy import PolicyError
from kiosk.services.gate import ConfirmRefused
from kiosk.services.ports import SteppedClock

from kiosk.cli.base import CliError, EXIT_NOT_LOGGED, EXIT_USAGE, Subcommands
from kiosk.cli.command import Needs, add_command, database_arg

if TYPE_CHECKING:
    from db.records import EntryRecord
    from kiosk.app import Kiosk
    from kiosk.domain.model import TemperatureSample
    from kiosk.domain.visit import VisitSnapshot


def _setup_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--demo", action="store_true", help="simulated camera and thermometer, nothing to configure")
    p.add_argument("--quit-after", type=float, metavar="S", help="close the window after S seconds (with --setup: the setup, and end there if it is still open)")
    p.add_argument("--screenshot", type=Path, metavar="PNG", help="save a screenshot of the window when closing")
    p.add_argument("--lang", choices=["zh_CN", "en"], help="window language (default: ui.language, zh_CN)")
    p.add_argument("--demo-scene", type=int, default=0, metavar="N", help="demo: start the cycle at person N")
    p.add_argument("--setup", action="store_true", help="open the setup (devices, school, PIN) before the gate")
    p.add_argument("--fullscreen", action="store_true", help="full screen whatever ui.fullscreen says (gate PCs)")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import run_window
    from kiosk.sim.demo import demo_settings

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


def _run_with_broken_config(args: argparse.Namespace, error: ConfigError) -> int:
    """The config file cannot be read: with a display, the window says so too (``run --setup``: setup anew)."""
    from kiosk.app import run_window
    from kiosk.config.loading import config_path, unwritten_settings

    if args.demo or missing_display():
        return EXIT_USAGE  # the line on the terminal is all there is
    return run_window(unwritten_settings(config_path(args.config)), quit_after=args.quit_after,
                      language=args.lang, setup=args.setup, broken_config=str(error))


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


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_kiosk

    lane, kind = lane_and_kind(args.lane)
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
            "reasons": _reasons(snap, entry, args.lang),
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


def _reasons(snap: VisitSnapshot, entry: EntryRecord | None, lang: str) -> list[dict[str, Any]]:
    """The verdict's reasons, and every reason the log stored besides (a clock set back: ``clock_backwards``)."""
    from kiosk.domain.vocabulary import reason_words

    out = [dict(r.as_json(), message=r.words(lang)) for r in snap.verdict.reasons]
    shown = {r["code"] for r in out}
    for stored in (entry.reasons or []) if entry is not None else []:
        if isinstance(stored, dict) and stored.get("code") not in shown:
            params = dict(stored.get("params") or {}, **{k: v for k, v in stored.items()
                                                          if k not in ("element", "code", "hard", "message", "params")})
            out.append({"element": stored.get("element"), "code": stored.get("code"), "params": params,
                        "message": reason_words(str(stored.get("code")), params, stored.get("element"), lang),
                        "hard": bool(stored.get("hard"))})
    return out


def _committed_entry(kiosk: Kiosk, entry_id: str | None) -> EntryRecord | None:
    """The entry as committed in the log, or None when it only waits in the queue."""
    if entry_id is None:
        return None
    with contextlib.suppress(Exception):  # the store being down is exactly the case asked about
        # No second try: the write already waited the store's whole lock limit.
        if not kiosk.controller.waiting_entries:
            return kiosk.store.get(entry_id)
    return None


def _typed(celsius: float) -> TemperatureSample:
    from kiosk.domain.model import Source, TemperatureSample

    # Typed on the command line by a person, so it is a manual reading; it is
    # not allowed to jump the retake wait, hence not via type_temperature().
    return TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL)


def _seen(spec: str) -> tuple[Element, str | None]:
    """``health`` or ``health=red``: an element and what the guard saw (None: all is well)."""
    from kiosk.services.gate import SEEN_VALUES

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


def _setup_config(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="config_command", required=True)
    sub.add_parser("show", help="print the effective settings as JSON")


def _config(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(settings.as_dict(), ensure_ascii=False, indent=2, default=str))
    problem = database_driver_problem(settings.database_url)
    if problem:
        print(f"gate-kiosk: warning: database.url: {problem}", file=sys.stderr)
    return 0


def database_driver_problem(url: str) -> str | None:
    """Why SQLAlchemy could not open ``url`` here (an unknown dialect, a driver not installed), or None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        return str(exc).splitlines()[0]
    except ImportError as exc:
        return f"the driver for {url.split(':', 1)[0]} is not installed ({exc.name or exc})"
    return None


def _setup_scenario(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="scenario_command", required=True)
    run = sub.add_parser("run", help="run scenario files headless and check their banners and ledger rows")
    run.add_argument("files", type=Path, nargs="+", metavar="FILE.toml")
    run.add_argument("--db", metavar="PATH|URL",
                     help="database for the scenario's rows (default: a fresh one per scenario in a temporary "
                          "folder); the production log is refused")
    run.add_argument("--json", action="store_true", help="print the rows each scenario left as JSON")


def _scenario(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from kiosk.sim.scenes import ScenarioError
    from kiosk.sim.scenario import load_scenario, run_headless, scenario_settings

    failures = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(f"FAIL {path}: {exc}")
            failures += 1
            continue
        with tempfile.TemporaryDirectory(prefix="gate-scenario-") as tmp:
            url = database_arg(args.db, settings) if args.db else f"sqlite:///{Path(tmp) / 'scenario.sqlite3'}"
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


def register(sub: Subcommands) -> None:
    """Add the gate's commands to ``gate-kiosk``."""
    add_command(sub, 'run', "open the guard's window",
                _setup_run, _run,
                Needs(missing_config_ok=True, by_default=True, on_config_error=_run_with_broken_config))
    add_command(sub, 'check', 'check one person headless and log the entry; prints one JSON object',
                _setup_check, _check)
    add_command(sub, 'config', 'show the configuration in force',
                _setup_config, _config)
    add_command(sub, 'scenario', 'run gate scenarios (a timeline of scenes, readings and keys) headless',
                _setup_scenario, _scenario)


def lane_and_kind(lane: str) -> tuple[Lane, PersonKind]:
    """Map the CLI's ``--lane staff|student|worker`` to a lane and a default kind."""
    table = {
        "staff": (Lane.CAMPUS, PersonKind.STAFF),
        "student": (Lane.CAMPUS, PersonKind.STUDENT),
        "worker": (Lane.WORKER, PersonKind.OTHER_WORKER),
        "visitor": (Lane.WORKER, PersonKind.VISITOR),
    }
    if lane not in table:
        raise PolicyError(f"unknown lane {lane!r}: use staff, student, worker or visitor")
    return table[lane]
