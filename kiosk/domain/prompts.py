"""Spoken prompts: which short sentence the gate says for a visit, as a pure function of its state.

Terminals that schools compare the kiosk with speak their verdicts. The choice
of what to say belongs to the core (no Qt here); ``ui/speech.py`` plays it,
through a text-to-speech engine or the bundled recordings of the same texts
(``scripts/make_speech.py``).

``choose_prompt`` keys on the decision, the reasons' ``code`` and ``element``
(never on their wording, which is for people) and on what the visit's
evidence says of the mask. One prompt per moment, most urgent first:

1. DENY                          -> 禁止通行请到观察点
2. a temporary worker in the campus lane (reason ``wrong_lane``)
                                 -> 临时人员请走专用通道
3. a first elevated temperature (reason ``retake``) -> 体温偏高请稍后复测
4. the camera saw no mask        -> 请佩戴口罩
5. the health code still missing (pending, no evidence yet) -> 请出示健康码
6. PASS                          -> 体温正常请通行

An INCOMPLETE visit that is only waiting for the guard says nothing: the
guard is the one to speak.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kiosk.domain import follow_up
from kiosk.domain.model import Decision, Element, Evidence, Lane, Reason
from kiosk.domain.visit import VisitSnapshot
from kiosk.domain.vocabulary import pick


class Prompt(str, enum.Enum):
    """A spoken prompt; the value names its audio file (``<value>.wav``)."""

    SHOW_CODE = "show_code"
    TEMPERATURE_OK = "temperature_ok"
    TEMPERATURE_HIGH = "temperature_high"
    WEAR_MASK = "wear_mask"
    DENY = "deny"
    WORKER_LANE = "worker_lane"

    def text(self, language: str) -> str:
        """The sentence in ``zh_CN`` (default) or ``en``."""
        return pick(PROMPT_TEXTS[self], language)


PROMPT_TEXTS: Mapping[Prompt, tuple[str, str]] = {
    Prompt.SHOW_CODE: ("请出示健康码", "Please show your health code"),
    Prompt.TEMPERATURE_OK: ("体温正常请通行", "Temperature normal, please go ahead"),
    Prompt.TEMPERATURE_HIGH: ("体温偏高请稍后复测", "Temperature high, please wait and measure again"),
    Prompt.WEAR_MASK: ("请佩戴口罩", "Please wear a mask"),
    Prompt.DENY: ("禁止通行请到观察点", "Entry denied, please go to the observation point"),
    Prompt.WORKER_LANE: ("临时人员请走专用通道", "Temporary workers, please use the dedicated lane"),
}


@dataclass(frozen=True)
class Said:
    """A prompt for one visit: the speech player says each at most once per visit."""

    visit_id: str
    prompt: Prompt


def choose_prompt(decision: Decision, reasons: Iterable[Reason], pending: Iterable[Element],
                  evidence: Mapping[Element, Evidence], *, worker: bool, lane: Lane) -> Prompt | None:
    """The prompt for a visit's current state, or None (see the module docstring for the order).

    ``worker``: the person is a temporary worker; ``lane``: the lane the visit is in.
    """
    if decision is Decision.DENY:
        return Prompt.DENY
    codes = {(r.code, r.element) for r in reasons}
    if worker and lane is Lane.CAMPUS and ("wrong_lane", None) in codes:
        return Prompt.WORKER_LANE
    if follow_up.waits_for_retake(code for code, element in codes if element == Element.TEMPERATURE):
        return Prompt.TEMPERATURE_HIGH
    mask = evidence.get(Element.MASK)
    if mask is not None and mask.value is False:
        return Prompt.WEAR_MASK
    if decision is Decision.PASS:
        return Prompt.TEMPERATURE_OK
    if Element.HEALTH in set(pending) and Element.HEALTH not in evidence:
        return Prompt.SHOW_CODE
    return None


def prompt_for_visit(visit: VisitSnapshot | None) -> Said | None:
    """``choose_prompt`` for a visit snapshot; None when idle or silent."""
    if visit is None or not visit.visit_id:
        return None
    verdict = visit.verdict
    prompt = choose_prompt(verdict.decision, verdict.reasons, verdict.pending, visit.evidence,
                           worker=visit.person.kind.lane is Lane.WORKER, lane=visit.lane)
    return Said(visit.visit_id, prompt) if prompt is not None else None
