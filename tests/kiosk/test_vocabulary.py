"""Each word table of the one vocabulary covers the states and values its rules define (they cannot drift apart)."""

from __future__ import annotations

from kiosk.domain import follow_up
from kiosk.domain.fever import TEMPERATURE_BANDS
from kiosk.domain.model import Outcome
from kiosk.domain.vocabulary import (
    FOLLOW_UP_WORDS, TEMPERATURE_BAND_WORDS, band_words, finding_source_words, follow_up_words, nucleic_words,
    outcome_words,
)
from kiosk.domain.vocabulary_headers import column_words, figure_words
from kiosk.reports.figures import FIGURE_ORDER


def test_every_follow_up_state_has_its_words_and_no_word_lacks_a_state() -> None:
    assert set(FOLLOW_UP_WORDS) == set(follow_up.STATES)
    assert set(follow_up.HANDLED) <= set(follow_up.GUARD_SETS) <= set(follow_up.STATES)
    assert follow_up_words(follow_up.OBSERVATION) == "已送观察点"
    assert follow_up_words(follow_up.OBSERVATION, "en") == "Sent to observation"


def test_every_band_and_outcome_has_words_in_both_languages() -> None:
    assert set(TEMPERATURE_BAND_WORDS) == set(TEMPERATURE_BANDS)
    assert [band_words(b) for b in TEMPERATURE_BANDS] == ["正常", "待复测", "发热"]
    for outcome in Outcome:
        assert outcome_words(outcome.value) != outcome.value
        assert outcome_words(outcome.value, "en")
    # A nucleic-acid cell says the result, and an outcome when there is no result.
    assert [nucleic_words(v) for v in ("negative", "positive", "fail", "later")] == ["阴性", "阳性", "异常", "later"]


def test_a_retake_owed_starts_the_follow_up_and_only_a_pending_one_waits() -> None:
    assert follow_up.first_state(["retake"]) == follow_up.first_state(["fever_no_retake"]) == follow_up.RETAKE_DUE
    assert follow_up.first_state(["fever", "no_mask"]) is None
    assert follow_up.waits_for_retake(["retake"]) and not follow_up.waits_for_retake(["fever_no_retake"])


def test_every_figure_the_reports_list_has_a_long_and_a_short_header_in_both_languages() -> None:
    for key in FIGURE_ORDER:
        for lang in ("zh", "en"):
            for short in (False, True):
                assert figure_words(key, lang, short) not in ("", key), (key, lang, short)
    assert figure_words("handoffs") == "快递交接（未入校）" and figure_words("handoffs", short=True) == "快递交接"
    assert figure_words("worker") == "临时人员专用通道" and figure_words("worker", short=True) == "临时人员"
    assert figure_words("DENY", short=True) == "禁止通行"  # a decision keeps its word where none is shorter


def test_finding_sources_are_words() -> None:
    assert finding_source_words("self_inspection") == "自查" and finding_source_words("supervision", "en") == "supervision"


def test_the_pdf_flagged_list_and_the_ledger_share_their_column_words() -> None:
    from kiosk.reports.pdf import FLAG_COLUMNS

    assert [column_words(k, short=True) for k in FLAG_COLUMNS] == ["时间", "门岗", "姓名", "身份", "结论", "体温", "原因", "跟进"]
    assert column_words("temperature") == "体温℃" and column_words("kind", "en") == "Person kind"
    assert figure_words("flagged") == column_words("flagged") == "异常"
