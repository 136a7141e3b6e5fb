"""The entry log's commands: ``verify-log``, ``log-key``, ``ledger``, ``purge``, and the ``admin`` PIN."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.base import CliError, Subcommands, admin_store, day_arg, open_central, require_admin
from kiosk.cli.command import Needs, OtherDatabase, add_command
from kiosk.config.settings import Settings

if TYPE_CHECKING:
    from db.store import EntryStore


def _setup_verify_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=day_arg, help="count this local day's rows (the whole log is still checked)")
    p.add_argument("--gate", help="only this gate's chain (default: every gate)")
    p.add_argument("--key", help="the initial log key from the key sheet (GKLOG1:…, hex, or a file): "
                                 "also proves nothing was recomputed, deleted or cut off")
    p.add_argument("--against", metavar="URL", help="also compare the log with what the centre at URL holds")


def _verify_log(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.reports.logkey import LogKeyError, parse_key

    try:
        key = parse_key(args.key) if args.key else None
    except LogKeyError as exc:
        raise CliError(str(exc)) from None
    from sqlalchemy.exc import DBAPIError

    store, alarm = _store_to_verify(settings)
    if store is None:
        print(f"BROKEN: ledger: {alarm}")
        return 1
    try:
        report = store.verify_chain(args.gate, args.date, initial_key=key)
        pending = store.initial_key_pending()
        differences = _compare_with_centre(settings, store, args.against, args.gate) if args.against else []
    except DBAPIError as exc:  # a locked table (lock_timeout), a busy or vanished database: one line, no traceback
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CliError(f"cannot read the entry log, nothing was checked: {reason}") from None
    finally:
        store.close()
    if alarm:
        print(f"BROKEN: ledger: {alarm}")
    if report.ok:
        how = (f"{report.authenticated} journal rows authenticated with the initial key" if key else
               "hash chain and journal consistent (without --key a log recomputed from scratch would pass too)")
        print(f"{'OK' if not alarm else 'the rows that are there'}: {report.checked} entries checked, "
              f"chain intact; {how}")
        if pending:
            print("note: the initial log key was never handed out: run `gate-kiosk log-key handout`")
    for where, seq, ref, why in report.broken:
        if where in ("follow_up", "audit", "journal", "entry"):
            print(f"BROKEN: {where.replace('_', '-')} {ref or seq}: {why}")
        else:
            print(f"BROKEN: gate {where}, row {seq} (entry {ref}): {why}")
    for line in differences:
        print(line)
    return 0 if report.ok and not alarm and not any(d.startswith("DIFFERS") for d in differences) else 1


def _store_to_verify(settings: Settings) -> tuple[EntryStore | None, str | None]:
    """The log to verify, and the ledger alarm it raised if any: the alarm stops the gate, never the auditor.

    Under an alarm the log is opened as it is, without accepting it (nothing is
    remembered); a log file that is gone is not created just to be verified.
    """
    from db.store import EntryStore, LedgerAlarm
    from kiosk.app import build_store

    try:
        return build_store(settings), None
    except LedgerAlarm as exc:
        alarm = str(exc)
    path = settings.sqlite_path
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        return None, alarm
    try:
        return build_store(settings, accept_ledger=True), alarm
    except LedgerAlarm:  # the record of the log is unreadable: the log itself still can be read
        return EntryStore(settings.database_url), alarm


def _compare_with_centre(settings: Settings, store: EntryStore, url: str, only_gate: str | None) -> list[str]:
    """Lines saying where the local log and the centre's copy disagree (DIFFERS) or merely lag (PENDING)."""
    from db.central.chaincheck import expected_row_hash
    from db.syncsource import SyncSource

    source = SyncSource(store)
    lines: list[str] = []
    with open_central(settings, url) as central:
        for gate in [only_gate] if only_gate else source.gates():
            # Each local row's hash recomputed from its content: a row edited without re-chaining
            # keeps its stored hash, and comparing stored hashes alone would call it a match.
            local = {int(r["seq"]): expected_row_hash(r, r["prev_hash"]) for r in source.entry_rows(gate)
                     if r["seq"] is not None}
            remote = central.chain_of(settings.site.site_id, gate)
            head_seq, _, seen_at = central.head(settings.site.site_id, gate)
            missing = sorted(set(remote) - set(local))
            changed = sorted(q for q in set(remote) & set(local) if remote[q] != local[q])
            unsent = sorted(set(local) - set(remote))
            if missing:
                lines.append(f"DIFFERS: gate {gate}: {len(missing)} row(s) the centre holds are gone from the local "
                             f"log (first: row {missing[0]})")
            if changed:
                lines.append(f"DIFFERS: gate {gate}: {len(changed)} row(s) differ from the centre's copy "
                             f"(first: row {changed[0]})")
            if unsent:
                lines.append(f"PENDING: gate {gate}: {len(unsent)} row(s) not yet at the centre (from row {unsent[0]})")
            if not (missing or changed):
                when = f", anchored {seen_at:%Y-%m-%d %H:%M} UTC" if seen_at else ""
                lines.append(f"OK: gate {gate}: the centre's {len(remote)} row(s) match the local log "
                             f"(centre head row {head_seq}{when})")
    return lines


def _setup_log_key(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="log_key_command", required=True)
    h = sub.add_parser("handout", help="print the log's initial key (PDF with QR) once, then erase it from the kiosk")
    h.add_argument("--out", type=Path, required=True, help="the key sheet to print (PDF)")
    h.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _log_key(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, timezone

    from kiosk.reports.logkey import write_key_sheet

    if args.out.resolve().is_relative_to(settings.data_dir.resolve()):
        raise CliError(f"{args.out}: the key sheet must not be written into the kiosk's data dir "
                       f"({settings.data_dir}); print it from removable media")
    with admin_store(settings, args.pin, "log_key_handout") as (store, _pin):
        ledger_id, _ = store.ledger_state()
        if not store.initial_key_pending():
            raise CliError("the initial log key was already handed out; it is not on this kiosk any more")
        key = store.handout_initial_key()
        try:
            write_key_sheet(args.out, settings.site.school_name or settings.site.name, settings.site.site_id,
                            settings.site.gate_id, ledger_id, key, datetime.now(timezone.utc))
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror}; the key was NOT erased: "
                           f"write it down now: GKLOG1:{ledger_id}:{key.hex()}") from None
        store.audit(settings.site.guard_id, "log_key_handout", {"sheet": str(args.out), "ledger": ledger_id})
    print(f"{args.out}: the initial log key (print it twice: school and education bureau); "
          "it is erased from this kiosk")
    return 0


def _setup_ledger(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="ledger_command", required=True)
    a = sub.add_parser("accept", help="after a ledger alarm: accept the log as it is now (audited)")
    a.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _ledger(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store

    from kiosk.services.access import AdminAccess

    store = build_store(settings, accept_ledger=True)
    try:
        if store.accepting_needs_pin and not AdminAccess(settings.data_dir, ledger=store).has_pin:
            raise CliError("accepting another log takes the admin PIN this kiosk had, and admin.json is gone: "
                           "restore admin.json from its backup first")
        require_admin(settings, store, args.pin, "ledger_accept")
        store.accept_ledger(settings.site.guard_id)
        ledger_id, next_seq = store.ledger_state()
    finally:
        store.close()
    print(f"this kiosk now keeps ledger {ledger_id} ({next_seq - 1} authenticated rows)")
    return 0


def _older_than(text: str) -> int:
    t = text.strip().lower()
    try:
        days = int(t[:-1]) if t.endswith("d") else int(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r} (e.g. 30d)") from None
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1 day")
    return days


def _setup_purge(p: argparse.ArgumentParser) -> None:
    p.add_argument("--older-than", type=_older_than, required=True, metavar="Nd",
                   help="blank personal fields of entries older than N days (e.g. 30d)")
    p.add_argument("--pin")


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from kiosk.app import build_store

    store = build_store(settings)
    try:
        require_admin(settings, store, args.pin, "purge")
        cutoff = settings.site.today() - timedelta(days=args.older_than)
        n = store.purge_personal(cutoff)
        store.audit(settings.site.guard_id, "purge", {"before": str(cutoff), "entries": n})
    finally:
        store.close()
    print(f"purged personal fields of {n} entries before {cutoff}")
    return 0


def _setup_admin(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="admin_command", required=True)
    sp = sub.add_parser("set-pin", help="set or change the admin PIN (6–12 digits)")
    sp.add_argument("--new-pin", help="default: asked on the terminal")
    sp.add_argument("--pin", help="the current PIN, when changing it")
    cp = sub.add_parser("confirm-policy", help="confirm the policy in force (needed for a fever threshold "
                                               "outside 37.0–38.5 °C, a plausible range narrower than "
                                               "34–42 °C, a new trusted issuer key or server); audited")
    cp.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.access import AccessDenied, AdminAccess
    from kiosk.app import build_store

    if args.admin_command == "confirm-policy":
        return _confirm_policy(args, settings)
    store = build_store(settings)
    try:
        access = AdminAccess(settings.data_dir, ledger=store)
        new = args.new_pin or (getpass.getpass("new admin PIN: ") if sys.stdin.isatty() else None)
        if not new:
            raise CliError("give --new-pin (no terminal to ask on)")
        current = args.pin
        if access.has_pin and current is None and sys.stdin.isatty():
            current = getpass.getpass("current admin PIN: ")
        try:
            access.set_pin(new, settings.site.guard_id, current)
        except AccessDenied as exc:
            raise CliError(str(exc)) from None
        from kiosk.reports import ExportError
        from kiosk.reports.signing import rekey_export_key

        try:
            rekey_export_key(settings.data_dir, current, new)  # the signing key follows the PIN
        except ExportError as exc:
            raise CliError(f"PIN set, but the export signing key could not follow it: {exc}") from None
    finally:
        store.close()
    print("admin PIN set")
    return 0


def _confirm_policy(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.access import AdminAccess
    from kiosk.app import build_store
    from kiosk.config.settings import issuer_content, policy_content

    issuers = issuer_content(settings.trusted_issuers, settings.health_code_patterns, settings.issuer_server_url)
    store = build_store(settings)
    try:
        if not AdminAccess(settings.data_dir, ledger=store).has_pin:
            raise CliError("confirm-policy: set an admin PIN first (`gate-kiosk admin set-pin`)")
        require_admin(settings, store, args.pin, "confirm_policy")
        store.audit(settings.site.guard_id, "policy_confirmed",
                    {"version": settings.policy.version, "policy": policy_content(settings.policy), "issuers": issuers})
    finally:
        store.close()
    print(f"policy {settings.policy.version} confirmed (fever threshold {settings.policy.fever_threshold_c:g} °C, "
          f"plausible {settings.policy.plausible_min_c:g}–{settings.policy.plausible_max_c:g} °C, "
          f"trusted issuer keys: {', '.join(sorted(settings.trusted_issuers)) or 'none'})")
    return 0


def register(sub: Subcommands) -> None:
    """Add the entry log's commands to ``gate-kiosk``."""
    add_command(sub, 'verify-log', 'check the entry log and name every broken row',
                _setup_verify_log, _verify_log, Needs(db=OtherDatabase("check this database instead of the real log")))
    add_command(sub, 'log-key', "the entry log's initial key: hand it out once (school and bureau)",
                _setup_log_key, _log_key)
    add_command(sub, 'ledger', 'which entry log this kiosk keeps (after a ledger alarm)',
                _setup_ledger, _ledger)
    add_command(sub, 'purge', 'retention: remove personal fields from old entries, keep the counts',
                _setup_purge, _purge)
    add_command(sub, 'admin', 'admin PIN for settings, exports, overrides and purges',
                _setup_admin, _admin)
