"""``gate-kiosk simulate gate``: the whole pipeline headless, for crash and soak tests.

Simulated camera (the demo people), simulated thermometer on a real pty, the
real gate controller and the real database from the configuration. Each
entry id is printed on its own line as soon as its commit has returned, so a
test can kill the process at any moment and check that every printed id is in
the database.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from dataclasses import replace

from kiosk.config import Settings, with_digest


class _PrintCommitted:
    def on_entry_committed(self, entry_id: str) -> None:
        sys.stdout.write(entry_id + "\n")
        sys.stdout.flush()


def simulate_gate(settings: Settings, people: int, rate: float, seed: int | None = None) -> int:
    from kiosk.app import build_kiosk
    from kiosk.demo import demo_key, DEMO_KEY_ID

    _, public = demo_key(settings.data_dir)
    hold = 1.0 / rate
    settings = replace(
        settings,
        devices=replace(settings.devices, camera="sim:", thermometer="sim:", mask_detector=False),
        trusted_issuers=dict(settings.trusted_issuers, **{DEMO_KEY_ID: public}),
        policy=with_digest(replace(settings.policy, retake_wait_s=hold / 2, auto_mask_satisfies=True)),
        gate=replace(settings.gate, result_display_s=hold / 4, visit_timeout_s=hold * 3, debounce_s=hold),
    )
    kiosk = build_kiosk(settings, demo=True, with_devices=True, scene_hold_s=hold)
    kiosk.listeners.add(_PrintCommitted())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    kiosk.start()
    try:
        while not stop.is_set() and kiosk.director.scenes_started <= people:
            time.sleep(0.05)
        kiosk.controller.next_person()  # the last person's visit is judged and written
    except KeyboardInterrupt:
        pass
    finally:
        kiosk.close()
    return 0
