"""Guard and admin roles: the admin PIN (scrypt, salted), lockout, and the audit of admin actions.

The PIN guards settings, exports, policy overrides and purges. It is stored
as a scrypt hash with its own salt in ``admin.json`` (mode 0600) in the data
directory. After 5 wrong PINs in a row the PIN is locked for a delay that
doubles with every further failure (30 s, 60 s, 120 s … capped at one hour);
the failure count survives a restart, so pulling the plug does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 16 MiB and 50 ms per check
FREE_ATTEMPTS = 5
BASE_LOCK_S = 30.0
MAX_LOCK_S = 3600.0


class AccessDenied(Exception):
    """Wrong PIN, locked out, or no PIN set; the message is for the person at the screen."""


def hash_pin(pin: str, salt: bytes) -> str:
    return hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32).hex()


class AdminAccess:
    """Checks the admin PIN with lockout; records every attempt through ``audit``."""

    def __init__(self, data_dir: Path, audit: Callable[[str, str, dict[str, Any]], None] = lambda *a: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = data_dir / "admin.json"
        self._audit = audit
        self._clock = clock
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
            return data if isinstance(data, dict) else {}
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @property
    def has_pin(self) -> bool:
        return "hash" in self._load()

    def set_pin(self, new_pin: str, actor: str, current_pin: str | None = None) -> None:
        if not (new_pin.isdigit() and 4 <= len(new_pin) <= 12):
            raise AccessDenied("PIN 须为 4–12 位数字")
        with self._lock:
            if self.has_pin:
                self._check(current_pin or "", actor, "change_pin")
            salt = secrets.token_bytes(16)
            self._save({"salt": salt.hex(), "hash": hash_pin(new_pin, salt), "failures": 0, "locked_until": 0})
        self._audit(actor, "set_pin", {})

    def locked_for(self) -> float:
        return max(0.0, float(self._load().get("locked_until", 0)) - self._clock())

    def verify(self, pin: str, actor: str, action: str) -> None:
        """Raise ``AccessDenied`` unless ``pin`` is right and not locked; audit either way."""
        with self._lock:
            self._check(pin, actor, action)

    def _check(self, pin: str, actor: str, action: str) -> None:
        data = self._load()
        if "hash" not in data:
            raise AccessDenied("尚未设置管理员 PIN：请先设置")
        wait = float(data.get("locked_until", 0)) - self._clock()
        if wait > 0:
            self._audit(actor, "pin_locked", {"action": action})
            raise AccessDenied(f"PIN 已锁定，请 {int(wait) + 1} 秒后再试")
        ok = hmac.compare_digest(hash_pin(pin, bytes.fromhex(data["salt"])), data["hash"])
        if ok:
            data["failures"] = 0
            data["locked_until"] = 0
            self._save(data)
            self._audit(actor, action, {"granted": True})
            return
        data["failures"] = int(data.get("failures", 0)) + 1
        over = data["failures"] - FREE_ATTEMPTS
        if over >= 0:
            data["locked_until"] = self._clock() + min(BASE_LOCK_S * 2**over, MAX_LOCK_S)
        self._save(data)
        self._audit(actor, action, {"granted": False, "failures": data["failures"]})
        left = FREE_ATTEMPTS - data["failures"]
        raise AccessDenied("PIN 错误" + (f"，还可尝试 {left} 次" if left > 0 else "，已锁定"))
