"""Which entry log this kiosk keeps: the one marker file in the data dir, and whether the kiosk ran before.

``db.store.EntryStore`` reads and writes the marker; ``kiosk.app.build_store`` says where it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from db.engine import write_private
from kiosk.config.settings import Settings

LEDGER_REGISTRY = "ledger.json"
KEPT_A_LOG = "ledger-kept"  # written when the kiosk's own log is first opened: from then on a lost registry is an alarm
OTHER_LEDGER_PREFIX = "other-ledger-"  # a demo's, a simulation's or a --db database's marker: never the kiosk's
ADMIN_FILE = "admin.json"  # kiosk.services.access keeps the PIN there; "log_kept" is false only before the first log


def ledger_marker(settings: Settings) -> Path:
    """Where this kiosk remembers which log it keeps: one file in the data dir, whatever ``database.url`` says.

    It used to be one file per URL (``ledger-<hash of the URL>.json``): editing
    the URL, or deleting that file, started a new log without an alarm. Such a
    file from before is taken over once: the one for the URL in force, else the
    newest (so a URL changed at the same time is still seen).
    """
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    per_url = settings.data_dir / f"ledger-{digest}.json"
    if not settings.own_log:
        # A demo, a simulation or a database named with --db: one marker per database, under a name
        # the registry below never takes over (that made a simulation the kiosk's remembered log).
        return settings.data_dir / f"{OTHER_LEDGER_PREFIX}{digest}.json"
    registry = settings.data_dir / LEDGER_REGISTRY
    if not registry.exists():
        demo_url = "sqlite:///" + str(settings.data_dir / "demo.sqlite3")
        demo = "ledger-" + hashlib.sha256(demo_url.encode()).hexdigest()[:12]
        older = sorted((p for p in settings.data_dir.glob("ledger-*.json") if p.stem != demo),
                       key=lambda p: p.stat().st_mtime)
        source = per_url if per_url.exists() else (older[-1] if older else None)
        if source is not None:
            write_private(registry, source.read_text(encoding="utf-8"))
    return registry


def kept_a_log_before(settings: Settings) -> bool:
    """This kiosk opened its own log before (a demo or a simulation does not count: they have their own).

    ``ledger-kept`` says so; so does an admin PIN file that saw a log (deleting
    the log, ``ledger.json`` and ``ledger-kept`` while keeping the PIN is the
    ledger alarm, not a fresh kiosk). The PIN file of a first-run setup says
    ``"log_kept": false`` until the log is first opened (``note_log_kept``);
    one from before that key existed counts as having seen a log. The export
    signing key is no evidence: exporting a demo database (``--db``) makes it too.
    """
    if (settings.data_dir / KEPT_A_LOG).exists():
        return True
    pin = _admin_file(settings.data_dir)
    return pin is not None and pin_file_saw_a_log(pin)


def pin_file_saw_a_log(data: dict[str, Any]) -> bool:
    """The admin PIN file of a kiosk that kept a log (one from before "log_kept" existed counts as one)."""
    return "hash" in data and data.get("log_kept", True) is not False


def note_log_kept(settings: Settings) -> None:
    """The kiosk's own log was opened for the first time: the PIN file, if any, now says it saw a log."""
    write_private(settings.data_dir / KEPT_A_LOG, "")  # from now on a lost ledger.json is an alarm
    pin = _admin_file(settings.data_dir)
    if pin is not None and pin.get("log_kept") is False:
        # Re-read just before writing: a PIN changed meanwhile is never written back over.
        if _admin_file(settings.data_dir) == pin:
            write_private(settings.data_dir / ADMIN_FILE, json.dumps({**pin, "log_kept": True}))


def _admin_file(data_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((data_dir / ADMIN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
