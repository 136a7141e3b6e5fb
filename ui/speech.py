"""Spoken prompts: the gate says its verdicts and requests aloud (请出示健康码, 体温正常请通行, …).

What to say is the core's choice (``kiosk.domain.prompts``); this module only plays it:

- ``TtsSink``: QtTextToSpeech, where an engine has a voice for the language
  (Windows SAPI/WinRT with a Chinese voice, speech-dispatcher on Linux). Qt's
  own ``mock`` engine, which says nothing, is never taken.
- ``AudioFileSink``: the recordings in ``ui/assets/speech/<language>/``, made
  by ``scripts/make_speech.py`` (espeak-ng) and committed, through QtMultimedia.

``Speaker`` listens to visit snapshots and keeps the rules the guards need:
each prompt at most once per visit, never two prompts at once (a new one
stops the one playing: the newest verdict wins), and a mute that also stops
what is playing. Configured by ``ui.speech`` (on/off) and
``ui.speech_backend`` (``auto``, ``tts``, ``files``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QLocale, QObject, QUrl, Signal

from kiosk.domain.prompts import Prompt, Said, prompt_for_visit
from ui.qtlog import held_messages

log = logging.getLogger(__name__)

SPEECH_ASSETS = Path(__file__).resolve().parent / "assets" / "speech"


class SpeechSink(Protocol):
    """Something that can say one prompt at a time."""

    name: str

    def say(self, prompt: Prompt, text: str) -> None: ...

    def stop(self) -> None: ...


def _language(language: str) -> QLocale.Language:
    return QLocale.Language.English if language == "en" else QLocale.Language.Chinese


class TtsSink:
    """QtTextToSpeech with a voice for the language; ``create`` returns None where there is none."""

    def __init__(self, engine: Any, label: str) -> None:
        self._engine = engine
        self.name = f"tts:{label}"

    @classmethod
    def create(cls, language: str, parent: QObject | None = None) -> TtsSink | None:
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech
        except ImportError:
            return None
        want = _language(language)
        for engine_name in QTextToSpeech.availableEngines():
            if engine_name == "mock":  # Qt's test engine: it speaks to nobody
                continue
            with held_messages() as said:  # a plug-in that cannot load is said once, in the log file
                engine = QTextToSpeech(engine_name, parent)
            if engine.state() == QTextToSpeech.State.Error or said:
                log.warning("speech: text-to-speech engine %s unavailable (%s)", engine_name,
                            "; ".join(said) or engine.errorString() or "error state")
            if engine.state() == QTextToSpeech.State.Error:
                engine.deleteLater()
                continue
            locales = [loc for loc in engine.availableLocales() if loc.language() == want]
            if locales:
                engine.setLocale(locales[0])
                if engine.availableVoices():
                    return cls(engine, engine_name)
            engine.deleteLater()
        return None

    def say(self, prompt: Prompt, text: str) -> None:
        self._engine.say(text)

    def stop(self) -> None:
        self._engine.stop()


class AudioFileSink:
    """The committed recordings, one QSoundEffect per prompt (loaded once, played at once)."""

    name = "files"

    def __init__(self, language: str, parent: QObject | None = None, folder: Path = SPEECH_ASSETS) -> None:
        from PySide6.QtMultimedia import QSoundEffect

        self._effects: dict[Prompt, Any] = {}
        lang_folder = folder / ("en" if language == "en" else "zh_CN")
        for prompt in Prompt:
            path = lang_folder / f"{prompt.value}.wav"
            if not path.is_file():
                log.warning("speech: %s missing; that prompt stays silent", path)
                continue
            effect = QSoundEffect(parent)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(1.0)
            self._effects[prompt] = effect
        self._playing: Any = None

    def say(self, prompt: Prompt, text: str) -> None:
        effect = self._effects.get(prompt)
        if effect is not None:
            effect.play()
            self._playing = effect

    def stop(self) -> None:
        if self._playing is not None:
            self._playing.stop()
            self._playing = None


class Speaker(QObject):
    """Says the prompt for each visit snapshot (see the module docstring)."""

    spoken = Signal(str, str)  # prompt id, text: for the window and tests

    def __init__(self, sink: SpeechSink, language: str = "zh_CN", enabled: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.sink = sink
        self.language = language
        self._muted = not enabled
        self._last: Said | None = None
        self._said: set[Said] = set()  # the prompts said to the current visit

    @property
    def muted(self) -> bool:
        return self._muted

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        if muted:
            self.sink.stop()

    def on_visit(self, visit: Any) -> None:
        """A visit changed: say its prompt if it is new for this visit."""
        if getattr(visit, "tentative", False):
            return  # a guard's key that a scanner's burst may still take back: said once it stands
        said = prompt_for_visit(visit)
        if said is None or said in self._said:
            return  # each prompt at most once per visit, even when the camera's mask reading flips
        if self._last is not None and self._last.visit_id != said.visit_id:
            self._said.clear()  # a new person: what was said to the last one does not count
        self._said.add(said)
        self._last = said
        if self._muted:
            return
        text = said.prompt.text(self.language)
        self.sink.stop()  # the newest verdict wins: never two prompts at once
        self.sink.say(said.prompt, text)
        self.spoken.emit(said.prompt.value, text)


def make_sink(language: str, backend: str = "auto", parent: QObject | None = None) -> SpeechSink | None:
    """The sink for ``ui.speech_backend``: a TTS voice for the language if wanted and found, else the files."""
    if backend in ("auto", "tts"):
        tts = TtsSink.create(language, parent)
        if tts is not None:
            return tts
        if backend == "tts":
            log.warning("speech: no text-to-speech voice for %s; using the recorded prompts", language)
    try:
        return AudioFileSink(language, parent)
    except ImportError:  # no QtMultimedia on this machine: the gate stays silent
        log.warning("speech: QtMultimedia unavailable; prompts are shown, not spoken")
        return None


def make_speaker(language: str, backend: str = "auto", enabled: bool = True,
                 parent: QObject | None = None) -> Speaker | None:
    sink = make_sink(language, backend, parent)
    return Speaker(sink, language, enabled, parent) if sink is not None else None
