"""Consent purposes per connection: a platform's checkbox keys renamed to the purposes rules and routing read.

Platforms name consent checkboxes after the form (Meta's ``checkbox_key``, LinkedIn's ``linkedin_consent_<id>``,
a TikTok question key), while qualification rules and sink routes ask for canonical purposes such as
``recruiting_contact``. A connection's setting ``consent_purposes`` maps one to the other; without it the source
plugin's ``CONSENT_PURPOSES`` apply. Renamed consents keep the platform's key in ``platform_key``; keys the map
does not name stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectors import registry
from core.errors import NotFound
from core.schema import Consent

SETTING = "consent_purposes"
PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
MAX_KEY = 200
EXAMPLE = "kontakt_bewerbung = recruiting_contact"


def defaults(platform: str) -> dict[str, str]:
    """The source plugin's map for the keys its forms and sandbox use; empty for a platform without one."""
    try:
        module = registry.get(platform, "source").load()
    except NotFound:
        return {}
    return dict(getattr(module, "CONSENT_PURPOSES", {}))


def is_own(settings: Mapping[str, Any]) -> bool:
    """Whether the connection sets its own map (which replaces the platform's defaults)."""
    return settings.get(SETTING) is not None


def effective(platform: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """The map in force for a connection: its own setting when present, else the platform's defaults."""
    if not is_own(settings):
        return defaults(platform)
    try:
        return parse(settings[SETTING])
    except ValueError as exc:
        raise ValueError(f"the connection setting {SETTING} is invalid ({exc}); correct it on the connection") from None


def rename(consents: Iterable[Consent], purposes: Mapping[str, str]) -> list[Consent]:
    """Each consent under its canonical purpose, the platform's key kept in ``platform_key``."""
    out = []
    for consent in consents:
        target = purposes.get(consent.purpose)
        if target is None or target == consent.purpose:
            out.append(consent)
        else:
            key = consent.platform_key or consent.purpose
            out.append(consent.model_copy(update={"purpose": target, "platform_key": key}))
    return out


def parse(value: Any) -> dict[str, str]:
    """A map from a settings value: a mapping (YAML, config file) or text, as ``key = purpose`` lines (the admin)
    or ``key=purpose,key=purpose`` (``--setting`` on the command line). Raises ``ValueError`` naming the problem."""
    if isinstance(value, Mapping):
        pairs = [(f"{key!r}", key, purpose) for key, purpose in value.items()]
    elif isinstance(value, str):
        pairs = list(_text_pairs(value))
    else:
        raise ValueError(
            f"must be a mapping of checkbox key to purpose (e.g. {{kontakt_bewerbung: recruiting_contact}}), "
            f"not {type(value).__name__}"
        )
    found: dict[str, str] = {}
    for where, key, purpose in pairs:
        key, purpose = _check(where, key, purpose)
        if key in found:
            raise ValueError(f"{where}: the key {key!r} is named twice; keep one purpose for it")
        found[key] = purpose
    return found


def to_text(purposes: Mapping[str, str]) -> str:
    """The admin's ``key = purpose`` lines, in the map's order."""
    return "".join(f"{key} = {purpose}\n" for key, purpose in purposes.items())


def checked_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings with ``consent_purposes`` (when present) validated and stored as a plain mapping."""
    out = dict(settings)
    if is_own(out):
        try:
            out[SETTING] = parse(out[SETTING])
        except ValueError as exc:
            raise ValueError(f"setting {SETTING}: {exc}") from None
    return out


def _text_pairs(text: str) -> Iterable[tuple[str, Any, Any]]:
    multiline = "\n" in text.strip()
    label = "line" if multiline else "item"
    for number, line in enumerate(text.strip().splitlines() if multiline else text.split(","), 1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        key, equals, purpose = content.partition("=")
        if not equals:
            raise ValueError(f"{label} {number} ({content!r}) has no '='; write it as `{EXAMPLE}`")
        yield f"{label} {number}", key.strip(), purpose.strip()


def _check(where: str, key: Any, purpose: Any) -> tuple[str, str]:
    if not isinstance(key, str | int) or isinstance(key, bool) or not str(key).strip():
        raise ValueError(f"{where}: the checkbox key is empty; write it as `{EXAMPLE}`")
    key = str(key).strip()
    if len(key) > MAX_KEY:
        raise ValueError(f"{where}: the checkbox key is longer than {MAX_KEY} characters")
    if purpose is None or (isinstance(purpose, str) and not purpose.strip()):
        raise ValueError(f"{where}: {key!r} has no purpose; write it as `{key} = recruiting_contact`")
    if not isinstance(purpose, str) or not PURPOSE.match(purpose.strip()):
        raise ValueError(
            f"{where}: the purpose {purpose!r} of {key!r} is not a purpose name; use lower-case letters, digits and "
            "_ starting with a letter, e.g. recruiting_contact, talent_pool or marketing"
        )
    return key, purpose.strip()
