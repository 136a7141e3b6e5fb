"""Report subcommands of ``gate-kiosk``: export, report weekly, verify-export, demo-data.

Exports need the admin PIN once one is set (``--pin``, ``$GATE_KIOSK_PIN``, or
a prompt on a terminal); every export is written to the audit log.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import time
from datetime import date
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.cli import CliError, command
from kiosk.config import Settings


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


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


def require_admin(settings: Settings, store: Any, pin: str | None, action: str, *, required: bool = False) -> str | None:
    """Check the admin PIN (if one is set) for ``action``; returns the PIN that was given.

    ``required``: the action needs a PIN even where none is set (the district's
    data: tracing, district and monthly reports); the admin PIN, not a separate
    bureau credential, because it already has its lockout and its audit trail
    and a second secret on the kiosk would be one more to lose. No PIN given
    and no terminal to ask on is said as such and is not counted as a wrong try.
    """
    from kiosk.access import AccessDenied, AdminAccess

    access = AdminAccess(settings.data_dir, ledger=store)
    if not access.has_pin:
        if required:
            raise CliError(f"{action} needs the admin PIN and none is set on this kiosk: an admin must set one "
                           "first (`gate-kiosk admin set-pin`)")
        return None
    pin = pin or os.environ.get("GATE_KIOSK_PIN")
    if pin is None and sys.stdin.isatty():
        pin = getpass.getpass("admin PIN: ")
    if not pin:
        raise CliError(f"{action} needs the admin PIN: give --pin or set $GATE_KIOSK_PIN (no terminal to ask on)")
    try:
        access.verify(pin or "", settings.site.guard_id, action)
    except AccessDenied as exc:
        raise CliError(f"{action}: {exc}") from None
    return pin


@contextlib.contextmanager
def admin_store(settings: Settings, pin: str | None, action: str,
                *, required: bool = False) -> Iterator[tuple[Any, str | None]]:
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


def _setup_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=_day, required=True, help="first local day, YYYY-MM-DD")
    p.add_argument("--to", type=_day, help="last local day (default: --date)")
    p.add_argument("--lane", choices=["campus", "worker"])
    p.add_argument("--flagged-only", action="store_true")
    p.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--english", action="store_true", help="English column headers (CSV, XLSX)")
    p.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


@command("export", "export the entry log of a day or range as CSV, XLSX or the PDF daily report", _setup_export)
def _export(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.reports import ExportQuery, exporter_for

    args.format = out_format(args.out, args.format)
    with admin_store(settings, args.pin, "export") as (store, pin):
        q = ExportQuery(args.date, args.to or args.date, args.lane, args.flagged_only)
        ex = exporter_for(settings, store, pin=pin)
        t0 = time.perf_counter()
        if args.format == "csv":
            result = ex.export_csv(q, args.out, english=args.english)
        elif args.format == "xlsx":
            result = ex.export_xlsx(q, args.out, english=args.english)
        else:
            result = ex.export_pdf(q, args.out)
    print(f"{result.path}: {result.rows} entries, {time.perf_counter() - t0:.2f} s; signature {result.signature_path}")
    return 0


def _setup_report(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="report", required=True)
    w = sub.add_parser("weekly", help="the weekly self-inspection report (周自查) as PDF")
    w.add_argument("--week", required=True, help="ISO week, e.g. 2022-W08")
    w.add_argument("--out", type=Path, required=True)
    w.add_argument("--pin")
    d = sub.add_parser("district", help="the district's day from the centre, per school and gate")
    d.add_argument("--date", type=_day, required=True)
    d.add_argument("--url", help="the centre (default: [central] url)")
    d.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--pin")
    led = sub.add_parser("ledger", help="a school's (or gate's) daily ledger or weekly self-inspection, "
                                        "from the centre")
    led.add_argument("--site", required=True, help="the school's site id")
    led.add_argument("--gate", help="one gate (default: every gate of the school)")
    led.add_argument("--date", type=_day, help="the day (daily ledger)")
    led.add_argument("--week", help="ISO week, e.g. 2026-W10 (weekly self-inspection, PDF)")
    led.add_argument("--url")
    led.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    led.add_argument("--out", type=Path, required=True)
    led.add_argument("--pin")
    m = sub.add_parser("monthly", help="the monthly supervision (月督导) per school, from the centre")
    m.add_argument("--month", required=True, help="YYYY-MM")
    m.add_argument("--url")
    m.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--pin")


@command("report", "reports for the education bureau", _setup_report)
def _report(args: argparse.Namespace, settings: Settings) -> int:
    if args.report == "weekly" or (args.report == "ledger" and args.week):
        if getattr(args, "format", None) not in (None, "pdf"):
            raise CliError("the weekly self-inspection is a PDF only: leave out --format")
        out_format(args.out, "pdf")  # a .csv or .xlsx name is refused
    else:
        args.format = out_format(args.out, args.format)
    if args.report in ("district", "monthly"):
        return _central_report(args, settings)
    if args.report == "ledger":
        return _central_ledger(args, settings)
    from kiosk.reports import exporter_for

    with admin_store(settings, args.pin, "export") as (store, pin):
        result = exporter_for(settings, store, pin=pin).weekly_report(args.week, args.out)
    print(f"{result.path}: week {args.week}, {result.rows} entries; signature {result.signature_path}")
    return 0


def _central_ledger(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from db.central.ledger import CentralLedger
    from kiosk.cli_sync import open_central
    from kiosk.reports import ExportQuery, Exporter

    if (args.date is None) == (args.week is None):
        raise CliError("give --date (daily ledger) or --week (weekly self-inspection)")
    with admin_store(settings, args.pin, "export") as (store, pin), open_central(settings, args.url) as central:
        gate = next((g for g in central.gates() if g["site_id"] == args.site
                     and (args.gate is None or g["gate_id"] == args.gate)), None)
        if gate is None:
            raise CliError(f"the centre knows no gate {args.gate or ''} of school {args.site!r}")
        site = replace(settings.site, site_id=args.site, name=gate["site_name"] or args.site,
                       gate_id=args.gate or "", gate_name=(gate["gate_name"] or args.gate) if args.gate else "全部门岗")
        devices = replace(settings.devices, thermometer_id=gate["thermometer_id"] or settings.devices.thermometer_id)
        exporter = Exporter.for_settings(replace(settings, site=site, devices=devices),
                                         CentralLedger(central, args.site, args.gate, store),  # type: ignore[arg-type]
                                         pin=pin)
        if args.week:
            result = exporter.weekly_report(args.week, args.out)
        else:
            q = ExportQuery(args.date, args.date)
            write: Any = {"csv": exporter.export_csv, "xlsx": exporter.export_xlsx, "pdf": exporter.export_pdf}[args.format]
            result = write(q, args.out)
    print(f"{result.path}: {result.rows} entries of {args.site}{'/' + args.gate if args.gate else ''} from the centre; "
          f"signature {result.signature_path}")
    return 0


def _central_report(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk import district
    from kiosk.cli_sync import open_central
    from kiosk.reports import sign_export

    with admin_store(settings, args.pin, "export", required=True) as (store, pin), \
            open_central(settings, args.url) as central:
        t0 = time.perf_counter()
        try:
            if args.report == "district":
                report = district.district_day(central, settings, args.date)
                title = f"district {args.date}"
            else:
                report = district.monthly(central, settings, district.parse_month(args.month))
                title = f"month {args.month}"
        except district.DistrictReportError as exc:
            raise CliError(str(exc)) from None
        district.write(report, args.out, args.format)
        sig = sign_export(args.out, settings.data_dir, pin=pin, key_file=settings.export_key_file)
        store.audit(settings.site.guard_id, "export", {"format": f"{args.report}-{args.format}", "file": str(args.out),
                                                      "title": title})
    print(f"{args.out}: {title}, {report.summary()}; {time.perf_counter() - t0:.2f} s; signature {sig}")
    if report.figures.get("demo/simulated entries"):
        print(f"gate-kiosk: warning: {report.figures['demo/simulated entries']} demo/simulated entries are counted "
              "in this report: it is not a record of real gates", file=sys.stderr)
    return 0


def _setup_verify(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path)
    p.add_argument("--sig", type=Path, help="default: FILE.sig")
    p.add_argument("--public-key", help="the school's published key (base64); default: this kiosk's own key")
    p.add_argument("--show-key", action="store_true", help="print this kiosk's export public key and exit")


@command("verify-export", "check that an exported file is unchanged and signed by the trusted key", _setup_verify)
def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.reports import ExportError, export_public_key, key_fingerprint, verify_export

    try:
        own = export_public_key(settings.data_dir, settings.export_key_file)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    if args.show_key:
        print(f"{own}  (key id {key_fingerprint(own)})" if own else "no export key yet")
        return 0
    trusted = args.public_key or own
    if trusted is None:
        raise CliError("no trusted key: pass --public-key (the school's published export key)")
    result = verify_export(args.file, trusted, args.sig)
    print(result.message if result.ok else f"FAILED: {result.message}")
    return 0 if result.ok else 1


def _setup_demo_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="day_from", type=_day, required=True)
    p.add_argument("--to", dest="day_to", type=_day, required=True)
    p.add_argument("--per-day", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)


@command("demo-data", "fill the database with realistic demo entries (through the real data layer)", _setup_demo_data)
def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store
    from kiosk.demodata import generate

    if args.day_to < args.day_from:
        raise CliError("--to is before --from")
    store = build_store(settings)
    try:
        t0 = time.perf_counter()
        n = store.append_many(generate(settings, args.day_from, args.day_to, args.per_day, args.seed))
        print(f"{n} entries written in {time.perf_counter() - t0:.1f} s to {settings.database_url}")
    finally:
        store.close()
    return 0


def _setup_verify_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=_day, help="count this local day's rows (the whole log is still checked)")
    p.add_argument("--gate", help="only this gate's chain (default: every gate)")
    p.add_argument("--key", help="the initial log key from the key sheet (GKLOG1:…, hex, or a file): "
                                 "also proves nothing was recomputed, deleted or cut off")
    p.add_argument("--against", metavar="URL", help="also compare the log with what the centre at URL holds")


@command("verify-log", "check the entry log and name every broken row", _setup_verify_log)
def _verify_log(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store
    from kiosk.logkey import LogKeyError, parse_key

    try:
        key = parse_key(args.key) if args.key else None
    except LogKeyError as exc:
        raise CliError(str(exc)) from None
    store = build_store(settings)
    try:
        report = store.verify_chain(args.gate, args.date, initial_key=key)
        pending = store.initial_key_pending()
        differences = _compare_with_centre(settings, store, args.against, args.gate) if args.against else []
    finally:
        store.close()
    if report.ok:
        how = (f"{report.authenticated} journal rows authenticated with the initial key" if key else
               "hash chain and journal consistent (without --key a log recomputed from scratch would pass too)")
        print(f"OK: {report.checked} entries checked, chain intact; {how}")
        if pending:
            print("note: the initial log key was never handed out: run `gate-kiosk log-key handout`")
    for where, seq, ref, why in report.broken:
        if where in ("follow_up", "audit", "journal", "entry"):
            print(f"BROKEN: {where.replace('_', '-')} {ref or seq}: {why}")
        else:
            print(f"BROKEN: gate {where}, row {seq} (entry {ref}): {why}")
    for line in differences:
        print(line)
    return 0 if report.ok and not any(d.startswith("DIFFERS") for d in differences) else 1



def _compare_with_centre(settings: Settings, store: Any, url: str, only_gate: str | None) -> list[str]:
    """Lines saying where the local log and the centre's copy disagree (DIFFERS) or merely lag (PENDING)."""
    from db.central.chaincheck import expected_row_hash
    from db.syncsource import SyncSource
    from kiosk.cli_sync import open_central

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


@command("log-key", "the entry log's initial key: hand it out once (school and bureau)", _setup_log_key)
def _log_key(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, timezone

    from kiosk.logkey import write_key_sheet

    if args.out.resolve().is_relative_to(settings.data_dir.resolve()):
        raise CliError(f"{args.out}: the key sheet must not be written into the kiosk's data dir "
                       f"({settings.data_dir}); print it from removable media")
    with admin_store(settings, args.pin, "log_key_handout") as (store, _pin):
        ledger_id, _ = store.ledger_state()
        if not store.initial_key_pending():
            raise CliError("the initial log key was already handed out; it is not on this kiosk any more")
        key = store.handout_initial_key()
        try:
            write_key_sheet(args.out, settings.site.site_id, settings.site.gate_id, ledger_id, key,
                            datetime.now(timezone.utc))
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


@command("ledger", "which entry log this kiosk keeps (after a ledger alarm)", _setup_ledger)
def _ledger(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store

    store = build_store(settings, accept_ledger=True)
    try:
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


@command("purge", "retention: remove personal fields from old entries, keep the counts", _setup_purge)
def _purge(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from kiosk.app import build_store

    store = build_store(settings)
    try:
        require_admin(settings, store, args.pin, "purge")
        cutoff = datetime.now(ZoneInfo(settings.site.timezone)).date() - timedelta(days=args.older_than)
        n = store.purge_personal(cutoff)
        store.audit(settings.site.guard_id, "purge", {"before": str(cutoff), "entries": n})
    finally:
        store.close()
    print(f"purged personal fields of {n} entries before {cutoff}")
    return 0


def _setup_admin(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="admin_command", required=True)
    sp = sub.add_parser("set-pin", help="set or change the admin PIN (4–12 digits)")
    sp.add_argument("--new-pin", help="default: asked on the terminal")
    sp.add_argument("--pin", help="the current PIN, when changing it")
    cp = sub.add_parser("confirm-policy", help="confirm the policy in force (needed for a fever threshold "
                                               "outside 37.0–38.5 °C); audited")
    cp.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


@command("admin", "admin PIN for settings, exports, overrides and purges", _setup_admin)
def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.access import AccessDenied, AdminAccess
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
        from kiosk.reports import ExportError, rekey_export_key

        try:
            rekey_export_key(settings.data_dir, current, new)  # the signing key follows the PIN
        except ExportError as exc:
            raise CliError(f"PIN set, but the export signing key could not follow it: {exc}") from None
    finally:
        store.close()
    print("admin PIN set")
    return 0


def _confirm_policy(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.access import AdminAccess
    from kiosk.app import build_store
    from kiosk.config import policy_content

    store = build_store(settings)
    try:
        if not AdminAccess(settings.data_dir, ledger=store).has_pin:
            raise CliError("confirm-policy: set an admin PIN first (`gate-kiosk admin set-pin`)")
        require_admin(settings, store, args.pin, "confirm_policy")
        store.audit(settings.site.guard_id, "policy_confirmed",
                    {"version": settings.policy.version, "policy": policy_content(settings.policy)})
    finally:
        store.close()
    print(f"policy {settings.policy.version} confirmed (fever threshold {settings.policy.fever_threshold_c:g} °C)")
    return 0
