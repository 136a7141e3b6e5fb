"""The guard's window takes the keyboard focus when it opens: on a real X display with no window
manager (a bare kiosk session) nothing else activates it, and the single keys went nowhere (re-trial).

The offscreen platform the other tests use activates every shown window by itself, so this one runs
the window on Xvfb (xcb), in a process of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import os, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kiosk.app import run_window
from kiosk.config.loading import load_settings
from kiosk.sim.demo import demo_settings
app = QApplication([])
seen = set()
look = QTimer()  # X activates asynchronously and a loaded machine is slow: look every 50 ms till the end
look.timeout.connect(lambda: seen.add(type(QApplication.activeWindow()).__name__))
look.start(50)
run_window(demo_settings(load_settings(os.devnull)), demo=True, quit_after=4.0)
print("ACTIVE", "MainWindow" in seen)
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)")
def test_the_gate_window_activates_itself_on_a_display_without_a_window_manager(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", GATE_KIOSK_DATA=str(tmp_path / "data"), PYTHONPATH=str(REPO))
    done = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-c", PROBE],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert "ACTIVE True" in done.stdout, (done.stdout[-500:], done.stderr[-1500:])
