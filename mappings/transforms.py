"""Named transforms a mapping can apply to one value; each is a pure function."""

from __future__ import annotations

import re
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


TITLES = {
    "dr",
    "prof",
    "dipl",
    "ing",
    "med",
    "rer",
    "nat",
    "phil",
    "mag",
    "herr",
    "frau",
    "mr",
    "mrs",
    "ms",
    "msc",
    "bsc",
    "ba",
    "ma",
    "mba",
    "phd",
    "dipl.-ing",
    "dr.-ing",
    "jun",
    "sen",
    "jr",
    "sr",
}
PARTICLES = {
    "von",
    "van",
    "de",
    "der",
    "den",
    "zu",
    "zur",
    "vom",
    "di",
    "da",
    "del",
    "della",
    "le",
    "la",
    "du",
    "ten",
    "ter",
    "af",
    "av",
    "y",
    "bin",
    "al",
    "el",
}


def _name_parts(value: Any) -> tuple[str, str] | None:
    """Split "Dr. Anna-Lena von der Heide" into ("Anna-Lena", "von der Heide"); "Müller, Jürgen" too."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    words = [w for w in text.split(" ") if w.lower().rstrip(".") not in TITLES and w.lower() not in TITLES]
    if not words:
        return None
    if len(words) == 1:
        return "", words[0]
    # the surname starts at the first particle after the first given name, else it is the last word
    for index in range(1, len(words) - 1):
        if words[index].lower() in PARTICLES:
            return " ".join(words[:index]), " ".join(words[index:])
    return " ".join(words[:-1]), words[-1]


def first_name(value: Any, _arg: str | None) -> Any:
    parts = _name_parts(value)
    return (parts[0] or None) if parts else None


def last_name(value: Any, _arg: str | None) -> Any:
    parts = _name_parts(value)
    return parts[1] if parts else None


COUNTRIES = {
    "de": "DE",
    "deu": "DE",
    "d": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "at": "AT",
    "aut": "AT",
    "a": "AT",
    "austria": "AT",
    "österreich": "AT",
    "oesterreich": "AT",
    "ch": "CH",
    "che": "CH",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "nl": "NL",
    "nld": "NL",
    "netherlands": "NL",
    "niederlande": "NL",
    "nederland": "NL",
    "fr": "FR",
    "fra": "FR",
    "france": "FR",
    "frankreich": "FR",
    "pl": "PL",
    "pol": "PL",
    "poland": "PL",
    "polen": "PL",
    "polska": "PL",
    "it": "IT",
    "ita": "IT",
    "italy": "IT",
    "italien": "IT",
    "italia": "IT",
    "es": "ES",
    "esp": "ES",
    "spain": "ES",
    "spanien": "ES",
    "españa": "ES",
    "be": "BE",
    "bel": "BE",
    "belgium": "BE",
    "belgien": "BE",
    "lu": "LU",
    "lux": "LU",
    "luxembourg": "LU",
    "luxemburg": "LU",
    "dk": "DK",
    "dnk": "DK",
    "denmark": "DK",
    "dänemark": "DK",
    "cz": "CZ",
    "cze": "CZ",
    "czechia": "CZ",
    "tschechien": "CZ",
    "tr": "TR",
    "tur": "TR",
    "turkey": "TR",
    "türkei": "TR",
    "türkiye": "TR",
    "gb": "GB",
    "uk": "GB",
    "gbr": "GB",
    "united kingdom": "GB",
    "großbritannien": "GB",
    "us": "US",
    "usa": "US",
    "united states": "US",
}


def country(value: Any, _arg: str | None) -> Any:
    """Names, ISO-3 and car codes in German or English → ISO 3166-1 alpha-2; unknown values are refused."""
    if value in (None, ""):
        return None
    key = str(value).strip().lower()
    if key in COUNTRIES:
        return COUNTRIES[key]
    raise ValueError(f"unknown country {value!r}; use an ISO code such as DE")


POSTCODE_DIGITS = {"DE": 5, "AT": 4, "CH": 4, "DK": 4, "BE": 4, "LU": 4, "FR": 5, "IT": 5, "ES": 5}


def postcode(value: Any, region: str | None) -> Any:
    """Trimmed; for countries with numeric codes, digits only and zero-padded (Excel turns 01067 into 1067)."""
    if value in (None, ""):
        return None
    text = str(value).strip().upper()
    digits = POSTCODE_DIGITS.get((region or "DE").upper())
    if digits is None:
        return text
    text = re.sub(r"^[A-Z]{1,3}-", "", text).replace(" ", "")  # "D-10115", "A-1010", "CH-8001"
    if text.endswith(".0"):
        text = text[:-2]  # a spreadsheet's float
    if not text.isdigit() or len(text) > digits:
        raise ValueError(f"{value!r} is not a {(region or 'DE').upper()} postcode")
    return text.zfill(digits)


def regex(value: Any, pattern: str | None) -> Any:
    """The first group of ``regex:<pattern>`` (or the whole match); no match gives nothing."""
    if value is None or not pattern:
        return None
    match = re.search(pattern, str(value))
    if match is None:
        return None
    return match.group(1) if match.groups() else match.group(0)


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
    "first_name": first_name,
    "last_name": last_name,
    "country": country,
    "postcode": postcode,
    "regex": regex,
    "map": lambda value, _arg: value,  # resolved by apply_mapping against the mapping's value_maps
}


def run(names: list[str], value: Any, value_maps: dict[str, dict[str, Any]] | None = None) -> Any:
    """Apply transforms named like ``phone:DE`` in order; ``map:<name>`` looks the value up in ``value_maps``."""
    for name in names:
        key, _, arg = name.partition(":")
        if key == "map":
            value = _lookup((value_maps or {}).get(arg or "", {}), value, arg or "")
        else:
            value = TRANSFORMS[key](value, arg or None)
    return value


def _lookup(table: dict[str, Any], value: Any, name: str) -> Any:
    if value is None:
        return None
    folded = {str(k).strip().lower(): v for k, v in table.items()}
    key = str(value).strip().lower()
    if key in folded:
        return folded[key]
    if "*" in folded:
        return folded["*"]
    raise ValueError(f"{value!r} is not in value map {name!r} ({', '.join(map(str, table))})")
