"""Writing a visit's outcome: one entry row per verdict, and what the gate remembers of recent outcomes.

``VisitLedger`` turns a judged visit into an entry (``kiosk.services.entries``), hands it to the
entry writer (``kiosk.services.entry_writer``, which the controller builds and shares) and tells the
listener. It remembers, for the replay guard and the identity check, whether recent visits ended
in a pass and when the last refusal was. Not thread-safe: the gate controller calls it under its lock.

Whether a visit is held by a guard's keys (its snapshot tentative) is the visit book's to say: the
ledger is given the book's ``held`` as a function, since the book is built on the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.config.settings import SiteSettings
from kiosk.domain.model import Decision, Reason
from kiosk.domain.policy import Verdict
from kiosk.domain.visit import Visit
from kiosk.services.entries import EntryBuilder, EntryContext
from kiosk.services.entry_writer import EntryWriter
from kiosk.services.ports import GateListener, IdFactory
from kiosk.services.sealing import RegistrationSealer
from kiosk.services.visit_judge import VisitJudge


class VisitLedger:
    """Entries of visits at one gate, and the memory of recent outcomes (see the module docstring)."""

    OUTCOMES_MAX = 4096  # recent outcomes kept; past it the older half is forgotten
    REFUSAL_ALERT_S = 30.0  # a code naming nobody this soon after a refusal needs an identity check

    def __init__(self, judge: VisitJudge, writer: EntryWriter, listener: GateListener, *, site: SiteSettings,
                 salt: bytes, new_id: IdFactory, result_display_s: float, origin: str,
                 sealer: RegistrationSealer | None, held: Callable[[Visit], bool]) -> None:
        self._judge = judge
        self._held = held  # whether a guard's key under hold acted on the visit (VisitBook.held)
        self._writer = writer
        self._listener = listener
        self._result_display_s = result_display_s
        self.guard_id = site.guard_id  # the guard on duty, named in every entry
        self._outcomes: dict[str, bool] = {}  # recent visits: did they end in a pass (replay judgement)
        self._last_refusal_at: datetime | None = None
        self._builder = EntryBuilder(
            EntryContext(site.site_id, site.gate_id, ZoneInfo(site.timezone), salt, origin, sealer), new_id)

    def decide(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        """Log the visit's outcome and hold it on screen; the visit becomes DECIDED."""
        v.move("decide")
        v.hold_until = now + timedelta(seconds=self._result_display_s)
        self.write(v, now, verdict, decision)

    def write(self, v: Visit, now: datetime, verdict: Verdict, decision: Decision | None = None) -> None:
        """Write the visit's entry (``decision`` is the guard's, else an override's, else the verdict's)."""
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
        entry = self._builder.build(v, verdict, final, now, guard_id=self.guard_id,
                                   policy_version=self._judge.policy.version, extra_reasons=extra)
        v.entry_id = entry.id
        v.corrects = None
        v.logged = (final, verdict.reasons + extra)
        self._outcomes[v.visit_id] = final is Decision.PASS
        if len(self._outcomes) > self.OUTCOMES_MAX:
            self._outcomes = dict(list(self._outcomes.items())[-(self.OUTCOMES_MAX // 2):])
        if final is Decision.DENY:
            self._last_refusal_at = now
        self._writer.submit(entry)
        self._listener.on_entry_logged(self._judge.snapshot(v, held=self._held(v)), entry.id)

    def entered(self, visit_id: str) -> bool | None:
        """Whether a recent visit ended in a pass (None: not known here, e.g. from before a restart)."""
        return self._outcomes.get(visit_id)

    def refused_moments_ago(self, now: datetime) -> bool:
        return self._last_refusal_at is not None and \
            now - self._last_refusal_at <= timedelta(seconds=self.REFUSAL_ALERT_S)
