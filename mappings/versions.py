"""Mapping versions per connection; the first use of a connection publishes its platform's default as v1."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import registry
from core.ids import new_id
from core.models import Connection, MappingVersion, utcnow
from mappings.spec import MappingSpec


def published(session: Session, connection: Connection) -> MappingVersion:
    """The newest published version, creating v1 from the connector's default mapping if there is none."""
    current = session.scalar(
        select(MappingVersion)
        .where(MappingVersion.connection_id == connection.id, MappingVersion.published_at.is_not(None))
        .order_by(MappingVersion.version.desc())
        .limit(1)
    )
    if current is not None:
        return current
    spec: MappingSpec = registry.get(connection.platform).load().default_mapping()
    current = MappingVersion(
        id=new_id("map"),
        connection_id=connection.id,
        version=1,
        spec=spec.model_dump(mode="json", exclude_defaults=True),
        published_at=utcnow(),
        created_by="default",
    )
    session.add(current)
    session.flush()
    return current
