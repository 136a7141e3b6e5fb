"""Tamper evidence: each entry's hash is chained to the previous entry of the same gate.

``row_hash = sha256(prev_hash | canonical JSON of the entry's non-personal
fields | personal_hash)`` where ``personal_hash = sha256(canonical JSON of the
personal fields)``. Personal fields are hashed on their own so that the
retention purge can blank them (keeping ``personal_hash``) without breaking
the chain, while any other edit of any row shows up as the first broken link.
"""

from __future__ import annotations

import hashlib
import hmac
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


# --------------------------------------------------------------------------
# Forward-secure authentication (Schneier and Kelsey, "Secure audit logs to
# support computer forensics", 1999). Every authenticated row (entry,
# follow-up, audit row) gets a journal row whose MAC is keyed with the log's
# current key K_i; the key then evolves one way, K_{i+1} = H(K_i), and K_i is
# overwritten. K_0 leaves the kiosk at setup. Whoever takes the machine later
# holds only K_n: they can append, but cannot re-MAC, delete or truncate rows
# 1..n-1 without ``verify_journal`` with K_0 naming where.
# --------------------------------------------------------------------------

LEGACY_BOOL_FIELDS = ("flagged", "handoff", "mask")


def evolve(key: bytes) -> bytes:
    """The next key; one way, so the current key says nothing about earlier ones."""
    return hashlib.sha256(b"gate-kiosk/log-key/evolve|" + key).digest()


def key_commitment(initial: bytes) -> str:
    """A public fingerprint of K_0, so a wrong key is told apart from a broken log."""
    return hashlib.sha256(b"gate-kiosk/log-key/commit|" + initial).hexdigest()[:32]


def journal_mac(key: bytes, seq: int, kind: str, ref: str, digest: str, prev_mac: str) -> str:
    message = f"{seq}|{kind}|{ref}|{digest}|{prev_mac}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def entry_digest(fields: dict[str, Any]) -> str:
    """What the journal authenticates of an entry: its chain hash, recomputed from the row."""
    return row_hash(fields, fields.get("prev_hash") or "", fields.get("personal_hash") or "")


def record_digest(kind: str, fields: dict[str, Any]) -> str:
    """Digest of a follow-up or audit row (every column, id included)."""
    return _digest({"kind": kind, **fields})


def legacy_row_hash(fields: dict[str, Any], prev: str, personal: str) -> str:
    """The hash revision 0004 wrote before its fix: SQLite booleans hashed as 0/1."""
    legacy = {k: (int(v) if k in LEGACY_BOOL_FIELDS and isinstance(v, bool) else v) for k, v in fields.items()}
    return row_hash(legacy, prev, personal)


_JSON_COLUMNS = ("elements", "reasons", "registration", "detail", "readings", "codes")
_BOOL_COLUMNS = (*LEGACY_BOOL_FIELDS, "returnee")


def normalise_entry_row(fields: dict[str, Any]) -> dict[str, Any]:
    """A row as a raw SQL read returns it (SQLite: JSON text, ISO text, 0/1) in the types the chain hashes.

    Revision 0004 once hashed SQLite's 0/1 where the store hashes True/False,
    so every upgraded log reported broken at row 1; this is the one place that
    turns raw column values into what ``row_hash`` expects.
    """
    out = dict(fields)
    for c in _JSON_COLUMNS:
        if isinstance(out.get(c), str):
            out[c] = json.loads(out[c])
    for c in ("created_at", "at", "purged_at"):
        value = out.get(c)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        if c in out:
            out[c] = value
    if isinstance(out.get("local_date"), str):
        out["local_date"] = date.fromisoformat(out["local_date"])
    for c in _BOOL_COLUMNS:
        if isinstance(out.get(c), int) and not isinstance(out.get(c), bool):
            out[c] = bool(out[c])
    return out
