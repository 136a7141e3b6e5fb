"""Every decision × every reason code: the banner's colour is the decision's, and its words come from
the one vocabulary, in Chinese and in English."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kiosk.domain.model import Decision, Element, Lane, Person, PersonKind, Reason
from kiosk.services.gate import VisitSnapshot
from kiosk.domain.policy import Verdict
from kiosk.domain.vocabulary import REASONS, reason_words, severity
from ui.widgets import DECISION_COLOUR, VerdictBanner

PARAMS = {"colour": "red", "error": "bad_signature", "hours": 48, "cities": ["某市"], "celsius": 38.1,
          "threshold": 37.3, "wait": 60, "fields": ["phone", "id_number"], "group": "门卫", "days": 7,
          "lane": "worker", "text": "校医复核", "decision": "PASS"}


def decisions_for(code: str) -> list[Decision]:
    """The decisions a reason of this severity can stand beside."""
    level = severity(code)
    if level == "deny":
        return [Decision.DENY]
    if level == "ask":
        return [Decision.INCOMPLETE, Decision.DENY]  # something else may deny while this still asks
    return list(Decision)


CASES = [(code, d) for code in sorted(REASONS) for d in decisions_for(code)]


def snapshot(decision: Decision, reason: Reason) -> VisitSnapshot:
    return VisitSnapshot(
        visit_id="v1", lane=Lane.CAMPUS, person=Person(PersonKind.STAFF), name_masked="王*明", id_masked=None,
        evidence={}, verdict=Verdict(decision, (reason,), decision is not Decision.PASS, ()),
        started_at=datetime(2022, 3, 1, tzinfo=timezone.utc), finished=decision is not Decision.INCOMPLETE,
        entry_id=None, retake_due_at=None, override_reason=None, handoff=decision is Decision.HANDOFF,
        policy_version="p", required=(),
    )


@pytest.mark.parametrize("code, decision", CASES, ids=[f"{c}-{d.value}" for c, d in CASES])
def test_banner_colour_is_the_decisions_for_every_reason(qtbot, code: str, decision: Decision) -> None:
    banner = VerdictBanner()
    qtbot.addWidget(banner)
    reason = Reason(Element.HEALTH, code, severity(code) == "deny", PARAMS)
    zh = reason_words(code, PARAMS, "health", "zh")
    en = reason_words(code, PARAMS, "health", "en")
    assert zh and en and zh != en and "{" not in zh + en, (zh, en)
    banner.show_visit(snapshot(decision, reason), [zh])
    assert banner.property("colour") == DECISION_COLOUR[decision]
    assert banner.property("decision") == decision.value
    title = {Decision.PASS: "通行", Decision.DENY: "禁止通行", Decision.HANDOFF: "交接"}.get(decision)
    if title:
        assert title in banner.text()
    else:
        assert ("请复测" if code == "retake" else "待核验") in banner.text()
    assert zh in banner.text()
