"""What the kiosk pulls down from the centre: roster, policy (with its version) and trusted issuer keys.

Publications for the school or the district are saved in the data directory
(``central/``, 0600: names and card numbers) and the roster table;
``central_overlay`` puts the last good copy into the settings at start, so a
kiosk keeps working on it while the centre is away. A publication the kiosk
must not take (a policy it would refuse to start with, keys of the wrong
shape) is refused once, audited, and the last good copy stays in force.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from db.central.store import CentralStore
from db.records import RosterPerson
from kiosk.config.settings import Settings
from kiosk.domain.policy import Policy, PolicyError
from kiosk.services.ports import PublishedStore

log = logging.getLogger(__name__)


def central_dir(settings: Settings) -> Path:
    return settings.data_dir / "central"


CONFIRMED_BY = "confirmed_by"  # in a published policy: who confirmed an unusual fever threshold at publishing


def published_policy(body: object) -> Policy:
    """The policy of a publication; raises ``PolicyError`` when the kiosk must not take it.

    A fever threshold outside 37.0–38.5 °C is taken only when the publisher
    confirmed it (``central publish policy --confirm-threshold``): an
    unconfirmed one would stop the gate at its next start.
    """
    from kiosk.config.settings import fever_threshold_needs_confirmation

    if not isinstance(body, dict):
        raise PolicyError("a published policy must be a table of [policy] keys")
    policy = Policy.from_mapping({k: v for k, v in body.items() if k != CONFIRMED_BY})
    if fever_threshold_needs_confirmation(policy) and not body.get(CONFIRMED_BY):
        raise PolicyError(f"fever_threshold_c = {policy.fever_threshold_c:g} °C is outside 37.0–38.5 °C and the "
                          "publication was not confirmed")
    return policy


def pull_publications(store: PublishedStore, central: CentralStore, settings: Settings) -> dict[str, int]:
    """Take the newest roster, policy and issuer keys published for this school (or its district).

    Each is saved only when it is newer than the copy the kiosk has; a
    publication the kiosk cannot use (a bad policy) is audited and logged
    once, and the last good copy stays in force.
    """
    folder = central_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    refused_path = folder / "refused.json"
    refused = read_json(refused_path) or {}
    taken: dict[str, int] = {}
    for kind, (scope, version, body) in central.latest_publications(settings.site.site_id).items():
        path = folder / f"{kind}.json"
        current = read_json(path)
        if current and current.get("version") == version and current.get("scope") == scope:
            continue
        if refused.get(kind) == [scope, version]:
            continue  # refused once already: said then, not again on every round
        try:
            if kind == "policy":
                policy = published_policy(body)
            elif kind == "issuers":
                check_issuer_keys(body)
            elif kind == "roster":
                people = [RosterPerson(p["person_id"], p["name"], p["kind"], p.get("group", ""), p.get("card_number"))
                          for p in body]
                store.upsert_roster(people)
        except (PolicyError, ValueError, KeyError, TypeError) as exc:
            why = str(exc) if not isinstance(exc, (KeyError, TypeError)) else f"malformed rows ({type(exc).__name__}: {exc})"
            log.error("published %s v%s (%s) not taken, the last good copy stays in force: %s", kind, version, scope, why)
            store.audit("sync", "pull_refused", {"kind": kind, "scope": scope, "version": version, "reason": why})
            refused[kind] = [scope, version]
            write_private(refused_path, refused)
            continue
        write_private(path, {"scope": scope, "version": version, "body": body,
                              "pulled_at": datetime.now(timezone.utc).isoformat()})
        store.audit("sync", "pull", {"kind": kind, "scope": scope, "version": version})
        if kind == "policy" and body.get(CONFIRMED_BY):
            # The publisher confirmed the unusual threshold: that confirmation stands for this gate too.
            store.audit("sync", "policy_confirmed", {"version": policy.version, "by": body[CONFIRMED_BY],
                                                     "via": f"central publication {scope} v{version}"})
        taken[kind] = version
    return taken


def write_private(path: Path, data: object) -> None:
    """Write JSON atomically, 0600 from the start (names, the roster's card numbers)."""


    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.chmod(tmp, 0o600)  # an older copy made 0644 keeps its mode through O_CREAT
    tmp.replace(path)


def check_issuer_keys(body: object) -> None:
    """Raise ``ValueError`` unless ``body`` maps key ids to base64 Ed25519 public keys."""
    from kiosk.services.signedcode import load_public_key

    if not isinstance(body, dict) or not body:
        raise ValueError("expected key_id = \"<base64 Ed25519 public key>\" lines")
    for key_id, value in body.items():
        if not isinstance(value, str):
            raise ValueError(f"{key_id}: not a base64 public key")
        try:
            load_public_key(value)
        except ValueError as exc:
            raise ValueError(f"{key_id}: not an Ed25519 public key: {exc}") from None


def central_overlay(settings: Settings) -> Settings:
    """Settings with the last pulled policy and issuer keys in force (config file keys stay trusted too)."""
    if not settings.central.url:
        return settings
    folder = central_dir(settings)
    policy = read_json(folder / "policy.json")
    issuers = read_json(folder / "issuers.json")
    out = settings
    if policy:
        try:
            out = replace(out, policy=published_policy(policy["body"]))
        except (PolicyError, KeyError, TypeError) as exc:
            # Never stop the gate over a pulled copy (one saved by an older kiosk): the config's policy stays.
            log.warning("%s: the pulled policy cannot be used, the config's policy %s stays in force: %s",
                        folder / "policy.json", settings.policy.version, exc)
    if issuers and isinstance(issuers.get("body"), dict):
        out = replace(out, trusted_issuers={**dict(out.trusted_issuers), **issuers["body"]})
    return out


def pulled_issuer_keys(settings: Settings) -> dict[str, str]:
    """The issuer keys last pulled from the centre (vouched for there), or none."""
    if not settings.central.url:
        return {}
    issuers = read_json(central_dir(settings) / "issuers.json")
    body = issuers.get("body") if issuers else None
    return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
