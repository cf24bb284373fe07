"""/healthz, /readyz and /metrics."""

from __future__ import annotations

from typing import Any

from core.context import Context
from sync import connections, pipeline
from tests.helpers import SIGNING_SECRET, fixture_bytes, signed_headers


def test_healthz_answers_without_touching_storage(client: Any) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_database_and_queue(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "queue": "ok"}


def test_readyz_is_503_when_the_queue_is_down(app: Any, client: Any) -> None:
    def broken() -> int:
        raise ConnectionError("queue unreachable")

    app.extensions["leadhub.queue_depth"] = broken
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"].startswith("unavailable")


def test_metrics_count_intake_leads_deliveries_failures_and_queue_depth(app: Any, client: Any) -> None:
    ctx: Context = app.extensions["leadhub"]
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    body = fixture_bytes("submission.json")
    raw_id = client.post("/hooks/form_webhook/careers", data=body, headers=signed_headers(body)).get_json()[
        "raw_record_id"
    ]
    before = client.get("/metrics").get_data(as_text=True)
    assert 'leadhub_intake_records{source="form_webhook",status="pending"} 1.0' in before
    assert "leadhub_queue_depth 1.0" in before
    pipeline.process(ctx, raw_id)
    after = client.get("/metrics").get_data(as_text=True)
    assert 'leadhub_leads{source="form_webhook",stage="qualified"} 1.0' in after
    assert 'leadhub_failures{kind="raw_record"} 0.0' in after
