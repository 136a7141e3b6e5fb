"""Report subcommands of ``gate-kiosk``: export, report weekly, verify-export, demo-data.

Exports need the admin PIN once one is set (``--pin``, ``$GATE_KIOSK_PIN``, or
a prompt on a terminal); every export is written to the audit log.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.cli.base import (FORMATS, CliError, Subcommands, admin_store, day_arg, open_central, out_format,
                             positive_int, say_if_database_busy)
from kiosk.cli.command import Needs, OtherDatabase, add_command
from kiosk.config.settings import Settings


def _setup_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", type=day_arg, required=True, help="first local day, YYYY-MM-DD")
    p.add_argument("--to", type=day_arg, help="last local day (default: --date)")
    p.add_argument("--lane", choices=["campus", "worker"])
    p.add_argument("--flagged-only", action="store_true")
    p.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    p.add_argument("--out", type=Path, required=True,
                   help="the file to write (a signed file with its .sig beside it: not - for stdout)")
    p.add_argument("--english", action="store_true", help="English column headers (CSV, XLSX)")
    p.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.reports.exports import Exporter
    from kiosk.reports import ExportQuery

    args.format = out_format(args.out, args.format)
    t0 = time.perf_counter()  # from the start: a wait for the database is part of what the user waited
    say_if_database_busy(settings)
    with admin_store(settings, args.pin, "export") as (store, pin):
        q = ExportQuery(args.date, args.to or args.date, args.lane, args.flagged_only)
        ex = Exporter.for_settings(settings, store, pin=pin)
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
    d.add_argument("--date", type=day_arg, required=True)
    d.add_argument("--url", help="the centre (default: [central] url)")
    d.add_argument("--format", choices=FORMATS, help="default: from --out's suffix")
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--pin")
    led = sub.add_parser("ledger", help="a school's (or gate's) daily ledger or weekly self-inspection, "
                                        "from the centre")
    led.add_argument("--site", required=True, help="the school's site id")
    led.add_argument("--gate", help="one gate (default: every gate of the school)")
    led.add_argument("--date", type=day_arg, help="the day (daily ledger)")
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
    from kiosk.reports.exports import Exporter

    say_if_database_busy(settings)
    with admin_store(settings, args.pin, "export") as (store, pin):
        result = Exporter.for_settings(settings, store, pin=pin).weekly_report(args.week, args.out)
    print(f"{result.path}: week {args.week}, {result.rows} entries; signature {result.signature_path}")
    return 0


def _central_ledger(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace

    from db.central.ledger import CentralLedger
    from kiosk.reports import ExportQuery
    from kiosk.reports.exports import Exporter

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
                                         CentralLedger(central, args.site, args.gate, store),
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
    from kiosk.reports import district
    from kiosk.reports.signing import sign_export

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
    p.add_argument("file", type=Path, nargs="?", help="the exported file (not needed with --show-key)")
    p.add_argument("--sig", type=Path, help="default: FILE.sig")
    p.add_argument("--public-key", help="the school's published key (base64); default: this kiosk's own key")
    p.add_argument("--show-key", action="store_true", help="print this kiosk's export public key and exit")


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.reports import ExportError
    from kiosk.reports.signing import export_public_key, key_fingerprint, verify_export

    try:
        own = export_public_key(settings.data_dir, settings.export_key_file)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    if args.show_key:
        print(f"{own}  (key id {key_fingerprint(own)})" if own else "no export key yet")
        return 0
    if args.file is None:
        raise CliError("name the exported file to check (or --show-key to print this kiosk's key)")
    trusted = args.public_key or own
    if trusted is None:
        raise CliError("no trusted key: pass --public-key (the school's published export key)")
    result = verify_export(args.file, trusted, args.sig)
    print(result.message if result.ok else f"FAILED: {result.message}")
    return 0 if result.ok else 1


def _setup_demo_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="day_from", type=day_arg, required=True)
    p.add_argument("--to", dest="day_to", type=day_arg, required=True)
    p.add_argument("--per-day", type=positive_int, default=1000)
    p.add_argument("--seed", type=int, default=1)


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.app import build_store
    from kiosk.app_adapters import demo_entries

    if args.day_to < args.day_from:
        raise CliError("--to is before --from")
    store = build_store(settings)
    try:
        t0 = time.perf_counter()
        n = store.append_many(demo_entries(settings, args.day_from, args.day_to, args.per_day, args.seed))
        print(f"{n} entries written in {time.perf_counter() - t0:.1f} s to {settings.database_url}")
    finally:
        store.close()
    return 0


def register(sub: Subcommands) -> None:
    """Add the report commands to ``gate-kiosk``."""
    add_command(sub, 'export', 'export the entry log of a day or range as CSV, XLSX or the PDF daily report',
                _setup_export, _export, Needs(db=OtherDatabase("read this database instead of the real log")))
    add_command(sub, 'report', 'reports for the education bureau',
                _setup_report, _report, Needs(db=OtherDatabase("read this database instead of the real log")))
    add_command(sub, 'verify-export', 'check that an exported file is unchanged and signed by the trusted key',
                _setup_verify, _verify)
    add_command(sub, 'demo-data', 'fill the database with realistic demo entries (through the real data layer)',
                _setup_demo_data, _demo_data, Needs(db=OtherDatabase(
                    "database for the demo entries (default: demo.sqlite3 beside the real log)", simulated=True)))
