"""The worst GUI-thread gap while the database is locked, the issuer server hangs, and an export runs.

The issue's target: the GUI thread never blocks more than 50 ms. This runs
the real window in demo mode (camera scenes, decoder, mask detector, pty
thermometer, writer and verifier threads) and, for each load in turn, drives
it as a guard would every 120 ms (mask confirmed, a keyboard-scanner code
typed, a follow-up mark on the flagged list, next person) while a 5 ms GUI
timer measures the gaps between its ticks:

- ``locked``: another connection holds the SQLite database EXCLUSIVE for
  1.5 s out of every 1.7 s (entries and follow-ups have to wait);
- ``issuer``: ``issuers.server_url`` points at a local server that accepts
  connections and never answers, and every scanned code is one it must ask;
- ``export``: an XLSX export of ``--rows`` entries runs from the dialog;
- ``idle``: the same guard work and demo pipeline with none of the three, the floor to compare with.

With ``--where``, a sampler thread records the GUI thread's stack every 2 ms,
so each gap over ``--report-ms`` is printed with the kiosk code it was in.
It is off by default: it takes the GIL 500 times a second itself and made
the gaps it measured longer (about 8 % of a core in Python, in perf).

Usage: QT_QPA_PLATFORM=offscreen python bench/bench_gui_gaps.py [--seconds 8] [--rows 5000]
"""

from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

HANGING_CODE = "https://healthcode.example.gov.cn/v/BENCH{:06d}"


class StackSampler(threading.Thread):
    """Every 2 ms, the GUI thread's innermost frame in this repository (file:line function)."""

    def __init__(self) -> None:
        super().__init__(name="stack-sampler", daemon=True)
        self.samples: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self._main = threading.main_thread().ident

    @staticmethod
    def _where(frame: Any) -> str:
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(str(REPO)) and "/bench/" not in name and ".venv" not in name:
                return f"{Path(name).relative_to(REPO)}:{frame.f_lineno} {frame.f_code.co_name}"
            frame = frame.f_back
        return ""

    def run(self) -> None:
        names = {}
        while not self.stop.is_set():
            frames = sys._current_frames()
            main = frames.pop(self._main, None)
            if main is not None:
                where = self._where(main) or "(in Qt's event loop)"
                others = []
                for ident, frame in frames.items():
                    if ident not in names:
                        names = {t.ident: t.name for t in threading.enumerate()}
                    other = self._where(frame)
                    if other and names.get(ident) != self.name:
                        others.append(f"{names.get(ident, '?')}: {other}")
                self.samples.append((time.perf_counter(), where, tuple(others)))
            del frames, main
            time.sleep(0.002)

    def during(self, t0: float, t1: float) -> str:
        seen = collections.Counter(w for t, w, _ in self.samples if t0 <= t <= t1)
        return ", ".join(f"{w} ×{n}" for w, n in seen.most_common(2)) or "(no sample)"

    def others_during(self, t0: float, t1: float) -> str:
        seen = collections.Counter(o for t, _, others in self.samples if t0 <= t <= t1 for o in others)
        return "; ".join(f"{w} ×{n}" for w, n in seen.most_common(3))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0, help="how long each load runs")
    ap.add_argument("--rows", type=int, default=5000, help="entries in the database for the export")
    ap.add_argument("--report-ms", type=float, default=50.0, help="print every gap longer than this")
    ap.add_argument("--loads", default="idle,locked,issuer,export", help="idle: the same guard work, no fault")
    ap.add_argument("--where", action="store_true", help="sample the GUI thread's stack to say where each gap was")
    ap.add_argument("--threads", action="store_true", help="with --where: also print where the other threads were")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="bench-gui-gaps-"))
    os.environ["GATE_KIOSK_DATA"] = str(work)
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from kiosk.app import build_kiosk, build_window
    from kiosk.config.loading import load_settings
    from tests.central.netfaults import SilentServer
    from kiosk.sim.demo import demo_settings
    from kiosk.app_adapters import demo_entries
    from kiosk.domain.model import Element
    from ui.export_dialog import ExportDialog

    server = SilentServer()  # the issuer server hanging (the suite's own network fault)
    settings = demo_settings(load_settings(os.devnull))
    settings = replace(settings, issuer_server_url=server.url, issuer_app_id="bench", issuer_app_secret="bench",
                       ui=replace(settings.ui, sound=False, speech=False))  # the GUI's own work, not the speakers'
    app = QApplication([])
    kiosk = build_kiosk(settings, demo=True, with_devices=True)
    today = datetime.now(ZoneInfo(settings.site.timezone)).date()  # the gate's day, as the window counts it
    kiosk.store.append_many(list(demo_entries(settings, today, today, args.rows)))
    window, desk = build_window(kiosk)
    window.show()
    window.activateWindow()
    kiosk.start()
    sampler = StackSampler()
    if args.where:
        sampler.start()
    db_path = settings.database_url.removeprefix("sqlite:///")
    n = [0]

    def guard_step() -> None:
        """What a guard does at a busy gate, through the window."""
        n[0] += 1
        step = n[0] % 4
        if step == 0:
            window.confirm_mask()
        elif step == 1:
            QTest.keyClicks(window, HANGING_CODE.format(n[0]))  # a keyboard scanner's burst
            QTest.keyClick(window, Qt.Key.Key_Return)
        elif step == 2:
            flagged = desk.today_snapshot()[1]
            if flagged:
                window.flagged.follow_up_requested.emit(flagged[n[0] % len(flagged)].entry_id, "observation")
        else:
            kiosk.controller.confirm(Element.MASK, True)
            window.next_person()

    def run_load(name: str) -> None:
        stop = threading.Event()
        dialog = None
        if name == "locked":
            def hold_lock() -> None:
                con = sqlite3.connect(db_path, timeout=10, isolation_level=None)
                while not stop.is_set():
                    con.execute("BEGIN EXCLUSIVE")
                    stop.wait(1.5)
                    con.execute("ROLLBACK")
                    time.sleep(0.2)
                con.close()
            threading.Thread(target=hold_lock, name="db-locker", daemon=True).start()
        elif name == "export":
            dialog = ExportDialog(desk.exporter(""), desk.today(), window)
            dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
            dialog.path.setText(str(work / "bench.xlsx"))
            dialog.show()
            dialog.start()
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(5)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        guard = QTimer()
        guard.setInterval(120)
        guard.timeout.connect(guard_step)
        reloads_before = keeper.full_reloads
        timer.start()
        guard.start()
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        guard.stop()
        stop.set()
        gaps = sorted(((b - a, a, b) for a, b in zip(ticks, ticks[1:])), reverse=True)
        worst = gaps[0][0] * 1000 if gaps else float("nan")
        over = [g for g in gaps if g[0] * 1000 > args.report_ms]
        extra = ""
        if dialog is not None:
            extra = f"; export: {dialog.status.text()[:60]!r}"
            dialog.cancel_and_wait(30000)
            dialog.close()
        print(f"{name:7s} worst GUI-thread gap {worst:6.1f} ms, {len(over)} gaps over {args.report_ms:.0f} ms, "
              f"{len(ticks)} ticks in {args.seconds:.0f} s; today's figures read whole "
              f"{keeper.full_reloads - reloads_before}x{extra}")
        for gap, t0, t1 in over[:5] if args.where else []:
            print(f"          {gap * 1000:6.1f} ms in {sampler.during(t0, t1)}")
            if args.threads:
                print(f"                    meanwhile {sampler.others_during(t0, t1)}")

    QTimer.singleShot(0, lambda: None)
    # Start-up is not measured: today's figures are read (the whole day, once), then the demo pipeline settles.
    keeper = desk.watch_today(lambda: None)  # the window's own keeper (it asked first)
    while not keeper.loaded.is_set():
        app.processEvents()
        time.sleep(0.005)
    settle = time.monotonic() + 2.0
    while time.monotonic() < settle:
        app.processEvents()
        time.sleep(0.005)
    for load in args.loads.split(","):
        run_load(load.strip())
    sampler.stop.set()
    window.close()
    kiosk.close()
    server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
