"""The listener hub: every listener has every GateListener callback, checked when it is added (review item 4)."""

from __future__ import annotations

import pytest

from kiosk.services.ports import LISTENER_CALLBACKS, GateListener, ListenerHub, SilentListener
from tests.fakes import RecordingListener


class Committed(SilentListener):
    def __init__(self) -> None:
        self.ids: list[str] = []

    def on_entry_committed(self, entry_id: str) -> None:
        self.ids.append(entry_id)


def test_every_callback_reaches_every_listener_and_a_failing_one_does_not_stop_the_rest() -> None:
    class Broken(SilentListener):
        def on_entry_committed(self, entry_id: str) -> None:
            raise RuntimeError("broken listener")

    first, second = Committed(), Committed()
    hub = ListenerHub(first, Broken())
    hub.add(second)
    hub.on_entry_committed("e1")
    hub.on_storage_problem("disk full", 1)  # ignored by both, reaches neither's on_entry_committed
    assert first.ids == ["e1"] and second.ids == ["e1"]


def test_a_listener_missing_a_callback_is_refused_when_added() -> None:
    class NoFrames:  # all but on_frame: the hub would have skipped it silently before
        def on_visit_changed(self, visit: object) -> None: ...
        def on_entry_logged(self, visit: object, entry_id: str) -> None: ...
        def on_entry_committed(self, entry_id: str) -> None: ...
        def on_storage_problem(self, message: str, waiting: int) -> None: ...
        def on_device_status(self, device: str, state: str, message: str) -> None: ...

    hub = ListenerHub()
    with pytest.raises(TypeError, match="NoFrames is not a GateListener: lacks on_frame"):
        hub.add(NoFrames())  # type: ignore[arg-type]  # mypy refuses it too
    with pytest.raises(TypeError, match="lacks on_frame"):
        ListenerHub(NoFrames())  # type: ignore[arg-type]


def test_a_misspelt_callback_is_refused_instead_of_never_being_called() -> None:
    class Misspelt(SilentListener):
        def on_entry_commited(self, entry_id: str) -> None:  # one t: GateListener has no such callback
            pass

    with pytest.raises(TypeError, match="has on_entry_commited, which GateListener does not declare"):
        ListenerHub().add(Misspelt())


def test_the_callbacks_checked_are_the_protocol_s_and_the_fakes_have_them_all() -> None:
    assert set(LISTENER_CALLBACKS) == {n for n in dir(GateListener) if n.startswith("on_")} and len(LISTENER_CALLBACKS) == 6
    ListenerHub(RecordingListener(), SilentListener())  # no TypeError
