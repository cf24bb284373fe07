"""The identity tables on the hot path: keys, blocks and candidate persons in as few statements as possible.

Resolution runs once per lead, so its reads are driver-level SQL written once per dialect (a list is a JSON
array on SQLite, an array on PostgreSQL, instead of an ``IN`` list re-rendered for every call) and its
inserts skip the ORM unit of work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from core.ids import new_id
from core.models import IdentityKey, Person, PersonBlock, utcnow
from mappings.keys import presumed_shared
from mappings.scoring import Profile
from mappings.survivorship import Values

PERSONS = cast(Table, Person.__table__)
KEYS = cast(Table, IdentityKey.__table__)
BLOCKS = cast(Table, PersonBlock.__table__)
_COLUMNS = "p.id, p.first_name, p.last_name, p.email, p.phone, p.city, p.postcode, p.birth_date, p.merged_into_id"


@dataclass
class Candidate:
    """A stored person that shares a key or a block with the incoming record."""

    id: str
    profile: Profile
    hits: dict[str, bool] = field(default_factory=dict)  # key kind → shared
    key_ids: list[tuple[str, str, bool]] = field(default_factory=list)  # (key id, kind, shared)


@dataclass(frozen=True)
class KeyRow:
    id: str
    kind: str
    value: str
    shared: bool
    person_id: str


def _statements(dialect: str) -> dict[str, str]:
    """Driver-level SQL: a list is a JSON array unpacked by ``json_each`` on SQLite, an array on PostgreSQL."""
    sqlite = dialect == "sqlite"
    in_list = "IN (SELECT value FROM json_each(?))" if sqlite else "= ANY(%s)"
    one = "?" if sqlite else "%s"
    return {
        "keys": "SELECT id, kind, value, shared, person_id FROM identity_keys "
        f"WHERE kind {in_list} AND value {in_list}",
        "blocks": f"SELECT {_COLUMNS}, count(*) AS shared_blocks "
        "FROM person_blocks b JOIN persons p ON p.id = b.person_id "
        f"WHERE b.block {in_list} GROUP BY p.id ORDER BY shared_blocks DESC, p.id LIMIT {one}",
        "persons": f"SELECT {_COLUMNS} FROM persons p WHERE p.id {in_list}",
        "lock": "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k",
    }


_SQL = {dialect: _statements(dialect) for dialect in ("sqlite", "postgresql")}


def _run(session: Session, name: str, *params: Any) -> list[Any]:
    connection = session.connection()
    dialect = connection.dialect.name
    values = tuple(json.dumps(p) if dialect == "sqlite" and isinstance(p, list) else p for p in params)
    return list(connection.exec_driver_sql(_SQL[dialect][name], values).all())


def lock(session: Session, names: list[str]) -> None:
    """PostgreSQL: hold a transaction-scoped advisory lock per name, taken in one global order."""
    if session.get_bind().dialect.name != "postgresql" or not names:
        return
    digests = {int.from_bytes(hashlib.blake2b(n.encode(), digest_size=8).digest(), "big", signed=True) for n in names}
    _run(session, "lock", sorted(digests))


def find_keys(session: Session, keys: list[tuple[str, str]]) -> list[KeyRow]:
    if not keys:
        return []
    kinds, values = sorted({kind for kind, _ in keys}), sorted({value for _, value in keys})
    wanted = set(keys)
    rows = _run(session, "keys", kinds, values)
    return [KeyRow(r.id, r.kind, r.value, bool(r.shared), r.person_id) for r in rows if (r.kind, r.value) in wanted]


def persons_by_blocks(session: Session, blocks: set[str], limit: int) -> list[Any]:
    """Persons sharing most of these blocks first (rows with the person columns)."""
    return _run(session, "blocks", sorted(blocks), limit) if blocks else []


def persons_by_id(session: Session, ids: list[str]) -> list[Any]:
    return _run(session, "persons", ids) if ids else []


def create_person(session: Session, values: Values, keys: list[tuple[str, str]], blocks: set[str]) -> Person:
    """Insert a person with its keys and blocks, and hand back a persistent ORM row (no read-back)."""
    now = utcnow()
    columns: dict[str, Any] = {"id": new_id("per"), **values, "merged_into_id": None, "created_at": now}
    columns["updated_at"] = now
    session.connection().execute(PERSONS.insert(), [columns])
    add_keys(session, columns["id"], keys)
    if blocks:
        rows = [{"person_id": columns["id"], "block": block} for block in sorted(blocks)]
        session.connection().execute(BLOCKS.insert(), rows)
    person = Person(**columns)
    make_transient_to_detached(person)
    session.add(person)
    return person


def add_keys(session: Session, person_id: str, keys: list[tuple[str, str]]) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id("key"),
            "person_id": person_id,
            "kind": kind,
            "value": value,
            "shared": presumed_shared(kind, value),
            "created_at": now,
        }
        for kind, value in keys
    ]
    if rows:
        session.connection().execute(KEYS.insert(), rows)


def add_blocks(session: Session, person_id: str, blocks: set[str]) -> None:
    """Blocks the person does not have yet; those it has are skipped by the primary key."""
    if not blocks:
        return
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    rows = [{"person_id": person_id, "block": block} for block in sorted(blocks)]
    session.connection().execute(insert(BLOCKS).on_conflict_do_nothing(), rows)


def mark_shared(session: Session, key_id: str) -> None:
    session.connection().execute(KEYS.update().where(KEYS.c.id == key_id).values(shared=True))
