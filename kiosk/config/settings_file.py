"""Writing changed settings back to the TOML config file, keeping its comments, validated before it replaces it.

The file is edited as a document (tomlkit), not re-serialised: comments, key
order and unchanged values stay as the IT teacher wrote them; only keys whose
value changed are touched, and a key the file does not have is added only
when it changes what the kiosk runs with (not every default the settings
dialog shows, not a data dir chosen by ``GATE_KIOSK_DATA``). The new text is checked by loading it with the
same loader the kiosk uses, and only a file that loads replaces the old one
(atomically), so a mistake in the settings dialog can never leave the kiosk
unable to start.

Entries record the policy version they were judged under, so any change to a
policy value bumps ``policy.version`` (to today's date, with ``.2``, ``.3`` …
for further changes the same day) unless the change sets a version itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from kiosk.config.settings import ConfigError, Settings
from kiosk.config.loading import load_settings


@dataclass(frozen=True)
class SavedSettings:
    """What a save did: the file, and the policy version before and after (equal: no policy change)."""

    path: Path
    policy_version_before: str
    policy_version_after: str
    written: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # the changes that went into the file

    @property
    def policy_changed(self) -> bool:
        return self.policy_version_before != self.policy_version_after


def write_settings(path: Path, changes: Mapping[str, Mapping[str, Any]], today: date | None = None) -> SavedSettings:
    """Apply ``changes`` ({"section.sub": {key: value}}) to the file at ``path``; see the module docstring.

    A mapping value replaces a table key by key (keys missing from it are
    removed), so ``{"policy.rules": {"staff": {...}}}`` states the whole
    staff rule set. A rule given as a plain mode string keeps the options of
    an inline-table rule (``{ mode = "hard", only_returning = true }``).
    """
    text = ""
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8-sig")  # a Notepad BOM is read, not kept
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        doc = tomlkit.parse(text)
    except (TOMLKitError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid TOML, not overwriting it: {exc}") from None
    before = _validated(path, tomlkit.parse(text))
    written = _what_changes(path, doc, before, changes)
    for section, values in written.items():
        _sync(_table_at(path, doc, section), values)
    after = _validated(path, doc)
    # Versions as declared in the file (the recorded version adds a digest of the content: "+…").
    old_version = _declared(before.policy.version)
    if _policy_values_differ(before, after) and _declared(after.policy.version) == old_version:
        if "policy" not in doc:
            doc.add("policy", tomlkit.table())
        doc["policy"]["version"] = next_policy_version(old_version, today or after.site.today())
        after = _validated(path, doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.new")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.chmod(tmp, 0o600)  # the file holds the issuer app secret
    os.replace(tmp, path)
    return SavedSettings(path, old_version, _declared(after.policy.version), written)


# The document and its tables are tomlkit's containers, whose items hold any TOML value: Any here.
def _table_at(path: Path, doc: Any, section: str) -> Any:
    table: Any = doc
    for part in section.split("."):
        if part not in table:
            table.add(part, tomlkit.table())
        table = table[part]
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: [{section}] is not a table, not overwriting it")
    return table


def _what_changes(path: Path, doc: Any, before: Settings, changes: Mapping[str, Mapping[str, Any]]
                  ) -> dict[str, dict[str, Any]]:
    """The part of ``changes`` the admin changed: keys in the file, and new keys that change the settings.

    The dialog hands over every field. A key the file does not have whose value is what the kiosk
    already runs with (a default, or the data dir that ``GATE_KIOSK_DATA`` chose) is not written: a
    15-line file stays 15 lines, and a later change of a default or of the environment still applies.
    """
    out: dict[str, dict[str, Any]] = {}
    for section, values in changes.items():
        present: Any = doc
        for part in section.split("."):
            present = present.get(part) if isinstance(present, Mapping) else None
        for key, value in values.items():
            if isinstance(present, Mapping) and key in present:
                if not _differs(present[key], value):
                    continue
            else:
                trial = tomlkit.parse(tomlkit.dumps(doc))
                try:
                    _sync(_table_at(path, trial, section), {key: value})
                    if _validated(path, trial) == before:
                        continue
                except ConfigError:
                    pass  # kept: the whole save is validated and says what is wrong
            out.setdefault(section, {})[key] = value
    return out


def _declared(version: str) -> str:
    return version.split("+", 1)[0]


def next_policy_version(current: str, today: date) -> str:
    """Today's date; ``2026-11-29.2`` if today's date is already the current version, and so on."""
    base = today.isoformat()
    if current != base and not current.startswith(base + "."):
        return base
    suffix = current[len(base) + 1:]
    return f"{base}.{int(suffix) + 1 if suffix.isdigit() else 2}"


def _sync(table: Any, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        current = table.get(key)
        if isinstance(value, Mapping):
            if not isinstance(current, Mapping):
                if key in table:
                    del table[key]
                table.add(key, tomlkit.table())
                current = table[key]
            for gone in [k for k in current if k not in value]:
                del current[gone]
            _sync(current, value)
        elif isinstance(value, str) and isinstance(current, Mapping) and "mode" in current:
            if current["mode"] != value:
                table[key]["mode"] = value  # keep only_returning and any other option of the rule
        elif current is None or _differs(current, value):
            table[key] = value


def _differs(current: Any, value: Any) -> bool:
    """Whether writing ``value`` over the file's ``current`` changes the file (the rules of ``_sync``)."""
    if isinstance(value, str) and isinstance(current, Mapping) and "mode" in current:
        return bool(_plain(current["mode"]) != value)
    plain = _plain(current)
    return bool(plain != value or type(plain) is not type(value))


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item


def _validated(path: Path, doc: Any) -> Settings:
    tmp = path.with_suffix(".toml.check")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    try:
        return load_settings(tmp)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace(str(tmp), "settings")) from None
    finally:
        tmp.unlink(missing_ok=True)


def _policy_values_differ(before: Settings, after: Settings) -> bool:
    from kiosk.config.settings import policy_content

    return policy_content(after.policy) != policy_content(before.policy)
