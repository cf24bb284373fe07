"""Steps every sink test takes: a form connection, a captured lead, one sink's deliveries, making them due."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import select, update

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Connection, Delivery, utcnow
from sync import connections, pipeline
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox


def hubspot_connection(ctx: Context, url: str, name: str = "crm") -> str:
    """A HubSpot connection against the fake at ``url``, its properties set up; returns the fake's URL."""
    import requests

    import connectors.sinks.hubspot as hubspot
    from connectors.sinks.hubspot.fake import SANDBOX_TOKEN

    connections.create(ctx, name, "hubspot", {"base_url": url, "timeout_s": 3.0}, {"access_token": SANDBOX_TOKEN})
    hubspot.check(connections.find(ctx, name), requests.Session())
    return url


def form_connection(ctx: Context, name: str = "careers") -> str:
    """A ``form_webhook`` connection whose leads the sink under test receives; returns its id."""
    return connections.create(ctx, name, "form_webhook", {}, {"signing_secret": SIGNING_SECRET}).id


def capture(ctx: Context, source: str, submission: dict[str, Any], submission_id: str | None = None) -> str:
    """Store a form submission and run it through the pipeline (qualified when it has consent); the lead id."""
    key = submission_id or submission["submission_id"]
    lead_id = pipeline.process(ctx, inbox.store(ctx, source, "form_webhook", encode(submission), key)).lead_id
    assert lead_id, f"submission {key} made no lead"
    return lead_id


def again(n: int, suffix: str, campaign: str | None = None) -> dict[str, Any]:
    """The same person (same email) filling in the form once more, optionally from another campaign."""
    submission = samples.submission(n)
    submission["submission_id"] = f"{submission['submission_id']}-{suffix}"
    if campaign:
        submission["utm"]["campaign"] = campaign
    return submission


def deliveries(ctx: Context, sink: str, event: str | None = None) -> list[Delivery]:
    """One sink's deliveries, oldest first; only those of ``event`` when given."""
    with ctx.db.session() as session:
        query = select(Delivery).where(Delivery.sink == sink).order_by(Delivery.created_at, Delivery.id)
        rows = list(session.scalars(query))
    return [d for d in rows if event is None or json.loads(d.body)["type"] == event]


def make_due(ctx: Context) -> None:
    """Every waiting delivery is due now, so a test need not sleep through the retry schedule."""
    with ctx.db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.status == "pending").values(next_attempt_at=utcnow()))


def wait_s(row: Delivery) -> float:
    """Seconds until the delivery's next attempt (SQLite hands back naive UTC)."""
    due = row.next_attempt_at if row.next_attempt_at.tzinfo else row.next_attempt_at.replace(tzinfo=UTC)
    return (due - utcnow()).total_seconds()


def connection(ctx: Context, name: str) -> Connection:
    """The sink connection as stored (status, message, settings)."""
    with ctx.db.session() as session:
        found = session.scalar(select(Connection).where(Connection.name == name))
    assert found is not None, f"no connection {name}"
    return found


def set_settings(ctx: Context, name: str, **values: Any) -> None:
    """Change some settings of a connection in place."""
    with ctx.db.transaction() as session:
        conn = session.scalar(select(Connection).where(Connection.name == name))
        assert conn is not None, f"no connection {name}"
        conn.settings = {**conn.settings, **values}
