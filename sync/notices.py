"""Complete a push that only names records: fetch each new one (outside any transaction), store it, or delete."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from connectors import registry
from connectors.sources.base import Notice, new_http
from core.context import Context
from core.errors import AuthExpired, RateLimited, SourceError
from core.ids import new_id
from core.models import Connection, IdentityKey, Lead, Person, RawRecord, utcnow
from sync import connections, outbox
from webhooks.event_models import LeadDeleted

log = logging.getLogger(__name__)
MAX_NOTICE_WAIT_S = 3600.0  # the longest pause between two fetches of a notice the platform refused


def complete(ctx: Context, raw_id: str) -> list[str]:
    """Returns the ids of the raw records it stored (the caller dispatches them)."""
    with ctx.db.session() as session:
        raw = session.get(RawRecord, raw_id)
        if raw is None or raw.status != "pending":
            return []
        conn = session.get(Connection, raw.connection_id)
        assert conn is not None
        view = connections.view(ctx, conn)
        was_unhealthy = conn.status != "ok"
        plugin = registry.get(raw.source, "source").load()
        notices: list[Notice] = plugin.notices(raw.body)
        wanted = [n.external_id for n in notices if n.action == "created"]
        known = set(
            session.scalars(select(Lead.external_id).where(Lead.connection_id == conn.id, Lead.external_id.in_(wanted)))
        )
    fetched: list[tuple[str, dict[str, Any]]] = []
    refused: list[str] = []
    http = new_http()
    try:
        for notice in notices:
            if notice.action != "created" or notice.external_id in known:
                continue
            try:
                records = list(plugin.fetch(view, notice, http))
            except (RateLimited, AuthExpired):
                raise
            except SourceError as exc:  # this record only (e.g. Meta 100/33); the notice's others still count
                refused.append(f"{notice.external_id}: {exc}")
                continue
            fetched += [(plugin.record_id(record), record) for record in records]
    except RateLimited as exc:
        mark_rate_limited(ctx, conn.id, exc)
        raise
    except AuthExpired as exc:
        mark_needs_reauth(ctx, conn.id, str(exc))
        raise
    finally:
        http.close()
    if was_unhealthy:
        mark_ok(ctx, conn.id)
    return _store(ctx, raw_id, conn.id, raw.source, notices, fetched, refused)


def _store(
    ctx: Context,
    raw_id: str,
    connection_id: str,
    source: str,
    notices: list[Notice],
    fetched: list[tuple[str, dict[str, Any]]],
    refused: list[str],
) -> list[str]:
    stored: list[str] = []
    deliveries: list[str] = []
    with ctx.db.transaction() as session:
        raw = session.get(RawRecord, raw_id)
        if raw is None or raw.status != "pending":
            return []  # another worker completed it meanwhile
        waiting = attempt_failed(ctx, raw, refused) if refused else None
        if waiting is None:
            for external_id, record in fetched:
                child = RawRecord(
                    id=new_id("raw"),
                    connection_id=connection_id,
                    source=source,
                    kind="record",
                    external_id=external_id,
                    body=json.dumps(record, ensure_ascii=False).encode(),
                    content_type="application/json",
                )
                session.add(child)
                stored.append(child.id)
            for notice in notices:
                if notice.action == "deleted":
                    deliveries += delete_lead(session, connection_id, notice.external_id)
            raw.status, raw.processed_at = ("failed" if refused else "processed"), utcnow()
    if waiting:
        raise SourceError(waiting)  # the worker logs it; the sweeper tries again after ``retry_at``
    for delivery_id in deliveries:
        ctx.dispatch.deliver(delivery_id)
    return stored


def attempt_failed(ctx: Context, raw: RawRecord, refused: list[str]) -> str | None:
    """Count a fetch the platform refused; returns why the notice waits, or ``None`` once it is given up.

    Given up (after ``notice_max_attempts``), the notice is ``failed`` with the reason in words (the admin's
    connection page and ``/metrics`` show it) and whatever the platform did return is stored as usual."""
    raw.attempts = (raw.attempts or 0) + 1
    limit = ctx.settings.notice_max_attempts
    reason = f"the platform would not return {len(refused)} record(s): {'; '.join(refused)}"
    if raw.attempts >= limit:
        raw.error = f"Given up after {raw.attempts} attempts: {reason}"
        raw.retry_at = None
        log.warning("notice %s given up after %d attempts", raw.id, raw.attempts)
        return None
    wait_s = min(ctx.settings.sweep_grace_s * 2 ** (raw.attempts - 1), MAX_NOTICE_WAIT_S)
    raw.retry_at = utcnow() + timedelta(seconds=wait_s)
    raw.error = f"Attempt {raw.attempts} of {limit} failed, next in {wait_s:.0f} s: {reason}"
    return raw.error


def given_up(ctx: Context) -> dict[str, int]:
    """Notices given up per connection id, for the connection health listing."""
    with ctx.db.session() as session:
        rows = session.execute(
            select(RawRecord.connection_id, func.count())
            .where(RawRecord.kind == "notice", RawRecord.status == "failed")
            .group_by(RawRecord.connection_id)
        ).all()
    return {connection_id: int(count) for connection_id, count in rows}


def delete_lead(session: Any, connection_id: str, external_id: str) -> list[str]:
    """The platform deleted the lead: keep only its ids, drop personal data, tell subscribers."""
    lead = session.scalar(select(Lead).where(Lead.connection_id == connection_id, Lead.external_id == external_id))
    if lead is None or lead.data.get("deleted"):
        return []
    lead.data = {"deleted": True, "source": lead.source, "external_id": lead.external_id}
    others = session.scalar(select(Lead.id).where(Lead.person_id == lead.person_id, Lead.id != lead.id).limit(1))
    if others is None:  # the person came only through this lead: anonymise them too
        person = session.get(Person, lead.person_id)
        for field in ("first_name", "last_name", "email", "phone", "city", "postcode", "birth_date"):
            setattr(person, field, None)
        session.execute(delete(IdentityKey).where(IdentityKey.person_id == lead.person_id))
    data = LeadDeleted(id=lead.id, person_id=lead.person_id, source=lead.source, external_id=lead.external_id)
    return outbox.emit(session, data.event_type, "lead", lead.id, data.dump())


def mark_rate_limited(ctx: Context, connection_id: str, exc: RateLimited) -> None:
    until = utcnow() + timedelta(seconds=exc.retry_after_s)
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        if conn is not None:
            conn.status, conn.rate_limited_until = "rate_limited", until
            conn.status_message = f"Rate-limited by the platform until {until:%Y-%m-%d %H:%M:%S} UTC: {exc}"
    log.warning("connection %s rate-limited for %.0f s", connection_id, exc.retry_after_s)


def mark_needs_reauth(ctx: Context, connection_id: str, message: str) -> None:
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        if conn is not None:
            conn.status = "needs_reauth"
            conn.status_message = f"Re-authorise this connection: {message}"


def mark_ok(ctx: Context, connection_id: str) -> None:
    with ctx.db.transaction() as session:
        conn = session.get(Connection, connection_id)
        if conn is not None and conn.status != "ok":
            conn.status, conn.status_message, conn.rate_limited_until = "ok", None, None
