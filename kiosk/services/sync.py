"""Store-and-forward to the centre: the sync loop, its status, and what the kiosk pulls down.

The kiosk always writes its own log first (``db.store``); the ``SyncLoop`` copies
it to the central PostgreSQL (``db.central.store``) in batches. Each stream
has a position in the local table ``sync_positions`` that advances only
after the centre committed, so a restart, a network loss or a centre
restart resumes where it stopped, and a batch sent twice changes nothing at
the centre (same ids). The loop is an explicit state machine
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
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from db.central.store import (
    CentralError,
    CentralStore,
    CentralUnavailable,
    ChainRefused,
)
from db.engine import StoreError
from devices.worker import Worker
from db.syncsource import SIDE_STREAMS, LocalStoreBusy, SyncSource
from kiosk.config.settings import Settings
from kiosk.domain.vocabulary import sync_words
from kiosk.services.ports import ForwardedLog
from kiosk.services.publications import central_dir, pull_publications, read_json, write_private

log = logging.getLogger(__name__)


class SyncState(str, enum.Enum):
    """Where the sync loop is."""

    IDLE = "idle"  # nothing pending
    SENDING = "sending"
    WAITING = "waiting"  # the centre is away; retrying with backoff
    REFUSED = "refused"  # the centre refused a gate's chain (an incident was recorded there)
    LOCAL_BUSY = "local_busy"  # the local log is locked by another program; retrying with backoff
    FAILING = "failing"  # an unexpected fault; logged with its traceback, retried with backoff
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

    def words(self, now: datetime | None = None, lang: str = "zh") -> str:
        """One short line a guard understands (kiosk.vocabulary): 已全部同步 / 待同步 N 条，最早 M 分钟前 / 中心暂不可达."""
        now = now or datetime.now(timezone.utc)
        n = self.pending
        if self.state in (SyncState.REFUSED.value, "not_configured"):
            return sync_words(self.state, lang)
        # A fault is said even with nothing waiting: "已全部同步" beside a red light misled (re-trial).
        if self.state in (SyncState.LOCAL_BUSY.value, SyncState.FAILING.value, SyncState.WAITING.value):
            return sync_words(self.state, lang, n=n) + self._oldest(now, lang)
        if n == 0:
            return sync_words("synced" if self.sent else "nothing", lang)
        return sync_words("pending", lang, n=n) + self._oldest(now, lang)

    def _oldest(self, now: datetime, lang: str) -> str:
        if self.oldest_pending_at is None:
            return ""
        return sync_words("oldest", lang, age=_ago(now - self.oldest_pending_at, lang))


def _ago(delta: timedelta, lang: str = "zh") -> str:
    s = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return sync_words(unit, lang, n=s // size)
    return sync_words("s", lang, n=s)


SYNC_STATE_FILE = "sync_state.json"


def recorded_status(store: ForwardedLog, settings: Settings, now: datetime | None = None) -> SyncStatus:
    """The gate's status for ``sync status``, from another process than the sync loop.

    Counts from the local log; the state as the sync loop last recorded it
    (``not_configured`` without a centre, ``unknown`` if no sync loop ever ran),
    with its age in the message when it is older than the sync loop's own rhythm.
    """
    if not settings.central.url:
        return replace(sync_status(store, SyncState.IDLE), state="not_configured",
                       message="no [central] url in the config: this gate does not forward")
    data = read_json(central_dir(settings) / SYNC_STATE_FILE) or {}
    status = sync_status(store)
    if not data.get("state") or not data.get("at"):
        return replace(status, state="unknown", message="the sync worker has not run yet")
    try:
        at = datetime.fromisoformat(str(data["at"]))
    except ValueError:
        return replace(status, state="unknown", message="the sync state file is damaged")
    age = ((now or datetime.now(timezone.utc)) - at).total_seconds()
    message = str(data.get("message") or "")
    if age > 120 + 2 * settings.central.max_backoff_s:
        message = (f"as recorded {int(age // 60)} min ago (is the sync worker running?)" +
                   (f": {message}" if message else ""))
    return replace(status, state=str(data["state"]), message=message)


def sync_status(store: ForwardedLog, state: SyncState = SyncState.IDLE, message: str = "") -> SyncStatus:
    source = SyncSource(store)
    local, sent = source.counts()
    return SyncStatus(local, sent, max(0, local - sent), source.last_sent_at(), source.oldest_pending(),
                      state.value, message)


class SyncLoop:
    """Sends the local log to the centre, round after round, on the caller's thread; see the module docstring.

    Not a thread of its own: ``sync`` runs it headless, ``SyncService`` on the kiosk's sync thread.
    """

    def __init__(self, store: ForwardedLog, central: CentralStore, settings: Settings,
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
        self._recorded: tuple[str, str] | None = None
        self._sender_id: str | None = None
        self._recorded_at = 0.0

    # ----------------------------------------------------------- one round
    def register(self) -> None:
        site, cal = self.settings.site, self.settings
        for gate in sorted({site.gate_id, *self.source.gates()}):
            self.central.register_gate(site.site_id, gate, site_name=site.report_name, district=site.district,
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
                result = self.central.ingest_entries(site_id, gate, rows, sender=self._sender())
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

    def _sender(self) -> str:
        """This kiosk's log id (random per install): the centre's incidents name the kiosk by it."""
        if self._sender_id is None:
            try:
                self._sender_id = self.store.ledger_state()[0][:12]
            except StoreError:  # a log without key state still syncs; its incidents just name no kiosk
                self._sender_id = ""
        return self._sender_id

    def run_once(self, busy_for_s: float = 60.0) -> SyncStatus:
        """Send until nothing is pending; raises ``CentralUnavailable`` if the centre cannot be reached.

        A locked local log is retried with backoff for ``busy_for_s`` before ``LocalStoreBusy`` is raised.
        """
        deadline, delay = time.monotonic() + busy_for_s, 0.5
        try:
            while True:
                try:
                    if not self.step():
                        break
                except LocalStoreBusy as exc:
                    self.state, self.message = SyncState.LOCAL_BUSY, str(exc)
                    if time.monotonic() + delay > deadline:
                        raise
                    log.warning("sync: %s; retrying in %.1f s", exc, delay)
                    self._sleep(delay)
                    delay = min(8.0, delay * 2)
            if self.settings.central.pull:
                pull_publications(self.store, self.central, self.settings)
        except CentralError as exc:
            if not isinstance(exc, ChainRefused):
                self.state, self.message = SyncState.WAITING, str(exc)
            raise
        finally:
            self.record_state(force=True)
        return self.status()

    def record_state(self, force: bool = False) -> None:
        """Leave the sync loop's state where ``sync status`` (another process) reads it: the local log cannot say
        that the centre is away. Written when it changes, and once a minute so its age says the sync loop is alive."""
        now = time.monotonic()
        key = (self.state.value, self.message)
        if not force and key == self._recorded and now - self._recorded_at < 60:
            return
        try:
            folder = central_dir(self.settings)
            folder.mkdir(parents=True, exist_ok=True)
            write_private(folder / SYNC_STATE_FILE, {"state": key[0], "message": key[1],
                                                     "at": datetime.now(timezone.utc).isoformat()})
            self._recorded, self._recorded_at = key, now
        except OSError as exc:  # the status file is a convenience: never a reason to stop sending
            log.warning("cannot record the sync state: %s", exc)

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
            except LocalStoreBusy as exc:
                # The centre may already hold the batch: resending it later changes nothing there.
                self.state, self.message = SyncState.LOCAL_BUSY, str(exc)
                log.warning("sync: %s; retrying in %.0f s", exc, delay)
                wait, delay = delay, min(cfg.max_backoff_s, delay * 2)
            except Exception as exc:  # the thread must never die silently: say it, back off, go on
                self.state, self.message = SyncState.FAILING, f"{type(exc).__name__}: {exc}"
                log.exception("sync round failed; retrying in %.0f s", delay)
                wait, delay = delay, min(cfg.max_backoff_s, delay * 2)
            self.record_state()
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
    """The ``SyncLoop`` on its own thread inside the running kiosk (built by ``kiosk.app_adapters.sync_service``).

    ``open_store`` and ``open_central`` are called on the sync thread: its own store and pool, so that the
    gate's writes never wait on the network.
    """

    thread_name = "sync"

    def __init__(self, settings: Settings, open_store: Callable[[], ForwardedLog], open_central: Callable[[], CentralStore],
                 on_status: Callable[[SyncStatus], None] | None = None, totals_every_s: float = 30.0) -> None:
        super().__init__()
        self.settings = settings
        self._open_store, self._open_central = open_store, open_central  # called on the sync thread
        self.on_status = on_status
        self.latest: SyncStatus | None = None  # read by the window's timer; replaced whole, never mutated
        self.school_today: dict[str, int] | None = None  # the school's totals across its gates, when reachable
        self._totals_every_s = totals_every_s
        self._totals_at = 0.0
        self._loop: SyncLoop | None = None
        self._store: ForwardedLog | None = None
        self._central: CentralStore | None = None

    def _run(self) -> None:
        self._store = self._open_store()
        self._central = self._open_central()
        self._loop = SyncLoop(self._store, self._central, self.settings)
        try:
            self._loop.run_forever(self._status_changed)
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
                day = self.settings.site.today()
                self.school_today = today_totals(self._central, self.settings.site.site_id, day)
                self._totals_at = time.monotonic()
            except CentralError:
                self.school_today = None
        if self.on_status is not None:
            self.on_status(status)

    def close(self, timeout: float = 10.0) -> None:
        if self._loop is not None:
            self._loop.stop()
        super().close(timeout)


# ------------------------------------------------------------------ down
def today_totals(central: CentralStore, site_id: str, day: date) -> dict[str, int]:
    """The school's entries today across all its gates, as the centre has them (the window's header)."""
    from db.central.queries import site_day_totals

    return site_day_totals(central, site_id, day)
