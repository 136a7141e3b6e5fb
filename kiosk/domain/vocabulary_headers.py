"""The vocabulary's header words: the ledger's columns and the day's figures, in Chinese and English.

Part of the one vocabulary (``kiosk.domain.vocabulary`` holds the words of cells and verdicts), kept in
its own module for length. The CSV/XLSX ledger, the PDF reports, the district report and the window's
panels take their headers from here; the window picks the language as it does for every vocabulary word
(``FlaggedList.language``), not through Qt's .ts files.

Long words stand where there is room (the ledger's header row, a figure with a row of its own: the XLSX
summary); short ones where many share a row (the PDF tables, the district day, the window's panels).
"""

from __future__ import annotations

from kiosk.domain.vocabulary import DECISION_WORDS, LANE_WORDS, decision_words, lane_words, pick

# The ledger's columns (kiosk.reports.tables.COLUMNS gives their order and widths).
COLUMN_WORDS: dict[str, tuple[str, str]] = {
    "time": ("时间", "Time"), "gate": ("门岗", "Gate"), "lane": ("通道", "Lane"), "kind": ("身份", "Person kind"),
    "name": ("姓名", "Name"), "id_masked": ("证件号（脱敏）", "ID (masked)"), "ref": ("学号/工号", "Roster no."),
    "health": ("健康码", "Health code"), "health_source": ("验码方式", "Code checked by"),
    "temperature": ("体温℃", "Temp °C"), "temperature_raw": ("原始读数℃", "Raw °C"),
    "thermometer": ("测温仪", "Thermometer"), "calibration": ("校准记录", "Calibration"), "mask": ("口罩", "Mask"),
    "itinerary": ("行程卡", "Itinerary"), "vaccine": ("疫苗接种", "Vaccine"), "nucleic": ("核酸结果", "Nucleic acid"),
    "nucleic_time": ("核酸采样时间", "Sampled at"), "decision": ("结论", "Decision"), "flagged": ("异常", "Flagged"),
    "reasons": ("原因", "Reasons"), "follow_up": ("跟进", "Follow-up"), "company": ("单位", "Company"),
    "purpose": ("事由", "Purpose"), "registration": ("登记信息", "Registration"), "handoff": ("交接未入校", "Hand-off"),
    "policy": ("策略版本", "Policy"), "guard": ("门卫", "Guard"), "corrects": ("更正自", "Corrects"),
    "entry_id": ("记录号", "Entry id"), "origin": ("来源", "Origin"),
}
COLUMN_SHORT_WORDS: dict[str, tuple[str, str]] = {
    "temperature": ("体温", "Temp"),
}

# The day's figures (kiosk.reports.figures.FIGURE_ORDER). Lanes and decisions are LANE_WORDS and
# DECISION_WORDS, and ``flagged`` the column's word, unless shortened here.
FIGURE_WORDS: dict[str, tuple[str, str]] = {
    "total": ("入校记录", "Entries"),
    "fevers": ("发热", "Fever readings"),
    "handoffs": ("快递交接（未入校）", "Hand-offs (no entry)"),
}
FIGURE_SHORT_WORDS: dict[str, tuple[str, str]] = {
    "total": ("入校", "Entries"),
    "campus": ("师生", "Campus"),
    "worker": ("临时人员", "Workers"),
    "fevers": ("发热", "Fevers"),
    "handoffs": ("快递交接", "Hand-offs"),
}


def column_words(key: str, lang: str = "zh", short: bool = False) -> str:
    """A ledger column's header (``short``: where a narrow table has no room for the long one)."""
    if short and key in COLUMN_SHORT_WORDS:
        return pick(COLUMN_SHORT_WORDS[key], lang)
    return pick(COLUMN_WORDS.get(key, (key, key)), lang)


def figure_words(key: str, lang: str = "zh", short: bool = False) -> str:
    """A figure's header: ``total``, ``flagged``, ``fevers``, ``handoffs``, a lane or a decision."""
    if short and key in FIGURE_SHORT_WORDS:
        return pick(FIGURE_SHORT_WORDS[key], lang)
    if key in LANE_WORDS:
        return lane_words(key, lang)
    if key in DECISION_WORDS:
        return decision_words(key, lang)
    if key in FIGURE_WORDS:
        return pick(FIGURE_WORDS[key], lang)
    return column_words(key, lang)
