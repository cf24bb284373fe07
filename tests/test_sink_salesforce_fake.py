"""The Salesforce fake behaves like Salesforce (sinks.md §8), and the sink reads its answers in words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sinks.base import Item
from connectors.sinks.salesforce import errors, payload
from connectors.sinks.salesforce.fake import SANDBOX_TOKEN, SalesforceFake
from connectors.sinks.salesforce.fake_org import record_id

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "salesforce" / "fixtures"
LEAD = "/services/data/v62.0/sobjects/Lead"


@pytest.fixture
def fake() -> SalesforceFake:
    return SalesforceFake()


@pytest.fixture
def api(live_server: Any, fake: SalesforceFake) -> str:
    return str(live_server(fake.app()).url)


def call(api: str, method: str, path: str, body: Any = None, token: str = SANDBOX_TOKEN,
         **headers: str) -> requests.Response:
    return requests.request(method, api + path, json=body, timeout=5,
                            headers={"Authorization": f"Bearer {token}", **headers})


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_an_upsert_creates_then_updates_and_older_versions_answer_204(api: str) -> None:
    body = {"LastName": "Lovelace", "Company": "Analytical Engines", "Email": "ada@example.com"}
    created = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_1", body)
    assert created.status_code == 201 and created.json() == {**fixture("upsert_201_created.json")}
    updated = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_1", {"FirstName": "Ada"})
    assert updated.status_code == 200 and updated.json() == fixture("upsert_200_updated.json")
    old = call(api, "PATCH", "/services/data/v45.0/sobjects/Lead/LeadHub_Person_Id__c/per_1", {"City": "London"})
    assert old.status_code == 204 and old.content == b""
    assert old.headers["Sforce-Limit-Info"] == "api-usage=3/15000"


def test_a_new_lead_needs_lastname_and_company(api: str) -> None:
    answer = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_2", {"LastName": "Hopper"})
    assert answer.status_code == 400 and answer.json() == fixture("error_400_required_field_missing.json")


def test_the_same_email_on_another_lead_is_detected_unless_saved_past_the_alert(api: str) -> None:
    call(api, "POST", LEAD, {"LastName": "Lovelace", "Company": "X", "Email": "ada@example.com"})
    answer = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_3",
                  {"LastName": "Lovelace", "Company": "X", "Email": "ADA@example.com"})
    assert answer.status_code == 400 and answer.json() == fixture("error_400_duplicates_detected.json")
    allowed = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_3",
                   {"LastName": "Lovelace", "Company": "X", "Email": "ada@example.com"},
                   **{"Sforce-Duplicate-Rule-Header": "allowSave=true"})
    assert allowed.status_code == 201


def test_several_matches_answer_300_with_their_urls(api: str, fake: SalesforceFake) -> None:
    for _ in range(2):
        fake.org.create({"LastName": "L", "Company": "C", "LeadHub_Person_Id__c": "per_4"}, True, "v62.0")
    answer = call(api, "PATCH", f"{LEAD}/LeadHub_Person_Id__c/per_4", {"City": "Paris"})
    assert answer.status_code == 300 and answer.json() == fixture("upsert_300_multiple.json")


def test_an_unknown_external_id_field_answers_404(api: str) -> None:
    answer = call(api, "PATCH", f"{LEAD}/Nope__c/1", {"LastName": "L", "Company": "C"})
    assert answer.status_code == 404 and "Provided external ID field does not exist" in answer.json()[0]["message"]


def test_a_bad_token_answers_401_and_a_spent_allowance_403(api: str, fake: SalesforceFake) -> None:
    answer = call(api, "GET", f"{LEAD}/describe", token="nope")
    assert answer.status_code == 401 and answer.json() == fixture("error_401_invalid_session_id.json")
    fake.api_limit = fake.api_used
    spent = call(api, "GET", f"{LEAD}/describe")
    assert spent.status_code == 403 and spent.json() == fixture("error_403_request_limit_exceeded.json")


def test_values_are_validated_in_salesforces_words(api: str, fake: SalesforceFake) -> None:
    fake.org.fields["LeadSource"]["restrictedPicklist"] = True
    cases = {"Email": ("nope", "INVALID_EMAIL_ADDRESS"),
             "LeadSource": ("Tiktok", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
             "FirstName": ("x" * 41, "STRING_TOO_LONG"),
             "IsConverted": (True, "INVALID_FIELD_FOR_INSERT_UPDATE")}
    for name, (value, code) in cases.items():
        answer = call(api, "POST", LEAD, {"LastName": "L", "Company": "C", name: value})
        assert answer.status_code == 400 and answer.json()[0]["errorCode"] == code
        assert answer.json()[0]["fields"] == [name]


def test_a_collection_upsert_answers_per_record_in_order(api: str) -> None:
    records = [{"attributes": {"type": "Lead"}, "LeadHub_Person_Id__c": "per_5", "LastName": "A", "Company": "C"},
               {"attributes": {"type": "Lead"}, "LeadHub_Person_Id__c": "per_6", "LastName": "B"}]
    answer = call(api, "PATCH", "/services/data/v62.0/composite/sobjects/Lead/LeadHub_Person_Id__c",
                  {"allOrNone": False, "records": records})
    first, second = answer.json()
    assert answer.status_code == 200 and first["success"] and first["created"]
    assert not second["success"] and second["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"


def test_a_client_credentials_token_opens_the_api(api: str, fake: SalesforceFake) -> None:
    fake.clients["3MVG9sandbox"] = "s3cret"
    token = requests.post(api + "/services/oauth2/token", timeout=5, data={
        "grant_type": "client_credentials", "client_id": "3MVG9sandbox", "client_secret": "s3cret"}).json()
    assert token["token_type"] == "Bearer" and token["instance_url"] == api
    assert call(api, "GET", f"{LEAD}/describe", token=token["access_token"]).status_code == 200


def test_record_ids_have_eighteen_characters_with_the_case_checksum() -> None:
    assert record_id("00Q", 1) == "00Q5g0000000001EAA"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("error_400_duplicates_detected.json", "duplicate rule Standard_Lead_Duplicate_Rule matched Lead "
                                               "00Q5g0000000001EAA (an alert the connection setting allow_duplicates"),
        ("error_400_required_field_missing.json", "REQUIRED_FIELD_MISSING: Required fields are missing: [Company] "
                                                  "(fields: Company)"),
        ("error_400_invalid_field.json", "INVALID_FIELD: No such column 'LeadHub_Campaign__c' on sobject"),
        ("error_403_request_limit_exceeded.json", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded."),
    ],
)
def test_salesforce_errors_read_as_words(name: str, expected: str) -> None:
    assert expected in errors.words(fixture(name))


def test_the_payload_maps_extra_fields_and_leaves_out_empty_values() -> None:
    data = {"id": "lead_1", "source": "meta_lead_ads", "person": {"first_name": "Ada", "email": "ada@example.com"},
            "attribution": {"channel": "meta", "campaign_name": "pflege"}, "answers": [
                {"key": "shift", "label": "Schicht", "value": ["früh", "spät"]}, {"key": "empty", "value": ""}]}
    settings = {"lead_source_map": {"meta_lead_ads": "Social"}, "fields": {"Campaign__c": "attribution.campaign_name",
                                                                           "Lead_Ref__c": "id", "P__c": "person_id"}}
    item = Item("dlv_1", "lead.qualified", "lead", "lead_1", data, "per_1")
    assert payload.fields(item, settings, fill_required=False) == {
        "FirstName": "Ada", "Email": "ada@example.com", "LeadSource": "Social", "Description": "Schicht: früh, spät",
        "Campaign__c": "pflege", "Lead_Ref__c": "lead_1", "P__c": "per_1"}
    filled = payload.fields(item, {"company": "Talent pool"}, fill_required=True)
    assert (filled["LastName"], filled["Company"], filled["LeadSource"]) == ("[not provided]", "Talent pool", "Other")


def test_settings_given_on_the_command_line_are_read_as_yes_no_and_json() -> None:
    from connectors.sinks.salesforce.client import flag, mapping

    assert [flag(v) for v in ("false", "0", "no", "", None, "true", True)] == [False] * 5 + [True, True]
    assert mapping('{"meta": "Facebook"}') == {"meta": "Facebook"} and mapping(None) == {}
    data = {"attribution": {"channel": "meta"}}
    assert payload.lead_source(data, {"lead_source_map": '{"meta": "Facebook"}'}) == "Facebook"
