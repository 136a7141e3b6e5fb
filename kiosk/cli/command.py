"""Adding a command to ``gate-kiosk``, with what it needs declared where its group registers it.

Each command's parser carries its ``handler`` and its ``Needs`` (``set_defaults``): whether it
loads the config at all, whether a named but missing config file is created first, whether the
settings are overlaid with what was last pulled from the centre, and whether ``--db`` points it at
another database than the production log. ``main()`` reads these declarations and names no
command; a sub-command that needs something else (``simulate gate``) sets its own ``needs``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kiosk.config.settings import ConfigError, Settings

from kiosk.cli.base import CliError, Subcommands

# A command: its parser set-up and its handler (with the settings in force, or with none).
Handler = Callable[[argparse.Namespace, Settings], int]
HandlerWithoutConfig = Callable[[argparse.Namespace], int]
Setup = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class OtherDatabase:
    """``--db PATH|URL``: the command may use another database than the production log.

    ``simulated``: the command writes simulated entries, so it never touches the production log:
    without ``--db`` it uses ``demo.sqlite3`` beside the real log, and a database holding live
    entries is refused. Otherwise ``--db`` names a database to read or check instead of the log.
    """

    help: str
    simulated: bool = False


@dataclass(frozen=True)
class Needs:
    """What a command needs before its handler runs, declared where its group registers it."""

    # False: the handler runs before any config is loaded and gets none (the doctor reports a
    # broken config as one finding among others, instead of failing on it).
    config: bool = True
    # A config file named (--config or $GATE_KIOSK_CONFIG) but not there yet is no error: the defaults,
    # and the window's first-run setup writes it when it saves; device discovery needs none.
    missing_config_ok: bool = False
    # The settings overlaid with the roster, policy and keys last pulled from the centre, as a gate
    # judges with them; False for the centre's own commands, which publish them.
    pulled: bool = True
    db: OtherDatabase | None = None
    # The command run when none is named (``gate-kiosk`` alone opens the window).
    by_default: bool = False
    # Run after the one-line error when the config file cannot be read (``run`` shows it in a window too).
    on_config_error: Callable[[argparse.Namespace, ConfigError], int] | None = None


def add_command(sub: Subcommands, name: str, help_text: str, setup: Setup, handler: Handler,
                needs: Needs = Needs()) -> None:
    """Add subcommand ``name``: ``setup`` declares its arguments, ``handler`` runs it with the settings
    ``needs`` describes (``args.handler``, ``args.needs``); ``needs.db`` adds ``--db``."""
    command_parser = sub.add_parser(name, help=help_text, description=help_text)
    command_parser.set_defaults(handler=handler, needs=needs)
    db = needs.db
    if db is not None:
        command_parser.add_argument("--db", metavar="PATH|URL",
                                    help=db.help + " (an SQLite file path or an SQLAlchemy URL)")
    setup(command_parser)
    if db is not None:
        # Also after a sub-command (``report weekly --db X``), without hiding one given before it.
        for action in command_parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    child.add_argument("--db", metavar="PATH|URL", default=argparse.SUPPRESS, help=db.help)


def add_command_without_config(sub: Subcommands, name: str, help_text: str, setup: Setup,
                               handler: HandlerWithoutConfig) -> None:
    """Add subcommand ``name`` whose handler runs before any config is loaded (``Needs.config`` False)."""
    command_parser = sub.add_parser(name, help=help_text, description=help_text)
    command_parser.set_defaults(handler=handler, needs=Needs(config=False))
    setup(command_parser)


def settings_for(args: argparse.Namespace, needs: Needs) -> Settings:
    """The settings a command runs with, as its ``needs`` declare them."""
    from kiosk.config.loading import load_settings, unwritten_settings

    unwritten = _named_missing_config(args.config) if needs.missing_config_ok else None
    loaded = unwritten_settings(unwritten) if unwritten is not None else load_settings(args.config)
    settings = _with_database(needs.db, args, loaded)
    if needs.pulled:  # ``config show`` too: the settings in force, as a gate judges with them
        from kiosk.services.publications import central_overlay

        settings = central_overlay(settings)  # the last roster/policy/keys pulled from the centre
    return settings


def _named_missing_config(path: Path | None) -> Path | None:
    """A config file named (--config or $GATE_KIOSK_CONFIG) but not there yet, else None.

    Not an error: the command runs with the defaults and the first-run setup writes the file when it
    saves (a setup left without saving leaves no empty file behind); device discovery needs none.
    """
    target = path or (Path(os.environ["GATE_KIOSK_CONFIG"]) if os.environ.get("GATE_KIOSK_CONFIG") else None)
    if target is None or target.exists() or str(target) == os.devnull:
        return None
    return target


def _with_database(db: OtherDatabase | None, args: argparse.Namespace, settings: Settings) -> Settings:
    """The settings a command runs with: a simulation never touches the production log."""
    given = getattr(args, "db", None)
    if db is not None and db.simulated:
        url = database_arg(given, settings) if given else f"sqlite:///{settings.data_dir / 'demo.sqlite3'}"
        if _same_database(url, settings.database_url):
            raise CliError("the demo database is the production log: set database.url or pass --db")
        if _holds_live_entries(url):
            raise CliError(f"{given or url}: this database holds live entries (a gate's real log); "
                           "simulated entries never go there")
        return replace(settings, database_url=url, own_log=False)
    if given and db is not None:
        url = _url_of(given)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
            raise CliError(f"{given}: no such database file")
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
