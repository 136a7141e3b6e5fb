"""Minimum-necessary handling of personal data (PIPL): masking and salted hashes.

Entry logs hold health data of children and staff. A full ID number is only
ever held in memory long enough to mask it (first 2 + last 2 characters
shown) and to compute a keyed hash for matching; it is never stored. The key
(salt) is a per-installation secret kept in the data directory with mode 0600
(``kiosk.services.sealing.load_or_create_salt`` makes it; this module does no I/O).
"""

from __future__ import annotations

import hashlib
import hmac


def mask_id(id_number: str | None) -> str | None:
    """``110101199003077777`` -> ``11**************77``; short values are masked whole."""
    if not id_number:
        return None
    s = id_number.strip()
    if len(s) <= 4:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def mask_name(name: str | None) -> str | None:
    """Keep the first and (for 3+ characters) the last character: 张三丰 -> 张*丰, 李四 -> 李*."""
    if not name:
        return None
    s = name.strip()
    if len(s) <= 1:
        return s
    if len(s) == 2:
        return s[0] + "*"
    return s[0] + "*" * (len(s) - 2) + s[-1]


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` -> ``138****5678``."""
    if not phone:
        return None
    s = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if len(s) < 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def id_hash(id_number: str, salt: bytes) -> str:
    """A keyed hash for matching the same person without storing the number."""
    normal = id_number.strip().upper().encode()
    return hmac.new(salt, normal, hashlib.sha256).hexdigest()
