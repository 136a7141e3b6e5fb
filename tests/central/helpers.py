"""Kiosks for the sync tests: each a real data directory, config file and SQLite log."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from db.store import EntryStore
from kiosk.config.settings import Settings
from kiosk.config.loading import load_settings
from kiosk.app_adapters import demo_entries

DAY = date(2026, 3, 2)  # a Monday


def make_kiosk(root: Path, name: str, central: str, *, site: str = "s1", gate: str = "gate-1",
               school: str = "第一中学", **central_opts: Any) -> Settings:
    data = root / name
    data.mkdir(parents=True, exist_ok=True)
    opts = {"batch_size": 200, "interval_s": 0.05, "max_backoff_s": 0.5, "connect_timeout_s": 2.0, **central_opts}
    lines = [f"[paths]\ndata_dir = '{data}'", f"[site]\nsite_id = '{site}'\ngate_id = '{gate}'\nname = '{school}'\n"
             f"gate_name = '{gate}门'\ndistrict = '测试区'", "[central]\n" + f"url = '{central}'\n" +
             "\n".join(f"{k} = {v!r}" for k, v in opts.items())]
    (data / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(data / "config.toml")


def fill(settings: Settings, n: int, day: date = DAY, seed: int = 1) -> int:
    store = EntryStore(settings.database_url)
    try:
        return store.append_many(demo_entries(settings, day, day, n, seed))
    finally:
        store.close()


def local_ids(settings: Settings) -> set[str]:
    store = EntryStore(settings.database_url)
    try:
        with store.session() as s:
            return {r[0] for r in s.execute(text("SELECT id FROM entries"))}
    finally:
        store.close()


def central_rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def cli(settings: Settings, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert settings.source_path is not None
    full_env = dict(os.environ, GATE_KIOSK_CONFIG=str(settings.source_path), GATE_KIOSK_DATA=str(settings.data_dir),
                    **(env or {}))
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=full_env, capture_output=True, text=True,
                          timeout=timeout)
