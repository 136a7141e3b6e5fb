"""Spoken prompts through a fake speech sink that records what would be said; the recordings; the window's mute."""

from __future__ import annotations

import logging
import wave

from PySide6.QtCore import Qt

from kiosk.domain.model import Element, Evidence, Lane, Outcome, PersonKind, Source, TemperatureSample
from kiosk.domain.visit import CodeCheck
from kiosk.domain.prompts import Prompt
from tests.fakes import RecordingListener
from ui.qtlog import held_messages, route_qt_messages
from ui.speech import SPEECH_ASSETS, AudioFileSink, Speaker, TtsSink, make_sink


class RecordingSink:
    """What the gate would say, in order; a ``stop`` before each ``say`` is how the newest verdict wins."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.playing: str | None = None

    def say(self, prompt: Prompt, text: str) -> None:
        assert self.playing is None, "two prompts at once"
        self.calls.append(("say", prompt.value, text))
        self.playing = prompt.value

    def stop(self) -> None:
        self.calls.append(("stop",))
        self.playing = None

    def said(self) -> list[str]:
        return [c[1] for c in self.calls if c[0] == "say"]


def green() -> CodeCheck:
    return CodeCheck(CodeCheck.key_of("A"), (Evidence(Element.HEALTH, Outcome.OK, Source.SIGNATURE, "green"),))


def reading(c: float) -> TemperatureSample:
    return TemperatureSample(celsius=c, thermometer_id="t1")


def drive(kiosk, clock) -> None:
    """A staff member: temperature first, then the code, a fever retake, and the verdict."""
    ctl = kiosk.controller
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    ctl.temperature(reading(38.2))
    ctl.code_seen(green())
    clock.advance(65)
    ctl.temperature(reading(38.1))


def test_a_visit_is_spoken_once_per_prompt_newest_first(gate, qtbot) -> None:
    window, kiosk, clock = gate
    sink = RecordingSink()
    speaker = Speaker(sink, "zh_CN")
    window._bridge.visit_changed.connect(speaker.on_visit)
    drive(kiosk, clock)
    qtbot.waitUntil(lambda: "deny" in sink.said(), timeout=3000)
    assert sink.said() == ["temperature_high", "deny"]  # the retake prompt is not repeated on every change
    assert [c for c in sink.calls if c[0] == "say"][-1][2] == "禁止通行请到观察点"
    # Each prompt stops the one before: never two at once.
    assert all(sink.calls[i - 1] == ("stop",) for i, c in enumerate(sink.calls) if c[0] == "say")


def test_english_and_mute() -> None:
    sink = RecordingSink()
    speaker = Speaker(sink, "en")
    from kiosk.config.settings import GateSettings, SiteSettings
    from kiosk.services.gate import GateController
    from kiosk.domain.policy import Policy
    from tests.fakes import ManualClock, MemoryLog

    ctl = GateController(Policy(), MemoryLog(), RecordingListener(), site=SiteSettings(), gate=GateSettings(),
                         salt=b"k" * 32, clock=ManualClock())
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    speaker.on_visit(ctl.temperature(reading(36.5)))
    assert sink.calls[-1] == ("say", "show_code", "Please show your health code")
    speaker.set_muted(True)
    assert sink.calls[-1] == ("stop",)  # muting silences what is playing
    speaker.on_visit(ctl.code_seen(green()))
    speaker.on_visit(ctl.mask_seen(False, 0.02))
    assert sink.said() == ["show_code"]
    speaker.set_muted(False)
    speaker.on_visit(ctl.mask_seen(False, 0.02))  # the same prompt for the same visit: already decided
    assert sink.said() == ["show_code"]


def test_the_recordings_exist_for_every_prompt_and_language() -> None:
    for language in ("zh_CN", "en"):
        for prompt in Prompt:
            with wave.open(str(SPEECH_ASSETS / language / f"{prompt.value}.wav")) as w:
                seconds = w.getnframes() / w.getframerate()
                assert w.getnchannels() == 1 and 0.5 <= seconds <= 6.0, (language, prompt, seconds)


def test_the_sink_falls_back_to_the_recordings_and_never_takes_the_mock_engine(qtbot) -> None:
    tts = TtsSink.create("zh_CN")
    assert tts is None or tts.name != "tts:mock"
    sink = make_sink("zh_CN", "files")
    assert isinstance(sink, AudioFileSink)
    sink.say(Prompt.WEAR_MASK, "请佩戴口罩")
    sink.stop()  # stopping is safe with or without an audio device


def test_probing_speech_engines_says_at_most_one_line_and_only_in_the_log(qtbot, caplog) -> None:
    # Qt reports a speech-dispatcher plug-in that cannot load as a critical message: with the kiosk's
    # routing of Qt messages that reached the terminal (errors go to the console).
    from PySide6.QtCore import qCritical

    route_qt_messages()
    with caplog.at_level(logging.DEBUG):
        TtsSink.create("zh_CN")
        TtsSink.create("en")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    per_probe = [r for r in caplog.records if r.name in ("qt", "ui.speech")]
    assert len(per_probe) <= 2  # one line per probe at most, a warning for the log file
    with held_messages() as held:
        qCritical("a plug-in could not be loaded")
    assert held == ["a plug-in could not be loaded"]
    assert "a plug-in could not be loaded" not in caplog.text


def test_the_window_mutes_with_its_button_and_f12(gate, qtbot) -> None:

    window, kiosk, clock = gate
    assert window.speech_button is None  # built without a speaker: no button
    from ui.main_window import MainWindow

    sink = RecordingSink()
    speaker = Speaker(sink, "zh_CN")
    other = MainWindow(kiosk.controller, window._bridge, None, sound=False, speaker=speaker)
    qtbot.addWidget(other)
    other.show()
    assert other.speech_button is not None and other.speech_button.isChecked() and not speaker.muted
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow, timeout=2000)
    qtbot.keyClick(other, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)  # Ctrl+M (F12: vaccine seen)
    assert speaker.muted and not other.speech_button.isChecked()
    kiosk.controller.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    kiosk.controller.temperature(reading(36.5))
    qtbot.wait(100)
    assert sink.said() == []
    qtbot.mouseClick(other.speech_button, Qt.MouseButton.LeftButton)
    assert not speaker.muted
    kiosk.controller.code_seen(green())
    kiosk.controller.mask_seen(False, 0.02)
    qtbot.waitUntil(lambda: sink.said() == ["wear_mask"], timeout=3000)
    other.close()
