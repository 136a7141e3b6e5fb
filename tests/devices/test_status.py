"""A device's state is told to its listener once per change, not once per reading pass."""

from __future__ import annotations

from devices.status import StatusReporter


def test_a_state_is_told_when_it_changes_and_again_only_when_asked() -> None:
    told: list[tuple[str, str]] = []
    reporter = StatusReporter(lambda state, message: told.append((state, message)))
    assert reporter.state == "stopped"
    assert reporter.report("lost", "unplugged")
    assert not reporter.report("lost", "still unplugged")  # same state: no second line
    assert reporter.report("connected", "back")
    assert reporter.report("connected", "back again", again=True)
    assert reporter.report("stopped", "stopped") and reporter.state == "stopped"
    assert told == [("lost", "unplugged"), ("connected", "back"), ("connected", "back again"), ("stopped", "stopped")]
