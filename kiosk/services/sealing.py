"""Sealed registration details: full phone and ID number, encrypted at rest (AES-GCM).

Contact tracing needs a worker's full phone number and ID; the log and the
exports only ever show them masked. The full details are sealed with a key
kept in a file of mode 0600 in the data directory (``registration.key``)
and opened only by ``gate-kiosk registration reveal`` behind the admin PIN,
which is audited. Losing the key file loses the sealed details, nothing else.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "registration.key"
_AAD = b"gate-kiosk registration v1"


class SealError(Exception):
    """A sealed registration cannot be opened (wrong key, damaged text)."""


class RegistrationSealer:
    """Seals and opens registration details with the kiosk's registration key."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / KEY_FILE
        self._key: bytes | None = None

    def _load(self, create: bool) -> bytes:
        if self._key is not None:
            return self._key
        if self.path.exists():
            key = self.path.read_bytes()
            if len(key) != 32:
                raise SealError(f"{self.path}: not a registration key (expected 32 bytes)")
        elif create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = AESGCM.generate_key(bit_length=256)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
        else:
            raise SealError(f"{self.path}: no registration key on this kiosk")
        self._key = key
        return key

    def seal(self, details: dict[str, Any]) -> str:
        nonce = os.urandom(12)
        data = json.dumps(details, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sealed = AESGCM(self._load(create=True)).encrypt(nonce, data, _AAD)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str) -> dict[str, Any]:
        try:
            raw = base64.b64decode(text, validate=True)
            data = AESGCM(self._load(create=False)).decrypt(raw[:12], raw[12:], _AAD)
            value = json.loads(data.decode("utf-8"))
        except (ValueError, InvalidTag) as exc:
            raise SealError(f"the sealed registration cannot be opened ({type(exc).__name__})") from None
        if not isinstance(value, dict):
            raise SealError("the sealed registration is damaged")
        return value


def load_or_create_salt(data_dir: Path) -> bytes:
    """The installation's hashing key, created once with mode 0600."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "id_salt"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    salt = secrets.token_bytes(32)
    # O_EXCL: two processes starting at once must not each write their own key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(salt.hex())
    return salt
