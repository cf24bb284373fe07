"""Field survivorship: which value a person shows when its leads disagree.

By default the most recent non-empty value wins, field by field. With ``source_priority`` the values of
the better source win instead (then the most recent among equals). Consents are not person fields: each
stays in the data of the lead that brought it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import models, schema
from mappings import names
from mappings.identity_config import IdentityConfig

FIELDS = ("first_name", "last_name", "email", "phone", "city", "postcode", "country", "birth_date")

Values = dict[str, str | None]


def values_of(person: schema.Person) -> Values:
    """The person fields of a canonical person as stored (strings; a full name split when parts are missing)."""
    values: Values = {name: None for name in FIELDS}
    for name in FIELDS:
        value = getattr(person, name)
        values[name] = value.isoformat() if name == "birth_date" and value else (str(value) if value else None)
    if person.full_name and not (values["first_name"] and values["last_name"]):
        first, last = names.split_full_name(person.full_name)
        values["first_name"] = values["first_name"] or first or None
        values["last_name"] = values["last_name"] or last or None
    return values


def row_values(row: models.Person) -> Values:
    return {name: getattr(row, name) for name in FIELDS}


def pick(ranked: Iterable[Values]) -> Values:
    """Field by field, the first non-empty value of records ranked best first."""
    chosen: Values = {name: None for name in FIELDS}
    for values in ranked:
        for name in FIELDS:
            if chosen[name] is None and values.get(name):
                chosen[name] = values[name]
    return chosen


def _rank(config: IdentityConfig, source: str | None) -> int:
    priority = config.source_priority
    return priority.index(source) if source in priority else len(priority)


def lead_values(session: Session, person_ids: list[str], config: IdentityConfig) -> list[tuple[int, str, Values]]:
    """(source rank, captured at, values) of every lead of these persons, from the canonical data it stored."""
    rows = session.execute(
        select(models.Lead.source, models.Lead.captured_at, models.Lead.data).where(
            models.Lead.person_id.in_(person_ids)
        )
    ).all()
    found: list[tuple[int, str, Values]] = []
    for source, captured_at, data in rows:
        person: dict[str, Any] = (data or {}).get("person") or {}
        try:
            values = values_of(schema.Person.model_validate(person))
        except ValueError:
            continue
        found.append((_rank(config, source), captured_at.isoformat(), values))
    return found


def apply(
    session: Session,
    row: models.Person,
    incoming: Values,
    config: IdentityConfig,
    source: str | None = None,
    others: list[models.Person] | None = None,
) -> None:
    """Set ``row``'s fields from itself, ``incoming`` (the newest record) and ``others`` (persons merged in)."""
    rows = [row, *(others or [])]
    rows.sort(key=lambda r: r.updated_at or r.created_at or models.utcnow(), reverse=True)
    if config.source_priority:
        ranked = lead_values(session, [r.id for r in rows], config)
        ranked.append((_rank(config, source), "~", incoming))  # "~" sorts after every ISO timestamp
        ranked.sort(key=lambda item: (item[0], _reverse(item[1])))
        chosen = pick([values for _, _, values in ranked] + [row_values(r) for r in rows])
    else:
        chosen = pick([incoming, *(row_values(r) for r in rows)])
    for name, value in chosen.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _reverse(text: str) -> tuple[int, ...]:
    """Sort key putting later timestamps first."""
    return tuple(-ord(char) for char in text)
