"""One named background thread per device or service: started in ``start()``, joined with a bound in ``close()``.

Subclasses implement ``_run`` (loop until ``self._stop`` is set) and may
release what the loop held in ``_after_stop``. Threads are daemons so that a
driver call that never returns cannot keep the kiosk from exiting; ``close``
waits for them only up to its timeout (``close(0)`` abandons a thread blocked
in such a call: it ends when the call returns and sees ``_stop``).
"""

from __future__ import annotations

import threading
from typing import TypeVar

_W = TypeVar("_W", bound="Worker")


class Worker:
    """See the module docstring; ``thread_name`` names the thread for logs and debuggers."""

    thread_name = "worker"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        raise NotImplementedError

    def _before_start(self) -> None:
        """Start what the loop needs (another worker, a device)."""

    def _after_stop(self) -> None:
        """Release what the loop held, after the thread ended (or its join timed out)."""

    def start(self: _W) -> _W:
        """Start the thread (once: a running worker is left as it is); returns the worker itself."""
        if self._thread is not None:
            return self
        self._before_start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._after_stop()
