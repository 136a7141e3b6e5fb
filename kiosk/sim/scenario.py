"""Gate scenarios: a timeline of scenes, readings and key presses, with the banners and ledger rows expected.

A scenario file (TOML, see ``tests/scenarios/``) describes what happens at
the gate as a guard would see it::

    name = "红码不会变绿"
    lane = "campus"
    kind = "staff"            # who the lane assumes at the start (optional)

    [[step]]
    scene = [{ signed = "health", status = "red", holder = "赵先生", id = "32**58" }]
    expect = { banner = "DENY", reasons = ["health_colour"] }

    [[step]]
    key = "F3"                # the guard says the code was green: refused
    expect = { banner = "DENY", refused = true }

    [[row]]
    decision = "DENY"
    reasons = ["health_colour"]

Step keys: ``scene`` (codes the camera sees: each is rendered into a camera
frame, decoded by the real decoder and verified by the real verifier),
``reading`` (a thermometer reading), ``mask`` (the automatic mask check),
``key`` (a key from ``kiosk.desk.actions.KEYMAP``, with ``value``, ``decision``,
``reason`` or ``fields`` where the action needs them), ``wait`` (seconds
pass; the gate's timer runs), ``resume`` (the guard calls back the first
person of the retake list). ``expect`` checks the banner (decision), reason
codes, the person kind, the retake list's length, a refused action.
``row`` lists the ledger rows the scenario must leave, in order.

The same file runs headless here (``gate-kiosk scenario run FILE``) and
through the real window in the test suite; a failure names the step or row.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

from db.records import EntryRecord, RosterPerson
from kiosk.desk.actions import ACTION_OF, perform
from kiosk.domain.model import Decision, Lane, PersonKind, TemperatureSample
from kiosk.services.gate import ConfirmRefused, GateController, VisitSnapshot
from kiosk.services.ports import SteppedClock
from kiosk.sim.scenes import ScenarioError, SceneMaker

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.config.settings import Settings

STEP_KEYS = {"scene", "reading", "mask", "key", "value", "decision", "reason", "fields", "wait", "expect",
             "resume", "note"}
EXPECT_KEYS = {"banner", "reasons", "no_reasons", "kind", "retake_list", "refused", "returning", "idle"}
ROW_KEYS = {"decision", "reasons", "no_reasons", "flagged", "kind", "handoff", "health_status", "codes", "lane",
            "corrects_previous", "origin", "temperature", "returnee"}
# Scenes start at 07:30 on a school day in Shanghai (a fixed clock: scenarios replay exactly).
START = datetime(2022, 3, 1, 23, 30, tzinfo=timezone.utc)
SCENARIO_ROSTER = [
    RosterPerson("2023001", "李雷", "student", "初二(3)班", "S2023001", "green", date(2022, 3, 2)),
    RosterPerson("2023002", "韩梅梅", "student", "初二(3)班", "S2023002"),
    RosterPerson("T0007", "王老师", "staff", "语文组", "T0007"),
    RosterPerson("G0001", "刘师傅", "staff", "门卫", "G0001"),
]


@dataclass(frozen=True)
class Step:
    """One moment of the timeline."""

    index: int
    data: Mapping[str, Any]

    def describe(self) -> str:
        what = next((f"{k} {self.data[k]!r}" for k in ("key", "scene", "reading", "mask", "wait", "resume")
                     if k in self.data), "expect")
        return f"step {self.index} ({what})"


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario file."""

    name: str
    path: Path
    lane: Lane
    kind: PersonKind | None
    policy: Mapping[str, Any]
    steps: tuple[Step, ...]
    rows: tuple[Mapping[str, Any], ...]
    gate: Mapping[str, Any] = field(default_factory=dict)


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario file; every mistake is a ``ScenarioError`` naming the file and step."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    try:
        lane = Lane(data.get("lane", "campus"))
        kind = PersonKind(data["kind"]) if "kind" in data else None
    except ValueError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    steps = []
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list) or not all(isinstance(r, dict) for r in raw_steps):
        raise ScenarioError(f"{path}: [[step]] must be a list of tables")
    for i, raw in enumerate(raw_steps, start=1):
        _check_step(path, i, raw)
        unknown = set(raw) - STEP_KEYS
        if unknown:
            raise ScenarioError(f"{path}: step {i}: unknown key(s) {', '.join(sorted(unknown))}")
        if "key" in raw and raw["key"] not in ACTION_OF:
            raise ScenarioError(f"{path}: step {i}: unknown key {raw['key']!r}")
        if set(raw.get("expect", {})) - EXPECT_KEYS:
            raise ScenarioError(f"{path}: step {i}: unknown expectation(s) "
                                f"{', '.join(sorted(set(raw['expect']) - EXPECT_KEYS))}")
        steps.append(Step(i, raw))
    raw_rows = data.get("row", [])
    if not isinstance(raw_rows, list) or not all(isinstance(r, dict) for r in raw_rows):
        raise ScenarioError(f"{path}: [[row]] must be a list of tables")
    gate = data.get("gate", {})
    if not isinstance(gate, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                             and 0 < v < 1e6 for v in gate.values()):
        raise ScenarioError(f"{path}: [gate] values must be positive numbers of seconds or minutes")
    rows = tuple(raw_rows)
    for i, row in enumerate(rows, start=1):
        if set(row) - ROW_KEYS:
            raise ScenarioError(f"{path}: row {i}: unknown key(s) {', '.join(sorted(set(row) - ROW_KEYS))}")
    return Scenario(str(data.get("name", path.stem)), path, lane, kind, data.get("policy", {}), tuple(steps), rows,
                    data.get("gate", {}))


def _check_step(path: Path, i: int, raw: Mapping[str, Any]) -> None:
    """Each step value of the right kind, so that a bad file is one clear line, never a traceback."""
    def bad(what: str) -> ScenarioError:
        return ScenarioError(f"{path}: step {i}: {what}")

    def number(key: str, low: float, high: float) -> None:
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise bad(f"{key} must be a number from {low:g} to {high:g}")

    if "reading" in raw:
        number("reading", 20.0, 45.0)
    if "wait" in raw:
        number("wait", 0.0, 86400.0)
    if "value" in raw:
        number("value", 30.0, 45.0)
    if "mask" in raw and not isinstance(raw["mask"], bool):
        raise bad("mask must be true or false")
    if "decision" in raw and raw["decision"] not in ("PASS", "DENY"):
        raise bad("decision must be PASS or DENY")
    if "fields" in raw and not isinstance(raw["fields"], dict):
        raise bad("fields must be a table of registration fields")
    if "expect" in raw and not isinstance(raw["expect"], dict):
        raise bad("expect must be a table")
    key = raw.get("key")
    if key in ("F2",) and "value" not in raw:
        raise bad("F2 (type a temperature) needs value = <°C>")
    if key == "F5" and ("decision" not in raw or not str(raw.get("reason", "")).strip()):
        raise bad("F5 (override) needs decision = \"PASS\"|\"DENY\" and a reason")
    if "scene" in raw:
        scene = raw["scene"]
        if not isinstance(scene, list) or not scene or not all(isinstance(c, dict) for c in scene):
            raise bad("scene must be a list of codes, e.g. [{ signed = \"health\", status = \"green\" }]")
        for code in scene:
            if not any(k in code for k in ("signed", "url", "card")):
                raise bad("a scene code needs signed, url or card")
            if code.get("signed") not in (None, "health", "itinerary", "vaccine"):
                raise bad("signed must be health, itinerary or vaccine")
            if code.get("status", "green") not in ("green", "yellow", "red"):
                raise bad("status must be green, yellow or red")
            if code.get("colour", "green") not in ("green", "yellow", "red", "black"):
                raise bad("colour must be green, yellow, red or black")
            if "card" in code and not str(code["card"]).strip():
                raise bad("card must not be empty")


# ------------------------------------------------------------------ running
@dataclass
class Observation:
    """What the guard sees after a step (from the window, or from the controller headless)."""

    banner: str  # PASS | DENY | INCOMPLETE | HANDOFF | "" (idle)
    reasons: list[str]
    kind: str | None
    retake_list: int
    refused: bool
    returning: bool


def observe(controller: GateController, refused: bool) -> Observation:
    snap: VisitSnapshot | None = controller.current()
    if snap is None or snap.state.value in ("closed", "retake_wait"):
        return Observation("", [], None, len(controller.retake_list()), refused, False)
    return Observation(snap.decision.value, [r.code for r in snap.verdict.reasons], snap.person.kind.value,
                       len(controller.retake_list()), refused, snap.person.returning_from_risk_area)


def check_expect(step: Step, seen: Observation) -> None:
    """Compare what the guard sees with the step's expectations; raise naming the step."""
    expect = step.data.get("expect")
    if not expect:
        return
    problems = []
    if expect.get("idle") and seen.banner:
        problems.append(f"expected an idle screen, banner is {seen.banner}")
    if "banner" in expect and seen.banner != expect["banner"]:
        problems.append(f"banner {seen.banner or 'idle'}, expected {expect['banner']} (reasons {seen.reasons})")
    for code in expect.get("reasons", []):
        if code not in seen.reasons:
            problems.append(f"reason {code} missing (reasons {seen.reasons})")
    for code in expect.get("no_reasons", []):
        if code in seen.reasons:
            problems.append(f"reason {code} should not be there")
    if "kind" in expect and seen.kind != expect["kind"]:
        problems.append(f"person kind {seen.kind}, expected {expect['kind']}")
    if "retake_list" in expect and seen.retake_list != expect["retake_list"]:
        problems.append(f"retake list has {seen.retake_list}, expected {expect['retake_list']}")
    if "refused" in expect and seen.refused != expect["refused"]:
        problems.append("the action was not refused" if expect["refused"] else "the action was refused")
    if "returning" in expect and seen.returning != expect["returning"]:
        problems.append(f"returnee mark {seen.returning}, expected {expect['returning']}")
    if problems:
        raise ScenarioError(f"{step.describe()}: " + "; ".join(problems))


def check_rows(scenario: Scenario, rows: list[EntryRecord]) -> None:
    """Compare the ledger rows left with the expected ones; raise naming the row."""
    if len(rows) != len(scenario.rows):
        listing = ", ".join(f"{r.decision}{[x.get('code') for x in r.reasons]}" for r in rows)
        raise ScenarioError(f"{scenario.name}: {len(rows)} ledger rows, expected {len(scenario.rows)}: {listing}")
    for i, (want, row) in enumerate(zip(scenario.rows, rows), start=1):
        codes = [r.get("code") for r in row.reasons]
        problems = []
        simple = {"decision": row.decision, "flagged": row.flagged, "kind": row.person_kind, "handoff": row.handoff,
                  "health_status": row.health_status, "lane": row.lane, "origin": row.origin,
                  "temperature": row.temperature_c, "returnee": row.returnee}
        for key, actual in simple.items():
            if key in want and want[key] != actual:
                problems.append(f"{key} {actual!r}, expected {want[key]!r}")
        for code in want.get("reasons", []):
            if code not in codes:
                problems.append(f"reason {code} missing (reasons {codes})")
        for code in want.get("no_reasons", []):
            if code in codes:
                problems.append(f"reason {code} should not be there")
        if "codes" in want and len(row.codes or []) != want["codes"]:
            problems.append(f"{len(row.codes or [])} codes kept, expected {want['codes']}")
        if want.get("corrects_previous") and (i < 2 or row.corrects_id != rows[i - 2].id):
            problems.append("does not correct the previous row")
        if problems:
            raise ScenarioError(f"{scenario.name}: row {i}: " + "; ".join(problems))


class HeadlessDriver:
    """Runs a scenario's steps on a controller, pressing keys through ``kiosk.desk.actions``."""

    def __init__(self, controller: GateController, scenes: SceneMaker, advance: Callable[[float], None]) -> None:
        self.controller = controller
        self.scenes = scenes
        self.advance = advance

    def run_step(self, step: Step) -> Observation:
        d = step.data
        refused = False
        c = self.controller
        if "scene" in d:
            for check in self.scenes.checks(list(d["scene"])):
                c.code_seen(check)
        if "reading" in d:
            c.temperature(TemperatureSample(float(d["reading"]), float(d["reading"]) - 0.2, thermometer_id="thermo-1"))
        if "mask" in d:
            c.mask_seen(bool(d["mask"]), 0.95)
        if "key" in d:
            action = ACTION_OF[d["key"]]
            try:
                perform(c, action, value=float(d["value"]) if "value" in d else None,
                        decision=Decision(d["decision"]) if "decision" in d else None,
                        reason=str(d.get("reason", "")), fields=dict(d.get("fields", {})))
            except ConfirmRefused:
                refused = True
        if d.get("resume"):
            waiting = c.retake_list()
            if waiting:
                c.resume(waiting[0].visit_id)
        if "wait" in d:
            remaining = float(d["wait"])
            while remaining > 0:  # the gate's timer runs while time passes
                stepped = min(1.0, remaining)
                self.advance(stepped)
                remaining -= stepped
                c.tick()
        return observe(c, refused)


def scenario_settings(base: Settings, scenario: Scenario, data_dir: Path, database_url: str) -> Settings:
    """The settings a scenario runs under: its own database and data dir, the scenario issuer trusted."""
    from dataclasses import replace

    from kiosk.config.settings import GateSettings
    from kiosk.domain.policy import Policy
    from kiosk.services.signedcode import generate_key

    data_dir.mkdir(parents=True, exist_ok=True)
    key_path = data_dir / "scenario-issuer.pem"
    if not key_path.exists():
        pem, _ = generate_key()
        key_path.write_bytes(pem)
    from kiosk.services.signedcode import load_private_key, public_key_b64

    public = public_key_b64(load_private_key(key_path.read_bytes()))
    gate_kw = {"visit_timeout_s": 120.0, "result_display_s": 3.0, "debounce_s": 8.0, "replay_window_min": 10.0}
    gate_kw.update({k: float(v) for k, v in scenario.gate.items()})
    return replace(
        base, data_dir=data_dir, database_url=database_url, own_log=False, policy=Policy.from_mapping(scenario.policy),
        gate=GateSettings(**gate_kw), trusted_issuers={"scenario": public},
        health_code_patterns={"scenario-hc": r"^https://hc\.example\.gov\.cn/"},
    )


def issuer_key(settings: Settings) -> Ed25519PrivateKey:
    from kiosk.services.signedcode import load_private_key

    return load_private_key((settings.data_dir / "scenario-issuer.pem").read_bytes())


def run_headless(scenario: Scenario, settings: Settings) -> list[EntryRecord]:
    """Run a scenario on a headless kiosk (its own database); return the rows it left, checked."""
    from kiosk.app import build_kiosk

    clock = SceneClock(START)
    kiosk = build_kiosk(settings, clock=clock, origin="simulation")
    try:
        kiosk.store.upsert_roster(SCENARIO_ROSTER)
        c = kiosk.controller
        c.set_lane(scenario.lane, scenario.kind)
        scenes = SceneMaker(issuer_key(settings), "scenario", kiosk.decoder, kiosk.verifier, clock)
        driver = HeadlessDriver(c, scenes, clock.advance)
        for step in scenario.steps:
            check_expect(step, driver.run_step(step))
            clock.advance(0.5)
        rows = sorted(kiosk.store.entries(START.date() - timedelta(days=1), START.date() + timedelta(days=2)),
                      key=lambda r: (r.seq or 0))
        check_rows(scenario, rows)
        return rows
    finally:
        kiosk.close()


SceneClock = SteppedClock  # the scenario's own clock: it moves only when the timeline says so


