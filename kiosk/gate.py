"""The gate controller: routes every event to the right visit and logs one entry per person.

Events come from the camera thread (codes, mask), the thermometer thread
(readings), the guard (confirmations, person kind, typed readings,
overrides, next person) and a timer (``tick``). The controller owns three
small pieces and keeps them apart:

- the visits (``kiosk.visit``): the person in front of the guard, and the
  people who stepped aside to wait for a retake (the retake list);
- the replay guard (``kiosk.replay``): the same code at another visit;
- the entry writer (``kiosk.entries``): ledger rows, and waiting for storage.

Routing a code: a code belonging to someone on the retake list resumes that
visit; a code whose holder differs from the open visit's (or a second code of
the same kind that cannot be shown to be the same person's) ends the open
visit, which is logged with what it had, and starts a new one. Nothing is
overwritten: every code seen stays on its visit and in its entry row.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

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
from kiosk.entries import EntryBuilder, EntryContext, EntryWriter, flagged_outcome
from kiosk.spool import EntrySpool
from kiosk.policy import Policy, Verdict, denies_everywhere
from kiosk.ports import Clock, EntryLog, GateListener, IdFactory
from kiosk.privacy import mask_id, mask_name
from kiosk.replay import RecentCodes, ReplayGuard, Sighting
from kiosk.sealing import RegistrationSealer
from kiosk.visit import CodeCheck, IdentityCheck, SeenCode, Visit, VisitState

log = logging.getLogger(__name__)

__all__ = ["CodeCheck", "ConfirmRefused", "GateController", "Ticker", "VisitSnapshot", "utc_now"]

# What a guard may record seeing, per element (the first is "all is well").
SEEN_VALUES: dict[Element, tuple[str, ...]] = {
    Element.HEALTH: ("green", "yellow", "red"),
    Element.ITINERARY: ("green", "risk"),
    Element.VACCINE: ("vaccinated", "none"),
    Element.NUCLEIC_ACID: ("negative", "positive"),
    Element.CARD: ("ok", "wrong"),
    Element.MASK: ("yes", "no"),
    Element.REGISTRATION: ("ok", "incomplete"),
}
REGISTRATION_REQUIRED = ("name", "phone", "id_number", "company", "purpose")
SOURCE_WORDS = {Source.SIGNATURE: "签名", Source.SERVER: "验码服务", Source.ROSTER: "名册", Source.DEVICE: "设备",
                Source.MANUAL: "门卫", Source.COLOR: "颜色识别"}


def locked_failure(ev: Evidence | None) -> bool:
    """A failure locked on its visit: proved by a signature, the issuer's server or the roster, or one that
    denies everywhere (a yellow or red code, a positive test, a risk area) whoever saw it. Only an
    override with a reason changes the verdict it made."""
    if ev is None or ev.outcome is not Outcome.FAIL:
        return False
    proved = ev.strength is Strength.VERIFIED and ev.source in (Source.SIGNATURE, Source.SERVER, Source.ROSTER)
    return proved or denies_everywhere(ev)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class ConfirmRefused(ValueError):
    """A guard's confirmation cannot change verified evidence of a failure: only an override can."""


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
    state: VisitState = VisitState.OPEN
    codes: tuple[SeenCode, ...] = ()
    identity: IdentityCheck = IdentityCheck.CLEAR
    wait_expires_at: datetime | None = None

    @property
    def decision(self) -> Decision:
        return self.verdict.decision


class GateController:
    """Runs visits at one gate (see the module docstring). Thread-safe."""

    RETAKE_LIST_MAX = 50
    PARK_READING_S = 10.0  # a reading during a verdict's hold waits this long for the next person
    REFUSAL_ALERT_S = 30.0  # a code naming nobody this soon after a refusal needs an identity check

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
        origin: str = "live",
        sealer: RegistrationSealer | None = None,
        recent_codes: RecentCodes | None = None,
        spool: EntrySpool | None = None,
    ) -> None:
        self.policy = policy
        self._log = entry_log
        self._listener = listener
        self._gate = gate
        self._clock = clock
        self._new_id = new_id
        self._lock = threading.RLock()
        self._lane = Lane.CAMPUS
        self._default_kind = PersonKind.STUDENT
        self._guard_id = site.guard_id
        self._visit: Visit | None = None
        self._waiting_retake: dict[str, Visit] = {}
        self._collecting = False
        self._parked: TemperatureSample | None = None
        self._outcomes: dict[str, bool] = {}  # recent visits: did they end in a pass (replay judgement)
        self._last_refusal_at: datetime | None = None
        self.replay = ReplayGuard(gate.debounce_s, gate.replay_window_min, recent_codes)
        self.writer = EntryWriter(entry_log, listener, spool)
        self.builder = EntryBuilder(
            EntryContext(site.site_id, site.gate_id, ZoneInfo(site.timezone), salt, origin, sealer), new_id)

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
        return self.writer.waiting

    @property
    def dropped(self) -> int:
        return self.writer.dropped

    def now(self) -> datetime:
        """The gate's clock (the window's countdowns use it, so that they agree with the controller)."""
        return self._clock()

    def current(self) -> VisitSnapshot | None:
        with self._lock:
            return self._snapshot(self._visit) if self._visit else None

    def retake_list(self) -> list[VisitSnapshot]:
        """People who stepped aside to wait for a retake, the longest waiting first."""
        with self._lock:
            return [self._snapshot(v) for v in sorted(self._waiting_retake.values(), key=lambda v: v.started_at)]

    # --------------------------------------------------------------- set-up
    def set_lane(self, lane: Lane, default_kind: PersonKind | None = None) -> None:
        """Switch lanes; an unfinished visit is closed first (it was someone else)."""
        with self._lock:
            self._end_current()
            self._lane = lane
            self._default_kind = default_kind or (
                PersonKind.STUDENT if lane is Lane.CAMPUS else PersonKind.OTHER_WORKER
            )
            self._listener.on_visit_changed(self._empty_snapshot())

    def set_guard(self, guard_id: str) -> None:
        with self._lock:
            self._guard_id = guard_id

    def start_visit(self, person: Person | None = None) -> VisitSnapshot:
        """Begin checking a person explicitly (the guard pressed "next", or the CLI)."""
        with self._lock:
            self._end_current()
            self._visit = self._new_visit(person)
            if person is not None:
                self._visit.kind_set_by_guard = True
            return self._changed(self._visit)

    @contextlib.contextmanager
    def collecting(self) -> Iterator[None]:
        """Gather several events and judge them once at the end (the headless ``check``)."""
        with self._lock:
            self._collecting = True
            try:
                yield
            finally:
                self._collecting = False
            v = self._visit
            if v is not None and v.state is VisitState.OPEN:
                self._judge(v, self._clock())

    # --------------------------------------------------------------- events
    def code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        """A verified code from the camera or a scanner; repeated scans of one code are one event."""
        self.replay.prefetch(check.content_key)  # a database read, before the lock the GUI thread shares
        try:
            return self._code_seen(check)
        finally:
            self.replay.persist()  # written after the lock is released, on this (the verifier's) thread

    def _code_seen(self, check: CodeCheck) -> VisitSnapshot | None:
        with self._lock:
            now = self._clock()
            current = self._visit
            current_id = current.visit_id if current is not None and current.state is not VisitState.CLOSED else None
            front_busy = current is not None and current.state is VisitState.OPEN and current.has_person_evidence
            sighting = self.replay.classify(check.content_key, current_id, now, front_busy=front_busy,
                                            entered=self._entered)
            if sighting is Sighting.REPEAT or (current is not None and check.content_key in current.code_keys
                                               and current.state is not VisitState.CLOSED):
                self.replay.touch(check.content_key, now)
                return None
            waiting = self._waiting_for(check)
            if waiting is not None:
                v = self._resume(waiting, now)
            else:
                previous = self._visit
                v = self._visit_for(check, now)
                if sighting is Sighting.REPLAY:
                    v.suspect("replay")
                elif v is not previous and self._refused_moments_ago(now):
                    # Someone was refused a moment ago: the next code could be theirs (a second phone).
                    v.suspect("after_refusal")
            self.replay.record(check.content_key, v.visit_id, now)
            v.codes.append(SeenCode.of(check, now, sighting is Sighting.REPLAY and waiting is None))
            v.holder = v.holder.merge(check.holder)
            for ev in check.evidence:
                self._put(v, ev)
            self._learn_person(v, check)
            if v.identity is IdentityCheck.CLEAR and v.codes_of_unknown_and_known_holders:
                # A visit's codes must be one person's: a code that names nobody beside codes that
                # name someone (a card and somebody's phone, three codes of a worker) needs the guard.
                v.suspect("identity_unbound")
            return self._event(v, now)

    def temperature(self, sample: TemperatureSample) -> VisitSnapshot | None:
        """A (stable, calibrated) reading from the thermometer, or typed by the guard."""
        with self._lock:
            now = self._clock()
            v = self._visit
            if sample.source is not Source.MANUAL and v is not None and self._holding(v, now):
                # The person just judged may still be in front of the thermometer, or the next
                # person stepped up: park the reading for the next visit (used if one starts soon).
                self._parked = replace(sample, at=sample.at or now)
                return None
            v = self._active(now, reopen=sample.source is Source.MANUAL)
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
            v = self._visit
            if has_mask is None or (v is not None and self._holding(v, now)):
                return None
            v = self._active(now)
            current = v.evidence.get(Element.MASK)
            if current is not None and current.source is Source.MANUAL:
                return None  # the guard has spoken; the camera does not overrule
            if has_mask:
                ev = Evidence(Element.MASK, Outcome.OK, Source.DEVICE, True, detail={"score": round(score, 3)})
            else:
                ev = Evidence(Element.MASK, Outcome.UNKNOWN, Source.DEVICE, False, detail={"score": round(score, 3)})
            if current == ev:
                return None
            v.evidence[Element.MASK] = ev
            return self._event(v, now)

    # ---------------------------------------------------------- guard actions
    def confirm(self, element: Element, ok: bool, value: Any = None, note: str = "") -> VisitSnapshot:
        """The guard confirms (or rejects) an element by eye; ``value`` is what was seen.

        A confirmation records what the guard saw (e.g. the colour of a health
        code); a yellow or red code seen by eye denies. It never replaces
        verified evidence of a failure (a signed red code, a forged code):
        ``ConfirmRefused`` says that only an override can change that verdict.
        """
        if element is Element.TEMPERATURE:
            raise ValueError("type a temperature with type_temperature(); it is a reading, not a yes/no")
        seen_values = SEEN_VALUES.get(element, ("ok", "wrong"))
        if value is None:
            value = seen_values[0] if ok else seen_values[-1]
        elif str(value) not in seen_values:
            raise ValueError(f"{element.value}: what was seen must be one of {', '.join(seen_values)}")
        ok = str(value) == seen_values[0]
        with self._lock:
            now = self._clock()
            v = self._active(now)
            current = v.evidence.get(element)
            if locked_failure(current):
                assert current is not None
                if ok:
                        raise ConfirmRefused(
                        f"{element.label_zh}已由{SOURCE_WORDS[current.source]}判定为不合格，只能人工改判（F5，须写明原因）")
                return self._changed(v)  # the guard agrees: the verified evidence stays as it is
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            stored: Any = value
            if element is Element.MASK:
                stored = ok
            detail: dict[str, Any] = {"guard": self._guard_id, "at": now.isoformat()}
            if element is Element.NUCLEIC_ACID and ok:
                detail["sampled_at"] = None  # seen within the window on the person's phone
            ev = Evidence(element, Outcome.OK if ok else Outcome.FAIL, Source.MANUAL, stored, Strength.VERIFIED,
                          detail=detail, note=note)
            v.evidence[element] = ev
            return self._event(v, now)

    def confirm_identity(self) -> VisitSnapshot | None:
        """The guard checked the person's identity against a code that was just used by someone else."""
        with self._lock:
            now = self._clock()
            v = self._visit
            if v is None or v.identity is not IdentityCheck.SUSPECTED:
                return None
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.identity = IdentityCheck.CONFIRMED
            return self._event(v, now)

    def set_kind(self, kind: PersonKind) -> VisitSnapshot:
        """The guard says who the person is (one key each)."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if v.lane is Lane.WORKER and kind.lane is Lane.CAMPUS:
                raise ConfirmRefused("临时人员通道不能设为师生：请先切换到师生通道（F9）")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.person = replace(v.person, kind=kind)
            v.kind_set_by_guard = True
            return self._event(v, now)

    def set_returning(self, returning: bool) -> VisitSnapshot:
        """The guard marks (or unmarks) a returnee: the nucleic-acid window then applies."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if not returning and v.returning_inferred:
                raise ConfirmRefused("行程卡显示为返校人员，需48小时核酸；只能人工改判")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.person = replace(v.person, returning_from_risk_area=returning)
            return self._event(v, now)

    def type_temperature(self, celsius: float) -> VisitSnapshot:
        """A reading the guard took by hand (clinical thermometer); counts as a retake at once."""
        result = self.temperature(TemperatureSample(celsius=celsius, raw=celsius, source=Source.MANUAL))
        assert result is not None
        return result

    def register(self, fields: dict[str, str]) -> VisitSnapshot:
        """Registration of a temporary worker or visitor (name, phone, ID number, company, purpose, plate).

        The full phone and ID number are sealed in the entry (``kiosk.sealing``)
        and shown masked everywhere else.
        """
        with self._lock:
            now = self._clock()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            front = self._active(now)
            holder = front.holder.name
            if holder and clean.get("name") and clean["name"] != holder:
                raise ConfirmRefused(f"登记姓名“{clean['name']}”与码上的持有人不一致")
            v = self._active(now, reopen=True)
            kind = clean.pop("kind", None)
            if kind:
                try:
                    v.person = replace(v.person, kind=PersonKind(kind))
                    v.kind_set_by_guard = True
                except ValueError:
                    pass
            v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean,
                               id_number=clean.get("id_number", v.person.id_number))
            if clean.get("name") and not v.holder.name:
                v.holder = replace(v.holder, name=clean["name"])  # codes shown later must be this person's
            missing = tuple(k for k in REGISTRATION_REQUIRED if not clean.get(k))
            v.registration_missing = missing
            if missing:
                v.evidence.pop(Element.REGISTRATION, None)
            else:
                v.evidence[Element.REGISTRATION] = Evidence(
                    Element.REGISTRATION, Outcome.OK, Source.MANUAL, True,
                    detail={"company": clean.get("company"), "purpose": clean.get("purpose")},
                )
            return self._event(v, now)

    def handoff(self, fields: dict[str, str]) -> VisitSnapshot:
        """A courier hands over at the guard room and does not enter: its own outcome, HANDOFF."""
        with self._lock:
            now = self._clock()
            clean = {k: str(val).strip() for k, val in fields.items() if str(val).strip()}
            front = self._visit
            if not clean and (front is None or front.state is VisitState.CLOSED or not front.has_person_evidence):
                raise ConfirmRefused("交接需要快递员出示码或填写登记（姓名、单位）")
            front_visit = self._active(now)
            if front_visit.logged is not None and front_visit.logged[0] is Decision.DENY and \
                    any(locked_failure(ev) for ev in front_visit.evidence.values()):
                # A red code, a positive test, a risk area: that refusal stays in every count.
                raise ConfirmRefused("已因健康码等禁止通行：拒绝记录不改为交接（包裹可照常在门卫室交接）")
            v = self._active(now, reopen=True)
            if clean:
                v.person = replace(v.person, name=clean.get("name", v.person.name), registration=clean)
            v.handoff = True
            self._decide(v, now, self._verdict(v, now), Decision.HANDOFF)
            return self._changed(v)

    def override(self, decision: Decision, reason: str) -> VisitSnapshot:
        """The guard overrides the verdict; a reason is mandatory and logged.

        After an entry was written the override is a correction row that
        points back at it (the log is append-only).
        """
        if not reason or not reason.strip():
            raise ValueError("an override needs a reason")
        if decision not in (Decision.PASS, Decision.DENY):
            raise ValueError("an override must decide: PASS or DENY")
        with self._lock:
            now = self._clock()
            v = self._visit
            if v is None:
                raise LookupError("no visit to override")
            if v.state is VisitState.DECIDED:
                self._reopen(v)
            v.override_decision = decision
            v.override_reason = reason.strip()
            # What the guard overrode: a failure that turns up later was not part of it.
            v.override_basis = frozenset(r.code for r in self._verdict(v, now).hard_failures)
            self._decide(v, now, self._verdict(v, now), decision)
            return self._changed(v)

    def resume(self, visit_id: str) -> VisitSnapshot | None:
        """The guard picks a person from the retake list: their visit comes back to the front."""
        with self._lock:
            waiting = self._waiting_retake.get(visit_id)
            if waiting is None:
                return None
            v = self._resume(waiting, self._clock())
            return self._changed(v)

    def next_person(self) -> None:
        """The guard moves on. A visit waiting for a retake steps aside (never a DENY);
        an unfinished visit with evidence is logged with what it had."""
        with self._lock:
            self._end_current()
            self._listener.on_visit_changed(self._empty_snapshot())

    def tick(self) -> None:
        """Called by a timer: time out stalled visits, end holds, expire the retake list, retry storage."""
        with self._lock:
            now = self._clock()
            if not self.writer.threaded:
                self.writer.flush()  # threaded, the writer retries on its own
            for w in list(self._waiting_retake.values()):
                if w.wait_expires_at is not None and now >= w.wait_expires_at:
                    del self._waiting_retake[w.visit_id]
                    w.move("expire")
                    w.abandoned = True
                    self._write(w, now, self._verdict(w, now, finished=True))
                    self._listener.on_visit_changed(self._snapshot(w))
            v = self._visit
            if v is None:
                return
            if v.state is VisitState.DECIDED:
                if v.hold_until is not None and now >= v.hold_until:
                    v.move("release")
                    self._visit = None
                    self._listener.on_visit_changed(self._empty_snapshot())
                return
            if v.state is VisitState.OPEN and now - v.last_event_at >= timedelta(seconds=self._gate.visit_timeout_s):
                self._end_current()
                self._listener.on_visit_changed(self._empty_snapshot())

    def close_gate(self) -> int:
        """The gate closes (window closed, service stopped): the person in front and everyone on the
        retake list are logged with what they had, never silently forgotten. Returns how many."""
        with self._lock:
            now = self._clock()
            count = 0
            v, self._visit = self._visit, None
            if v is not None and v.state is VisitState.OPEN and v.has_person_evidence:
                # Even a retake still pending: logged as not completed, never stepped aside into nowhere.
                v.abandoned = True
                self._decide(v, now, self._verdict(v, now, finished=True))
                count += 1
            for w in list(self._waiting_retake.values()):
                del self._waiting_retake[w.visit_id]
                w.move("expire")
                w.abandoned = True
                self._write(w, now, self._verdict(w, now, finished=True))
                count += 1
            return count

    def log_current(self) -> VisitSnapshot:
        """Write the current visit as it stands (the headless ``check`` command)."""
        with self._lock:
            now = self._clock()
            v = self._active(now)
            if v.state is VisitState.OPEN:
                # The person leaves the command line now: what is missing is named in the row.
                self._decide(v, now, self._verdict(v, now, finished=True))
            return self._snapshot(v)

    # ------------------------------------------------------------- routing
    def _active(self, now: datetime, reopen: bool = False) -> Visit:
        """The visit an event belongs to: the open one, the decided one on screen (guard actions
        reopen it as a correction), or a new one."""
        v = self._visit
        if v is not None and v.state is VisitState.OPEN:
            return v
        if v is not None and v.state is VisitState.DECIDED and self._holding(v, now):
            if reopen:
                self._reopen(v)
            return v
        if v is not None and v.state is VisitState.DECIDED:
            v.move("release")
        self._visit = self._new_visit(None)
        return self._visit

    def _visit_for(self, check: CodeCheck, now: datetime) -> Visit:
        """The visit a new code joins: the open one if it can be this person's, else a new one."""
        v = self._visit
        if v is not None and v.state is VisitState.DECIDED:
            if self._holding(v, now) and not v.holder.conflicts(check.holder) and check.holder.known \
                    and v.holder.known:
                self._reopen(v)  # the same person shows another code while the verdict is on screen
                return v
            v.move("release")
            self._visit = None
            v = None
        if v is not None and v.state is VisitState.OPEN:
            someone_else = v.holder.conflicts(check.holder) or (
                v.holds_element_from_other_code(check) and not (v.holder.known and check.holder.known))
            if not someone_else:
                return v
            self._end_current()
        self._visit = self._new_visit(None)
        return self._visit

    def _waiting_for(self, check: CodeCheck) -> Visit | None:
        """The retake-list visit this code belongs to (the same code, or the same known holder)."""
        for v in self._waiting_retake.values():
            if check.content_key in v.code_keys:
                return v
            if check.holder.known and v.holder.known and not v.holder.conflicts(check.holder) and (
                    (check.holder.person_ref and check.holder.person_ref == v.holder.person_ref)
                    or (check.holder.id_masked and check.holder.id_masked == v.holder.id_masked
                        and check.holder.name == v.holder.name)):
                return v
        return None

    def _resume(self, waiting: Visit, now: datetime) -> Visit:
        current = self._visit
        if current is not None and current.state is VisitState.OPEN and current is not waiting:
            if not current.codes and not current.has_guard_evidence and not current.person.registration:
                # Readings of someone not yet identified: they may be this person's, or the next one's.
                # A retake must be beyond doubt, so they are set aside (no row: nobody was checked)
                # and the resumed person is measured again.
                current.move("abandon")
            else:
                self._end_current()
        elif current is not None and current.state is VisitState.DECIDED:
            current.move("release")
        del self._waiting_retake[waiting.visit_id]
        waiting.move("resume")
        waiting.retake_due_at = waiting.wait_expires_at = None
        waiting.last_event_at = now
        self._visit = waiting
        return waiting

    def _end_current(self) -> None:
        """The person in front leaves the front: step aside for a retake, log what they had, or release."""
        v = self._visit
        self._visit = None
        if v is None:
            return
        now = self._clock()
        if v.state is VisitState.DECIDED:
            v.move("release")
            return
        if v.state is not VisitState.OPEN:
            return
        if not v.has_person_evidence and set(v.evidence) <= {Element.MASK}:
            # A face in front of the camera (or a mask key) without a code, a reading or a
            # registration is nobody's visit: passers-by do not fill the ledger.
            v.move("abandon")
            return
        verdict = self._verdict(v, now)
        if Element.TEMPERATURE in verdict.pending and any(r.code == "retake" for r in verdict.reasons) \
                and not verdict.hard_failures:
            self._step_aside(v, now)
            return
        v.abandoned = True
        self._decide(v, now, self._verdict(v, now, finished=True))
        v.move("release")

    def _step_aside(self, v: Visit, now: datetime) -> None:
        v.move("step_aside")
        v.retake_due_at = self._retake_due(v)
        v.wait_expires_at = now + timedelta(seconds=max(self._gate.visit_timeout_s, 10 * self.policy.retake_wait_s,
                                                        600.0))
        self._waiting_retake[v.visit_id] = v
        if len(self._waiting_retake) > self.RETAKE_LIST_MAX:
            oldest = min(self._waiting_retake.values(), key=lambda w: w.started_at)
            oldest.wait_expires_at = now  # logged as not completed at the next tick
        self._listener.on_visit_changed(self._snapshot(v))

    def _reopen(self, v: Visit) -> None:
        # The guard changed something after the verdict: the visit reopens and its
        # next entry is a correction of the one already written.
        v.move("reopen")
        v.corrects, v.hold_until = v.entry_id, None

    def _new_visit(self, person: Person | None) -> Visit:
        now = self._clock()
        v = Visit(self._new_id(), self._lane, person or Person(self._default_kind), now, now)
        parked, self._parked = self._parked, None
        if parked is not None and parked.at is not None and now - parked.at <= timedelta(seconds=self.PARK_READING_S):
            v.temperatures.append(parked)
            ev = self.policy.judge_temperature(v.temperatures)
            if ev is not None:
                v.evidence[Element.TEMPERATURE] = ev
        return v

    def _entered(self, visit_id: str) -> bool | None:
        """Whether a recent visit ended in a pass (None: not known here, e.g. from before a restart)."""
        return self._outcomes.get(visit_id)

    def _refused_moments_ago(self, now: datetime) -> bool:
        return self._last_refusal_at is not None and \
            now - self._last_refusal_at <= timedelta(seconds=self.REFUSAL_ALERT_S)

    def _holding(self, v: Visit, now: datetime) -> bool:
        return v.state is VisitState.DECIDED and v.hold_until is not None and now < v.hold_until

    # ------------------------------------------------------------- judging
    def _put(self, v: Visit, ev: Evidence) -> None:
        current = v.evidence.get(ev.element)
        if locked_failure(current):
            return  # a verified failure stays: only an override changes that verdict
        if locked_failure(ev):
            v.evidence[ev.element] = ev  # a verified failure beats anything, the guard's word included
            return
        # A guard's word is not replaced by a later camera reading of the same element,
        # and verified evidence is not replaced by weaker evidence of the same element.
        if current is not None and current.source is Source.MANUAL and ev.source is not Source.MANUAL:
            return
        if current is not None and current.outcome is Outcome.FAIL and ev.outcome is not Outcome.FAIL \
                and current.strength.rank >= ev.strength.rank:
            return
        v.evidence[ev.element] = ev

    def _learn_person(self, v: Visit, check: CodeCheck) -> None:
        """Who the person is, where the evidence allows (the guard's word wins)."""
        person = v.person
        if check.kind_hint is not None and not v.kind_set_by_guard and check.kind_hint.lane is v.lane:
            person = replace(person, kind=check.kind_hint)
        if check.person_ref:
            person = replace(person, person_ref=person.person_ref or check.person_ref,
                             name=person.name or check.holder_name, group=person.group or check.group)
        itinerary = next((ev for ev in check.evidence if ev.element is Element.ITINERARY), None)
        if itinerary is not None and not person.returning_from_risk_area:
            cities = itinerary.detail.get("cities") or []
            if isinstance(cities, list) and self.policy.is_returnee_itinerary([str(c) for c in cities]):
                person = replace(person, returning_from_risk_area=True)
                v.returning_inferred = True
        v.person = person

    def _verdict(self, v: Visit, now: datetime, finished: bool = False) -> Verdict:
        verdict = self.policy.evaluate(v.lane, v.person, v.evidence, finished, now)
        extra: list[Reason] = []
        if v.identity is IdentityCheck.SUSPECTED:
            extra.append(Reason(None, v.identity_reason, False))
        elif v.identity is IdentityCheck.CONFIRMED:
            extra.append(Reason(None, "identity_confirmed", False))
        if v.registration_missing and Element.REGISTRATION in {r.element for r in self.policy.required(v.person)}:
            extra.append(Reason(Element.REGISTRATION, "registration_incomplete", False,
                                {"fields": list(v.registration_missing)}))
        if v.abandoned:
            extra.append(Reason(None, "visit_abandoned", False))
        if not extra:
            return verdict
        reasons = verdict.reasons + tuple(extra)
        decision = verdict.decision
        if decision is Decision.PASS and any(r.severity == "ask" for r in extra):
            decision = Decision.INCOMPLETE
        flagged = verdict.flagged or decision is not Decision.PASS or v.identity is not IdentityCheck.CLEAR
        return Verdict(decision, reasons, flagged, verdict.pending)

    def _event(self, v: Visit, now: datetime) -> VisitSnapshot:
        v.last_event_at = now
        if v.state is VisitState.OPEN and not self._collecting:
            verdict = self._verdict(v, now)
            if verdict.decision in (Decision.PASS, Decision.DENY):
                self._decide(v, now, verdict)
        return self._changed(v)

    def _judge(self, v: Visit, now: datetime) -> None:
        verdict = self._verdict(v, now)
        if verdict.decision in (Decision.PASS, Decision.DENY):
            self._decide(v, now, verdict)
        else:
            self._changed(v)

    def _decide(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        """Log the visit's outcome and hold it on screen; the visit becomes DECIDED."""
        v.move("decide")
        v.hold_until = now + timedelta(seconds=self._gate.result_display_s)
        self._write(v, now, verdict, decision)

    def _write(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        if v.override_decision is not None and decision is None and \
                any(r.code not in v.override_basis for r in verdict.hard_failures):
            # New evidence of a failure after an override: the override was not about it.
            v.override_decision = v.override_reason = None
        final = decision or v.override_decision or verdict.decision
        extra: tuple[Reason, ...] = ()
        if v.override_reason:
            extra += (Reason(None, "override", False, {"text": v.override_reason, "decision": final.value}),)
        if final is Decision.HANDOFF:
            extra += (Reason(None, "handoff", False),)
        entry = self.builder.build(v, verdict, final, now, guard_id=self._guard_id,
                                   policy_version=self.policy.version, extra_reasons=extra)
        v.entry_id = entry.id
        v.corrects = None
        v.logged = (final, verdict.reasons + extra)
        self._outcomes[v.visit_id] = final is Decision.PASS
        if len(self._outcomes) > 4096:
            self._outcomes = dict(list(self._outcomes.items())[-2048:])
        if final is Decision.DENY:
            self._last_refusal_at = now
        self.writer.submit(entry)
        self._listener.on_entry_logged(self._snapshot(v), entry.id)

    # ------------------------------------------------------------- snapshots
    def _retake_due(self, v: Visit) -> datetime | None:
        ev = v.evidence.get(Element.TEMPERATURE)
        if ev is None or ev.outcome is not Outcome.RETAKE:
            return None
        first = next((s for s in v.temperatures if s.celsius >= self.policy.fever_threshold_c and s.at), None)
        return first.at + timedelta(seconds=self.policy.retake_wait_s) if first and first.at else None

    def _snapshot(self, v: Visit) -> VisitSnapshot:
        now = self._clock()
        if v.state in (VisitState.DECIDED, VisitState.CLOSED) and v.logged is not None:
            decision, reasons = v.logged
            base = self._verdict(v, now, finished=v.abandoned)
            verdict = Verdict(decision, reasons, flagged_outcome(decision, base, v), base.pending)
        else:
            verdict = self._verdict(v, now)
        return VisitSnapshot(
            visit_id=v.visit_id, lane=v.lane, person=v.person,
            name_masked=mask_name(v.person.name or v.holder.name),
            id_masked=mask_id(v.person.id_number) or v.holder.id_masked,
            evidence=dict(v.evidence), verdict=verdict, started_at=v.started_at,
            finished=v.state in (VisitState.DECIDED, VisitState.CLOSED),
            entry_id=v.entry_id, retake_due_at=v.retake_due_at or self._retake_due(v),
            override_reason=v.override_reason, handoff=v.handoff, policy_version=self.policy.version,
            required=tuple(r.element for r in self.policy.required(v.person)), state=v.state,
            codes=tuple(v.codes), identity=v.identity, wait_expires_at=v.wait_expires_at,
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

    def _changed(self, v: Visit) -> VisitSnapshot:
        snap = self._snapshot(v)
        self._listener.on_visit_changed(snap)
        return snap


class Ticker(Worker):
    """Calls ``controller.tick()`` on a named thread: visit timeouts, holds, retakes, storage retries."""

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
