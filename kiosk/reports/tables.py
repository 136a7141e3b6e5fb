"""The ledger as a table: its columns, the words of its cells, one entry as a row, the XLSX summary sheet.

CSV and XLSX exports write these rows; a text cell a spreadsheet would run as a formula is defused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from db.records import EntryRecord
from kiosk.domain.model import Element, PersonKind
from kiosk.domain.vocabulary import (
    FOLLOW_UP_WORDS, colour_words, decision_words, follow_up_words, kind_words, lane_words, nucleic_words,
    origin_words, outcome_words, registration_field_words, source_words, stored_reason_words,
)
from kiosk.domain.vocabulary_headers import COLUMN_WORDS, figure_words
from kiosk.reports.entries import evidence
from kiosk.reports.figures import FIGURE_ORDER, DayFigures

# The ledger's columns in order, with their XLSX widths; the words are the vocabulary's (COLUMN_WORDS).
COLUMN_WIDTHS: list[tuple[str, int]] = [
    ("time", 20), ("gate", 10), ("lane", 14), ("kind", 10), ("name", 10), ("id_masked", 20), ("ref", 12),
    ("health", 9), ("health_source", 12), ("temperature", 8), ("temperature_raw", 9), ("thermometer", 11),
    ("calibration", 12), ("mask", 6), ("itinerary", 10), ("vaccine", 10), ("nucleic", 9), ("nucleic_time", 16),
    ("decision", 10), ("flagged", 6), ("reasons", 40), ("follow_up", 10), ("company", 14), ("purpose", 12),
    ("registration", 24), ("handoff", 8), ("policy", 11), ("guard", 10), ("corrects", 36), ("entry_id", 36),
    ("origin", 10),
]
# (key, Chinese header, English header, width)
COLUMNS: list[tuple[str, str, str, int]] = [(k, *COLUMN_WORDS[k], w) for k, w in COLUMN_WIDTHS]
# Every word of a cell (lanes, kinds, decisions, colours, sources, outcomes, nucleic results, origins,
# follow-ups, registration fields) is the one vocabulary's (kiosk.domain.vocabulary).


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def round1(value: float | None) -> float | None:
    """Temperatures are shown to 0.1 °C everywhere (raw floats like 36.099999999999994 never leave)."""
    return None if value is None else round(value, 1)


def masked_ref(e: EntryRecord) -> str:
    """Student numbers are masked like IDs; staff numbers stay (they are the school's own)."""
    from kiosk.domain.privacy import mask_id

    if not e.person_ref:
        return ""
    return (mask_id(e.person_ref) or "") if e.person_kind == PersonKind.STUDENT else e.person_ref


def write_summary(ws: Any, f: DayFigures, span: str, english: bool, head: Any) -> None:
    """The XLSX summary sheet: the range (``ExportQuery.describe``), the counts, entries per hour."""
    lang = "en" if english else "zh"
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 14)
    rows = [
        ("Range" if english else "时间范围", span),
        *((figure_words(key, lang), f.figure(key)) for key in FIGURE_ORDER),
    ]
    ws.write_row(0, 0, ["Item" if english else "项目", "Value" if english else "数值"], head)
    for i, (k, v) in enumerate(rows, start=1):
        ws.write_row(i, 0, [k, v])
    ws.write_row(len(rows) + 2, 0, ["Hour" if english else "时段", "Entries" if english else "人数"], head)
    for h in range(24):
        ws.write_row(len(rows) + 3 + h, 0, [f"{h:02d}:00", f.by_hour[h]])


def entry_cells(e: EntryRecord, follow: dict[str, str], english: bool, tz: ZoneInfo, gate: str = "") -> list[Any]:
    """One entry as the cells of ``COLUMNS``, in Chinese or English; ``follow`` holds the latest follow-ups;
    ``gate`` the words for its gate (a school-wide ledger holds several)."""
    health_ev = evidence(e, Element.HEALTH) or evidence(e, Element.CARD) or {}
    reg = e.registration or {}
    zh = not english
    values: dict[str, Any] = {
        "time": e.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), "gate": gate or e.gate_id,
        "lane": lane_words(e.lane, "zh" if zh else "en"),
        "kind": kind_words(e.person_kind) if zh else e.person_kind,
        "name": e.name_masked or "", "id_masked": e.id_masked or "", "ref": masked_ref(e),
        "health": colour_words(e.health_status) if zh and e.health_status else (e.health_status or ""),
        "health_source": source_words(health_ev["source"]) if zh and health_ev.get("source") else
                         ("" if zh else health_ev.get("source", "")),
        "temperature": round1(e.temperature_c), "temperature_raw": round1(e.temperature_raw),
        "itinerary": _element(e, Element.ITINERARY, zh), "vaccine": _element(e, Element.VACCINE, zh),
        "nucleic": _nucleic(e, zh), "nucleic_time": _nucleic_time(e, tz),
        "registration": "；".join(f"{registration_field_words(k) if zh else k} {v}" for k, v in reg.items()
                                 if v and k not in ("company", "purpose")),
        "thermometer": e.thermometer_id or "", "calibration": (e.calibration_id or "")[:8],
        "mask": "" if e.mask is None else (("是" if e.mask else "否") if zh else ("yes" if e.mask else "no")),
        "decision": decision_words(e.decision) if zh else e.decision,
        "flagged": ("是" if e.flagged else "") if zh else ("yes" if e.flagged else ""),
        "reasons": ("；" if zh else "; ").join(stored_reason_words(r, "zh" if zh else "en") for r in e.reasons),
        "follow_up": _follow_up(follow.get(e.id, e.follow_up or ""), zh),
        "company": reg.get("company", ""), "purpose": reg.get("purpose", ""),
        "handoff": ("是" if e.handoff else "") if zh else ("yes" if e.handoff else ""),
        "policy": e.policy_version, "guard": e.guard_id, "corrects": e.corrects_id or "", "entry_id": e.id,
        "origin": (origin_words(e.origin or "live") if zh else (e.origin or "live")),
    }
    return [values[c[0]] for c in COLUMNS]


def _element(e: EntryRecord, element: Element, zh: bool) -> str:
    ev = evidence(e, element)
    if not ev:
        return ""
    outcome = str(ev.get("outcome", ""))
    return outcome_words(outcome) if zh else outcome


def _nucleic(e: EntryRecord, zh: bool) -> str:
    ev = evidence(e, Element.NUCLEIC_ACID)
    if not ev:
        return ""
    value = str(ev.get("value") or ev.get("outcome") or "")
    return nucleic_words(value) if zh else value


def _nucleic_time(e: EntryRecord, tz: ZoneInfo) -> str:
    sampled = ((evidence(e, Element.NUCLEIC_ACID) or {}).get("detail") or {}).get("sampled_at")
    if not sampled:
        return ""
    try:
        return datetime.fromisoformat(str(sampled)).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(sampled)


def _follow_up(state: str, zh: bool) -> str:
    if not zh or not state:
        return state
    return follow_up_words(state) if state in FOLLOW_UP_WORDS else ""
