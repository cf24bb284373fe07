"""Outbound Standard Webhooks: signed, retried under the same webhook-id, every attempt recorded."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Delivery, DeliveryAttempt, WebhookEndpoint, utcnow
from sync import connections, delivery, pipeline
from tests.helpers import SIGNING_SECRET, Receiver, encode
from webhooks import endpoints, inbox


@pytest.fixture
def source(ctx: Context) -> str:
    return connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET}).id


def capture(ctx: Context, source: str, n: int = 1) -> list[str]:
    """Store and process ``n`` sample submissions; returns the delivery ids they caused."""
    ids: list[str] = []
    for i in range(n):
        raw_id = inbox.store(ctx, source, "form_webhook", encode(samples.submission(i, prefix="t")), f"t-{i}")
        ids.extend(pipeline.process(ctx, raw_id).deliveries)
    return ids


def make_due(ctx: Context, delivery_id: str) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=utcnow()))


def attempts(ctx: Context, delivery_id: str) -> list[DeliveryAttempt]:
    with ctx.db.session() as session:
        return list(
            session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.number)
            )
        )


def get(ctx: Context, model: Any, id_: str) -> Any:
    with ctx.db.session() as session:
        return session.get(model, id_)


@pytest.fixture
def receiver_endpoint(ctx: Context, live_server: Any) -> tuple[Receiver, str]:
    receiver = Receiver(secrets=[])
    server = live_server(receiver.app())
    endpoint, secret = endpoints.create(ctx, "vendor", f"{server.url}/hook", ["lead.captured"])
    receiver.secrets.append(secret)
    return receiver, endpoint.id


def test_lead_captured_is_delivered_and_verifies_with_standardwebhooks(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str], dispatcher: Any
) -> None:
    receiver, _ = receiver_endpoint
    [delivery_id] = capture(ctx, source)
    assert dispatcher.deliveries == [(delivery_id, 0.0)]
    assert delivery.attempt(ctx, delivery_id) == "delivered"
    [arrival] = receiver.arrivals
    assert arrival.verified
    assert arrival.headers["Webhook-Id"].startswith("msg_")
    assert abs(int(arrival.headers["Webhook-Timestamp"]) - time.time()) < 5
    assert b'"type":"lead.captured"' in arrival.body
    [attempt] = attempts(ctx, delivery_id)
    assert (attempt.status_code, attempt.outcome, attempt.number) == (200, "delivered", 1)
    assert get(ctx, Delivery, delivery_id).delivered_at is not None


def test_endpoint_gets_only_the_event_types_it_chose(ctx: Context, source: str, live_server: Any) -> None:
    receiver = Receiver(secrets=[])
    server = live_server(receiver.app())
    endpoints.create(ctx, "merges-only", f"{server.url}/hook", ["person.merged"])
    assert capture(ctx, source) == []


def test_retry_keeps_the_webhook_id_and_re_signs_with_a_fresh_timestamp(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str], dispatcher: Any
) -> None:
    receiver, _ = receiver_endpoint
    receiver.script = [500]
    [delivery_id] = capture(ctx, source)
    assert delivery.attempt(ctx, delivery_id) == "pending"
    assert dispatcher.deliveries[-1] == (delivery_id, pytest.approx(0.2))
    time.sleep(1.1)  # timestamps are whole seconds
    make_due(ctx, delivery_id)
    assert delivery.attempt(ctx, delivery_id) == "delivered"
    first, second = receiver.arrivals
    assert first.headers["Webhook-Id"] == second.headers["Webhook-Id"]
    assert int(second.headers["Webhook-Timestamp"]) > int(first.headers["Webhook-Timestamp"])
    assert first.body == second.body
    assert first.verified and second.verified
    assert [(a.status_code, a.outcome) for a in attempts(ctx, delivery_id)] == [(500, "retry"), (200, "delivered")]


def test_exhausted_retries_dead_letter_with_a_message(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]
) -> None:
    receiver, _ = receiver_endpoint
    receiver.script = [503] * 10
    [delivery_id] = capture(ctx, source)
    statuses = []
    for _ in range(len(ctx.settings.retry_schedule)):
        make_due(ctx, delivery_id)
        statuses.append(delivery.attempt(ctx, delivery_id))
    assert statuses == ["pending", "pending", "pending", "dead"]
    row = get(ctx, Delivery, delivery_id)
    assert "HTTP 503" in row.last_error and "Gave up after 4 attempts" in row.last_error
    assert len(attempts(ctx, delivery_id)) == 4


def test_client_error_dead_letters_at_once(ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]) -> None:
    receiver, _ = receiver_endpoint
    receiver.script = [400]
    [delivery_id] = capture(ctx, source)
    assert delivery.attempt(ctx, delivery_id) == "dead"
    assert "HTTP 400" in get(ctx, Delivery, delivery_id).last_error


def test_410_gone_disables_the_endpoint(ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]) -> None:
    receiver, endpoint_id = receiver_endpoint
    receiver.script = [410]
    [delivery_id] = capture(ctx, source)
    assert delivery.attempt(ctx, delivery_id) == "dead"
    endpoint = get(ctx, WebhookEndpoint, endpoint_id)
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert capture(ctx, source, 2)[1:] == []  # a disabled endpoint gets no new deliveries


def test_429_retry_after_is_honoured(ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]) -> None:
    receiver, _ = receiver_endpoint
    receiver.script, receiver.retry_after = [429], "30"
    [delivery_id] = capture(ctx, source)
    before = utcnow()
    assert delivery.attempt(ctx, delivery_id) == "pending"
    wait = (get(ctx, Delivery, delivery_id).next_attempt_at - before).total_seconds()
    assert 29 <= wait <= 31


def test_timeout_is_retried(ctx: Context, source: str, live_server: Any) -> None:
    from flask import Flask

    slow = Flask("slow")

    @slow.post("/hook")
    def hook() -> str:
        time.sleep(3)
        return "late"

    server = live_server(slow)
    endpoints.create(ctx, "slow", f"{server.url}/hook", ["lead.captured"])
    [delivery_id] = capture(ctx, source)
    assert delivery.attempt(ctx, delivery_id) == "pending"
    [attempt] = attempts(ctx, delivery_id)
    assert attempt.status_code is None and "No answer within 2 s" in attempt.error


def test_rotation_sends_two_signatures_and_either_secret_verifies(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]
) -> None:
    receiver, endpoint_id = receiver_endpoint
    old_secret = receiver.secrets[0]
    new_secret = endpoints.rotate(ctx, endpoint_id)
    [delivery_id] = capture(ctx, source)
    delivery.attempt(ctx, delivery_id)
    [arrival] = receiver.arrivals
    assert len(arrival.headers["Webhook-Signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        Webhook(secret).verify(arrival.body, arrival.headers)  # raises if it does not verify


def test_a_delivery_is_claimed_by_one_worker_until_its_lease_runs_out(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]
) -> None:
    [delivery_id] = capture(ctx, source)
    assert delivery.claim(ctx, delivery_id)
    assert not delivery.claim(ctx, delivery_id)
    with ctx.db.transaction() as session:  # the claiming worker died; its lease ran out
        session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    assert delivery.attempt(ctx, delivery_id) == "delivered"


def test_an_endpoint_failing_for_days_is_disabled(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]
) -> None:
    receiver, endpoint_id = receiver_endpoint
    receiver.script = [500, 500]
    [delivery_id] = capture(ctx, source)
    delivery.attempt(ctx, delivery_id)
    with ctx.db.transaction() as session:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(failing_since=utcnow() - timedelta(days=6))
        )
    make_due(ctx, delivery_id)
    delivery.attempt(ctx, delivery_id)
    endpoint = get(ctx, WebhookEndpoint, endpoint_id)
    assert not endpoint.enabled and "Every attempt failed since" in endpoint.disabled_reason


def test_a_secret_that_cannot_be_decrypted_dead_letters_with_the_reason(
    ctx: Context, source: str, receiver_endpoint: tuple[Receiver, str]
) -> None:
    receiver, endpoint_id = receiver_endpoint
    [delivery_id] = capture(ctx, source)
    with ctx.db.transaction() as session:  # as if LEADHUB_SECRET_KEY had changed since the secret was stored
        session.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(secret_encrypted="gAAAAAinvalid")
        )
    assert delivery.attempt(ctx, delivery_id) == "dead"
    assert "LEADHUB_SECRET_KEY" in get(ctx, Delivery, delivery_id).last_error
    assert receiver.arrivals == []
