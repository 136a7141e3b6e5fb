"""OpenCV's own stderr lines stay out of the command line's output (re-trial: doctor printed
``[ WARN:0@0.009] global cap_v4l.cpp … can't open camera by index`` between its own lines)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_doctor_with_a_camera_index_that_is_not_there_prints_only_its_own_lines(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[devices]\ncamera = "7"\n', encoding="utf-8")  # no /dev/video7 here or in CI
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_LOG_LEVEL"}
    env.update(GATE_KIOSK_DATA=str(tmp_path / "data"), GATE_KIOSK_LOG_DIR=str(tmp_path / "log"))
    done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "doctor"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "camera" in done.stdout + done.stderr  # doctor did look at the camera
    assert "[ WARN" not in done.stderr and "cap_v4l" not in done.stderr, done.stderr[-800:]
