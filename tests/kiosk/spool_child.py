"""A gate process for the spool crash test: handles people while the test holds the database locked.

Run as ``python -m tests.kiosk.spool_child N``: builds the kiosk from the
environment's config and data dir (as ``run`` does, with the writer thread),
prints READY, waits for a line on stdin (the test has locked the database),
refuses N people, prints each entry id and then SPOOLED once all N are in the
waiting file, and waits to be killed.
"""

from __future__ import annotations

import sys
import time

from kiosk.app import build_kiosk
from kiosk.config.loading import load_settings
from kiosk.domain.model import Element, Lane, PersonKind
from kiosk.services.ports import SilentListener


class _Ids(SilentListener):
    def on_entry_logged(self, visit: object, entry_id: str) -> None:
        print(f"ID {entry_id}", flush=True)


def main(people: int) -> None:
    kiosk = build_kiosk(load_settings())
    kiosk.listeners.add(_Ids())
    ctl = kiosk.controller
    ctl.writer.start()
    ctl.set_lane(Lane.CAMPUS, PersonKind.STAFF)
    print("READY", flush=True)
    sys.stdin.readline()
    for _ in range(people):
        ctl.confirm(Element.MASK, False)  # no mask: refused at once
        ctl.next_person()
    deadline = time.monotonic() + 60
    while ctl.writer.on_disk < people and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"SPOOLED {ctl.writer.on_disk} WAITING {ctl.writer.waiting}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main(int(sys.argv[1]))
