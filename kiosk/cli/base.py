"""What every command group of ``gate-kiosk`` shares: the one-line error, adding a command, ``--db``."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kiosk.config.settings import Settings

if TYPE_CHECKING:
    from db.central.store import CentralStore
    from db.store import EntryStore
    from kiosk.services.access import PinLedger

EXIT_USAGE = 2
EXIT_NOT_LOGGED = 3  # check: a verdict was reached but its entry is not in the log
# What ``add_parser`` is called on (a string: argparse's class is generic only to the type checker).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(Exception):
    """An expected failure of a command: one line for the user, exit status 2."""


# A command: its parser set-up and its handler.
Handler = Callable[[argparse.Namespace, Settings], int]
Setup = Callable[[argparse.ArgumentParser], None]

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


def with_database(name: str, args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings a command runs with: a simulation never touches the production log."""
    from dataclasses import replace

    db = getattr(args, "db", None)
    if name in SIMULATIONS and (name != "simulate" or getattr(args, "device", "") == "gate"):
        url = database_arg(db, settings) if db else f"sqlite:///{settings.data_dir / 'demo.sqlite3'}"
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


def database_arg(value: str, settings: Settings) -> str:
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


def add_command(sub: Subcommands, name: str, help_text: str, setup: Setup, handler: Handler | None) -> None:
    """Add subcommand ``name``: ``setup`` declares its arguments, ``handler`` runs it (``args.handler``);
    None for a command ``main()`` runs before any config is loaded (``doctor``)."""
    command_parser = sub.add_parser(name, help=help_text, description=help_text)
    command_parser.set_defaults(handler=handler)
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


FORMATS = ("csv", "xlsx", "pdf")


def out_format(out: Path, given: str | None) -> str:
    """The file format: ``--format`` or, without it, ``--out``'s suffix; a mismatch of the two is refused."""
    suffix = out.suffix.lower().lstrip(".")
    if given is None:
        if suffix not in FORMATS:
            raise CliError(f"{out}: cannot tell the format from the name: give --format csv|xlsx|pdf "
                           "or name the file .csv, .xlsx or .pdf")
        return suffix
    if suffix in FORMATS and suffix != given:
        raise CliError(f"{out}: the name says .{suffix} but --format is {given}: a {given.upper()} file would be "
                       f"written under a .{suffix} name; change one of them")
    return given


def require_admin(settings: Settings, store: PinLedger, pin: str | None, action: str, *, required: bool = False) -> str | None:
    """Check the admin PIN (if one is set) for ``action``; returns the PIN that was given.

    ``required``: the action needs a PIN even where none is set (the district's
    data: tracing, district and monthly reports); the admin PIN, not a separate
    bureau credential, because it already has its lockout and its audit trail
    and a second secret on the kiosk would be one more to lose. No PIN given
    and no terminal to ask on is said as such and is not counted as a wrong try.
    """
    from kiosk.services.access import AccessDenied, AdminAccess

    access = AdminAccess(settings.data_dir, ledger=store)
    if not access.has_pin:
        if required:
            raise CliError(f"{action} needs the admin PIN and none is set on this kiosk: an admin must set one "
                           "first (`gate-kiosk admin set-pin`)")
        return None
    pin = pin or os.environ.get("GATE_KIOSK_PIN")
    if pin is None and sys.stdin.isatty():
        pin = getpass.getpass("admin PIN: ")
    if not pin:  # nothing was typed: not a wrong PIN, so not counted against the lockout
        raise CliError(f"{action}: the admin PIN is needed: give --pin or set $GATE_KIOSK_PIN "
                       "(there is no terminal to ask on)")
    try:
        access.verify(pin, settings.site.guard_id, action)
    except AccessDenied as exc:
        raise CliError(f"{action}: {exc}") from None
    return pin


@contextlib.contextmanager
def admin_store(settings: Settings, pin: str | None, action: str,
                *, required: bool = False) -> Iterator[tuple[EntryStore, str | None]]:
    """The store and the PIN, once the admin PIN (if one is set) allows ``action``; errors become one line."""
    from kiosk.app import build_store
    from kiosk.reports import ExportError

    store = build_store(settings)
    try:
        yield store, require_admin(settings, store, pin, action, required=required)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()


def central_url(settings: Settings, url: str | None) -> str:
    chosen = url or settings.central.url
    if not chosen:
        raise CliError("no centre: give --url or set [central] url in the config")
    return chosen


@contextlib.contextmanager
def open_central(settings: Settings, url: str | None, *, migrate: bool = False) -> Iterator[CentralStore]:
    """The central store, its errors turned into one line for the user."""
    from db.central.store import CentralError
    from kiosk.services.sync import central_store

    central = central_store(settings, central_url(settings, url))
    try:
        if migrate:
            central.upgrade()
        else:
            central.check_schema()
        yield central
    except CentralError as exc:
        raise CliError(str(exc)) from None
    finally:
        central.close()


def day_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
