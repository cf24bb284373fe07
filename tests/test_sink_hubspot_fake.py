"""The HubSpot fake behaves like HubSpot (sinks.md §8), and the sink reads HubSpot's answers in words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sinks.base import Item
from connectors.sinks.hubspot import errors, payload
from connectors.sinks.hubspot.fake import SANDBOX_TOKEN, HubSpotFake

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "hubspot" / "fixtures"
AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}


@pytest.fixture
def fake() -> HubSpotFake:
    return HubSpotFake()


@pytest.fixture
def api(live_server: Any, fake: HubSpotFake) -> str:
    return str(live_server(fake.app()).url)


def post(api: str, path: str, body: dict[str, Any], token: str = SANDBOX_TOKEN) -> requests.Response:
    return requests.post(api + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def upsert(email: str, trace: str | None = None, **properties: str) -> dict[str, Any]:
    found: dict[str, Any] = {"idProperty": "email", "id": email, "properties": {"email": email, **properties}}
    return found | ({"objectWriteTraceId": trace} if trace else {})


def test_the_fake_refuses_the_same_email_twice_in_one_batch(api: str) -> None:
    answer = post(api, "/crm/v3/objects/contacts/batch/upsert",
                  {"inputs": [upsert("Ada@example.com"), upsert("ada@example.com")]})
    assert answer.status_code == 400
    body = answer.json()
    assert body["message"] == "Duplicate IDs found in batch input: [ada@example.com]. IDs must be unique"
    assert body["context"] == {"ids": ["ada@example.com"]} and body["category"] == "VALIDATION_ERROR"


def test_creating_an_existing_email_answers_409_and_a_batch_create_fails_whole(api: str, fake: HubSpotFake) -> None:
    first = post(api, "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}})
    assert first.status_code == 201 and first.json()["id"] == "151"
    again = post(api, "/crm/v3/objects/contacts", {"properties": {"email": "ADA@example.com"}})
    assert again.status_code == 409
    assert again.json()["message"] == "Contact already exists. Existing ID: 151"
    inputs = [{"properties": {"email": "grace@example.com"}}, {"properties": {"email": "ada@example.com"}}]
    batch = post(api, "/crm/v3/objects/contacts/batch/create", {"inputs": inputs})
    assert batch.status_code == 409 and len(fake.contacts()) == 1


def test_an_upsert_creates_then_updates_and_says_which(api: str) -> None:
    created = post(api, "/crm/v3/objects/contacts/batch/upsert", {"inputs": [upsert("ada@example.com", "t1")]})
    updated = post(api, "/crm/v3/objects/contacts/batch/upsert",
                   {"inputs": [upsert("ada@example.com", "t2", firstname="Ada")]})
    [one], [two] = created.json()["results"], updated.json()["results"]
    assert (one["new"], two["new"], one["id"], two["id"]) == (True, False, "151", "151")
    assert two["properties"]["firstname"] == "Ada" and two["objectWriteTraceId"] == "t2"
    assert created.json()["status"] == "COMPLETE" and two["updatedAt"].endswith("Z")


def test_with_trace_ids_a_bad_input_is_reported_alone_with_207(api: str, fake: HubSpotFake) -> None:
    answer = post(api, "/crm/v3/objects/contacts/batch/upsert",
                  {"inputs": [upsert("ada@example.com", "0"), upsert("kim@example.lcom", "1")]})
    assert answer.status_code == 207
    [error] = answer.json()["errors"]
    assert error["context"]["objectWriteTraceId"] == ["1"] and "INVALID_EMAIL" in error["message"]
    assert [c["email"] for c in fake.contacts()] == ["ada@example.com"]


def test_without_trace_ids_a_bad_input_fails_the_whole_batch(api: str, fake: HubSpotFake) -> None:
    answer = post(api, "/crm/v3/objects/contacts/batch/upsert",
                  {"inputs": [upsert("ada@example.com"), upsert("kim@example.lcom")]})
    assert answer.status_code == 400 and fake.contacts() == []


def test_property_values_are_refused_with_json_inside_the_message(api: str) -> None:
    answer = post(api, "/crm/v3/objects/contacts", {"properties": {"email": "x@example.lcom", "nope": "1"}})
    body = answer.json()
    assert answer.status_code == 400 and body["message"].startswith("Property values were not valid: [{")
    assert errors.codes(body) == {"INVALID_EMAIL", "PROPERTY_DOESNT_EXIST"}
    assert 'nope: Property "nope" does not exist (PROPERTY_DOESNT_EXIST)' in errors.words(body)


def test_every_answer_carries_the_rate_limit_headers_and_a_429_names_its_policy(api: str, fake: HubSpotFake) -> None:
    fake.interval_max = 2
    answers = [post(api, "/crm/v3/objects/contacts/search", {}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["X-HubSpot-RateLimit-Max"] == "2"
    assert answers[1].headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert answers[2].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answers[2].json()["policyName"] == "TEN_SECONDLY_ROLLING" and "Retry-After" not in answers[2].headers
    fake.advance(10.5)
    assert post(api, "/crm/v3/objects/contacts/search", {}).status_code == 200


def test_search_misses_a_contact_until_it_is_indexed(api: str, fake: HubSpotFake) -> None:
    fake.search_lag_s = 5
    post(api, "/crm/v3/objects/contacts", {"properties": {"email": "ada@example.com"}})
    query = {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "ada@example.com"}]}]}
    assert post(api, "/crm/v3/objects/contacts/search", query).json()["total"] == 0
    fake.advance(6)
    found = post(api, "/crm/v3/objects/contacts/search", query).json()
    assert found["total"] == 1 and found["results"][0]["properties"]["email"] == "ada@example.com"


def test_search_pages_with_after(api: str) -> None:
    for n in range(3):
        post(api, "/crm/v3/objects/contacts", {"properties": {"email": f"p{n}@example.com"}})
    page = post(api, "/crm/v3/objects/contacts/search", {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["paging"]["next"]["after"] == "2"
    rest = post(api, "/crm/v3/objects/contacts/search", {"limit": 2, "after": "2"}).json()
    assert len(rest["results"]) == 1 and "paging" not in rest


def test_a_property_that_exists_answers_409(api: str) -> None:
    body = {"name": "leadhub_x", "label": "x", "type": "string", "fieldType": "text", "groupName": "contactinformation"}
    assert post(api, "/crm/v3/properties/contacts", body).status_code == 201
    again = post(api, "/crm/v3/properties/contacts", body)
    assert again.status_code == 409 and again.json()["category"] == "OBJECT_ALREADY_EXISTS"


def test_upserting_by_a_property_without_unique_values_is_refused(api: str) -> None:
    answer = post(api, "/crm/v3/objects/contacts/batch/upsert",
                  {"inputs": [{"idProperty": "firstname", "id": "Ada", "properties": {}}]})
    assert answer.status_code == 400 and "not a unique identifier" in answer.json()["message"]


def test_a_revoked_token_answers_401_and_an_outage_500(api: str, fake: HubSpotFake) -> None:
    fake.outage(60)
    assert post(api, "/crm/v3/objects/contacts/search", {}).status_code == 500
    fake.advance(61)
    fake.revoke()
    answer = post(api, "/crm/v3/objects/contacts/search", {})
    assert answer.status_code == 401 and answer.json()["category"] == "INVALID_AUTHENTICATION"


def test_the_date_versioned_paths_answer_like_v3(api: str) -> None:
    answer = post(api, "/crm/objects/2026-03/contacts/batch/upsert", {"inputs": [upsert("ada@example.com")]})
    assert answer.status_code == 200 and answer.json()["results"][0]["id"] == "151"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("error_400_invalid_email.json", "email (from person.email): Email address example.lcom is invalid"),
        ("error_400_property_doesnt_exist.json", "run the connection's setup to create leadhub's properties"),
        ("error_400_duplicate_ids.json", "Duplicate IDs found in batch input: [ada@example.com]"),
        ("error_409_conflict.json", "HubSpot says (CONFLICT): Contact already exists. Existing ID: 151"),
        ("error_403_missing_scopes.json", "scopes are required: crm.schemas.contacts.write"),
        ("error_429_ten_secondly.json", "(RATE_LIMIT): You have reached your ten_secondly_rolling limit."),
    ],
)
def test_hubspot_errors_read_as_words(fixture: str, expected: str) -> None:
    assert expected in errors.words(json.loads((FIXTURES / fixture).read_text()))


def test_the_existing_id_is_read_from_the_conflict_message() -> None:
    assert errors.existing_id(json.loads((FIXTURES / "error_409_conflict.json").read_text())) == "151"


def test_a_207_answer_ties_each_error_to_its_input() -> None:
    body = json.loads((FIXTURES / "batch_upsert_207.json").read_text())
    [error] = body["errors"]
    assert error["context"]["objectWriteTraceId"] == ["1"] and errors.codes(error) == {"INVALID_EMAIL"}


def test_the_payload_leaves_out_empty_values_and_sends_milliseconds() -> None:
    data = {"id": "lead_1", "source": "meta_lead_ads", "captured_at": "2026-05-02T10:00:00Z",
            "person": {"email": "ada@example.com", "first_name": "Ada", "last_name": None},
            "attribution": {"channel": "meta", "campaign_id": "120210000000000001", "ad_name": ""}}
    found = payload.properties(Item("dlv_1", "lead.qualified", "lead", "lead_1", data, "per_1"), {})
    assert found == {"email": "ada@example.com", "firstname": "Ada", "leadhub_channel": "meta",
                     "leadhub_campaign_id": "120210000000000001", "leadhub_person_id": "per_1",
                     "leadhub_lead_id": "lead_1", "leadhub_source": "meta_lead_ads",
                     "leadhub_captured_at": "1777716000000", "lifecyclestage": "lead"}


def test_a_lead_without_email_is_keyed_by_the_person_id_and_one_with_email_by_its_email() -> None:
    person = {"person": {"phone": "+4915112345678"}}
    item = Item("dlv_1", "lead.qualified", "lead", "lead_1", person, "per_1")
    [contact] = payload.contacts([item], {})
    assert contact.key("email") == ("leadhub_person_id", "per_1")
    with_email = Item("dlv_2", "lead.qualified", "lead", "lead_2", {"person": {"email": "Ada@Example.com"}}, "per_2")
    assert payload.contacts([with_email], {})[0].key("email") == ("email", "ada@example.com")
