"""API keys for the REST API: shown once, stored as a keyed hash, revocable."""

from __future__ import annotations

import secrets as random

from sqlalchemy import select

from core.context import Context
from core.ids import new_id
from core.models import ApiKey, utcnow

PREFIX = "lh_"


def create(ctx: Context, name: str, role: str = "editor") -> tuple[ApiKey, str]:
    plain = PREFIX + random.token_urlsafe(32)
    key = ApiKey(id=new_id("key"), name=name, prefix=plain[:10], key_hash=ctx.box.keyed_hash(plain), role=role)
    with ctx.db.transaction() as session:
        session.add(key)
    return key, plain


def verify(ctx: Context, presented: str) -> ApiKey | None:
    """The key's row if the presented key is known and not revoked (looked up by its keyed hash)."""
    if not presented.startswith(PREFIX):
        return None
    with ctx.db.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == ctx.box.keyed_hash(presented)))
    return key if key is not None and key.revoked_at is None else None


def revoke(ctx: Context, key_id: str) -> None:
    with ctx.db.transaction() as session:
        key = session.get(ApiKey, key_id)
        if key is not None and key.revoked_at is None:
            key.revoked_at = utcnow()
