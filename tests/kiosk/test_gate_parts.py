"""The gate controller's parts talk through their public methods: none reads another's private state.

``GateController`` composes ``VisitBook``, ``DeviceIntake``, ``GuardActions``, ``VisitJudge`` and
``VisitLedger`` (``kiosk.services.gate``'s docstring). A part that reached into another's
underscored attributes would make them one class again in all but name.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent.parent / "kiosk" / "services"
PARTS = ("gate.py", "gate_events.py", "guard_actions.py", "visits.py", "visit_judge.py", "visit_ledger.py")


def foreign_private_reads(source: str) -> list[str]:
    """``x._name`` where ``x`` is not ``self``: another object's private attribute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                found.append(f"{ast.unparse(node)} (line {node.lineno})")
    return found


def test_the_check_sees_a_reach_into_another_part() -> None:
    assert foreign_private_reads("def f(self):\n    return self._book._front\n") == ["self._book._front (line 2)"]
    assert foreign_private_reads("def f(self):\n    return self._book.front\n") == []


def test_no_part_of_the_gate_reads_another_parts_private_state() -> None:
    for name in PARTS:
        assert foreign_private_reads((SERVICES / name).read_text(encoding="utf-8")) == [], name


def test_only_the_controller_holds_a_lock() -> None:
    # One lock for the whole gate (why: gate.py's docstring); a part with its own could deadlock against it.
    holders = [name for name in PARTS if "threading" in (SERVICES / name).read_text(encoding="utf-8")]
    assert holders == ["gate.py"]



def test_the_parts_are_composed_not_inherited() -> None:
    from kiosk.services.gate import GateController

    assert GateController.__bases__ == (object,)  # it holds its parts; none of them is a base class
