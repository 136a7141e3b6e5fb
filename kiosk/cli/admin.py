"""Administration commands: ``roster``, ``db``, ``registration``, ``doctor``, ``autostart``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.config.settings import Settings

from kiosk.cli.base import CliError, Subcommands, admin_store
from kiosk.cli.command import add_command, add_command_without_config


def _setup_roster(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="roster_command", required=True)
    imp = sub.add_parser("import", help="import a CSV or XLSX file: id, name, kind, class/department, card number")
    imp.add_argument("file", type=Path)


def _roster(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store
    from kiosk.services.roster import import_roster

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


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from db.engine import current_revision
    from kiosk.app import build_store

    store = build_store(settings)
    try:
        print(f"database at revision {current_revision(store.engine)}: {settings.database_url}")
    finally:
        store.close()
    return 0


def _setup_registration(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="registration_command", required=True)
    reveal = sub.add_parser("reveal", help="show a worker's full phone and ID number for a contact-tracing request "
                                           "(admin PIN; audited)")
    reveal.add_argument("entry_id")
    reveal.add_argument("--reason", required=True, help="the tracing request this is for (kept in the audit log)")
    reveal.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _registration(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from kiosk.services.sealing import RegistrationSealer, SealError

    if not args.reason.strip():
        raise CliError("--reason must say which tracing request this is for")
    pin = args.pin or os.environ.get("GATE_KIOSK_PIN")
    with admin_store(settings, pin, "reveal_registration") as (store, _pin):
        from kiosk.services.access import AdminAccess

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


def _doctor(args: argparse.Namespace) -> int:
    from kiosk.cli.doctor import run_doctor

    return run_doctor(args.config, as_json=args.json)


def _setup_autostart(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="autostart_command", required=True)
    sub.add_parser("install", help="open the kiosk full screen at login and restart it if it dies")
    sub.add_parser("remove", help="undo install")


def _autostart(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli.autostart import AutostartError, home_dir, install, remove

    if args.autostart_command == "install":
        try:
            written = install(home_dir(), settings.source_path)
        except AutostartError as exc:  # nothing is left installed: install() put back what it wrote
            print(f"gate-kiosk: error: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"gate-kiosk: error: cannot write the autostart files ({exc.strerror}: {exc.filename}); "
                  "nothing was installed", file=sys.stderr)
            return 1
        for path in written:
            print(f"wrote {path}")
        print("The kiosk now starts at login, full screen, and comes back if it stops. "
              "For a gate PC, also turn on automatic login (README: 'A dedicated gate PC').")
    else:
        for path in remove(home_dir()):
            print(f"removed {path}")
    return 0


def register(sub: Subcommands) -> None:
    """Add the administration commands to ``gate-kiosk``."""
    add_command(sub, 'roster', 'manage the roster of students and staff',
                _setup_roster, _roster)
    add_command(sub, 'db', 'database maintenance',
                _setup_db, _db)
    add_command(sub, 'registration', 'sealed registration details of temporary workers (contact tracing)',
                _setup_registration, _registration)
    # Without config: the doctor runs before any is loaded and reports a broken one among its findings.
    add_command_without_config(sub, 'doctor', 'check config, devices, database, fonts, keys, calibration and disk; '
                               'say what to fix', _setup_doctor, _doctor)
    add_command(sub, 'autostart', 'a dedicated gate PC: start the kiosk at login (systemd user service / Windows Run key)',
                _setup_autostart, _autostart)
