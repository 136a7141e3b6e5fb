"""Centre subcommands of ``gate-kiosk``: sync, central (init, publish, gates, incidents, verify), findings, trace.

``sync`` runs the store-and-forward loop headless; ``sync status --json``
reads only the local log (it works with the centre away). The others talk
to the centre given by ``--url`` or ``[central] url``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from kiosk.cli.base import CliError, Subcommands, admin_store, central_url, open_central
from kiosk.cli.command import Needs, add_command
from kiosk.config.settings import Settings

if TYPE_CHECKING:
    from kiosk.services.sync import SyncStatus

EXIT_UNREACHABLE = 3
EXIT_REFUSED = 1


# ---------------------------------------------------------------- sync
def _setup_sync(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["run", "status"], default="run",
                   help="send the log to the centre (default) or print how far the gate is behind")
    p.add_argument("--once", action="store_true", help="send until nothing is pending, then exit")
    p.add_argument("--json", action="store_true", help="status: one JSON object")
    p.add_argument("--url", help="the centre (default: [central] url)")


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from db.central.store import CentralError, CentralUnavailable
    from db.syncsource import LocalStoreBusy
    from kiosk.app import build_store
    from kiosk.app_adapters import central_store
    from kiosk.services.sync import SyncState, SyncLoop, recorded_status

    store = build_store(settings)
    try:
        if args.action == "status":
            status = recorded_status(store, settings)
            if args.json:
                print(json.dumps(status.as_json(), ensure_ascii=False))
            else:
                print(f"{status.sent}/{status.local} entries at the centre, {status.pending} pending: {status.words()}")
            return 0
        central = central_store(settings, central_url(settings, args.url))
        loop = SyncLoop(store, central, settings)
        try:
            if args.once:
                try:
                    central.check_schema()
                    status = loop.run_once()
                except CentralUnavailable as exc:
                    loop.state, loop.message = SyncState.WAITING, str(exc)
                    loop.record_state(force=True)  # `sync status` says so, not "idle"
                    print(f"gate-kiosk: the centre cannot be reached: {exc}", file=sys.stderr)
                    return EXIT_UNREACHABLE
                except CentralError as exc:
                    raise CliError(str(exc)) from None
                except LocalStoreBusy as exc:
                    raise CliError(f"{exc} for more than a minute: close it (e.g. an open sqlite3 shell) "
                                   "and run sync again; nothing was lost") from None
                print(json.dumps(status.as_json(), ensure_ascii=False))
                if loop.state is SyncState.REFUSED:
                    print(f"gate-kiosk: {loop.message}", file=sys.stderr)
                    print("gate-kiosk: nothing after the refused row is sent until this is resolved: restore the "
                          "original log from its backup, or give a second kiosk its own gate_id; if rows are lost "
                          "for good, an admin runs `gate-kiosk central reanchor --gate G --from-seq N --reason ...` "
                          "(README: A gate the centre refused)", file=sys.stderr)
                    return EXIT_REFUSED
                return 0

            last: list[str] = []

            def show(status: SyncStatus) -> None:
                line = f"{datetime.now():%H:%M:%S} {status.state}: {status.words()}"
                if not last or last[-1] != line[9:]:
                    print(line, flush=True)
                    last.append(line[9:])
            loop.run_forever(show)
            return 0
        finally:
            central.close()
    finally:
        store.close()


# ------------------------------------------------------------- central
def _setup_central(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="central_command", required=True)
    for name, help_text in (("init", "create or upgrade the central schema (Alembic)"),
                            ("gates", "list the gates the centre knows, with their last sync"),
                            ("incidents", "list chain incidents (gaps, forks, rewritten rows)"),
                            ("verify", "recompute every gate's chain from the rows the centre holds")):
        sp = sub.add_parser(name, help=help_text)
        sp.add_argument("--url")
    ra = sub.add_parser("reanchor", help="after a refused gate was looked at: accept the rows it lost for good and "
                                         "take its chain again from a row on (admin PIN; recorded as an incident)")
    ra.add_argument("--site", help="the school's site id (default: this kiosk's)")
    ra.add_argument("--gate", required=True)
    ra.add_argument("--from-seq", type=int, required=True, help="the first row to accept again (the refused one)")
    ra.add_argument("--reason", required=True, help="what was found and why the rows cannot be restored")
    ra.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")
    ra.add_argument("--url")
    pub = sub.add_parser("publish", help="publish a roster, a policy or trusted issuer keys to the kiosks")
    pub.add_argument("kind", choices=["roster", "policy", "issuers"])
    pub.add_argument("file", type=Path, help="roster: CSV/XLSX; policy: TOML with the [policy] keys; "
                                             "issuers: TOML of key_id = \"base64 public key\"")
    pub.add_argument("--scope", default=None, help="a school's site id, or * for the whole district "
                                                   "(default: this kiosk's school)")
    pub.add_argument("--confirm-threshold", action="store_true",
                     help="policy: publish a fever threshold outside 37.0–38.5 °C (the kiosks take it confirmed)")
    pub.add_argument("--url")


def _central(args: argparse.Namespace, settings: Settings) -> int:
    cmd = args.central_command
    if cmd == "reanchor":
        return _reanchor(args, settings)
    with open_central(settings, args.url, migrate=cmd == "init") as central:
        if cmd == "init":
            print(f"central schema at revision {central.revision()}")
        elif cmd == "gates":
            now = datetime.now(timezone.utc)
            for g in central.gates():
                last = g["last_sync_at"]
                ago = f"{(now - last).total_seconds() / 60:.0f} min ago" if last else "never"
                print(f"{g['site_id']}/{g['gate_id']}  {g['site_name'] or ''} {g['gate_name'] or ''}  "
                      f"head {g['head_seq'] or 0}  last sync {ago}")
        elif cmd == "incidents":
            rows = central.incidents()
            for i in rows:
                print(f"{i.at:%Y-%m-%d %H:%M} {i.site_id}/{i.gate_id} {i.kind} row {i.seq}: {i.detail}")
            if not rows:
                print("no incidents")
        elif cmd == "verify":
            bad = central.verify_chains()
            for site, gate, seq, why in bad:
                print(f"BROKEN: {site}/{gate} row {seq}: {why}")
            if not bad:
                print("OK: every chain the centre holds is intact")
            return 1 if bad else 0
        else:
            body = _publication_body(args.kind, args.file, confirm_threshold=args.confirm_threshold,
                                     by=settings.site.guard_id)
            scope = args.scope or settings.site.site_id
            version = central.publish(args.kind, scope, body, settings.site.guard_id)
            print(f"published {args.kind} v{version} for {'the district' if scope == '*' else scope}")
    return 0


def _reanchor(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.cli.base import admin_store
    from kiosk.services.tracing import check_reason

    site = args.site or settings.site.site_id
    try:
        check_reason(args.reason.strip())
    except ValueError as exc:
        raise CliError(str(exc).replace("--reason", "--reason of a re-anchoring")) from None
    with admin_store(settings, args.pin, "reanchor", required=True) as (store, _pin), \
            open_central(settings, args.url) as central:
        central.reanchor(site, args.gate, args.from_seq, settings.site.guard_id, args.reason.strip())
        store.audit(settings.site.guard_id, "reanchor", {"site": site, "gate": args.gate, "from_seq": args.from_seq,
                                                         "reason": args.reason.strip()})
    print(f"{site}/{args.gate}: the centre takes the chain again from row {args.from_seq} (recorded as an incident); "
          "run `gate-kiosk sync --once` at the gate")
    return 0


def _publication_body(kind: str, path: Path, *, confirm_threshold: bool = False, by: str = "") -> object:
    from kiosk.config.settings import fever_threshold_needs_confirmation
    from kiosk.domain.policy import Policy, PolicyError
    from kiosk.services.roster import read_roster
    from kiosk.services.publications import CONFIRMED_BY

    if kind == "roster":
        people, rejected = read_roster(path)
        if rejected:
            raise CliError(f"{path}: {len(rejected)} bad row(s), first: line {rejected[0][0]}: {rejected[0][1]}; "
                           "nothing published")
        return [{"person_id": p.person_id, "name": p.name, "kind": p.kind, "group": p.group,
                 "card_number": p.card_number} for p in people]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CliError(f"{path}: not valid TOML: {exc}") from None
    if kind == "policy":
        table = data.get("policy", data)
        try:
            policy = Policy.from_mapping(table)
        except PolicyError as exc:
            raise CliError(f"{path}: {exc}") from None
        if "version" not in table:
            raise CliError(f"{path}: a published policy needs a version: add version = \"2026-11-a\" "
                           "(any text that names this edition) under [policy]")
        if fever_threshold_needs_confirmation(policy):
            if not confirm_threshold:
                raise CliError(f"{path}: fever_threshold_c = {policy.fever_threshold_c:g} °C is outside "
                               "37.0–38.5 °C; every kiosk would refuse to start with it. Nothing published: "
                               "fix it, or publish again with --confirm-threshold if it is meant")
            table = {**table, CONFIRMED_BY: by or "central"}
        return table
    from kiosk.services.publications import check_issuer_keys

    table = data.get("trusted", data)
    try:
        check_issuer_keys(table)
    except ValueError as exc:
        raise CliError(f"{path}: {exc}") from None
    return table


# ------------------------------------------------------------ findings
def _setup_findings(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="findings_command", required=True)
    add = sub.add_parser("add", help="record a finding of a self-inspection or a supervision visit (台账)")
    add.add_argument("--site", help="school site id (default: this kiosk's)")
    add.add_argument("--source", choices=["self_inspection", "supervision"], default="self_inspection")
    add.add_argument("--date", help="day it was found (default: today)")
    add.add_argument("--by", default="", help="who found it")
    add.add_argument("text")
    close = sub.add_parser("close", help="close a finding with what was done (销号)")
    close.add_argument("id", type=int)
    close.add_argument("--action", required=True, help="what was done")
    close.add_argument("--date", help="day it was closed (default: today)")
    close.add_argument("--by", default="")
    ls = sub.add_parser("list", help="list findings (open ones by default)")
    ls.add_argument("--site")
    ls.add_argument("--all", action="store_true")
    for sp in (add, close, ls):
        sp.add_argument("--url")


def _findings(args: argparse.Namespace, settings: Settings) -> int:
    today = settings.site.today()
    try:
        day = date.fromisoformat(args.date) if getattr(args, "date", None) else today
    except ValueError:
        raise CliError(f"not a date: {args.date!r} (use YYYY-MM-DD)") from None
    if day > today:
        raise CliError(f"{day} is in the future: a finding is recorded on or after the day it happened")
    with open_central(settings, args.url) as central:
        if args.findings_command == "add":
            if not args.text.strip():
                raise CliError("a finding needs a description")
            fid = central.add_finding(args.site or settings.site.site_id, args.source, day, args.text.strip(), args.by)
            print(f"finding {fid} recorded")
        elif args.findings_command == "close":
            if not args.action.strip():
                raise CliError("say what was done (--action)")
            central.close_finding(args.id, day, args.action.strip(), args.by)
            print(f"finding {args.id} closed on {day}")
        else:
            rows = central.findings(args.site, open_on=None if args.all else today)
            for f in rows:
                state = f"closed {f['closed_on']}: {f['action_taken']}" if f["closed_on"] else "OPEN"
                print(f"#{f['id']} {f['site_id']} {f['found_on']} [{f['source']}] {f['description']} — {state}")
            if not rows:
                print("no findings")
    return 0


# --------------------------------------------------------------- trace
def _moment(text_: str) -> datetime:
    try:
        return datetime.fromisoformat(text_)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text_!r} (use YYYY-MM-DDTHH:MM)") from None


def _setup_trace(p: argparse.ArgumentParser) -> None:
    p.add_argument("--person", required=True, help="roster number, ID number, phone or name")
    p.add_argument("--from", dest="since", type=_moment, required=True, help="local time, YYYY-MM-DDTHH:MM")
    p.add_argument("--to", dest="until", type=_moment, required=True)
    p.add_argument("--window-min", type=float, default=15.0, help="same gate within ± this many minutes")
    p.add_argument("--reason", default="", help="the recorded reason of the tracing request (shows full identities)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--url")
    p.add_argument("--pin", help="admin PIN (or $GATE_KIOSK_PIN)")


def _trace(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.services.sealing import load_or_create_salt
    from kiosk.services.tracing import trace

    tz = ZoneInfo(settings.site.timezone)
    since = (args.since if args.since.tzinfo else args.since.replace(tzinfo=tz)).astimezone(timezone.utc)
    until = (args.until if args.until.tzinfo else args.until.replace(tzinfo=tz)).astimezone(timezone.utc)
    if until <= since:
        raise CliError("--to must be after --from")
    if not 0 < args.window_min <= 24 * 60:
        raise CliError("--window-min must be between 0 and 1440")
    reason = args.reason.strip()
    if reason:
        from kiosk.services.tracing import check_reason

        try:
            check_reason(reason)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    with admin_store(settings, args.pin, "trace", required=True) as (store, _pin), \
            open_central(settings, args.url) as central:
        t0 = time.perf_counter()
        try:
            result = trace(central, args.person, since, until, window=timedelta(minutes=args.window_min),
                           reason=reason, actor=settings.site.guard_id,
                           salts=[load_or_create_salt(settings.data_dir)])
        except ValueError as exc:
            raise CliError(str(exc)) from None
        store.audit(settings.site.guard_id, "trace", {"request": result.request_id, "reason": result.reason,
                                                      "entries": len(result.entries)})
        took = time.perf_counter() - t0
    if args.json:
        def row(r: dict[str, Any]) -> dict[str, Any]:
            return {"entry_id": r["id"], "site": r["site_id"], "gate": r["gate_id"], "at": r["created_at"].isoformat(),
                    "who": r["who"], "ref": r["ref_shown"], "kind": r["person_kind"], "decision": r["decision"],
                    **({"basis": r["basis"]} if "basis" in r else {})}
        print(json.dumps({"request": result.request_id, "entries": [row(e) for e in result.entries],
                          "contacts": {k: [row(c) for c in v] for k, v in result.contacts.items()}},
                         ensure_ascii=False))
        return 0
    print(f"trace request {result.request_id}: {len(result.entries)} entries of the person, "
          f"{result.contact_count} people at the same gates within ±{args.window_min:g} min ({took:.2f} s)"
          + ("" if result.reason else "; identities masked (give --reason to record why and see them)"))
    for e in result.entries:
        print(f"{e['created_at'].astimezone(tz):%Y-%m-%d %H:%M} {e['site_id']}/{e['gate_id']} {e['who']} "
              f"{e['ref_shown']} {e['decision']}  [{e['basis']}]")
        for c in result.contacts.get(e["id"], []):
            print(f"    {c['created_at'].astimezone(tz):%H:%M:%S} {c['who'] or '—'} {c['ref_shown']} "
                  f"{c['person_kind']} {c['decision']}")
    return 0


def register(sub: Subcommands) -> None:
    """Add the centre commands to ``gate-kiosk``."""
    add_command(sub, 'sync', 'forward the local log to the centre (store and forward)',
                _setup_sync, _sync)
    # The centre's own settings, not overlaid with what a gate last pulled from it.
    add_command(sub, 'central', 'the central database: schema, publications, gates, incidents',
                _setup_central, _central, Needs(pulled=False))
    add_command(sub, 'findings', 'the findings ledger of self-inspections and supervision (台账式管理, 清单式销号)',
                _setup_findings, _findings)
    add_command(sub, 'trace', 'contact tracing over every gate of the district (admin PIN, audited)',
                _setup_trace, _trace)
