"""What each command declares it needs (``kiosk.cli.command.Needs``), and ``main()`` naming no command."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from kiosk.cli import main as cli_main
from kiosk.cli.command import Needs


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli_main.build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_command_declares_its_needs_and_one_runs_by_default() -> None:
    commands = _commands()
    needs = {name: p.get_default("needs") for name, p in commands.items()}
    assert all(isinstance(n, Needs) for n in needs.values())
    assert [name for name, n in needs.items() if n.by_default] == ["run"]
    assert [name for name, n in needs.items() if not n.config] == ["doctor"]
    assert sorted(name for name, n in needs.items() if n.missing_config_ok) == ["devices", "run"]
    assert [name for name, n in needs.items() if not n.pulled] == ["central"]
    readers = {name for name, n in needs.items() if n.db is not None and not n.db.simulated}
    assert readers == {"export", "report", "verify-log"}
    assert [name for name, n in needs.items() if n.db is not None and n.db.simulated] == ["demo-data"]


def test_a_sub_command_declares_its_own_needs() -> None:
    parser = cli_main.build_parser()
    gate = parser.parse_args(["simulate", "gate"]).needs
    assert gate.db is not None and gate.db.simulated
    assert parser.parse_args(["simulate", "thermometer", "--protocol", "ascii"]).needs.db is None
    # --db after the sub-command of a reader still reaches it.
    args = parser.parse_args(["report", "weekly", "--week", "2026-W01", "--out", "w.pdf", "--db", "other.sqlite3"])
    assert args.db == "other.sqlite3"


def test_main_names_no_command() -> None:
    source = Path(cli_main.__file__).read_text(encoding="utf-8")
    quoted = set(re.findall(r"""["']([a-z][a-z-]*)["']""", source))
    assert quoted.isdisjoint(_commands())
