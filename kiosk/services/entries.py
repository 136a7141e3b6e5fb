"""Writing entries: from a decided visit to a ledger row, and the row to storage.

``EntryBuilder`` turns a visit and its verdict into an ``EntryRecord``: masked
identity, every code seen, the reasons as codes with parameters, sealed
registration details, where the entry came from (live, demo, simulation).

``EntryWriter`` hands rows to the entry log. Storage may fail (disk full,
locked database): the row then waits in a bounded in-memory queue, the
listener is told how many are waiting, and ``flush`` retries. Nothing
acknowledged is dropped silently: ``on_entry_committed`` is called only after
the commit returned.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from db.records import EntryRecord
from devices.worker import Worker
from kiosk.domain.model import Decision, Element, Reason
from kiosk.domain.policy import Verdict, is_flagged
from kiosk.services.ports import EntryLog, GateListener
from kiosk.domain.privacy import id_hash, mask_id, mask_name, mask_phone
from kiosk.services.sealing import RegistrationSealer
from kiosk.domain.visit import Visit

log = logging.getLogger(__name__)

ORIGINS = ("live", "demo", "simulation")


@dataclass(frozen=True)
class EntryContext:
    """What every entry of this gate shares: who and where, and how to seal and hash."""

    site_id: str
    gate_id: str
    timezone: tzinfo
    salt: bytes
    origin: str = "live"
    sealer: RegistrationSealer | None = None


class EntryBuilder:
    """Builds ledger rows from visits (see the module docstring)."""

    def __init__(self, context: EntryContext, new_id: Callable[[], str]) -> None:
        if context.origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}")
        self.context = context
        self._new_id = new_id

    def build(self, v: Visit, verdict: Verdict, decision: Decision, now: datetime, *, guard_id: str,
              policy_version: str, extra_reasons: tuple[Reason, ...] = ()) -> EntryRecord:
        ctx = self.context
        person = v.person
        reasons = [r.as_json() for r in (*verdict.reasons, *extra_reasons)]
        flagged = flagged_outcome(decision, verdict, v)
        temp = v.evidence.get(Element.TEMPERATURE)
        health = v.evidence.get(Element.HEALTH)
        mask = v.evidence.get(Element.MASK)
        registration, sealed = self._registration(person.registration)
        # The day of an entry is the day its person was judged: a retake or a
        # late write never moves it to the next day's ledger.
        local = v.started_at.astimezone(ctx.timezone)
        holder_name = person.name or v.holder.name
        return EntryRecord(
            id=self._new_id(),
            site_id=ctx.site_id,
            gate_id=ctx.gate_id,
            lane=v.lane.value,
            person_kind=person.kind.value,
            decision=decision.value,
            flagged=bool(flagged),
            policy_version=policy_version,
            guard_id=guard_id,
            created_at=now,
            local_date=local.date(),
            elements={e.value: ev.as_json() for e, ev in v.evidence.items()},
            reasons=reasons,
            person_ref=person.person_ref or v.holder.person_ref,
            name_masked=mask_name(holder_name),
            id_masked=mask_id(person.id_number) or v.holder.id_masked,
            id_hash=id_hash(person.id_number, ctx.salt) if person.id_number else None,
            health_status=str(health.value) if health is not None and health.value is not None else None,
            temperature_raw=_as_float(temp.detail.get("raw")) if temp else None,
            temperature_c=_round1(temp.value) if temp else None,
            thermometer_id=temp.detail.get("thermometer_id") if temp else None,
            calibration_id=temp.detail.get("calibration_id") if temp else None,
            mask=bool(mask.value) if mask is not None and mask.value is not None else None,
            registration=registration,
            handoff=decision is Decision.HANDOFF,
            corrects_id=v.corrects,
            note=v.override_reason,
            follow_up="retake_due" if any(r.code in ("retake", "fever_no_retake") for r in verdict.reasons)
            else None,
            origin=ctx.origin,
            visit_id=v.visit_id,
            codes=[c.as_json() for c in v.codes],
            returnee=person.returning_from_risk_area,
            registration_sealed=sealed,
        )

    def _registration(self, fields: dict[str, str]) -> tuple[dict[str, Any], str | None]:
        """Masked registration for the row; the full phone and ID sealed apart."""
        shown: dict[str, Any] = {k: v for k, v in fields.items() if k not in ("phone", "id_number", "name")}
        if fields.get("name"):
            shown["name"] = mask_name(fields["name"])
        if fields.get("phone"):
            shown["phone"] = mask_phone(fields["phone"])
        if fields.get("id_number"):
            shown["id_number"] = mask_id(fields["id_number"])
        secret = {k: fields[k] for k in ("name", "phone", "id_number") if fields.get(k)}
        sealer = self.context.sealer
        if not secret or sealer is None:
            return shown, None
        return shown, sealer.seal(secret)


def flagged_outcome(decision: Decision, verdict: Verdict, v: Visit) -> bool:
    """Whether a visit's outcome goes on the flagged list (one rule for the ledger and the window).

    Everything that is not a clean pass is flagged, except a hand-off, which
    is its own outcome; a hand-off is flagged only when its evidence failed.
    """
    if decision is Decision.HANDOFF:
        return is_flagged(decision, verdict.reasons)
    # A verdict that was flagged stays flagged whatever decision is logged for it.
    return verdict.flagged or is_flagged(decision, verdict.reasons, identity_questioned=v.identity.value != "clear",
                                         overridden=v.override_decision is not None)


class EntryWriter(Worker):
    """Hands entries to the log; a storage fault queues them (bounded) and is reported.

    Without ``start()`` every ``submit`` writes at once on the caller's thread
    (the headless commands, which must know an entry is committed before they
    say so). Started, the writer owns one named thread: ``submit`` only queues
    and returns, so that no GUI, camera or scanner thread ever waits for the
    database; the thread writes in order, retries a failing store with a
    growing pause, and ``drain`` waits (bounded) for the queue to empty.
    """

    MAX_WAITING = 10_000  # entries kept in memory while storage is down
    thread_name = "entry-writer"
    # A failed write already waited the store's whole lock limit (SQLite busy timeout,
    # PostgreSQL lock_timeout); closing right after it, trying again at once only
    # multiplied that wait before a command could say the entry was not saved (10-15 s).
    RETRY_PAUSE_S = 2.0

    def __init__(self, entry_log: EntryLog, listener: GateListener) -> None:
        super().__init__()
        self._log = entry_log
        self._listener = listener
        self._waiting: deque[EntryRecord] = deque()
        self._lock = threading.Lock()  # guards the queue; never held while the store works
        self._write_lock = threading.Lock()  # one writer at a time, in order
        self._wake = threading.Event()
        self.dropped = 0
        self.last_problem = ""
        self._failed_at = float("-inf")  # time.monotonic() of the last failed write

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def pending(self) -> list[EntryRecord]:
        """The entries still waiting for storage, oldest first (a copy)."""
        with self._lock:
            return list(self._waiting)

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after writing what it can within ``timeout``; ``waiting`` says how many are left."""
        self.drain(timeout)
        self._stop.set()
        self._wake.set()
        super().close(timeout)

    def submit(self, entry: EntryRecord) -> None:
        """Queue the entry; unthreaded, write everything waiting now (``on_entry_committed`` says when it is)."""
        with self._lock:
            self._waiting.append(entry)
        if self._thread is not None:
            self._wake.set()
        else:
            self.flush()

    def drain(self, timeout: float) -> bool:
        """Wait until nothing waits (True) or ``timeout`` passed (False)."""
        end = time.monotonic() + timeout
        while self.waiting:
            if self._thread is None:
                if time.monotonic() - self._failed_at >= self.RETRY_PAUSE_S:
                    self.flush()
                if self.waiting:
                    return False
                break
            if time.monotonic() >= end:
                return False
            self._wake.set()
            time.sleep(0.02)
        return True

    def _run(self) -> None:
        pause = 0.1
        while not self._stop.is_set():
            self._wake.wait(pause if self.waiting else 1.0)
            self._wake.clear()
            if self.flush():
                pause = 0.1
            else:
                pause = min(pause * 2, 2.0)  # storage is down: retry, but do not spin

    def flush(self) -> bool:
        """Write what waits, in order; False when storage failed (the rest keeps waiting)."""
        with self._write_lock:
            while True:
                with self._lock:
                    if not self._waiting:
                        return True
                    entry = self._waiting[0]
                try:
                    self._log.append(entry)
                except Exception as exc:  # storage faults must never stop the gate
                    self._failed(entry, exc)
                    return False
                with self._lock:
                    if self._waiting and self._waiting[0] is entry:
                        self._waiting.popleft()
                    empty = not self._waiting
                self._listener.on_entry_committed(entry.id)
                if empty:
                    self.last_problem = ""
                    self._listener.on_storage_problem("", 0)

    def _failed(self, entry: EntryRecord, exc: Exception) -> None:
        with self._lock:
            while len(self._waiting) > self.MAX_WAITING:
                # Memory is bounded too: the oldest go, counted and reported, never silently.
                lost = self._waiting.popleft()
                self.dropped += 1
                log.error("entry %s dropped: storage down and %d entries waiting", lost.id, self.MAX_WAITING)
            waiting = len(self._waiting)
        self._failed_at = time.monotonic()
        log.warning("entry %s waits for storage: %s", entry.id, str(exc).splitlines()[0] if str(exc) else exc)
        message = storage_message(exc)
        if self.dropped:
            message += f"；已丢弃 {self.dropped} 条最早的记录"
        self.last_problem = message
        self._listener.on_storage_problem(message, waiting)


def storage_message(exc: Exception) -> str:
    text = str(exc).lower()
    if "disk" in text or "full" in text or "no space" in text:
        return "存储空间已满：记录暂存在内存中，请清理磁盘"
    if "locked" in text or "busy" in text:
        return "数据库被占用：记录暂存在内存中，稍后自动写入"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "数据库只读：记录暂存在内存中，请检查文件权限"
    return f"无法写入数据库（{type(exc).__name__}）：记录暂存在内存中"


def not_written_report(entries: list[EntryRecord], problem: str) -> str:
    """Lines naming every entry that never reached the database, for whoever stopped the kiosk."""
    # Only the fault itself: the rest of the window's message ("kept in memory, written later") ends here.
    fault = problem.split("：")[0] if problem else "it did not answer in time"
    lines = [f"gate-kiosk: error: {len(entries)} entries were NOT written to the database ({fault}):"]
    lines += [f"  entry {e.id} at {e.created_at.isoformat(timespec='seconds')}, gate {e.gate_id}, {e.lane}, "
              f"{e.decision}" for e in entries]
    return "\n".join(lines)


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _round1(value: Any) -> float | None:
    number = _as_float(value)
    return None if number is None else round(number, 1)

