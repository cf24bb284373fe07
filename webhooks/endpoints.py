"""Vendor webhook endpoints: register, list, rotate secrets (old and new both sign during the overlap)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import select

from core.context import Context
from core.errors import ConfigurationError, NotFound
from core.ids import new_id
from core.models import WebhookEndpoint, utcnow
from webhooks import events, signing
from webhooks.event_models import EndpointTest

ROTATION_OVERLAP = timedelta(hours=24)


def create(
    ctx: Context, name: str, url: str, event_types: list[str], secret: str | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its plaintext secret (shown once)."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigurationError(f"Endpoint URL {url!r} is not an http(s) URL.")
    try:
        events.check_types(event_types)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    secret = secret or signing.generate_secret()
    if not secret.startswith(signing.SECRET_PREFIX):
        raise ConfigurationError("Endpoint secrets look like whsec_<base64>; omit --secret to have one generated.")
    with ctx.db.transaction() as session:
        if session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)):
            raise ConfigurationError(f"An endpoint named {name!r} exists already.")
        endpoint = WebhookEndpoint(
            id=new_id("ep"),
            name=name,
            url=url,
            event_types=event_types,
            secret_encrypted=ctx.box.encrypt(secret),
        )
        session.add(endpoint)
    return endpoint, secret


def rotate(ctx: Context, endpoint_id: str, overlap: timedelta = ROTATION_OVERLAP) -> str:
    """New secret now; the old one keeps signing beside it until the overlap ends."""
    secret = signing.generate_secret()
    with ctx.db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound(f"No webhook endpoint {endpoint_id}.")
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = utcnow() + overlap
        endpoint.secret_encrypted = ctx.box.encrypt(secret)
    return secret


def signing_secrets(ctx: Context, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets = [ctx.box.decrypt(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires and expires > now:
        secrets.append(ctx.box.decrypt(endpoint.previous_secret_encrypted))
    return secrets


def list_all(ctx: Context) -> list[WebhookEndpoint]:
    with ctx.db.session() as session:
        return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name)))


def send_test(ctx: Context, endpoint_id: str) -> str:
    """A test event for this endpoint only; returns the delivery id (the caller attempts or queues it)."""
    from core.models import Delivery, Event

    now = utcnow()
    event = Event(id=new_id("msg"), type="endpoint.test", subject_type="endpoint", subject_id=endpoint_id,
                  payload={"message": "Test event from leadhub"}, occurred_at=now)
    data = EndpointTest(endpoint_id=endpoint_id, message="Test event from leadhub")
    body = events.envelope(data.event_type, now, data.dump())
    delivery = Delivery(id=new_id("dlv"), sink="webhook", endpoint_id=endpoint_id, event_id=event.id,
                        subject_type="endpoint", subject_id=endpoint_id, body=body, next_attempt_at=now)
    with ctx.db.transaction() as session:
        session.add(event)
        session.flush()
        session.add(delivery)
    return delivery.id


def set_enabled(ctx: Context, endpoint_id: str, enabled: bool) -> None:
    with ctx.db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound(f"No webhook endpoint {endpoint_id}.")
        endpoint.enabled = enabled
        if enabled:
            endpoint.disabled_reason, endpoint.failing_since = None, None
        else:
            endpoint.disabled_reason = "Disabled by an admin."
