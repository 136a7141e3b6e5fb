"""The gate's vocabulary: who comes through, which lane, which elements are checked.

Everything here is a plain enum or frozen dataclass so that the policy, the
gate controller, the reports and the window can all speak the same words
without importing each other. The database layer does not import them (db
sits below kiosk): it keeps their values as plain strings. Chinese labels live next to the values
because they are what the guard and the education bureau read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Union

from kiosk.domain.vocabulary import reason_words, severity


class PersonKind(str, enum.Enum):
    """Who is entering; temporary workers are split by trade for the reports."""

    STUDENT = "student"
    STAFF = "staff"
    COURIER = "courier"
    DELIVERY = "delivery"
    GARBAGE = "garbage"
    OTHER_WORKER = "other_worker"
    VISITOR = "visitor"

    @property
    def is_temporary_worker(self) -> bool:
        return self in (PersonKind.COURIER, PersonKind.DELIVERY, PersonKind.GARBAGE, PersonKind.OTHER_WORKER)

    @property
    def rule_group(self) -> str:
        """The key of this kind's rule set in the policy file."""
        if self.is_temporary_worker:
            return "worker"
        return self.value

    @property
    def lane(self) -> "Lane":
        # Visitors, like temporary workers, are kept apart from students and staff.
        return Lane.WORKER if self.is_temporary_worker or self is PersonKind.VISITOR else Lane.CAMPUS


class Lane(str, enum.Enum):
    """The two physical lanes at the gate."""

    CAMPUS = "campus"  # 师生通道
    WORKER = "worker"  # 临时人员专用通道


class Element(str, enum.Enum):
    """One thing that is checked for a person."""

    HEALTH = "health"  # 健康码
    ITINERARY = "itinerary"  # 行程卡
    VACCINE = "vaccine"  # 疫苗接种记录
    CARD = "card"  # 学生卡 (roster match)
    TEMPERATURE = "temperature"  # 测温
    MASK = "mask"  # 戴口罩
    REGISTRATION = "registration"  # 临时人员登记
    NUCLEIC_ACID = "nucleic_acid"  # 核酸检测

    @property
    def is_code(self) -> bool:
        return self in (Element.HEALTH, Element.ITINERARY, Element.VACCINE, Element.NUCLEIC_ACID)


class Strength(str, enum.Enum):
    """How far a piece of evidence about a code can be trusted."""

    UNVERIFIABLE = "unverifiable"
    ADVISORY = "advisory"  # colour read only
    VERIFIED = "verified"  # signature or issuer server

    @property
    def rank(self) -> int:
        return {"unverifiable": 0, "advisory": 1, "verified": 2}[self.value]


class Source(str, enum.Enum):
    """Where a piece of evidence came from; every entry records it per element."""

    DEVICE = "device"
    MANUAL = "manual"  # the guard confirmed or typed it
    SIGNATURE = "signature"
    SERVER = "server"
    COLOR = "color"
    ROSTER = "roster"


class Outcome(str, enum.Enum):
    """What one element's evidence says on its own."""

    OK = "ok"
    FAIL = "fail"
    RETAKE = "retake"  # temperature: a first elevated reading waits for a retake
    UNKNOWN = "unknown"  # seen but not readable (e.g. code colour unsure): the guard decides


class Decision(str, enum.Enum):
    """The gate's verdict for a visit."""

    PASS = "PASS"
    DENY = "DENY"
    INCOMPLETE = "INCOMPLETE"
    HANDOFF = "HANDOFF"  # a courier handed over at the guard room: neither a pass nor a refusal


class Mode(str, enum.Enum):
    """Per element: hard denies on failure, soft allows and flags."""

    HARD = "hard"
    SOFT = "soft"


# What was seen of an element: a status colour or a card number, a temperature, a dose count, True for a mask.
EvidenceValue = Union[str, float, bool, None]


@dataclass(frozen=True)
class Evidence:
    """One observation about one element of the person in front of the gate.

    ``value`` is what was seen (a status colour, a temperature, ``True`` for a
    mask); ``detail`` carries extra facts (holder name, cities, raw reading)
    that are logged but not judged here.
    """

    element: Element
    outcome: Outcome
    source: Source
    value: EvidenceValue = None
    strength: Strength = Strength.VERIFIED
    detail: dict[str, Any] = field(default_factory=dict)  # logged as JSON as it is: its facts differ per source
    note: str = ""

    def number(self) -> float:
        """The value as a number (a temperature's reading); no value is a TypeError, as ``float(None)`` is."""
        if self.value is None:
            raise TypeError(f"{self.element.value} evidence without a value")
        return float(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "source": self.source.value,
            "value": self.value,
            "strength": self.strength.value,
            "detail": self.detail,
            "note": self.note,
        }


@dataclass(frozen=True)
class Reason:
    """Why a decision is not a clean PASS: a code with parameters (words: ``kiosk.domain.vocabulary``).

    ``hard`` says whether it denies; ``severity`` (deny / ask / note) comes
    from the vocabulary and is what the banner shows.
    """

    element: Element | None
    code: str
    hard: bool
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.words("zh")

    def words(self, lang: str = "zh") -> str:
        return reason_words(self.code, self.params, self.element.value if self.element else None, lang)

    @property
    def severity(self) -> str:
        if self.hard:
            return "deny"
        level = severity(self.code)
        return "note" if level == "deny" else level  # a soft failure is recorded, not refused

    def as_json(self) -> dict[str, Any]:
        return {
            "element": self.element.value if self.element else None,
            "code": self.code,
            "params": dict(self.params),
            "message": self.message,
            "hard": self.hard,
        }


@dataclass(frozen=True)
class Person:
    """What is known about the person being checked (minimum necessary, PIPL).

    ``id_number`` is only carried in memory long enough to mask and hash it;
    it is never written anywhere.
    """

    kind: PersonKind
    person_ref: str | None = None  # roster id (student or staff number)
    name: str | None = None
    id_number: str | None = None
    returning_from_risk_area: bool = False  # a returnee: negative test within the returnee window
    registration: dict[str, str] = field(default_factory=dict)
    group: str | None = None  # roster group (class, department or post such as 门卫)


@dataclass(frozen=True)
class TemperatureSample:
    """A temperature reading handed to the gate (already calibrated)."""

    celsius: float
    raw: float | None = None
    ambient: float | None = None
    at: datetime | None = None
    thermometer_id: str | None = None
    calibration_id: str | None = None
    source: Source = Source.DEVICE
