"""The ports the core needs, declared as Protocols so that no adapter is imported here.

The gate controller talks to the entry log, the clock and its listeners only
through these shapes; ``kiosk/app.py`` plugs in the SQLAlchemy store, real
devices and the Qt bridge, and tests plug in small fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypedDict, Union, final

from db.records import AuditDetail, EntryRecord, RosterPerson
from db.syncsource import SyncedStore
from devices.states import DeviceKind, DeviceState
from kiosk.services.faultlog import FaultLog
from kiosk.domain.visit import VisitSnapshot

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from devices.camera import Frame

    FrameImage: TypeAlias = NDArray[np.uint8]  # one camera frame: BGR, height x width x 3 (OpenCV's layout)


log = logging.getLogger(__name__)
_DEVICE_EVENT_FAULTS = FaultLog(log, "logging device events")

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


class SteppedClock:
    """A clock that only moves when told to: the headless check's and the scenarios' notion of time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: "timedelta | float") -> None:
        self.now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)


class EntryLog(Protocol):
    """Where judged visits go: append-only."""

    def append(self, entry: EntryRecord) -> str: ...

    def get(self, entry_id: str) -> EntryRecord | None:
        """The entry as logged, or None (the writer asks whether a spooled entry is in already)."""

    def find_roster(self, person_id_or_card: str) -> RosterPerson | None: ...


class PublishedStore(Protocol):
    """Where what the centre publishes lands (``kiosk.services.publications``): the roster, and the audit rows."""

    def upsert_roster(self, people: Iterable[RosterPerson]) -> tuple[int, int]: ...

    def audit(self, actor: str, action: str, detail: AuditDetail) -> None: ...


class ForwardedLog(SyncedStore, PublishedStore, Protocol):
    """The local log as the sync worker forwards it (``kiosk.services.sync``): read through ``db.syncsource``."""

    def ledger_state(self) -> tuple[str, int]:
        """(ledger id, next journal sequence number): the id names this kiosk to the centre."""

    def close(self) -> None: ...


class FrameFeed(Protocol):
    """A camera read on its own thread, newest frame on demand (``devices.camera.FrameGrabber``)."""

    def start(self) -> object: ...

    def latest(self, after_seq: int, timeout: float) -> Frame | None: ...

    def close(self) -> None: ...


@final  # final, so that `"polygon" in overlay` tells the two kinds apart
class CodeOverlay(TypedDict):
    """A code outlined on the preview, coloured by its verdict (``pending`` until verified)."""

    polygon: tuple[tuple[int, int], ...]
    status: str
    kind: str
    verified_by: str


@final
class FaceOverlay(TypedDict):
    """The face being checked, boxed green (mask) or red on the preview."""

    box: tuple[int, int, int, int]
    mask: bool | None
    score: float


Overlay = Union[CodeOverlay, FaceOverlay]


class GateListener(Protocol):
    """What the core reports; the Qt bridge and the CLI implement it (``on_*`` callbacks).

    Callbacks may arrive on any thread (camera, thermometer, GUI). An
    implementation must not block: the Qt bridge only emits signals.
    """

    def on_visit_changed(self, visit: VisitSnapshot) -> None: ...

    def on_entry_logged(self, visit: VisitSnapshot, entry_id: str) -> None: ...

    def on_entry_committed(self, entry_id: str) -> None:
        """The entry is durable in the database (called after the commit returned)."""

    def on_storage_problem(self, message: str, waiting: int) -> None: ...

    def on_device_status(self, device: DeviceKind, state: DeviceState, message: str) -> None: ...

    def on_frame(self, frame: FrameImage, overlays: list[Overlay]) -> None: ...


class Service(Protocol):
    """Something the composition root starts with the devices and closes in reverse order."""

    def start(self) -> object: ...

    def close(self) -> None: ...


class DeviceLog(Protocol):
    """Where device state changes are kept (the reports sum the downtime)."""

    def device_event(self, device: DeviceKind, state: DeviceState, message: str = "",
                     at: datetime | None = None) -> None: ...


def report_device_status(listener: GateListener, device_log: DeviceLog, device: DeviceKind, state: DeviceState,
                         message: str) -> None:
    """Tell the listeners and the device log; a failing log must never take a device thread down."""
    listener.on_device_status(device, state, message)
    try:
        device_log.device_event(device, state, message)
    except Exception as exc:
        _DEVICE_EVENT_FAULTS.failed(exc)  # a locked database: one line, not a traceback per event
    else:
        _DEVICE_EVENT_FAULTS.recovered()


def report_device_word(listener: GateListener, device_log: DeviceLog, device: DeviceKind, word: str,
                       message: str) -> None:
    """``report_device_status`` for a reader in ``devices``, whose callbacks give the state as text.

    Here that text becomes a ``DeviceState``: a word it lacks (a misspelling) is logged as the bug it is and
    not passed on, rather than raised on the device's thread.
    """
    try:
        state = DeviceState(word)
    except ValueError:
        log.error("%s reported the state %r, which DeviceState does not know (%s)", device, word, message)
        return
    report_device_status(listener, device_log, device, state, message)


class SilentListener:
    """A ``GateListener`` that ignores every callback: subclass it and override the ones you need.

    The hub refuses an ``on_*`` name that ``GateListener`` does not declare, so a misspelt override is an
    error at registration, not a callback that silently never comes.
    """

    def on_visit_changed(self, visit: VisitSnapshot) -> None:
        pass

    def on_entry_logged(self, visit: VisitSnapshot, entry_id: str) -> None:
        pass

    def on_entry_committed(self, entry_id: str) -> None:
        pass

    def on_storage_problem(self, message: str, waiting: int) -> None:
        pass

    def on_device_status(self, device: DeviceKind, state: DeviceState, message: str) -> None:
        pass

    def on_frame(self, frame: FrameImage, overlays: list[Overlay]) -> None:
        pass


LISTENER_CALLBACKS = tuple(sorted(name for name in vars(GateListener) if name.startswith("on_")))


def check_listener(listener: object) -> None:
    """Refuse (``TypeError``) a listener lacking a ``GateListener`` callback or having an ``on_*`` it does not
    declare (a misspelling): either way a callback would silently never be called."""
    missing = [name for name in LISTENER_CALLBACKS if not callable(getattr(listener, name, None))]
    unknown = [name for name in dir(listener) if name.startswith("on_") and name not in LISTENER_CALLBACKS]
    if missing or unknown:
        problems = ([f"lacks {', '.join(missing)}"] if missing else []) + (
            [f"has {', '.join(unknown)}, which GateListener does not declare"] if unknown else [])
        raise TypeError(f"{type(listener).__name__} is not a GateListener: {'; '.join(problems)} "
                        "(subclass SilentListener to ignore callbacks)")


class ListenerHub:
    """Fans every ``GateListener`` callback out to several listeners; a failing listener is logged, not fatal.

    One explicit method per callback, so that a misspelt ``on_*`` call is an ``AttributeError`` (and a
    mypy error) instead of a silent no-op. Every listener implements every callback (``SilentListener``
    ignores them); ``check_listener`` refuses one that does not when it is added.
    """

    def __init__(self, *listeners: GateListener) -> None:
        self._listeners: list[GateListener] = []
        for listener in listeners:
            self.add(listener)

    def add(self, listener: GateListener) -> None:
        check_listener(listener)
        self._listeners.append(listener)

    def on_visit_changed(self, visit: VisitSnapshot) -> None:
        self._fan_out("on_visit_changed", lambda listener: listener.on_visit_changed(visit))

    def on_entry_logged(self, visit: VisitSnapshot, entry_id: str) -> None:
        self._fan_out("on_entry_logged", lambda listener: listener.on_entry_logged(visit, entry_id))

    def on_entry_committed(self, entry_id: str) -> None:
        self._fan_out("on_entry_committed", lambda listener: listener.on_entry_committed(entry_id))

    def on_storage_problem(self, message: str, waiting: int) -> None:
        self._fan_out("on_storage_problem", lambda listener: listener.on_storage_problem(message, waiting))

    def on_device_status(self, device: DeviceKind, state: DeviceState, message: str) -> None:
        self._fan_out("on_device_status", lambda listener: listener.on_device_status(device, state, message))

    def on_frame(self, frame: FrameImage, overlays: list[Overlay]) -> None:
        self._fan_out("on_frame", lambda listener: listener.on_frame(frame, overlays))

    def _fan_out(self, name: str, call: Callable[[GateListener], None]) -> None:
        for listener in list(self._listeners):
            try:
                call(listener)
            except Exception:  # a broken listener must not stop the gate
                log.exception("listener %r failed in %s", listener, name)
