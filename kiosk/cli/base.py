"""What the command groups of ``gate-kiosk`` share: the one-line error, the admin PIN, the centre, dates and formats.

Adding a command and what it declares it needs (config, database) is ``kiosk.cli.command``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kiosk.config.settings import Settings

if TYPE_CHECKING:
    from db.central.store import CentralStore
    from db.store import EntryStore
    from kiosk.services.access import PinLedger

EXIT_USAGE = 2
EXIT_NOTHING_HEARD = 1  # devices probe: the port opened and was listened to, but no known protocol spoke
EXIT_NOT_LOGGED = 3  # check: a verdict was reached but its entry is not in the log
# What ``add_parser`` is called on (a string: argparse's class is generic only to the type checker).
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(Exception):
    """An expected failure of a command: one line for the user, exit status 2."""


FORMATS = ("csv", "xlsx", "pdf")


def out_format(out: Path, given: str | None) -> str:
    """The file format: ``--format`` or, without it, ``--out``'s suffix; a mismatch of the two is refused."""
    if str(out) == "-":  # not stdout: an export is a signed file, its .sig names it
        raise CliError("--out -: exports are signed files, not written to stdout; name a file")
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


def say_if_database_busy(settings: Settings) -> None:
    """One line on stderr when another program holds the SQLite log's write lock: what follows waits for it.

    (A command that waits for the busy timeout, or for the PIN check's retries, with nothing on the
    terminal looks hung.) PostgreSQL's waits are bounded by its lock timeout and not probed here.
    """
    import sqlite3

    url = settings.database_url
    path = Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None
    if path is None or not path.is_file():
        return
    try:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")  # taken and given back at once: no write
            probe.execute("ROLLBACK")
        finally:
            probe.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            print("gate-kiosk: 数据库被占用，等待… (the database is busy: waiting)", file=sys.stderr, flush=True)


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
    from kiosk.app_adapters import central_store

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


def positive_int(text: str) -> int:
    """An argparse type for counts: a whole number of at least 1 (``--count 0`` has nothing to do)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def day_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
