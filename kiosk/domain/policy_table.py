"""The policy's rule table: which elements each group needs, and reading the ``[policy]`` table of the config.

``Policy.from_mapping`` (``policy.py``) builds a policy from what ``policy_fields`` checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.model import (
    Element,
    Lane,
    Mode,
    Strength,
)


class PolicyError(ValueError):
    """The policy section of the configuration is not valid."""


@dataclass(frozen=True)
class ElementRule:
    """One required element for a rule group, with its mode."""

    element: Element
    mode: Mode
    only_returning: bool = False  # e.g. nucleic acid only for people back from risk areas


def default_rules() -> dict[str, tuple[ElementRule, ...]]:
    # Every person entering is checked for the three elements (code, temperature,
    # mask), students included; workers add the three-code joint check and
    # registration; visitors register. A returnee's negative test is hard for all.
    h, s = Mode.HARD, Mode.SOFT
    three = (ElementRule(Element.HEALTH, h), ElementRule(Element.TEMPERATURE, h), ElementRule(Element.MASK, h))
    nucleic = ElementRule(Element.NUCLEIC_ACID, h, only_returning=True)
    return {
        "staff": (*three, nucleic),
        "student": (*three, nucleic),
        "worker": (
            *three,
            ElementRule(Element.ITINERARY, h),
            ElementRule(Element.VACCINE, h),
            ElementRule(Element.REGISTRATION, h),
            nucleic,
        ),
        "visitor": (*three, ElementRule(Element.ITINERARY, s), ElementRule(Element.REGISTRATION, h), nucleic),
    }


THREE_ELEMENTS = (Element.HEALTH, Element.TEMPERATURE, Element.MASK)  # 验码 · 测温 · 戴口罩, for everyone
RULE_GROUPS = ("staff", "student", "worker", "visitor")


def default_accept_strength() -> dict[Lane, Strength]:
    """How strong code evidence must be per lane, unless the policy says otherwise: a colour reading will do."""
    return {Lane.CAMPUS: Strength.ADVISORY, Lane.WORKER: Strength.ADVISORY}


def policy_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``Policy`` fields a ``[policy]`` table of the config file sets, checked (the rest keep their defaults)."""
    known = {
        "version", "fever_threshold_c", "retake_wait_s", "plausible_min_c", "plausible_max_c",
        "nucleic_window_h", "nucleic_counting", "accept_strength", "rules", "auto_mask_satisfies",
        "local_areas", "case_areas", "key_post_groups", "key_post_nucleic_days",
    }
    unknown = set(data) - known
    if unknown:
        raise PolicyError(f"unknown policy key(s): {', '.join(sorted(unknown))}")
    kw: dict[str, Any] = {}
    if "version" in data:
        if not isinstance(data["version"], str) or not data["version"].strip():
            raise PolicyError("policy.version must be a non-empty string")
        kw["version"] = data["version"].strip()
    for key in ("fever_threshold_c", "retake_wait_s", "plausible_min_c", "plausible_max_c"):
        if key in data:
            kw[key] = _number(data[key], f"policy.{key}")
    if "nucleic_window_h" in data:
        kw["nucleic_window_h"] = int(_number(data["nucleic_window_h"], "policy.nucleic_window_h"))
    if "nucleic_counting" in data:
        if data["nucleic_counting"] not in ("hours", "calendar_days"):
            raise PolicyError("policy.nucleic_counting must be 'hours' or 'calendar_days'")
        kw["nucleic_counting"] = data["nucleic_counting"]
    if "auto_mask_satisfies" in data:
        if not isinstance(data["auto_mask_satisfies"], bool):
            raise PolicyError("policy.auto_mask_satisfies must be true or false")
        kw["auto_mask_satisfies"] = data["auto_mask_satisfies"]
    for key in ("local_areas", "case_areas", "key_post_groups"):
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                raise PolicyError(f"policy.{key} must be a list of names")
            kw[key] = tuple(x.strip() for x in value)
    if "key_post_nucleic_days" in data:
        kw["key_post_nucleic_days"] = int(_number(data["key_post_nucleic_days"], "policy.key_post_nucleic_days"))
    if "accept_strength" in data:
        acc = default_accept_strength()
        table = data["accept_strength"]
        if not isinstance(table, Mapping):
            raise PolicyError("policy.accept_strength must be a table of lane = strength")
        for lane_name, strength in table.items():
            try:
                acc[Lane(lane_name)] = Strength(strength)
            except ValueError:
                raise PolicyError(
                    f"policy.accept_strength.{lane_name}: lane must be campus|worker and strength "
                    "verified|advisory|unverifiable"
                ) from None
        kw["accept_strength"] = acc
    if "rules" in data:
        rules = default_rules()
        table = data["rules"]
        if not isinstance(table, Mapping):
            raise PolicyError("policy.rules must be a table per person group")
        for group, elements in table.items():
            if group not in RULE_GROUPS:
                raise PolicyError(f"policy.rules.{group}: group must be one of {', '.join(RULE_GROUPS)}")
            parsed = _parse_rule_group(group, elements)
            # Every person entering is checked for the three elements: a group's table may make
            # one of them soft, but leaving one out never drops it (it stays hard).
            named = {r.element for r in parsed}
            parsed += tuple(ElementRule(e, Mode.HARD) for e in THREE_ELEMENTS if e not in named)
            rules[group] = parsed
        kw["rules"] = rules
    return kw


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PolicyError(f"{name} must be a number, got {value!r}")
    return float(value)


def _parse_rule_group(group: str, elements: Any) -> tuple[ElementRule, ...]:
    if not isinstance(elements, Mapping):
        raise PolicyError(f"policy.rules.{group} must be a table of element = \"hard\"|\"soft\"")
    rules = []
    for name, spec in elements.items():
        try:
            element = Element(name)
        except ValueError:
            valid = ", ".join(e.value for e in Element)
            raise PolicyError(f"policy.rules.{group}.{name}: unknown element (valid: {valid})") from None
        only_returning = element is Element.NUCLEIC_ACID
        if isinstance(spec, Mapping):
            mode_name = spec.get("mode", "hard")
            only_returning = bool(spec.get("only_returning", only_returning))
        else:
            mode_name = spec
        try:
            mode = Mode(mode_name)
        except ValueError:
            raise PolicyError(f"policy.rules.{group}.{name}: mode must be 'hard' or 'soft'") from None
        rules.append(ElementRule(element, mode, only_returning))
    return tuple(rules)
