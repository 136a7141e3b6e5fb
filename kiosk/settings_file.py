"""Writing changed settings back to the TOML config file, validated before it is replaced.

The new file is checked by loading it with the same loader the kiosk uses;
only a file that loads replaces the old one (atomically), so a mistake in the
settings dialog can never leave the kiosk unable to start.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from kiosk.config import ConfigError, load_settings


def write_settings(path: Path, changes: dict[str, dict[str, Any]]) -> Path:
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML, not overwriting it: {exc}") from None
    for section, values in changes.items():
        target = data
        for part in section.split("."):
            target = target.setdefault(part, {})
        target.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.new")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    try:
        load_settings(tmp)
    except ConfigError as exc:
        tmp.unlink()
        raise ConfigError(str(exc).replace(str(tmp), "settings")) from None
    os.replace(tmp, path)
    return path
