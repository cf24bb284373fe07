"""/api/v1 funnel metrics, deliveries (list, retry), webhook endpoints (list, create, get), the event catalogue."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from pydantic import BaseModel, Field

from admin import funnel
from admin.api import audit_change, body, ctx, newest_first, operation, problem, time_arg
from admin.api_leads import CURSOR, ID, LIMIT
from admin.api_models import (
    DeliveryOut,
    DeliveryPage,
    EndpointCreated,
    EndpointIn,
    EndpointList,
    EndpointOut,
    FunnelReport,
    Problem,
    RetryResult,
)
from admin.openapi import Operation, Param
from core.errors import ConfigurationError
from core.models import Delivery, WebhookEndpoint
from sync import redeliver
from webhooks import endpoints, event_schemas


@operation(
    Operation(
        "/metrics/funnel",
        "get",
        "Funnel counts per channel (filters: channel, campaign, form, time)",
        {200: FunnelReport, 400: Problem},
        params=[
            Param("channel", "query", {"type": "string"}),
            Param("campaign", "query", {"type": "string"}),
            Param("form", "query", {"type": "string"}),
            Param("captured_after", "query", {"type": "string", "format": "date-time"}),
            Param("captured_before", "query", {"type": "string", "format": "date-time"}),
        ],
    )
)
def funnel_metrics() -> Any:
    filters = funnel.Filters(
        channel=request.args.get("channel") or None,
        campaign=request.args.get("campaign") or None,
        form=request.args.get("form") or None,
        start=time_arg("captured_after"),
        end=time_arg("captured_before"),
    )
    with ctx().db.session() as session:
        total, channels = funnel.compute(session, filters)
    return jsonify({"total": total.__dict__, "channels": [c.__dict__ for c in channels]})


def delivery_out(d: Delivery) -> dict[str, Any]:
    return DeliveryOut.model_validate(d, from_attributes=True).model_dump(mode="json")


@operation(
    Operation(
        "/deliveries",
        "get",
        "List deliveries, newest first",
        {200: DeliveryPage, 400: Problem},
        params=[
            LIMIT,
            CURSOR,
            Param("sink", "query", {"type": "string"}),
            Param("status", "query", {"type": "string"}),
            Param("created_after", "query", {"type": "string", "format": "date-time"}),
        ],
    )
)
def list_deliveries() -> Any:
    after = time_arg("created_after")
    where = (Delivery.created_at >= after,) if after else ()
    return newest_first(Delivery, ("sink", "status"), lambda _session, d: delivery_out(d), where)


@operation(
    Operation(
        "/deliveries/{delivery_id}/retry",
        "post",
        "Send a dead or waiting delivery again now",
        {200: RetryResult, 404: Problem},
        write=True,
        params=[Param("delivery_id", "path", ID)],
    )
)
def retry_delivery(delivery_id: str) -> Any:
    with ctx().db.session() as session:
        delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return problem(404, "Not found", f"No delivery {delivery_id}.")
    queued = (
        redeliver.replay(ctx(), [delivery_id], status=delivery.status) if delivery.status in ("dead", "pending") else []
    )
    audit_change("delivery.retry", "delivery", delivery_id)
    return jsonify({"queued": queued})


def endpoint_out(e: WebhookEndpoint) -> dict[str, Any]:
    return EndpointOut.model_validate(e, from_attributes=True).model_dump(mode="json")


@operation(Operation("/webhook-endpoints", "get", "List vendor webhook endpoints", {200: EndpointList}))
def list_endpoints() -> Any:
    return jsonify({"items": [endpoint_out(e) for e in endpoints.list_all(ctx())]})


@operation(
    Operation(
        "/webhook-endpoints",
        "post",
        "Register a vendor endpoint; the secret is in this answer only",
        {201: EndpointCreated, 400: Problem},
        body=EndpointIn,
        write=True,
    )
)
def create_endpoint() -> Any:
    data: EndpointIn = body(EndpointIn)
    try:
        endpoint, secret = endpoints.create(ctx(), data.name, data.url, data.event_types)
    except ConfigurationError as exc:
        raise ValueError(str(exc)) from None
    audit_change("endpoint.create", "endpoint", endpoint.id, {"name": data.name, "url": data.url})
    return jsonify({**endpoint_out(endpoint), "secret": secret}), 201


@operation(
    Operation(
        "/webhook-endpoints/{endpoint_id}",
        "get",
        "One vendor endpoint",
        {200: EndpointOut, 404: Problem},
        params=[Param("endpoint_id", "path", ID)],
    )
)
def get_endpoint(endpoint_id: str) -> Any:
    with ctx().db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return problem(404, "Not found", f"No webhook endpoint {endpoint_id}.")
    return jsonify(endpoint_out(endpoint))


class EventTypeOut(BaseModel):
    type: str
    description: str
    schema_: dict[str, Any] | None = Field(
        alias="schema", description="JSON Schema of the whole body; null for a type reserved but not sent yet."
    )


class EventCatalogue(BaseModel):
    items: list[EventTypeOut]


@operation(Operation("/events/catalogue", "get", "Every webhook event type and its JSON Schema", {200: EventCatalogue}))
def event_catalogue() -> Any:
    """What vendors can subscribe to and exactly what each body looks like (the same files as docs/schemas/events)."""
    return jsonify({"items": event_schemas.catalogue()})
