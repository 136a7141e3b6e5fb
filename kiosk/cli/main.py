"""The ``gate-kiosk`` command line: the parser, and running one command with one-line errors.

The commands live in their groups (``gate``, ``admin``, ``codes``, ``devices``, ``reports``, ``entrylog``,
``sync``), each adding its own with ``register(subparsers)`` and declaring there what each needs
(``kiosk.cli.command.Needs``: config, database, the default command); this module names none. Every expected
failure (bad config, unwritable database, missing file, unknown lane) prints
one line on stderr and exits with status 2; no traceback reaches the user.
``check`` exits 3 when it reached a verdict but its entry is not in the log.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from kiosk.config.settings import ConfigError
from kiosk.domain.policy import PolicyError
from kiosk.services.roster import RosterError
from kiosk.cli import admin, codes, devices, entrylog, gate, reports, sync
from kiosk.cli.base import EXIT_USAGE, CliError
from kiosk.cli.command import Handler, HandlerWithoutConfig, Needs, settings_for

log = logging.getLogger(__name__)


def _known_errors() -> tuple[type[BaseException], ...]:
    from db.central.store import CentralError
    from db.engine import StoreError

    return (CliError, ConfigError, PolicyError, RosterError, StoreError, CentralError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: each command group adds its own subcommands (``register``), in this order."""
    parser = argparse.ArgumentParser(prog="gate-kiosk", description="School gate-entry kiosk (三要素 / 三码联查).")
    parser.add_argument("--config", type=Path, help="config file (default: the platform config dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command")
    for group in (gate, admin, codes, devices, reports, entrylog, sync):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command with what its group declared it needs (``Needs``): no command is special here."""
    from kiosk.config.operations import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), _default_command(parser)])
    try:
        needs: Needs = args.needs
        if not needs.config:
            without_config: HandlerWithoutConfig = args.handler
            return without_config(args)
        handler: Handler = args.handler
        try:
            settings = settings_for(args, needs)
        except ConfigError as exc:
            if needs.on_config_error is None:
                raise
            print(f"gate-kiosk: error: {exc}", file=sys.stderr, flush=True)  # the terminal's line, as ever
            return needs.on_config_error(args, exc)
        return handler(args, settings)
    except _known_errors() as exc:
        print(f"gate-kiosk: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except Exception:  # a bug: the user gets one line, the details go to a file for the IT teacher
        # The traceback goes to the crash file and the log file, not to the terminal (one line there).
        log.warning("unexpected error in %s", args.command, exc_info=True)
        path = _write_crash_report()
        print(f"gate-kiosk: unexpected error; details written to {path}", file=sys.stderr)
        return 1


def _default_command(parser: argparse.ArgumentParser) -> str:
    """The command whose group declared it the one run when none is named (``Needs.by_default``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command_parser in action.choices.items():
                if command_parser.get_default("needs").by_default:
                    return str(name)
    raise AssertionError("no command declares Needs(by_default=True)")


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

    from db.engine import write_private
    from kiosk.config.operations import log_dir

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


