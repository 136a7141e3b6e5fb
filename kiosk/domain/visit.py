"""A visit: one person, from the first evidence to one logged outcome, as a small state machine.

States and the only moves between them::

    OPEN ──decide──▶ DECIDED ──release──▶ CLOSED
     │  ▲              │
     │  └───reopen─────┘        (the guard corrects a decided visit: a correction row)
     │  └───resume────┐
     ├──step_aside──▶ RETAKE_WAIT ──expire──▶ CLOSED (logged as not completed)
     └──abandon─────▶ CLOSED (logged with what it had)

A visit keeps every code it was shown (``codes``), never only the last; the
evidence per element is what the policy judges. Identity: each code names
its holder (``Holder``); a code whose holder conflicts with the visit's is
someone else's and never joins it. Replay: a code just used at another
visit makes the identity check ``SUSPECTED`` until the guard confirms.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kiosk.domain.model import Decision, Element, Evidence, Lane, Person, PersonKind, Reason, Source, TemperatureSample
from kiosk.domain.policy import Verdict
from kiosk.domain.privacy import mask_name


class VisitState(str, enum.Enum):
    """Where a visit is in its life (see the module docstring)."""

    OPEN = "open"
    RETAKE_WAIT = "retake_wait"
    DECIDED = "decided"
    CLOSED = "closed"


_MOVES: dict[VisitState, dict[str, VisitState]] = {
    VisitState.OPEN: {"decide": VisitState.DECIDED, "step_aside": VisitState.RETAKE_WAIT,
                      "abandon": VisitState.CLOSED},
    VisitState.RETAKE_WAIT: {"resume": VisitState.OPEN, "expire": VisitState.CLOSED},
    VisitState.DECIDED: {"reopen": VisitState.OPEN, "release": VisitState.CLOSED},
    VisitState.CLOSED: {},
}


class VisitStateError(RuntimeError):
    """A move that the visit's state does not allow (a bug in the caller, never the guard's fault)."""


class IdentityCheck(str, enum.Enum):
    """Whether the person's identity needs the guard: a code just used by someone else."""

    CLEAR = "clear"
    SUSPECTED = "suspected"  # 待核验 until the guard confirms identity
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Holder:
    """Who a code (or a visit) belongs to, as far as the evidence says."""

    name: str | None = None
    id_masked: str | None = None
    person_ref: str | None = None

    @property
    def known(self) -> bool:
        return bool(self.name or self.id_masked or self.person_ref)

    def conflicts(self, other: "Holder") -> bool:
        """Two holders are different people when any fact both name differs."""
        pairs = ((self.person_ref, other.person_ref), (self.id_masked, other.id_masked), (self.name, other.name))
        return any(a and b and a != b for a, b in pairs)

    def merge(self, other: "Holder") -> "Holder":
        return Holder(self.name or other.name, self.id_masked or other.id_masked, self.person_ref or other.person_ref)


@dataclass(frozen=True)
class CodeCheck:
    """A code that was read and verified, as the gate receives it.

    One code may prove several elements (a signed health code carries the
    nucleic-acid result too), hence a tuple of evidence. ``content_key`` is a
    digest of the code's canonical content: it debounces repeated scans and
    spots a replayed code. ``kind`` is what the code is (health, itinerary,
    vaccine, card, unknown).
    """

    content_key: str
    evidence: tuple[Evidence, ...]
    holder_name: str | None = None
    holder_id_masked: str | None = None
    person_ref: str | None = None
    kind_hint: PersonKind | None = None
    kind: str = "unknown"
    group: str | None = None  # the roster group of a card's holder (key posts)

    @property
    def holder(self) -> Holder:
        return Holder(self.holder_name or None, self.holder_id_masked or None, self.person_ref or None)

    @property
    def elements(self) -> set[Element]:
        return {ev.element for ev in self.evidence}

    @staticmethod
    def key_of(raw: bytes | str) -> str:
        data = raw.encode() if isinstance(raw, str) else raw
        return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class SeenCode:
    """One code shown at a visit, kept in the entry row (masked)."""

    key: str
    kind: str
    status: str
    source: str
    holder: str | None
    at: datetime
    replayed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "status": self.status, "source": self.source,
                "holder": self.holder, "at": self.at.isoformat(), "replayed": self.replayed}

    @classmethod
    def of(cls, check: CodeCheck, at: datetime, replayed: bool) -> "SeenCode":
        first = check.evidence[0] if check.evidence else None
        status = str(first.value) if first is not None and first.value is not None else "unknown"
        source = first.source.value if first is not None else "none"
        return cls(check.content_key, check.kind, status, source, mask_name(check.holder_name), at, replayed)


@dataclass
class Visit:
    """One person at the gate (see the module docstring). Mutated only by the gate controller."""

    visit_id: str
    lane: Lane
    person: Person
    started_at: datetime
    last_event_at: datetime
    state: VisitState = VisitState.OPEN
    evidence: dict[Element, Evidence] = field(default_factory=dict)
    temperatures: list[TemperatureSample] = field(default_factory=list)
    codes: list[SeenCode] = field(default_factory=list)
    holder: Holder = field(default_factory=Holder)
    identity: IdentityCheck = IdentityCheck.CLEAR
    identity_reason: str = "replay"  # why identity is suspected: replay | after_refusal | identity_unbound
    registration_missing: tuple[str, ...] = ()
    kind_set_by_guard: bool = False
    returning_inferred: bool = False
    entry_id: str | None = None
    corrects: str | None = None  # the entry the next write corrects
    hold_until: datetime | None = None
    retake_due_at: datetime | None = None
    wait_expires_at: datetime | None = None
    override_decision: Decision | None = None
    override_reason: str | None = None
    override_basis: frozenset[str] = frozenset()  # the hard failures the override was about
    handoff: bool = False
    abandoned: bool = False
    logged: tuple[Decision, tuple[Reason, ...]] | None = None  # the outcome last written, with its reasons

    def move(self, action: str) -> None:
        """Take one of the state machine's moves, or raise ``VisitStateError``."""
        target = _MOVES[self.state].get(action)
        if target is None:
            raise VisitStateError(f"visit {self.visit_id}: cannot {action} when {self.state.value}")
        self.state = target

    def suspect(self, why: str) -> None:
        """The guard must check who this is (a reason code of ``kiosk.domain.vocabulary``)."""
        if self.identity is IdentityCheck.CLEAR:
            self.identity, self.identity_reason = IdentityCheck.SUSPECTED, why

    @property
    def has_person_evidence(self) -> bool:
        """Anything beyond a guard's key: a code, a reading or a registration."""
        return bool(self.codes or self.temperatures or self.person.registration)

    @property
    def has_guard_evidence(self) -> bool:
        return any(ev.source is Source.MANUAL for ev in self.evidence.values())

    @property
    def codes_of_unknown_and_known_holders(self) -> bool:
        named = [c for c in self.codes if c.holder]
        return bool(named) and len(named) < len(self.codes)

    @property
    def code_keys(self) -> set[str]:
        return {c.key for c in self.codes}

    def holds_element_from_other_code(self, check: CodeCheck) -> bool:
        """Whether this visit already has one of the code's elements from a different code."""
        if check.content_key in self.code_keys:
            return False
        code_elements = {el for el in check.elements if el.is_code or el is Element.CARD}
        return any(c.kind == check.kind for c in self.codes) and bool(code_elements)


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
    tentative: bool = False  # a guard's key may still be taken back (kiosk.services.tentative): not spoken yet

    @property
    def decision(self) -> Decision:
        return self.verdict.decision
