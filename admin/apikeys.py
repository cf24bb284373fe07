"""API keys for the REST API: shown once, stored as a keyed hash, listed, found by id or name, revocable.

Who created a key and who revoked it is written to the audit log in the same transaction (the key itself never).
"""

from __future__ import annotations

import secrets as random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admin import audit
from core.context import Context
from core.errors import ConfigurationError, NotFound
from core.ids import new_id
from core.models import ApiKey, AuditEntry, utcnow

PREFIX = "lh_"
ROLES = ("viewer", "editor", "admin")
NAME_MAX = 100


@dataclass(frozen=True)
class KeyView:
    """What the admin and the CLI show of a key: never the key, only the first characters it starts with."""

    id: str
    name: str
    prefix: str
    role: str
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True while the REST API accepts the key."""
        return self.revoked_at is None


def create(ctx: Context, name: str, role: str = "editor", created_by: str = "system") -> tuple[ApiKey, str]:
    """A new key and its plain text, which the caller shows once: only its keyed hash is stored."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ConfigurationError(f"Give the key a name of 1 to {NAME_MAX} characters, e.g. the system that uses it.")
    if role not in ROLES:
        raise ConfigurationError(f"Role {role!r} does not exist; choose one of {', '.join(ROLES)}.")
    plain = PREFIX + random.token_urlsafe(32)
    key = ApiKey(id=new_id("key"), name=name, prefix=plain[:10], key_hash=ctx.box.keyed_hash(plain), role=role)
    with ctx.db.transaction() as session:
        session.add(key)
        audit.record(
            session,
            created_by,
            "apikey.create",
            "api_key",
            key.id,
            None,
            {"name": name, "role": role, "prefix": key.prefix},
        )
    return key, plain


def verify(ctx: Context, presented: str) -> ApiKey | None:
    """The key's row if the presented key is known and not revoked (looked up by its keyed hash)."""
    if not presented.startswith(PREFIX):
        return None
    with ctx.db.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == ctx.box.keyed_hash(presented)))
    return key if key is not None and key.revoked_at is None else None


def list_all(ctx: Context) -> list[KeyView]:
    """Every key, active ones first, newest first; the creator comes from the key's audit entry."""
    with ctx.db.session() as session:
        keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()
        created = session.execute(
            select(AuditEntry.target_id, AuditEntry.actor).where(
                AuditEntry.action == "apikey.create", AuditEntry.target_type == "api_key"
            )
        )
        creators = {target: actor for target, actor in created}
    views = [_view(key, creators.get(key.id)) for key in keys]
    return sorted(views, key=lambda v: not v.active)  # stable: keeps newest first within each group


def get(ctx: Context, key_id: str) -> KeyView:
    """One key by its id."""
    for key in list_all(ctx):
        if key.id == key_id:
            return key
    raise NotFound(f"No API key has the id {key_id!r}; see `leadhub apikey list`.")


def find(ctx: Context, id_or_name: str) -> KeyView:
    """One key by its id, or by a name only one active key has; the error says how to choose otherwise."""
    wanted = id_or_name.strip()
    keys = list_all(ctx)
    by_id = [k for k in keys if k.id == wanted]
    if by_id:
        return by_id[0]
    named = [k for k in keys if k.name == wanted]
    active = [k for k in named if k.active]
    if len(active) == 1 or (not active and len(named) == 1):
        return (active or named)[0]
    if len(active) > 1:
        ids = ", ".join(f"{k.id} ({k.prefix}…, created {k.created_at:%Y-%m-%d %H:%M})" for k in active)
        raise ConfigurationError(f"{len(active)} active keys are named {wanted!r}: {ids}. Name one by its id.")
    if named:
        raise ConfigurationError(f"Every key named {wanted!r} is revoked already; see `leadhub apikey list`.")
    raise NotFound(f"No API key has the id or name {wanted!r}; see `leadhub apikey list`.")


def revoke(ctx: Context, key_id: str, revoked_by: str = "system") -> KeyView:
    """Refuse the key from now on; revoking twice or an unknown id is an error that says so."""
    with ctx.db.transaction() as session:
        key = session.get(ApiKey, key_id, with_for_update=True)
        if key is None:
            raise NotFound(f"No API key has the id {key_id!r}; see the API keys list.")
        if key.revoked_at is not None:
            raise ConfigurationError(
                f"API key {key.name} ({key.prefix}…) was revoked already on {key.revoked_at:%Y-%m-%d %H:%M} UTC."
            )
        key.revoked_at = utcnow()
        audit.record(
            session,
            revoked_by,
            "apikey.revoke",
            "api_key",
            key.id,
            {"name": key.name, "role": key.role, "prefix": key.prefix, "revoked_at": None},
            {"revoked_at": key.revoked_at.isoformat()},
        )
        return _view(key, None)


def _view(key: ApiKey, created_by: str | None) -> KeyView:
    return KeyView(key.id, key.name, key.prefix, key.role, key.created_at, created_by, key.revoked_at)
