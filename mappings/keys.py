"""Identity keys: the normalised email, E.164 phone and profile URL that point at exactly one person."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import phonenumbers

from core import schema

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
_DIGITS = re.compile(r"\D+")
# Addresses of a role or a household rather than a person: stored as shared keys from the start.
ROLE_LOCALS = frozenset(
    {"info", "kontakt", "contact", "mail", "office", "jobs", "job", "bewerbung", "bewerbungen", "karriere", "post"}
    | {"hr", "personal", "team", "service", "hallo", "hello", "buero", "verwaltung", "zentrale"}
)
HOUSEHOLD_PREFIXES = ("familie", "family", "fam.", "fam-", "fam_", "fam")  # Gmail keys lose the dot


def normalise_email(email: str) -> str:
    """Case-folded; for Gmail the dots and ``+tags`` of the local part do not matter."""
    local, _, domain = email.strip().lower().partition("@")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def is_shared_address(email: str) -> bool:
    """A role or family mailbox (``info@``, ``bewerbung@``, ``familie.mueller@``): evidence, never a link."""
    local = email.split("@", 1)[0]
    return local in ROLE_LOCALS or local.startswith(HOUSEHOLD_PREFIXES)


def presumed_shared(kind: str, value: str) -> bool:
    return kind == "email" and is_shared_address(value)


def normalise_phone(phone: str, region: str | None = None) -> str | None:
    """E.164 (``+4915112345678``) from "0151 1234 5678", "+49 151 …" or "0049 151 …"; None if not a number."""
    text = phone.strip()
    if text.startswith("+") or text.startswith("00"):
        digits = _DIGITS.sub("", text)
        digits = digits[2:] if text.startswith("00") else digits
        return f"+{digits}" if 7 <= len(digits) <= 15 else None
    try:
        number = phonenumbers.parse(text, (region or "DE").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_profile_url(url: str) -> str | None:
    """``https://de.linkedin.com/in/Anna-M/?trk=x`` → ``linkedin.com/in/anna-m``: host without subdomain, no query."""
    parts = urlsplit(url.strip() if "//" in url else f"https://{url.strip()}")
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    domain = ".".join(labels[-2:]) if len(labels) >= 2 else host
    path = parts.path.rstrip("/").lower()
    if not domain or not path:
        return None
    return f"{domain}{path}"


def keys_of(person: schema.Person) -> list[tuple[str, str]]:
    """Every identity key a canonical person carries, as ``(kind, value)``."""
    keys: list[tuple[str, str]] = []
    if person.email:
        keys.append(("email", normalise_email(str(person.email))))
    if person.phone:
        phone = normalise_phone(person.phone, person.country)
        if phone:
            keys.append(("phone", phone))
    if person.linkedin_url:
        url = normalise_profile_url(person.linkedin_url)
        if url:
            keys.append(("linkedin_url", url))
    return keys
