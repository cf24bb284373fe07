"""POST /hooks/form_webhook/<connection>: durable before 202; 401/400/413/404 leave nothing behind."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from core.context import Context
from core.models import Lead, Person, RawRecord
from sync import connections, pipeline
from tests.helpers import SIGNING_SECRET, encode, fixture_bytes, signed_headers

URL = "/hooks/form_webhook/careers"


@pytest.fixture
def careers(app: Any) -> Context:
    ctx: Context = app.extensions["leadhub"]
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    return ctx


def raw_count(ctx: Context) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(RawRecord)) or 0)


def test_signed_submission_is_stored_before_the_202(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    response = client.post(URL, data=body, headers=signed_headers(body))
    assert response.status_code == 202
    raw_id = response.get_json()["raw_record_id"]
    with careers.db.session() as session:
        raw = session.get(RawRecord, raw_id)
        assert raw is not None and raw.body == body and raw.external_id == "lp-2026-000117"
        assert raw.status == "pending"


def test_stored_submission_becomes_a_person_and_a_lead_with_consents(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    raw_id = client.post(URL, data=body, headers=signed_headers(body)).get_json()["raw_record_id"]
    outcome = pipeline.process(careers, raw_id)
    assert outcome.status == "created"
    with careers.db.session() as session:
        lead = session.get(Lead, outcome.lead_id)
        person = session.get(Person, lead.person_id)
    assert person.first_name == "Anna-Lena" and person.last_name == "von der Heide"
    assert person.email == "anna-lena.vonderheide@example.org"
    assert person.phone == "+4915123456789"
    assert lead.channel == "landing_page" and lead.campaign == "pflege-herbst-2026"
    assert lead.captured_at.isoformat() == "2026-11-20T08:15:42+00:00"
    assert [c["purpose"] for c in lead.data["consents"]] == ["recruiting_contact", "talent_pool"]
    assert lead.data["consents"][1]["granted"] is False
    assert lead.data["answers"][0]["key"] == "experience_years"
    assert lead.mapping_version_id is not None


def test_the_same_submission_twice_is_one_lead(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    first = client.post(URL, data=body, headers=signed_headers(body)).get_json()["raw_record_id"]
    second = client.post(URL, data=body, headers=signed_headers(body)).get_json()["raw_record_id"]
    a, b = pipeline.process(careers, first), pipeline.process(careers, second)
    assert (a.status, b.status) == ("created", "duplicate")
    assert a.lead_id == b.lead_id
    assert b.deliveries == ()
    with careers.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1
        assert session.scalar(select(func.count()).select_from(RawRecord)) == 2  # both kept for audit


def test_wrong_secret_is_401_and_stores_nothing(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    response = client.post(URL, data=body, headers=signed_headers(body, secret="not-the-secret"))
    assert response.status_code == 401
    assert "does not match" in response.get_json()["detail"]
    assert raw_count(careers) == 0


def test_tampered_body_is_401(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    headers = signed_headers(body)
    response = client.post(URL, data=body.replace(b"Anna", b"Anne"), headers=headers)
    assert response.status_code == 401
    assert raw_count(careers) == 0


def test_replayed_old_signature_is_401(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    response = client.post(URL, data=body, headers=signed_headers(body, timestamp=int(time.time()) - 301))
    assert response.status_code == 401
    assert "tolerance" in response.get_json()["detail"]
    assert raw_count(careers) == 0


def test_missing_signature_is_401(client: Any, careers: Context) -> None:
    response = client.post(URL, data=b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert "Missing Leadhub-Signature" in response.get_json()["detail"]


def test_malformed_json_is_400_naming_line_and_column(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission_malformed.json")
    response = client.post(URL, data=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "line 1, column" in response.get_json()["detail"]
    assert raw_count(careers) == 0


def test_submission_without_id_is_400_naming_the_field(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission_without_id.json")
    response = client.post(URL, data=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert "submission_id" in response.get_json()["detail"]
    assert raw_count(careers) == 0


def test_body_over_the_limit_is_413(client: Any, careers: Context) -> None:
    body = encode({"submission_id": "big", "fields": {"notes": "x" * 1_100_000}})
    response = client.post(URL, data=body, headers=signed_headers(body))
    assert response.status_code == 413
    assert "limit" in response.get_json()["detail"]
    assert raw_count(careers) == 0


def test_chunked_body_over_the_limit_is_413(client: Any, careers: Context) -> None:
    body = b"{" + b" " * 1_100_000 + b"}"
    headers = signed_headers(body)
    # No Content-Length: the limit must hold while reading the stream.
    response = client.post(
        URL,
        input_stream=io.BytesIO(body),
        headers={**headers, "transfer-encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # what gunicorn sets for chunked bodies
    )
    assert response.status_code == 413
    assert raw_count(careers) == 0


def test_unknown_connection_is_404(client: Any, careers: Context) -> None:
    body = fixture_bytes("submission.json")
    response = client.post("/hooks/form_webhook/nope", data=body, headers=signed_headers(body))
    assert response.status_code == 404
    assert raw_count(careers) == 0


def test_stored_record_is_handed_to_the_queue(client: Any, careers: Context, app: Any) -> None:
    body = fixture_bytes("submission.json")
    client.post(URL, data=body, headers=signed_headers(body))
    assert app.extensions["leadhub.queue_depth"]() == 1
