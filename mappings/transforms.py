"""Named transforms a mapping can apply to one value; each is a pure function."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import phonenumbers

Transform = Callable[[Any, str | None], Any]

TRUE_WORDS = {"1", "true", "yes", "ja", "y", "j", "on", "x", "checked"}
FALSE_WORDS = {"0", "false", "no", "nein", "n", "off", ""}


def trim(value: Any, _arg: str | None) -> Any:
    return value.strip() if isinstance(value, str) else value


def lower(value: Any, _arg: str | None) -> Any:
    return value.lower() if isinstance(value, str) else value


def upper(value: Any, _arg: str | None) -> Any:
    return value.upper() if isinstance(value, str) else value


def email(value: Any, _arg: str | None) -> Any:
    """Trimmed and lower-cased; validation is the canonical model's job."""
    return value.strip().lower() if isinstance(value, str) else value


def phone(value: Any, region: str | None) -> Any:
    """E.164 with a default region (``phone:DE``); an unparseable number is kept as sent."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, (region or "DE").upper())
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_bool(value: Any, _arg: str | None) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"cannot read {value!r} as yes/no")


def timestamp(value: Any, _arg: str | None) -> Any:
    """ISO 8601 (``Z`` or ``+0000``), unix seconds or milliseconds, German ``dd.mm.yyyy``."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, UTC)
    text = str(value).strip()
    for fmt in ("%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_str(value: Any, _arg: str | None) -> Any:
    """Ids stay exact: numbers become their digits, never floats."""
    if value is None or isinstance(value, str):
        return value
    return str(value)


TRANSFORMS: dict[str, Transform] = {
    "trim": trim,
    "lower": lower,
    "upper": upper,
    "email": email,
    "phone": phone,
    "bool": to_bool,
    "timestamp": timestamp,
    "str": to_str,
}


def run(names: list[str], value: Any) -> Any:
    """Apply transforms named like ``phone:DE`` in order."""
    for name in names:
        key, _, arg = name.partition(":")
        value = TRANSFORMS[key](value, arg or None)
    return value
