"""Contact tracing over the centre: a person's entries at every gate, and who was at the same gate then.

Behind the admin PIN and audited twice (the kiosk's audit log and the
centre's ``trace_requests``). Identities are shown masked; only a request
recorded with a reason shows roster numbers in full, with the name from the
roster published at the centre, so that the school can reach the people.
A person given by name or phone can only be matched on the masked forms the
log keeps, and such matches are marked "probable".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from db.central.queries import CentralRunner, PersonMatch, same_gate_window, trace_person
from kiosk.domain.privacy import id_hash, mask_id, mask_name, mask_phone

_ID_NUMBER = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
_PHONE = re.compile(r"^\+?\d{11,13}$")


def person_match(person: str, salts: list[bytes]) -> PersonMatch:
    """What the given person string can be matched on."""
    p = person.strip()
    if not p:
        raise ValueError("--person is empty")
    if _ID_NUMBER.match(p):
        return PersonMatch(person_ref=p, id_hashes=tuple(id_hash(p, s) for s in salts), id_masked=mask_id(p))
    if _PHONE.match(p):
        return PersonMatch(phone_masked=mask_phone(p))
    if any("\u4e00" <= ch <= "\u9fff" for ch in p):
        return PersonMatch(name_masked=mask_name(p))
    return PersonMatch(person_ref=p)


def check_reason(reason: str) -> None:
    """Raise ``ValueError`` unless a tracing reason says something: who asked and why.

    At least 4 distinct characters, and 6 characters in all (4 when written in
    Chinese, which says more per character), e.g. "区疾控 2026-031 号协查".
    """
    meaningful = [ch for ch in reason if ch.isalnum()]
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in meaningful)
    if len(set(meaningful)) < 4 or len(meaningful) < (4 if chinese else 6):
        raise ValueError(f"--reason {reason!r} says too little: name the request and who made it "
                         "(e.g. \"区疾控 2026-031 号协查\")")


@dataclass
class TraceResult:
    """The person's entries, and for each the people at the same gate within the window."""

    request_id: int
    reason: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    contacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # entry id -> people

    @property
    def contact_count(self) -> int:
        return len({c["id"] for cs in self.contacts.values() for c in cs})


def trace(central: CentralRunner, person: str, since: datetime, until: datetime, *, window: timedelta,
          reason: str, actor: str, salts: list[bytes]) -> TraceResult:
    if reason:
        check_reason(reason)
    match = person_match(person, salts)
    entries = trace_person(central, match, since, until)
    contacts = {e["id"]: same_gate_window(central, e["site_id"], e["gate_id"], e["created_at"], window, e["id"])
                for e in entries}
    names = _roster_names(central) if reason else {}
    for row in [*entries, *(c for cs in contacts.values() for c in cs)]:
        _present(row, bool(reason), names)

    def record(conn: Connection) -> int:
        from sqlalchemy import bindparam
        from sqlalchemy.dialects.postgresql import JSONB

        # The request log keeps who asked, why and the masked person: never an ID number in clear (the
        # centre's entries hold only masked or hashed IDs; a reason shows names on screen, it does not log them).
        query = {"person": mask_id(person), "from": since.isoformat(),
                 "to": until.isoformat(), "window_min": window.total_seconds() / 60}
        return int(conn.execute(text(
            "INSERT INTO trace_requests (actor, reason, query, matched) VALUES (:a, :r, :q, :m) RETURNING id")
            .bindparams(bindparam("q", type_=JSONB)),
            {"a": actor, "r": reason, "q": query, "m": len(entries)}).scalar_one())
    request_id: int = central.run(record)
    return TraceResult(request_id, reason, entries, contacts)


def _roster_names(central: CentralRunner) -> dict[tuple[str, str], str]:
    """(site or '*', person id) -> name, from the newest published rosters."""
    def do(conn: Connection) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for scope, body in conn.execute(text(
                "SELECT DISTINCT ON (scope) scope, body FROM publications WHERE kind = 'roster' "
                "ORDER BY scope, version DESC")):
            for p in body or []:
                if isinstance(p, dict) and "person_id" in p:
                    out[(scope, str(p["person_id"]))] = str(p.get("name", ""))
        return out
    result: dict[tuple[str, str], str] = central.run(do)
    return result


def _present(row: dict[str, Any], full: bool, names: dict[tuple[str, str], str]) -> None:
    ref = row.get("person_ref")
    row["who"] = row.get("name_masked") or ""
    if full and ref:
        row["who"] = names.get((row["site_id"], ref)) or names.get(("*", ref)) or row["who"]
        row["ref_shown"] = ref
    else:
        row["ref_shown"] = mask_id(ref) if ref else ""
