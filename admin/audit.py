"""The audit log: who changed what, when, before → after — secrets never written."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.ids import new_id
from core.models import AuditEntry

SECRET_WORDS = ("secret", "token", "password", "key")


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if any(w in k.lower() for w in SECRET_WORDS) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def record(
    session: Session,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            id=new_id("aud"),
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=redact(before),
            after=redact(after),
        )
    )
