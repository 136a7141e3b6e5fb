"""Store-and-forward to the centre: the sync worker, its status, and what the kiosk pulls down.

The kiosk always writes its own log first (``db.store``); this worker copies
it to the central PostgreSQL (``db.central.store``) in batches. Each stream
has a position in the local table ``sync_positions`` that advances only
after the centre committed, so a restart, a network loss or a centre
restart resumes where it stopped, and a batch sent twice changes nothing at
the centre (same ids). The worker is an explicit state machine
(``SyncState``): idle, sending, waiting (backoff after a failure), refused
(the centre refused a gate's chain: a person must look), stopped.

Down from the centre: roster, policy (with its version) and trusted issuer
keys published for the school or the district are saved in the data
directory (``central/``) and the roster table; ``central_overlay`` puts the
last copy into the settings at start, so a kiosk keeps working on it while
the centre is away.
"""

from __future__ import annotations

import enum
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from db.central.store import CentralError, CentralStore, CentralUnavailable, ChainRefused
from db.records import RosterPerson
from db.store import EntryStore
from devices.worker import Worker
from db.syncsource import SIDE_STREAMS, SyncSource
from kiosk.config.settings import ConfigError, Settings
from kiosk.domain.policy import Policy, PolicyError

log = logging.getLogger(__name__)


class SyncState(str, enum.Enum):
    """Where the worker is."""

    IDLE = "idle"  # nothing pending
    SENDING = "sending"
    WAITING = "waiting"  # the centre is away; retrying with backoff
    REFUSED = "refused"  # the centre refused a gate's chain (an incident was recorded there)
    STOPPED = "stopped"


@dataclass(frozen=True)
class SyncStatus:
    """How far the gate is behind the centre, for ``sync status`` and the status bar."""

    local: int
    sent: int
    pending: int
    last_sent_at: datetime | None
    oldest_pending_at: datetime | None
    state: str = SyncState.IDLE.value
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"local": self.local, "sent": self.sent, "pending": self.pending,
                "last_sent_at": self.last_sent_at.isoformat() if self.last_sent_at else None,
                "oldest_pending_at": self.oldest_pending_at.isoformat() if self.oldest_pending_at else None,
                "state": self.state, "message": self.message}

    def words(self, now: datetime | None = None) -> str:
        """One line a guard understands: 已同步 / 落后 N 条（最早 M 分钟前）/ 中心不可达."""
        now = now or datetime.now(timezone.utc)
        if self.state == SyncState.REFUSED.value:
            return f"中心拒收本门岗记录，请联系管理员（{self.message}）"
        if self.pending == 0:
            return "已全部同步到中心" if self.sent else "尚无记录需要同步"
        behind = ""
        if self.oldest_pending_at is not None:
            behind = "，最早一条 " + _ago(now - self.oldest_pending_at)
        away = "中心暂不可达，" if self.state == SyncState.WAITING.value else ""
        return f"{away}待同步 {self.pending} 条{behind}"


def _ago(delta: timedelta) -> str:
    s = max(0, int(delta.total_seconds()))
    if s < 60:
        return f"{s} 秒前"
    if s < 3600:
        return f"{s // 60} 分钟前"
    if s < 86400:
        return f"{s // 3600} 小时前"
    return f"{s // 86400} 天前"


def sync_status(store: EntryStore, state: SyncState = SyncState.IDLE, message: str = "") -> SyncStatus:
    source = SyncSource(store)
    local, sent = source.counts()
    return SyncStatus(local, sent, max(0, local - sent), source.last_sent_at(), source.oldest_pending(),
                      state.value, message)


class SyncWorker:
    """Sends the local log to the centre; see the module docstring."""

    def __init__(self, store: EntryStore, central: CentralStore, settings: Settings,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.central = central
        self.settings = settings
        self.source = SyncSource(store)
        self.batch = settings.central.batch_size
        self.state = SyncState.IDLE
        self.message = ""
        self._sleep = sleep
        self._stop = threading.Event()
        self._registered = False
        self._refused_gates: dict[str, str] = {}
        self._gates: list[str] = []
        self._gates_at = -1e9

    # ----------------------------------------------------------- one round
    def register(self) -> None:
        site, cal = self.settings.site, self.settings
        for gate in sorted({site.gate_id, *self.source.gates()}):
            self.central.register_gate(site.site_id, gate, site_name=site.name, district=site.district,
                                       gate_name=site.gate_name if gate == site.gate_id else "",
                                       thermometer_id=cal.devices.thermometer_id if gate == site.gate_id else "",
                                       calibration_interval_days=cal.calibration.interval_days)
        self._registered = True

    def step(self) -> int:
        """Send at most one batch of every stream; returns the number of rows the centre newly took.

        Raises ``CentralUnavailable`` when the centre does not answer;
        a refused gate is remembered (state REFUSED) and the other streams go on.
        """
        if not self._registered:
            self.register()
        site_id = self.settings.site.site_id
        moved = 0
        self.state = SyncState.SENDING
        if time.monotonic() - self._gates_at > 60:
            # DISTINCT over the whole log is a scan: the list of gates in it is refreshed once a minute.
            self._gates, self._gates_at = self.source.gates(), time.monotonic()
        for gate in sorted({self.settings.site.gate_id, *self._gates}):
            rows = self.source.pending_entries(gate, self.batch)
            if not rows:
                self._refused_gates.pop(gate, None)
                continue
            try:
                result = self.central.ingest_entries(site_id, gate, rows)
            except ChainRefused as exc:
                self._refused_gates[gate] = str(exc)
                log.error("gate %s: %s", gate, exc)
                if exc.accepted_to is not None:
                    taken = [r for r in rows if int(r["seq"]) <= exc.accepted_to]
                    self.source.advance(f"entries:{gate}", exc.accepted_to, len(taken))
                continue
            self._refused_gates.pop(gate, None)
            self.source.advance(f"entries:{gate}", int(rows[-1]["seq"]), len(rows))
            moved += result.accepted + result.duplicates
        for stream in SIDE_STREAMS:
            before = self.source.cursor(stream)
            rows, position, cursor = self.source.pending_side(stream, self.batch)
            if not rows:
                continue
            self.central.ingest_side(stream, site_id, self.settings.site.gate_id, rows)
            self.source.advance(stream, position, len(rows), cursor)
            # Calibrations are re-sent from the last instant sent (the centre ignores known ones):
            # they count as progress only when the cursor moved, or a round would never end.
            moved += len(rows) if stream != "calibrations" else int(cursor != before)
        if self._refused_gates:
            self.state = SyncState.REFUSED
            self.message = "; ".join(f"{g}: {m}" for g, m in sorted(self._refused_gates.items()))
        else:
            self.state, self.message = SyncState.IDLE, ""
        return moved

    def run_once(self) -> SyncStatus:
        """Send until nothing is pending; raises ``CentralUnavailable`` if the centre cannot be reached."""
        while self.step():
            pass
        if self.settings.central.pull:
            pull_publications(self.store, self.central, self.settings)
        return self.status()

    def status(self) -> SyncStatus:
        return sync_status(self.store, self.state, self.message)

    # -------------------------------------------------------------- forever
    def run_forever(self, on_status: Callable[[SyncStatus], None] | None = None) -> None:
        """Rounds until ``stop()``: send while there is work, pause when idle, back off while the centre is away."""
        delay = 1.0
        cfg = self.settings.central
        last_pull = 0.0
        while not self._stop.is_set():
            try:
                moved = self.step()
                if cfg.pull and time.monotonic() - last_pull > 60:
                    pull_publications(self.store, self.central, self.settings)
                    last_pull = time.monotonic()
                delay = 1.0
                wait = 0.0 if moved else cfg.interval_s
            except CentralUnavailable as exc:
                self.state, self.message = SyncState.WAITING, str(exc)
                log.warning("centre away, retrying in %.0f s: %s", delay, exc)
                wait, delay = delay, min(cfg.max_backoff_s, delay * 2)
            except CentralError as exc:
                self.state, self.message = SyncState.WAITING, str(exc)
                log.error("sync: %s", exc)
                wait, delay = delay, min(cfg.max_backoff_s, delay * 2)
            if on_status is not None:
                try:
                    on_status(self.status())
                except Exception:  # a listener must not stop the sync
                    log.exception("sync status listener failed")
            if wait:
                self._stop.wait(wait)
        self.state = SyncState.STOPPED

    def stop(self) -> None:
        self._stop.set()


class SyncService(Worker):
    """The worker on its own thread inside the running kiosk (started by ``kiosk.app``)."""

    thread_name = "sync"

    def __init__(self, settings: Settings, on_status: Callable[[SyncStatus], None] | None = None,
                 totals_every_s: float = 30.0) -> None:
        super().__init__()
        self.settings = settings
        self.on_status = on_status
        self.latest: SyncStatus | None = None  # read by the window's timer; replaced whole, never mutated
        self.school_today: dict[str, int] | None = None  # the school's totals across its gates, when reachable
        self._totals_every_s = totals_every_s
        self._totals_at = 0.0
        self._worker: SyncWorker | None = None
        self._store: EntryStore | None = None
        self._central: CentralStore | None = None

    def _run(self) -> None:
        # Its own store and pool: the gate's writes never wait on the network.
        self._store = EntryStore(self.settings.database_url)
        self._central = CentralStore(self.settings.central.url,
                                     connect_timeout_s=self.settings.central.connect_timeout_s)
        self._worker = SyncWorker(self._store, self._central, self.settings)
        try:
            self._worker.run_forever(self._status_changed)
        finally:
            self._central.close()
            self._store.close()

    def _status_changed(self, status: SyncStatus) -> None:
        # Runs on the sync thread: the window only ever reads the finished objects.
        self.latest = status
        if status.state == SyncState.WAITING.value:
            self.school_today = None  # never show stale school totals as current
        elif self._central is not None and time.monotonic() - self._totals_at > self._totals_every_s:
            try:
                from zoneinfo import ZoneInfo

                day = datetime.now(ZoneInfo(self.settings.site.timezone)).date()
                self.school_today = today_totals(self._central, self.settings.site.site_id, day)
                self._totals_at = time.monotonic()
            except CentralError:
                self.school_today = None
        if self.on_status is not None:
            self.on_status(status)

    def close(self, timeout: float = 10.0) -> None:
        if self._worker is not None:
            self._worker.stop()
        super().close(timeout)


# ------------------------------------------------------------------ down
def central_dir(settings: Settings) -> Path:
    return settings.data_dir / "central"


def pull_publications(store: EntryStore, central: CentralStore, settings: Settings) -> dict[str, int]:
    """Take the newest roster, policy and issuer keys published for this school (or its district).

    Each is saved only when it is newer than the copy the kiosk has; a
    publication the kiosk cannot use (a bad policy) is logged and skipped,
    and the last good copy stays in force.
    """
    folder = central_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    taken: dict[str, int] = {}
    for kind, (scope, version, body) in central.latest_publications(settings.site.site_id).items():
        path = folder / f"{kind}.json"
        current = _read_json(path)
        if current and current.get("version") == version and current.get("scope") == scope:
            continue
        try:
            if kind == "policy":
                Policy.from_mapping(body)
            elif kind == "issuers":
                check_issuer_keys(body)
            elif kind == "roster":
                people = [RosterPerson(p["person_id"], p["name"], p["kind"], p.get("group", ""), p.get("card_number"))
                          for p in body]
                store.upsert_roster(people)
        except (PolicyError, ValueError, KeyError, TypeError) as exc:
            log.error("published %s v%s not taken: %s", kind, version, exc)
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"scope": scope, "version": version, "body": body,
                                   "pulled_at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False),
                       encoding="utf-8")
        tmp.replace(path)
        store.audit("sync", "pull", {"kind": kind, "scope": scope, "version": version})
        taken[kind] = version
    return taken


def check_issuer_keys(body: Any) -> None:
    """Raise ``ValueError`` unless ``body`` maps key ids to base64 Ed25519 public keys."""
    from kiosk.services.signedcode import load_public_key

    if not isinstance(body, dict) or not body:
        raise ValueError("expected key_id = \"<base64 Ed25519 public key>\" lines")
    for key_id, value in body.items():
        if not isinstance(value, str):
            raise ValueError(f"{key_id}: not a base64 public key")
        try:
            load_public_key(value)
        except ValueError as exc:
            raise ValueError(f"{key_id}: not an Ed25519 public key: {exc}") from None


def central_overlay(settings: Settings) -> Settings:
    """Settings with the last pulled policy and issuer keys in force (config file keys stay trusted too)."""
    if not settings.central.url:
        return settings
    folder = central_dir(settings)
    policy = _read_json(folder / "policy.json")
    issuers = _read_json(folder / "issuers.json")
    out = settings
    if policy:
        try:
            out = replace(out, policy=Policy.from_mapping(policy["body"]))
        except (PolicyError, KeyError, TypeError) as exc:
            raise ConfigError(f"{folder / 'policy.json'}: the pulled policy cannot be used: {exc}") from None
    if issuers and isinstance(issuers.get("body"), dict):
        out = replace(out, trusted_issuers={**dict(out.trusted_issuers), **issuers["body"]})
    return out


def pulled_issuer_keys(settings: Settings) -> dict[str, str]:
    """The issuer keys last pulled from the centre (vouched for there), or none."""
    if not settings.central.url:
        return {}
    issuers = _read_json(central_dir(settings) / "issuers.json")
    body = issuers.get("body") if issuers else None
    return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def today_totals(central: CentralStore, site_id: str, day: date) -> dict[str, int]:
    """The school's entries today across all its gates, as the centre has them (the window's header)."""
    from db.central.queries import site_day_totals

    return site_day_totals(central, site_id, day)
