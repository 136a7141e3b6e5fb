"""The gate controller: one visit per person, fusing events that arrive in any order.

Events come from the camera thread (codes, mask), the thermometer thread
(readings), the guard (confirmations, typed readings, overrides, next
person) and a timer (``tick``). The controller collects them as evidence of
the current visit, asks the policy for a verdict after every event, and when
the verdict is final (PASS or DENY) writes one entry to the log and holds the
result on screen for ``result_display_s``. A visit that stalls past
``visit_timeout_s`` is judged as finished: missing hard elements deny.

Storage may fail (disk full, locked database): the entry then waits in a
bounded in-memory queue, the listener is told how many are waiting, and
``tick`` retries. Nothing acknowledged is dropped silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from db.records import EntryRecord
from devices.worker import Worker
from kiosk.config import GateSettings, SiteSettings
from kiosk.domain import (
    Decision,
    Element,
    Evidence,
    Lane,
    Outcome,
    Person,
    PersonKind,
    Reason,
    Source,
    Strength,
    TemperatureSample,
)
from kiosk.ports import Clock, EntryLog, GateListener, IdFactory
from kiosk.policy import Policy, Verdict
from kiosk.privacy import id_hash, mask_id, mask_name, mask_phone

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class CodeCheck:
    """A code that was read and verified, as the controller receives it.

    One code may prove several elements (a signed health code carries the
    nucleic-acid result too), hence a tuple of evidence. ``content_key`` is a
    digest of the raw content, used to debounce repeated scans and to spot a
    replayed code.
    """

    content_key: str
    evidence: tuple[Evidence, ...]
    holder_name: str | None = None
    holder_id_masked: str | None = None
    person_ref: str | None = None
    kind_hint: PersonKind | None = None

    @staticmethod
    def key_of(raw: bytes | str) -> str:
        data = raw.encode() if isinstance(raw, str) else raw
        return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class VisitSnapshot:
    """An immutable view of a visit for listeners and the window."""

    visit_id: str
    lane: Lane
    person: Person
    name_masked: str | None
    id_masked: str | None
    evidence: dict[Element, Evidence]
    verdict: Verdict
    started_at: datetime
    finished: bool
    entry_id: str | None
    retake_due_at: datetime | None
    override_reason: str | None
    handoff: bool
    policy_version: str
    required: tuple[Element, ...]

    @property
    def decision(self) -> Decision:
        return self.verdict.decision


@dataclass
class _Visit:
    visit_id: str
    lane: Lane
    person: Person
    started_at: datetime
    last_event_at: datetime
    evidence: dict[Element, Evidence] = field(default_factory=dict)
    temperatures: list[TemperatureSample] = field(default_factory=list)
    extra_reasons: list[Reason] = field(default_factory=list)
    code_keys: set[str] = field(default_factory=set)
    holder_name: str | None = None
    holder_id_masked: str | None = None
    finished: bool = False
    entry_id: str | None = None
    hold_until: datetime | None = None
    override_reason: str | None = None
    override_decision: Decision | None = None
    handoff: bool = False
    verdict: Verdict | None = None
    corrects: str | None = None  # the entry the next write corrects


class GateController:
    """Runs visits at one gate (see the module docstring). Thread-safe."""

    MAX_WAITING = 10_000  # entries kept in memory while storage is down

    def __init__(
        self,
        policy: Policy,
        entry_log: EntryLog,
        listener: GateListener,
        *,
        site: SiteSettings,
        gate: GateSettings,
        salt: bytes,
        clock: Clock = utc_now,
        new_id: IdFactory = new_uuid,
    ) -> None:
        self.policy = policy
        self._log = entry_log
        self._listener = listener
        self._site = site
        self._gate = gate
        self._salt = salt
        self._clock = clock
        self._new_id = new_id
        self._tz = ZoneInfo(site.timezone)
        self._lock = threading.RLock()
        self._lane = Lane.CAMPUS
        self._default_kind = PersonKind.STUDENT
        self._guard_id = site.guard_id
        self._visit: _Visit | None = None
        self._recent_codes: dict[str, tuple[datetime, str]] = {}  # key -> (last seen, visit id)
        self._waiting: deque[EntryRecord] = deque()
        self._collecting = False
        self.dropped = 0

    # ------------------------------------------------------------ properties
    @property
    def lane(self) -> Lane:
        return self._lane

    @property
    def default_kind(self) -> PersonKind:
        """Who a new visit in this lane is assumed to be until a code or the guard says otherwise."""
        return self._default_kind

    @property
    def waiting_entries(self) -> int:
        return len(self._waiting)

    def current(self) -> VisitSnapshot | None:
        with self._lock:
            return self._snapshot(self._visit) if self._visit else None

    # --------------------------------------------------------------- set-up
    def set_lane(self, lane: Lane, default_kind: PersonKind | None = None) -> None:
        """Switch lanes; an unfinished visit is closed first (it was someone else)."""
        with self._lock:
            self._abandon_open_visit()
            self._lane = lane
            self._default_kind = default_kind or (
                PersonKind.STUDENT if lane is Lane.CAMPUS else PersonKind.OTHER_WORKER
            )

    def set_guard(self, guard_id: str) -> None:
        with self._lock:
            self._guard_id = guard_id

    def start_visit(self, person: Person | None = None) -> VisitSnapshot:
        """Begin checking a person explicitly (the guard pressed "next", or the CLI)."""
        with self._lock:
            self._abandon_open_visit()
            self._visit = self._new_visit(person)
            return self._changed()

    def set_person(self, person: Person) -> VisitSnapshot:
        """Identity became known (roster card, registration form, CLI arguments)."""
        with self._lock:
            v = self._active()
            v.person = person
            return self._changed()

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """Gather several events and judge them once at the end (the headless ``check``).

        Without this, a first failing element would finish the visit and every
        later piece of evidence would become a correction.
        """
        with self._lock:
            self._collecting = True
            try:
                yield
            finally:
                self._collecting = False
            if self._visit is not None and not self._visit.finished:
                self._event(self._visit, self._clock())

    # --------------------------------------------------------------- events
    def code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        """A verified code from the camera; repeated scans of one code are one event."""
        with self._lock:
            now = self._clock()
            seen = self._recent_codes.get(check.content_key)
            if seen is not None:
                last_at, visit_id = seen
                if now - last_at < timedelta(seconds=self._gate.debounce_s):
                    self._recent_codes[check.content_key] = (now, visit_id)
                    return None
            if self._holding(now):
                return None
            v = self._active()
            # The same code at another person's visit soon after: a shared or screenshotted code.
            if seen is not None and seen[1] != v.visit_id and now - seen[0] < timedelta(
                    minutes=self._gate.replay_window_min):
                v.extra_reasons.append(Reason(
                    None, "replay", "同一二维码在短时间内已被他人使用过（疑似代刷）", hard=False,
                ))
            self._recent_codes[check.content_key] = (now, v.visit_id)
            self._prune_codes(now)
            v.code_keys.add(check.content_key)
            for ev in check.evidence:
                self._put(v, ev)
            if check.kind_hint is not None or check.person_ref is not None:
                kind = check.kind_hint or v.person.kind
                v.person = replace(v.person, kind=kind, person_ref=check.person_ref or v.person.person_ref,
                                   name=check.holder_name or v.person.name)
            if check.holder_name:
                v.holder_name = check.holder_name
            if check.holder_id_masked:
                v.holder_id_masked = check.holder_id_masked
            return self._event(v, now)

    def temperature(self, sample: TemperatureSample) -> VisitSnapshot | None:
        """A (stable, calibrated) reading from the thermometer, or typed by the guard."""
        with self._lock:
            now = self._clock()
            if sample.source is not Source.MANUAL and self._holding(now):
                return None
            v = self._active()
            if sample.at is None:
                sample = replace(sample, at=now)
            v.temperatures.append(sample)
            ev = self.policy.judge_temperature(v.temperatures)
            if ev is not None:
                v.evidence[Element.TEMPERATURE] = ev
            return self._event(v, now)

    def mask_seen(self, has_mask: bool | None, score: float = 0.0) -> VisitSnapshot | None:
        """An automatic mask result: a suggestion; "no mask" prompts the guard, never denies."""
        with self._lock:
            now = self._clock()
            if self._holding(now) or has_mask is None:
                return None
            v = self._active()
            current = v.evidence.get(Element.MASK)
            if current is not None and current.source is Source.MANUAL:
                return None  # the guard has spoken; the camera does not overrule
            if has_mask:
                ev = Evidence(Element.MASK, Outcome.OK, Source.DEVICE, True, detail={"score": round(score, 3)})
            else:
                ev = Evidence(Element.MASK, Outcome.UNKNOWN, Source.DEVICE, False,
                              detail={"score": round(score, 3)}, note="检测到未戴口罩，请提示佩戴")
            if current == ev:
                return None
            v.evidence[Element.MASK] = ev
            return self._event(v, now)

    def confirm(self, element: Element, ok: bool, value: Any = None, note: str = "") -> VisitSnapshot:
        """The guard confirms (or rejects) an element by eye; logged as manual."""
        with self._lock:
            now = self._clock()
            v = self._active()
            if element is Element.TEMPERATURE:
                raise ValueError("type a temperature with type_temperature(); it is a reading, not a yes/no")
            if value is None:
                value = ok if element is Element.MASK else ("green" if ok and element is Element.HEALTH else ok)
            ev = Evidence(element, Outcome.OK if ok else Outcome.FAIL, Source.MANUAL, value,
                          Strength.VERIFIED, note=note or ("人工确认" if ok else "人工判定不合格"))
            v.evidence[element] = ev
            return self._event(v, now, allow_after_finish=True)

    def type_temperature(self, celsius: float) -> VisitSnapshot:
        """A reading the guard took by hand (clinical thermometer); counts as a retake at once."""
        result = self.temperature(TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL))
        assert result is not None
        return result

    def register(self, fields: dict[str, str]) -> VisitSnapshot:
        """Registration of a temporary worker or visitor (name, phone, company, purpose, plate)."""
        missing = [k for k in ("name", "phone", "company", "purpose") if not str(fields.get(k, "")).strip()]
        with self._lock:
            now = self._clock()
            v = self._active()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean)
            if missing:
                labels = {"name": "姓名", "phone": "电话", "company": "单位", "purpose": "事由"}
                v.evidence.pop(Element.REGISTRATION, None)
                v.extra_reasons = [r for r in v.extra_reasons if r.code != "registration_incomplete"]
                v.extra_reasons.append(Reason(
                    Element.REGISTRATION, "registration_incomplete",
                    "登记信息不完整：" + "、".join(labels[m] for m in missing), hard=False,
                ))
            else:
                v.extra_reasons = [r for r in v.extra_reasons if r.code != "registration_incomplete"]
                v.evidence[Element.REGISTRATION] = Evidence(
                    Element.REGISTRATION, Outcome.OK, Source.MANUAL, True,
                    detail={"company": clean.get("company"), "purpose": clean.get("purpose")},
                )
            return self._event(v, now)

    def handoff(self, fields: dict[str, str]) -> VisitSnapshot:
        """A courier hands over at the guard room and does not enter: logged as a hand-off."""
        with self._lock:
            now = self._clock()
            v = self._active()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean)
            if v.finished and v.entry_id is not None:
                v.corrects = v.entry_id  # decided already: the hand-off corrects that entry
            v.handoff = True
            v.override_decision = Decision.DENY
            v.override_reason = "快递/货物在指定区域交接，未入校"
            self._finalise(v, now, self._verdict(v))
            return self._changed()

    def override(self, decision: Decision, reason: str) -> VisitSnapshot:
        """The guard overrides the verdict; a reason is mandatory and logged.

        After an entry was written the override is a correction row that
        points back at it (the log is append-only).
        """
        if not reason or not reason.strip():
            raise ValueError("an override needs a reason")
        if decision is Decision.INCOMPLETE:
            raise ValueError("an override must decide: PASS or DENY")
        with self._lock:
            now = self._clock()
            v = self._visit
            if v is None:
                raise LookupError("no visit to override")
            v.override_decision = decision
            v.override_reason = reason.strip()
            if v.finished and v.entry_id is not None:
                v.corrects = v.entry_id
            self._finalise(v, now, self._verdict(v))
            return self._changed()

    def next_person(self) -> None:
        """The guard moves on; an unfinished visit with evidence is logged as not completed."""
        with self._lock:
            self._abandon_open_visit()
            self._visit = None
            self._listener.on_visit_changed(self._empty_snapshot())

    def tick(self) -> None:
        """Called by a timer: time out stalled visits, end holds, retry waiting entries."""
        with self._lock:
            now = self._clock()
            self._flush_waiting()
            v = self._visit
            if v is None:
                return
            if v.finished:
                if v.hold_until is not None and now >= v.hold_until:
                    self._visit = None
                    self._listener.on_visit_changed(self._empty_snapshot())
                return
            if now - v.last_event_at >= timedelta(seconds=self._gate.visit_timeout_s):
                self._finalise(v, now, self._verdict(v, finished=True))
                self._changed()

    def log_current(self) -> VisitSnapshot:
        """Write the current visit as it stands (the headless ``check`` command)."""
        with self._lock:
            v = self._active()
            if not v.finished:
                self._finalise(v, self._clock(), self._verdict(v))
            return self._changed()

    # ------------------------------------------------------------- internals
    def _active(self) -> _Visit:
        # A finished visit still on screen takes the guard's corrections; once its
        # hold is over, the next event belongs to the next person.
        if self._visit is None or (self._visit.finished and not self._holding(self._clock())):
            self._visit = self._new_visit(None)
        return self._visit

    def _new_visit(self, person: Person | None) -> _Visit:
        now = self._clock()
        return _Visit(self._new_id(), self._lane, person or Person(self._default_kind), now, now)

    def _holding(self, now: datetime) -> bool:
        v = self._visit
        return bool(v and v.finished and v.hold_until is not None and now < v.hold_until)

    def _put(self, v: _Visit, ev: Evidence) -> None:
        current = v.evidence.get(ev.element)
        # A guard's word is not replaced by a later camera reading of the same element.
        if current is not None and current.source is Source.MANUAL and ev.source is not Source.MANUAL:
            return
        v.evidence[ev.element] = ev

    def _verdict(self, v: _Visit, finished: bool = False) -> Verdict:
        verdict = self.policy.evaluate(v.lane, v.person, v.evidence, finished)
        if v.extra_reasons:
            reasons = verdict.reasons + tuple(v.extra_reasons)
            pending = verdict.pending
            decision = verdict.decision
            if any(r.code == "registration_incomplete" for r in v.extra_reasons) and decision is Decision.PASS:
                decision = Decision.INCOMPLETE
            verdict = Verdict(decision, reasons, verdict.flagged or any(
                r.code == "replay" for r in v.extra_reasons), pending)
        return verdict

    def _event(self, v: _Visit, now: datetime, allow_after_finish: bool = False) -> VisitSnapshot:
        v.last_event_at = now
        if v.finished:
            if not (allow_after_finish and v.entry_id is not None):
                return self._changed()
            # The guard changed an element after the verdict: the visit reopens and
            # its next entry is a correction of the one already written.
            v.corrects, v.finished, v.hold_until = v.entry_id, False, None
        verdict = self._verdict(v)
        if verdict.decision in (Decision.PASS, Decision.DENY) and not self._collecting:
            self._finalise(v, now, verdict)
        else:
            v.verdict = verdict
        return self._changed()

    def _finalise(self, v: _Visit, now: datetime, verdict: Verdict) -> None:
        v.verdict = verdict
        v.finished = True
        v.hold_until = now + timedelta(seconds=self._gate.result_display_s)
        entry = self._entry(v, verdict, now, v.corrects)
        v.entry_id = entry.id
        self._store(entry)
        self._listener.on_entry_logged(self._snapshot(v), entry.id)

    def _abandon_open_visit(self) -> None:
        v = self._visit
        if v is not None and not v.finished and (v.evidence or v.temperatures):
            self._finalise(v, self._clock(), self._verdict(v, finished=True))

    def _entry(self, v: _Visit, verdict: Verdict, now: datetime, corrects: str | None) -> EntryRecord:
        person = v.person
        decision = v.override_decision or verdict.decision
        flagged = verdict.flagged or decision is Decision.DENY or v.override_decision is not None or any(
            r.code == "retake" for r in verdict.reasons)
        temp = v.evidence.get(Element.TEMPERATURE)
        health = v.evidence.get(Element.HEALTH)
        mask = v.evidence.get(Element.MASK)
        reasons = [r.as_json() for r in verdict.reasons]
        if v.override_reason:
            reasons.append({"element": None, "code": "override", "message": f"人工改判：{v.override_reason}",
                            "hard": False})
        registration: dict[str, str | None] = dict(person.registration)
        if "phone" in registration:
            registration["phone"] = mask_phone(registration["phone"])
        if "name" in registration:
            registration["name"] = mask_name(registration["name"])
        local = now.astimezone(self._tz)
        return EntryRecord(
            id=self._new_id(),
            site_id=self._site.site_id,
            gate_id=self._site.gate_id,
            lane=v.lane.value,
            person_kind=person.kind.value,
            decision=decision.value,
            flagged=flagged,
            policy_version=self.policy.version,
            guard_id=self._guard_id,
            created_at=now,
            local_date=local.date(),
            elements={e.value: ev.as_json() for e, ev in v.evidence.items()},
            reasons=reasons,
            person_ref=person.person_ref,
            name_masked=mask_name(person.name or v.holder_name),
            id_masked=mask_id(person.id_number) or v.holder_id_masked,
            id_hash=id_hash(person.id_number, self._salt) if person.id_number else None,
            health_status=str(health.value) if health is not None and health.value is not None else None,
            temperature_raw=_as_float(temp.detail.get("raw")) if temp else None,
            temperature_c=_as_float(temp.value) if temp else None,
            thermometer_id=temp.detail.get("thermometer_id") if temp else None,
            calibration_id=temp.detail.get("calibration_id") if temp else None,
            mask=bool(mask.value) if mask is not None and mask.value is not None else None,
            registration=registration,
            handoff=v.handoff,
            corrects_id=corrects,
            note=v.override_reason,
            follow_up="retake_due" if any(r.code == "retake" for r in verdict.reasons) else None,
        )

    def _store(self, entry: EntryRecord) -> None:
        self._waiting.append(entry)
        self._flush_waiting()

    def _flush_waiting(self) -> None:
        while self._waiting:
            entry = self._waiting[0]
            try:
                self._log.append(entry)
            except Exception as exc:  # storage faults must never stop the gate
                while len(self._waiting) > self.MAX_WAITING:
                    # Memory is bounded too: the oldest go, counted and reported, never silently.
                    lost = self._waiting.popleft()
                    self.dropped += 1
                    log.error("entry %s dropped: storage down and %d entries waiting", lost.id, self.MAX_WAITING)
                log.warning("entry %s waits for storage: %s", entry.id, exc)
                message = _storage_message(exc)
                if self.dropped:
                    message += f"；已丢弃 {self.dropped} 条最早的记录"
                self._listener.on_storage_problem(message, len(self._waiting))
                return
            self._waiting.popleft()
            self._listener.on_entry_committed(entry.id)
            if not self._waiting:
                self._listener.on_storage_problem("", 0)

    def _prune_codes(self, now: datetime) -> None:
        horizon = timedelta(minutes=self._gate.replay_window_min) + timedelta(seconds=self._gate.debounce_s)
        if len(self._recent_codes) > 512:
            self._recent_codes = {k: v for k, v in self._recent_codes.items() if now - v[0] < horizon}

    def _retake_due(self, v: _Visit) -> datetime | None:
        ev = v.evidence.get(Element.TEMPERATURE)
        if ev is None or ev.outcome is not Outcome.RETAKE:
            return None
        first = next((s for s in v.temperatures if s.celsius >= self.policy.fever_threshold_c and s.at), None)
        return first.at + timedelta(seconds=self.policy.retake_wait_s) if first and first.at else None

    def _snapshot(self, v: _Visit) -> VisitSnapshot:
        verdict = v.verdict or self._verdict(v)
        if v.override_decision is not None:
            verdict = Verdict(v.override_decision, verdict.reasons, True, verdict.pending)
        return VisitSnapshot(
            visit_id=v.visit_id, lane=v.lane, person=v.person,
            name_masked=mask_name(v.person.name or v.holder_name),
            id_masked=mask_id(v.person.id_number) or v.holder_id_masked,
            evidence=dict(v.evidence), verdict=verdict, started_at=v.started_at, finished=v.finished,
            entry_id=v.entry_id, retake_due_at=self._retake_due(v), override_reason=v.override_reason,
            handoff=v.handoff, policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(v.person)),
        )

    def _empty_snapshot(self) -> VisitSnapshot:
        person = Person(self._default_kind)
        return VisitSnapshot(
            visit_id="", lane=self._lane, person=person, name_masked=None, id_masked=None, evidence={},
            verdict=Verdict(Decision.INCOMPLETE, (), False, ()), started_at=self._clock(), finished=False,
            entry_id=None, retake_due_at=None, override_reason=None, handoff=False,
            policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(person)),
        )

    def _changed(self) -> VisitSnapshot:
        assert self._visit is not None
        snap = self._snapshot(self._visit)
        self._listener.on_visit_changed(snap)
        return snap


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _storage_message(exc: Exception) -> str:
    text = str(exc).lower()
    if "disk" in text or "full" in text or "no space" in text:
        return "存储空间已满：记录暂存在内存中，请清理磁盘"
    if "locked" in text or "busy" in text:
        return "数据库被占用：记录暂存在内存中，稍后自动写入"
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "数据库只读：记录暂存在内存中，请检查文件权限"
    return f"无法写入数据库（{type(exc).__name__}）：记录暂存在内存中"


class Ticker(Worker):
    """Calls ``controller.tick()`` on a named thread: visit timeouts, holds, storage retries."""

    thread_name = "gate-ticker"

    def __init__(self, controller: GateController, interval_s: float = 0.25) -> None:
        super().__init__()
        self._controller = controller
        self._interval = interval_s

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._controller.tick()
            except Exception:  # the ticker must outlive any one bad tick
                log.exception("gate tick failed")
