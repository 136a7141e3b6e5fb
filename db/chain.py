"""Tamper evidence: each entry's hash is chained to the previous entry of the same gate.

``row_hash = sha256(prev_hash | canonical JSON of the entry's non-personal
fields | personal_hash)`` where ``personal_hash = sha256(canonical JSON of the
personal fields)``. Personal fields are hashed on their own so that the
retention purge can blank them (keeping ``personal_hash``) without breaking
the chain, while any other edit of any row shows up as the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from typing import Any

GENESIS = "0" * 64
PERSONAL_FIELDS = ("person_ref", "name_masked", "id_masked", "id_hash", "registration", "registration_sealed")
CHAIN_FIELDS = ("seq", "prev_hash", "row_hash", "personal_hash", "purged_at")
# Columns added after the chain existed: a NULL one is left out of the digest, so
# rows written before the column existed keep their hash.
LATER_FIELDS = ("origin", "visit_id", "codes", "returnee", "registration_sealed")


def _canon(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def _digest(data: dict[str, Any]) -> str:
    text = json.dumps({k: _canon(v) for k, v in data.items()}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def personal_hash(fields: dict[str, Any]) -> str:
    return _digest({k: fields.get(k) for k in PERSONAL_FIELDS
                    if not (k in LATER_FIELDS and fields.get(k) is None)})


def row_hash(fields: dict[str, Any], prev: str, personal: str) -> str:
    core = {k: v for k, v in fields.items() if k not in PERSONAL_FIELDS and k not in CHAIN_FIELDS
            and not (k in LATER_FIELDS and v is None)}
    core["seq"] = fields["seq"]
    return hashlib.sha256(f"{prev}|{_digest(core)}|{personal}".encode()).hexdigest()
