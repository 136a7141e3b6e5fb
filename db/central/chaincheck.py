"""How the centre checks one link of a gate's chain: the one place that knows the local chain's hash rule.

The kiosk's log chains every entry of a gate to the previous one
(``db.chain``). The centre recomputes each received row's hash from its
fields and the head it already holds; when the local chain's rule changes
(a keyed MAC chain, say), only ``expected_row_hash`` follows it.
"""

from __future__ import annotations

from typing import Any

from db.chain import GENESIS, row_hash

__all__ = ["GENESIS", "expected_row_hash", "link_problem"]


def expected_row_hash(fields: dict[str, Any], prev: str) -> str:
    """The hash a row with these fields must carry when it follows ``prev``."""
    return row_hash(fields, prev, fields.get("personal_hash") or "")


def link_problem(fields: dict[str, Any], head_seq: int, head_hash: str) -> tuple[str, str] | None:
    """``None`` when the row continues the chain at (head_seq, head_hash), else (kind, why).

    Kinds: ``gap`` (rows missing before it), ``fork`` (it points at another
    history than the one the centre anchored), ``rewritten`` (its content does
    not match its own hash).
    """
    seq = int(fields.get("seq") or 0)
    if seq != head_seq + 1:
        return "gap", f"row {seq} arrived but the centre's last row is {head_seq}: rows {head_seq + 1}–{seq - 1} are missing"
    if fields.get("prev_hash") != head_hash:
        return "fork", (f"row {seq} does not continue the chain the centre anchored at row {head_seq}: two kiosks "
                        f"may share gate_id {fields.get('gate_id')}, or this kiosk's history was rewritten")
    if expected_row_hash(fields, head_hash) != fields.get("row_hash"):
        return "rewritten", f"row {seq} was changed after it was written (its hash does not match its content)"
    return None
