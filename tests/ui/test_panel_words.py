"""The side panels' words are the vocabulary's (kiosk.domain.vocabulary), in the window's language."""

from __future__ import annotations

import pytest

from kiosk.domain.vocabulary import KIND_WORDS, kind_words
from kiosk.domain.vocabulary_headers import column_words, figure_words
from ui.panels import FlaggedList, TodayPanel


@pytest.mark.parametrize("language", ["zh", "en"])
def test_flagged_list_says_person_kinds_as_the_vocabulary_does(qtbot, language: str) -> None:
    flagged = FlaggedList(language=language)
    qtbot.addWidget(flagged)
    for kind in KIND_WORDS:
        assert flagged.kind_label(kind).lower() == kind_words(kind, language).lower()
    assert flagged.kind_label("delivery") == ("送货人员" if language == "zh" else "Goods delivery")
    assert flagged.kind_label("other_worker") == ("其他临时人员" if language == "zh" else "Other temporary worker")
    headers = [flagged.table.horizontalHeaderItem(i).text() for i in range(flagged.table.columnCount())]
    assert headers == [column_words(k, language, short=True) for k in FlaggedList.COLUMNS]
    assert headers[4] == ("体温" if language == "zh" else "Temp")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_today_panel_heads_its_figures_with_the_reports_short_words(qtbot, language: str) -> None:
    from PySide6.QtWidgets import QLabel

    today = TodayPanel(language=language)
    qtbot.addWidget(today)
    titles = {label.text() for label in today.findChildren(QLabel)}
    for key in TodayPanel.FIGURES:
        assert figure_words(key, language, short=True) in titles
    assert ("异常" if language == "zh" else "Flagged") in titles
