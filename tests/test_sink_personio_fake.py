"""The Personio fake behaves like Personio's Recruiting API (sinks.md §8), and the sink reads it in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sinks.base import Item
from connectors.sinks.personio import errors, payload
from connectors.sinks.personio.fake import CLIENT_ID, CLIENT_SECRET, COMPANY_ID, SANDBOX_TOKEN, PersonioFake

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "personio" / "fixtures"
HEADERS = {"Authorization": f"Bearer {SANDBOX_TOKEN}", "X-Company-ID": COMPANY_ID}
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "job_position_id": 123456}


@pytest.fixture
def fake() -> PersonioFake:
    found = PersonioFake()
    found.company.add_position(123456, "Pflegefachkraft")
    found.company.add_position(200, "Archiv", published=False)
    found.company.channels[987] = "Karriereseite"
    found.company.custom_phases[1001] = "Telefoninterview"
    return found


@pytest.fixture
def api(live_server: Any, fake: PersonioFake) -> str:
    return str(live_server(fake.app()).url)


def apply(api: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(f"{api}/v1/recruiting/applications", json=body, headers=headers or HEADERS, timeout=5)


def upload(api: str, name: str, content: bytes) -> requests.Response:
    return requests.post(f"{api}/v1/recruiting/applications/documents", headers=HEADERS, timeout=10,
                         files={"file": (name, content, "application/octet-stream")})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def without_ids(found: dict[str, Any]) -> dict[str, Any]:
    return {"errors": [{k: v for k, v in e.items() if k != "id"} for e in found["errors"]]}


def test_the_token_and_the_company_id_are_both_required(api: str) -> None:
    assert apply(api, ADA).status_code == 201
    for headers in ({"Authorization": f"Bearer {SANDBOX_TOKEN}"}, {**HEADERS, "X-Company-ID": "1"},
                    {**HEADERS, "Authorization": "Bearer wrong"}):
        refused = apply(api, ADA, headers)
        assert refused.status_code == 401
        assert without_ids(refused.json()) == without_ids(fixture("error_401_unauthorized.json"))


def test_a_document_is_uploaded_first_and_referenced_by_uuid(api: str, fake: PersonioFake) -> None:
    uploaded = upload(api, "My_CV.pdf", b"x" * 39710)
    assert uploaded.status_code == 200
    assert set(uploaded.json()) == set(fixture("document_uploaded.json"))
    assert uploaded.json()["extension"] == "pdf" and uploaded.json()["size"] == 39710
    created = apply(api, {**ADA, "files": [{"uuid": uploaded.json()["uuid"], "original_filename": "My_CV.pdf",
                                            "category": "cv"}]})
    assert created.status_code == 201 and created.content == b""  # Personio answers 201 without a body
    missing = apply(api, {**ADA, "email": "grace@example.com",
                          "files": [{"uuid": "66121e48-0000-0000-0000-000000000000", "original_filename": "x.pdf",
                                     "category": "cv"}]})
    assert missing.json()["errors"] == [{"field": "files.0.uuid", "errors": [
        {"reason": "errors.file-validation.file-not-exists", "context": {}}]}]


def test_documents_over_20_mb_or_of_other_types_are_refused(api: str) -> None:
    too_big = upload(api, "cv.pdf", b"x" * (20 * 1024 * 1024 + 1))
    assert too_big.status_code == 413 and too_big.json() == fixture("error_413_file_too_big.json")
    wrong = upload(api, "cv.exe", b"MZ")
    assert wrong.status_code == 422 and wrong.json() == fixture("error_422_invalid_file_type.json")


def test_the_same_email_for_the_same_position_already_exists_another_position_does_not(
    api: str, fake: PersonioFake
) -> None:
    assert apply(api, ADA).status_code == 201
    again = apply(api, {**ADA, "email": "ADA@example.com"})
    assert again.status_code == 400 and again.json() == fixture("error_400_applicant_already_exists.json")
    fake.company.add_position(7, "Nachtdienst")
    assert apply(api, {**ADA, "job_position_id": 7}).status_code == 201
    [candidate] = fake.company.candidates.values()
    assert {a["candidate"]["id"] for a in fake.applications()} == {candidate["id"]}


def test_fields_are_validated_the_personio_way(api: str, fake: PersonioFake) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    answer = apply(api, {"first_name": " ", "last_name": "L", "email": "ada@", "job_position_id": 200,
                         "recruiting_channel_id": 5, "application_date": tomorrow,
                         "phase": {"type": "system", "id": "hired"},
                         "attributes": [{"id": "shoe_size", "value": "44"}, {"id": "gender", "value": "x"}]})
    assert answer.status_code == 400
    reasons = {e["field"]: [r["reason"] for r in e["errors"]] for e in answer.json()["errors"]}
    assert reasons == {
        "first_name": ["errors.attribute-validation.required-attribute"],
        "email": ["errors.attribute-validation.invalid-email-format"],
        "job_position_id": ["errors.job-position.not-published"],
        "recruiting_channel_id": ["errors.posting-validation.channel-not-found"],
        "application_date": ["errors.date-validation.date-in-the-future"],
        "phase": ["errors.phase-validation.invalid-system-phase"],
        "attributes.0.id": ["errors.attribute-validation.unknown"],
        "attributes.1.value": ["errors.attribute-validation.unknown-attribute-option"],
    }
    assert fake.applications() == []


def test_an_invalid_custom_phase_is_silently_unassigned(api: str, fake: PersonioFake) -> None:
    assert apply(api, {**ADA, "phase": {"type": "custom", "id": 999}}).status_code == 201
    assert apply(api, {**ADA, "email": "b@example.com", "phase": {"type": "custom", "id": 1001}}).status_code == 201
    assert [a["stage"]["id"] for a in fake.applications()] == ["unassigned", "1001"]


def test_twenty_calls_a_minute_then_a_60_second_pause(api: str, fake: PersonioFake) -> None:
    answers = [apply(api, {**ADA, "email": f"p{n}@example.com"}).status_code for n in range(21)]
    assert answers == [201] * 20 + [429]
    throttled = apply(api, {**ADA, "email": "late@example.com"})
    assert without_ids(throttled.json()) == without_ids(fixture("error_429_rate_limit.json"))
    assert "Retry-After" not in throttled.headers
    fake.advance(59)
    assert apply(api, {**ADA, "email": "still@example.com"}).status_code == 429
    fake.advance(2)
    assert apply(api, {**ADA, "email": "again@example.com"}).status_code == 201


def test_the_v2_read_api_needs_its_own_token_and_pages_with_a_lone_cursor(api: str, fake: PersonioFake) -> None:
    for n in range(3):
        apply(api, {**ADA, "email": f"p{n}@example.com"})
    assert requests.get(f"{api}/v2/recruiting/applications", headers=HEADERS, timeout=5).status_code == 401
    token = requests.post(f"{api}/v2/auth/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()
    assert set(token) == set(fixture("v2_token.json"))
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    first = requests.get(f"{api}/v2/recruiting/applications", params={"limit": 2}, headers=bearer, timeout=5).json()
    assert set(first) == set(fixture("v2_applications_page.json")) and len(first["_data"]) == 2
    assert set(first["_data"][0]) == set(fixture("v2_applications_page.json")["_data"][0])
    following = first["_meta"]["links"]["next"]["href"]
    mixed = requests.get(following + "&limit=2", headers=bearer, timeout=5)
    assert mixed.status_code == 400
    rest = requests.get(following, headers=bearer, timeout=5).json()
    assert len(rest["_data"]) == 1 and "next" not in rest["_meta"]["links"]
    email = requests.get(f"{api}/v2/recruiting/candidates", params={"email": "P1@example.com"}, headers=bearer,
                         timeout=5).json()
    assert [c["email"] for c in email["_data"]] == ["p1@example.com"]


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("error_400_invalid_email.json", 400,
         "email (from person.email) is not a valid email address (errors.attribute-validation.invalid-email-format)"),
        ("error_400_job_not_published.json", 400, "job_position_id (from the job's external id, mapped by the "
                                                  "connection setting job_position_ids) names a job position that"),
        ("error_403_feature_disabled.json", 403,
         "feature.public-api.disabled: this Personio account has no access to the Recruiting API"),
        ("error_413_file_too_big.json", 413, "file is larger than Personio's 20 MB limit (errors.file-too-big"),
        ("v2_error_401.json", 401, "The access token is missing or invalid"),
    ],
)
def test_personio_errors_read_as_words(name: str, status: int, expected: str) -> None:
    assert expected in errors.words(fixture(name), status)


def test_the_duplicate_answer_is_recognised() -> None:
    assert errors.already_applied(fixture("error_400_applicant_already_exists.json")) == (
        "errors.applicant-already-exists", {})
    assert errors.already_applied(fixture("error_400_invalid_email.json")) is None


def test_an_application_body_maps_the_channel_names_and_tags() -> None:
    data = {"person": {"full_name": "Ada Augusta Lovelace", "email": "ada@example.com", "phone": "+4917012345678"},
            "job": {"external_id": "J-7", "title": "Pflege"}, "source": "Meta Lead Ads",
            "source_platform": "meta_lead_ads", "attribution": {"campaign_name": "pflege-herbst-2026"}}
    item = Item("dlv_1", "application.created", "application", "app_1", data, "per_1")
    settings = {"job_position_ids": {"J-7": "123456"}, "channel_ids": {"meta_lead_ads": 987}, "tags": ["leadhub"]}
    body = payload.application(item, settings, [{"uuid": "u-1", "original_filename": "cv.pdf"}])
    assert body["first_name"] == "Ada Augusta" and body["last_name"] == "Lovelace"
    assert body["job_position_id"] == 123456 and body["recruiting_channel_id"] == 987
    assert body["tags"] == ["pflege-herbst-2026", "leadhub"]
    assert body["files"] == [{"uuid": "u-1", "original_filename": "cv.pdf", "category": "cv"}]
    assert body["attributes"] == [{"id": "phone", "value": "+4917012345678"}]
    unmapped = payload.application(item, {"job_position_ids": {"J-7": 1}}, [])
    assert "recruiting_channel_id" not in unmapped and unmapped["tags"] == ["pflege-herbst-2026", "Meta Lead Ads"]
    with pytest.raises(payload.Unmapped, match="job_position_ids"):
        payload.job_position_id(item, {})
