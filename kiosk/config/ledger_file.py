"""Which entry log this kiosk keeps: the one marker file in the data dir, and whether the kiosk ran before.

``db.store.EntryStore`` reads and writes the marker; ``kiosk.app.build_store`` says where it is.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from db.engine import write_private
from kiosk.config.settings import Settings

LEDGER_REGISTRY = "ledger.json"
KEPT_A_LOG = "ledger-kept"  # written when the kiosk's own log is first opened: from then on a lost registry is an alarm


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
        return per_url  # a demo, a simulation or a database named with --db: one marker per database
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
    """This kiosk opened its own log before (a demo or a simulation does not count: they have their own)."""
    return (settings.data_dir / KEPT_A_LOG).exists()
