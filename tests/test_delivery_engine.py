"""The delivery engine with a sink connection: routing by consent, batching, remote ids, auth, replay."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors import registry
from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Connection, Delivery, DeliveryAttempt, RemoteRecord, TimelineNote
from sync import connections, delivery, pipeline, redeliver
from tests.helpers import SIGNING_SECRET, encode
from tests.toy_sink import FakeCrm
from webhooks import inbox


@pytest.fixture
def crm(ctx: Context, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> FakeCrm:
    monkeypatch.setitem(
        registry.CONNECTORS, "toy_sink", registry.ConnectorInfo("toy_sink", "sink", "tests.toy_sink", "available")
    )
    fake = FakeCrm()
    server = live_server(fake.app())
    connections.create(ctx, "crm", "toy_sink", {"base_url": server.url}, {"token": "t1"})
    return fake


@pytest.fixture
def source(ctx: Context) -> str:
    return connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET}).id


def capture(ctx: Context, source: str, submission: dict[str, Any]) -> list[str]:
    raw_id = inbox.store(ctx, source, "form_webhook", encode(submission), submission["submission_id"])
    return list(pipeline.process(ctx, raw_id).deliveries)


def sink_deliveries(ctx: Context) -> list[Delivery]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Delivery).where(Delivery.sink == "toy_sink").order_by(Delivery.id)))


def test_a_qualified_lead_reaches_the_crm_and_its_remote_id_is_kept(ctx: Context, source: str, crm: FakeCrm) -> None:
    capture(ctx, source, samples.submission(1))
    [first] = sink_deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"
    with ctx.db.session() as session:
        remote = session.scalar(select(RemoteRecord))
    assert remote.subject_type == "person" and remote.remote_id in crm.contacts
    # the same person again (another submission, same email): the remote id is reused, no second contact
    again = samples.submission(1)
    again["submission_id"] = "again-1"
    capture(ctx, source, again)
    second = next(d for d in sink_deliveries(ctx) if d.id != first.id)
    assert delivery.attempt(ctx, second.id) == "delivered"
    assert len(crm.contacts) == 1


def test_a_lead_without_consent_is_not_routed_and_the_timeline_says_why(
    ctx: Context, source: str, crm: FakeCrm
) -> None:
    submission = samples.submission(2)
    submission["consents"] = [{"purpose": "recruiting_contact", "granted": True}, {"purpose": "x", "granted": False}]
    with ctx.db.transaction() as session:  # this CRM also needs the talent-pool consent
        conn = session.scalar(select(Connection).where(Connection.name == "crm"))
        conn.settings = {**conn.settings, "route": {"events": ["lead.qualified"], "require_consent": ["talent_pool"]}}
    capture(ctx, source, submission)
    assert sink_deliveries(ctx) == []
    with ctx.db.session() as session:
        note = session.scalar(select(TimelineNote))
    assert "not sent to crm (toy_sink): no consent for talent_pool" in note.message and note.person_id


def test_due_deliveries_of_one_connection_go_out_in_one_batch(ctx: Context, source: str, crm: FakeCrm) -> None:
    for n in range(5):
        capture(ctx, source, samples.submission(n, prefix="b"))
    first, *_ = sink_deliveries(ctx)
    delivery.attempt(ctx, first.id)
    assert crm.calls == [5]
    assert {d.status for d in sink_deliveries(ctx)} == {"delivered"}


def test_revoked_credentials_flag_the_connection_and_new_ones_resume_it(
    ctx: Context, source: str, crm: FakeCrm
) -> None:
    capture(ctx, source, samples.submission(7))
    [pending] = sink_deliveries(ctx)
    crm.token = "t2"  # revoked on the vendor's side
    assert delivery.attempt(ctx, pending.id) == "pending"
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "crm"))
    assert conn.status == "needs_reauth" and "token revoked" in conn.status_message
    connections.update_secrets(ctx, "crm", {"token": "t2"})
    assert delivery.attempt(ctx, pending.id) == "delivered"


def test_a_dead_letter_replays_with_a_fresh_schedule_and_keeps_its_history(
    ctx: Context, source: str, crm: FakeCrm
) -> None:
    capture(ctx, source, samples.submission(8))
    [dead] = sink_deliveries(ctx)
    crm.script = [(422, {})]
    assert delivery.attempt(ctx, dead.id) == "dead"
    assert redeliver.replay(ctx, sink="toy_sink") == [dead.id]
    assert delivery.attempt(ctx, dead.id) == "delivered"
    with ctx.db.session() as session:
        numbers = session.scalars(
            select(DeliveryAttempt.number)
            .where(DeliveryAttempt.delivery_id == dead.id)
            .order_by(DeliveryAttempt.number)
        ).all()
    assert numbers == [1, 2]
