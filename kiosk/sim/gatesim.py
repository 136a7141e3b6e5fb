"""``gate-kiosk simulate gate``: the whole pipeline headless, for crash and soak tests.

Simulated camera (the demo people), simulated thermometer on a real pty, the
real gate controller and a real database of its own (``--db``; by default
``demo.sqlite3`` beside the real log, never the production log). Its
entries are marked ``origin = "simulation"``. Each
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

from kiosk.config.settings import Settings, with_digest
from kiosk.services.ports import SilentListener


class _PrintCommitted(SilentListener):
    def on_entry_committed(self, entry_id: str) -> None:
        sys.stdout.write(entry_id + "\n")
        sys.stdout.flush()


def simulate_gate(settings: Settings, people: int, rate: float, seed: int | None = None) -> int:
    from kiosk.app import build_kiosk
    from kiosk.sim.demo import DEMO_HEALTH_CODE_PATTERN, DEMO_KEY_ID, demo_key

    _, public = demo_key(settings.data_dir)
    hold = 1.0 / rate
    settings = replace(
        settings,
        devices=replace(settings.devices, camera="sim:", thermometer="sim:", mask_detector=False),
        trusted_issuers=dict(settings.trusted_issuers, **{DEMO_KEY_ID: public}),
        health_code_patterns=dict(settings.health_code_patterns, demo=DEMO_HEALTH_CODE_PATTERN),
        policy=with_digest(replace(settings.policy, retake_wait_s=hold / 2, auto_mask_satisfies=True)),
        # Seven demo people cycle: a replay window shorter than one cycle (their next round is no replay).
        gate=replace(settings.gate, result_display_s=hold / 4, visit_timeout_s=hold * 3, debounce_s=hold,
                     replay_window_min=hold * 6 / 60),
    )
    kiosk = build_kiosk(settings, demo=True, with_devices=True, scene_hold_s=hold, origin="simulation")
    kiosk.listeners.add(_PrintCommitted())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    director = kiosk.director
    if director is None:  # the settings above give it the demo camera, which has one
        raise RuntimeError("the simulated gate has no demo director")
    kiosk.start()
    try:
        while not stop.is_set() and director.scenes_started <= people:
            time.sleep(0.05)
        kiosk.controller.next_person()  # the last person's visit is judged and written
    except KeyboardInterrupt:
        pass
    finally:
        kiosk.close()
    return 0
