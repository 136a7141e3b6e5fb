"""The guard's actions and their keys: one table for the window, the scenario runner and the docs.

Every action is one key (with gloves on, from two metres: big buttons carry
the same key in their label). The window binds these keys; the headless
scenario runner (``gate-kiosk scenario``) presses the same keys on the same
controller, so a scenario means the same thing in both.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.model import Decision, Element, Lane, PersonKind
from kiosk.domain.vocabulary import kind_words, lane_words, pick
from kiosk.services.gate import GateController


class GuardAction(str, enum.Enum):
    """Something the guard does with one key."""

    CONFIRM_MASK = "confirm_mask"
    TYPE_TEMPERATURE = "type_temperature"  # needs a value (a dialog in the window)
    HEALTH_GREEN = "health_green"
    HEALTH_YELLOW = "health_yellow"
    HEALTH_RED = "health_red"
    ITINERARY_OK = "itinerary_ok"
    ITINERARY_RISK = "itinerary_risk"
    VACCINE_OK = "vaccine_ok"
    VACCINE_NONE = "vaccine_none"
    NUCLEIC_NEGATIVE = "nucleic_negative"
    CONFIRM_IDENTITY = "confirm_identity"
    OVERRIDE = "override"  # needs a decision and a reason (a dialog)
    OBSERVATION = "observation"
    REGISTER = "register"
    HANDOFF = "handoff"
    NEXT = "next"
    KIND_STUDENT = "kind_student"
    KIND_STAFF = "kind_staff"
    KIND_VISITOR = "kind_visitor"
    KIND_COURIER = "kind_courier"
    KIND_DELIVERY = "kind_delivery"
    KIND_GARBAGE = "kind_garbage"
    KIND_OTHER_WORKER = "kind_other_worker"
    RETURNING = "returning"  # toggles the returnee mark
    LANE_CAMPUS = "lane_campus"
    LANE_WORKER = "lane_worker"


@dataclass(frozen=True)
class KeyBinding:
    """One key, its action, and the words on its button in Chinese and English (``button_words``).

    The person-kind and lane keys carry no words of their own: their buttons say the vocabulary's
    words for the kind or lane, so a button and the ledger never name a person differently.
    """

    key: str
    action: GuardAction
    words: tuple[str, str] = ("", "")


KEYMAP: tuple[KeyBinding, ...] = (
    KeyBinding("F1", GuardAction.CONFIRM_MASK, ("确认已戴口罩", "Mask on")),
    KeyBinding("F2", GuardAction.TYPE_TEMPERATURE, ("手动录入体温", "Type temp.")),
    KeyBinding("F3", GuardAction.HEALTH_GREEN, ("健康码：绿码", "Code: green")),
    KeyBinding("Y", GuardAction.HEALTH_YELLOW, ("健康码：黄码", "Code: yellow")),
    KeyBinding("R", GuardAction.HEALTH_RED, ("健康码：红码", "Code: red")),
    KeyBinding("F4", GuardAction.ITINERARY_OK, ("行程卡：无风险", "Itinerary OK")),
    KeyBinding("Shift+F4", GuardAction.ITINERARY_RISK, ("行程卡：到过风险地区", "Itinerary: risk area")),
    KeyBinding("F12", GuardAction.VACCINE_OK, ("疫苗：已接种", "Vaccinated")),
    KeyBinding("Shift+F12", GuardAction.VACCINE_NONE, ("疫苗：未接种", "Not vaccinated")),
    KeyBinding("N", GuardAction.NUCLEIC_NEGATIVE, ("核酸阴性", "Test negative")),
    KeyBinding("I", GuardAction.CONFIRM_IDENTITY, ("身份已核对", "ID checked")),
    KeyBinding("F5", GuardAction.OVERRIDE, ("人工改判", "Override")),
    KeyBinding("F6", GuardAction.OBSERVATION, ("送观察点", "Observation")),
    KeyBinding("F7", GuardAction.REGISTER, ("登记", "Register")),
    KeyBinding("F8", GuardAction.HANDOFF, ("快递交接，不入校", "Hand-off, no entry")),
    KeyBinding("Space", GuardAction.NEXT, ("下一位", "Next person")),
    KeyBinding("1", GuardAction.KIND_STUDENT),
    KeyBinding("2", GuardAction.KIND_STAFF),
    KeyBinding("3", GuardAction.KIND_VISITOR),
    KeyBinding("4", GuardAction.KIND_COURIER),
    KeyBinding("5", GuardAction.KIND_DELIVERY),
    KeyBinding("6", GuardAction.KIND_GARBAGE),
    KeyBinding("7", GuardAction.KIND_OTHER_WORKER),
    KeyBinding("8", GuardAction.RETURNING, ("返校人员", "Returnee")),
    KeyBinding("F9", GuardAction.LANE_CAMPUS),
    KeyBinding("F10", GuardAction.LANE_WORKER),
)

KEY_OF: dict[GuardAction, str] = {b.action: b.key for b in KEYMAP}
ACTION_OF: dict[str, GuardAction] = {b.key: b.action for b in KEYMAP}

KIND_ACTIONS: dict[GuardAction, PersonKind] = {
    GuardAction.KIND_STUDENT: PersonKind.STUDENT,
    GuardAction.KIND_STAFF: PersonKind.STAFF,
    GuardAction.KIND_VISITOR: PersonKind.VISITOR,
    GuardAction.KIND_COURIER: PersonKind.COURIER,
    GuardAction.KIND_DELIVERY: PersonKind.DELIVERY,
    GuardAction.KIND_GARBAGE: PersonKind.GARBAGE,
    GuardAction.KIND_OTHER_WORKER: PersonKind.OTHER_WORKER,
}

LANE_ACTIONS: dict[GuardAction, Lane] = {GuardAction.LANE_CAMPUS: Lane.CAMPUS, GuardAction.LANE_WORKER: Lane.WORKER}
_BINDINGS: dict[GuardAction, KeyBinding] = {b.action: b for b in KEYMAP}


def button_words(action: GuardAction, lang: str = "zh") -> str:
    """The words on an action's button (and in its help line), in the window's language."""
    if action in KIND_ACTIONS:
        words = kind_words(KIND_ACTIONS[action].value, lang, button=True)
    elif action in LANE_ACTIONS:
        words = lane_words(LANE_ACTIONS[action].value, lang)
    else:
        words = pick(_BINDINGS[action].words, lang)
    return words[:1].upper() + words[1:] if lang == "en" else words


SEEN_ACTIONS: dict[GuardAction, tuple[Element, str]] = {
    GuardAction.CONFIRM_MASK: (Element.MASK, "yes"),
    GuardAction.HEALTH_GREEN: (Element.HEALTH, "green"),
    GuardAction.HEALTH_YELLOW: (Element.HEALTH, "yellow"),
    GuardAction.HEALTH_RED: (Element.HEALTH, "red"),
    GuardAction.ITINERARY_OK: (Element.ITINERARY, "green"),
    GuardAction.ITINERARY_RISK: (Element.ITINERARY, "risk"),
    GuardAction.VACCINE_OK: (Element.VACCINE, "vaccinated"),
    GuardAction.VACCINE_NONE: (Element.VACCINE, "none"),
    GuardAction.NUCLEIC_NEGATIVE: (Element.NUCLEIC_ACID, "negative"),
}


def perform(controller: GateController, action: GuardAction, *, value: float | None = None,
            decision: Decision | None = None, reason: str = "", fields: dict[str, str] | None = None,
            on_lane: Callable[[GuardAction], None] | None = None) -> None:
    """Do one guard action on the controller (actions that need a value take it as keyword).

    Raises ``ConfirmRefused`` when a confirmation would change verified
    evidence of a failure, and ``ValueError`` when a needed value is missing.
    """
    if action in SEEN_ACTIONS:
        element, seen = SEEN_ACTIONS[action]
        controller.confirm(element, True, value=seen)
    elif action in KIND_ACTIONS:
        controller.set_kind(KIND_ACTIONS[action])
    elif action is GuardAction.RETURNING:
        current = controller.current()
        controller.set_returning(not (current is not None and current.person.returning_from_risk_area))
    elif action is GuardAction.CONFIRM_IDENTITY:
        controller.confirm_identity()
    elif action is GuardAction.TYPE_TEMPERATURE:
        if value is None:
            raise ValueError("type_temperature needs a reading")
        controller.type_temperature(value)
    elif action is GuardAction.OVERRIDE:
        if decision is None:
            raise ValueError("override needs a decision and a reason")
        controller.override(decision, reason)
    elif action is GuardAction.REGISTER:
        controller.register(fields or {})
    elif action is GuardAction.HANDOFF:
        controller.handoff(fields or {})
    elif action is GuardAction.NEXT:
        controller.next_person()
    elif action in (GuardAction.LANE_CAMPUS, GuardAction.LANE_WORKER):
        if on_lane is not None:
            on_lane(action)
        else:
            controller.set_lane(LANE_ACTIONS[action])
    elif action is GuardAction.OBSERVATION:
        pass  # a follow-up of the logged entry: the desk does it, not the gate
    else:  # pragma: no cover - every action is handled above
        raise ValueError(f"unknown action {action}")
