"""Identity resolution, first cut: exact normalised keys (email, phone) link a lead to its person.

The scored matching, guards, review queue and undo of the Mappings/identity issue grow from here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import schema
from core.ids import new_id
from core.models import IdentityKey, Person

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(email: str) -> str:
    """Case-folded; for Gmail the dots and ``+tags`` of the local part do not matter."""
    local, _, domain = email.strip().lower().partition("@")
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def keys_of(person: schema.Person) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    if person.email:
        keys.append(("email", normalise_email(str(person.email))))
    if person.phone and person.phone.startswith("+"):
        keys.append(("phone", person.phone))
    return keys


def _survive(row: Person, incoming: schema.Person) -> None:
    """Most recent non-empty value wins, field by field."""
    for field in ("first_name", "last_name", "email", "phone", "city", "postcode", "country"):
        value = getattr(incoming, field)
        if value:
            setattr(row, field, str(value))
    if incoming.birth_date:
        row.birth_date = incoming.birth_date.isoformat()


def resolve(session: Session, incoming: schema.Person) -> Person:
    """Find the person an exact key points at, or create one; the unique key constraint settles races."""
    keys = keys_of(incoming)
    person: Person | None = None
    known: set[tuple[str, str]] = set()
    if keys:
        rows = session.execute(
            select(IdentityKey.kind, IdentityKey.value, IdentityKey.person_id).where(
                IdentityKey.value.in_([value for _, value in keys])
            )
        ).all()
        matches = [(kind, value, pid) for kind, value, pid in rows if (kind, value) in set(keys)]
        known = {(kind, value) for kind, value, _ in matches}
        if matches:
            person = session.get(Person, matches[0][2])
            while person is not None and person.merged_into_id:
                person = session.get(Person, person.merged_into_id)
    if person is None:
        person = Person(id=new_id("per"))
        session.add(person)
        session.flush()  # the keys below refer to it
    _survive(person, incoming)
    for kind, value in keys:
        if (kind, value) not in known:
            session.add(IdentityKey(id=new_id("key"), person_id=person.id, kind=kind, value=value))
    session.flush()
    return person
