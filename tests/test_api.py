"""REST API v1: the generic intake, cursor paging, timelines, funnel, deliveries and endpoints; OpenAPI fuzzed."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from admin import apikeys


@pytest.fixture
def key(app: Flask) -> str:
    return apikeys.create(app.extensions["leadhub"], "integration", "editor")[1]


def lead(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "api",
        "external_id": f"crm-{n}",
        "captured_at": "2026-11-20T10:00:00Z",
        "person": {"first_name": "Zeynep", "last_name": f"Öztürk{n}", "email": f"z{n}@example.org"},
        "consents": [{"purpose": "recruiting_contact", "granted": True}],
        **extra,
    }


def test_a_system_pushes_a_lead_and_the_same_external_id_again_is_the_same_lead(client: Any, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    first = client.post("/api/v1/leads", json=lead(1), headers=auth)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/leads", json=lead(1), headers=auth)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["lead_id"] == first.get_json()["lead_id"]
    shown = client.get(f"/api/v1/leads/{first.get_json()['lead_id']}", headers=auth).get_json()
    assert shown["stage"] == "qualified" and shown["data"]["person"]["last_name"] == "Öztürk1"


def test_a_pushed_lead_with_a_bad_field_is_refused_naming_it(client: Any, key: str) -> None:
    bad = lead(2)
    bad["person"]["email"] = "no-at-sign"
    response = client.post("/api/v1/leads", json=bad, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400 and "person.email" in response.get_json()["detail"]
    assert response.mimetype == "application/problem+json"


def test_leads_page_with_a_cursor_until_the_last_page(client: Any, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    for n in range(5):
        client.post("/api/v1/leads", json=lead(10 + n), headers=auth)
    seen, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/leads", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=auth
        ).get_json()
        seen += [item["external_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"crm-{n}" for n in range(10, 15)]


def test_person_timeline_and_funnel_through_the_api(client: Any, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    created = client.post("/api/v1/leads", json=lead(20), headers=auth).get_json()
    timeline = client.get(f"/api/v1/persons/{created['person_id']}/timeline", headers=auth).get_json()
    assert [e["kind"] for e in timeline["entries"]][:1] == ["lead"]
    funnel = client.get("/api/v1/metrics/funnel", headers=auth).get_json()
    assert funnel["total"]["steps"]["captured"] == 1 and funnel["total"]["steps"]["qualified"] == 1


def test_endpoint_registration_returns_its_secret_once(client: Any, key: str) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    made = client.post(
        "/api/v1/webhook-endpoints",
        json={"name": "crm", "url": "https://vendor.example/h", "event_types": ["lead.qualified"]},
        headers=auth,
    )
    assert made.status_code == 201 and made.get_json()["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhook-endpoints", headers=auth).get_json()["items"]
    assert "secret" not in listed[0]


def test_the_openapi_document_is_3_1_and_names_every_operation(client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {
        "/leads",
        "/leads/{lead_id}/convert",
        "/persons/{person_id}/timeline",
        "/metrics/funnel",
        "/deliveries/{delivery_id}/retry",
        "/webhook-endpoints",
    } <= set(document["paths"])


def test_schemathesis_finds_no_server_error_and_every_answer_matches_the_document(app: Flask, key: str) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures, calls, operations = [], [], 0
    for result in schema.get_all_operations():
        operations += 1
        operation = result.ok()

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=checks)
            calls.append(response.status_code)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert operations >= 17 and len(calls) >= 3 * operations  # the fuzzer really ran
    assert any(200 <= c < 300 for c in calls) and any(400 <= c < 500 for c in calls)
