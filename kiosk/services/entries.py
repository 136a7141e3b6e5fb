"""Writing entries: from a decided visit to a ledger row (``EntryBuilder``).

``EntryBuilder`` turns a visit and its verdict into an ``EntryRecord``: masked
identity, every code seen, the reasons as codes with parameters, sealed
registration details, where the entry came from (live, demo, simulation).

Handing the row to storage is ``kiosk.services.entry_writer``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from db.records import EntryRecord
from kiosk.domain import follow_up
from kiosk.domain.model import Decision, Element, Reason
from kiosk.domain.policy import Verdict, is_flagged
from kiosk.domain.privacy import id_hash, mask_id, mask_name, mask_phone
from kiosk.services.sealing import RegistrationSealer
from kiosk.domain.visit import IdentityCheck, Visit

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
            follow_up=follow_up.first_state(r.code for r in verdict.reasons),
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
    """Whether a visit's outcome goes on the flagged list: ``policy.is_flagged`` for the logged decision,
    the verdict the rules reached and the visit's identity check and override."""
    return is_flagged(decision, verdict.reasons, identity_questioned=v.identity is not IdentityCheck.CLEAR,
                      overridden=v.override_decision is not None, judged=verdict.decision)


def _as_float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _round1(value: Any) -> float | None:
    number = _as_float(value)
    return None if number is None else round(number, 1)

