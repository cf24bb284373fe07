"""google_ads_lead_forms: Google POSTs WebhookLead JSON with a shared key; the body is the lead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.sources import google_ads_lead_forms as google
from connectors.sources.google_ads_lead_forms.fake import TWO_53, GoogleLeadFormFake
from core.context import Context
from core.errors import PayloadMalformed, SignatureInvalid
from core.models import Lead, Person, RawRecord
from sync import connections, pipeline

FIXTURES = Path(google.__file__).parent / "fixtures"
KEY = "sandbox-google-key"
PATH = "/hooks/google_ads_lead_forms/google-pflege"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def hub(app: Any) -> Context:
    ctx: Context = app.extensions["leadhub"]
    connections.create(ctx, "google-pflege", "google_ads_lead_forms", {}, {"google_key": KEY})
    return ctx


@pytest.fixture
def endpoint(hub: Context, app: Any, live_server: Any) -> str:
    return str(live_server(app).url) + PATH


def count(ctx: Context, model: Any) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def stored_lead(ctx: Context, raw_id: str) -> Lead:
    outcome = pipeline.process(ctx, raw_id)
    assert outcome.status in ("created", "duplicate"), outcome.error
    with ctx.db.session() as session:
        lead = session.get(Lead, outcome.lead_id)
        assert lead is not None
        return lead


def post(client: Any, body: bytes) -> Any:
    return client.post(PATH, data=body, headers={"content-type": "application/json"})


def test_a_lead_with_the_right_key_is_stored_as_delivered_before_the_202(client: Any, hub: Context) -> None:
    body = fixture("webhook_lead.json")
    response = post(client, body)
    assert response.status_code == 202
    with hub.db.session() as session:
        raw = session.get(RawRecord, response.get_json()["raw_record_id"])
        assert raw is not None and raw.body == body and raw.kind == "record"
        assert raw.external_id == "TeSter-5f1b2c3d-0001"


def test_a_wrong_key_is_401_and_stores_nothing(client: Any, hub: Context) -> None:
    body = fixture("webhook_lead.json").replace(KEY.encode(), b"guessed-key")
    response = post(client, body)
    assert response.status_code == 401
    assert "google_key does not match" in response.get_json()["detail"]
    assert count(hub, RawRecord) == 0


def test_a_body_without_a_key_is_401(client: Any, hub: Context) -> None:
    response = post(client, json.dumps({"lead_id": "x", "user_column_data": []}).encode())
    assert response.status_code == 401
    assert "no google_key" in response.get_json()["detail"]
    assert count(hub, RawRecord) == 0


def test_malformed_json_is_400_naming_line_and_column(client: Any, hub: Context) -> None:
    response = post(client, fixture("webhook_lead_malformed.json"))
    assert response.status_code == 400
    assert "line 2, column 1" in response.get_json()["detail"]
    assert count(hub, RawRecord) == 0


def test_an_id_sent_as_a_float_is_400_because_its_digits_are_already_lost(client: Any, hub: Context) -> None:
    response = post(client, fixture("webhook_lead_float_id.json"))
    assert response.status_code == 400
    assert "campaign_id must be an integer id" in response.get_json()["detail"]
    assert count(hub, RawRecord) == 0


def test_a_lead_without_lead_id_is_400(client: Any, hub: Context) -> None:
    response = post(client, json.dumps({"google_key": KEY, "user_column_data": []}).encode())
    assert response.status_code == 400
    assert "lead_id" in response.get_json()["detail"]


def test_google_verifies_no_endpoint_with_get(client: Any, hub: Context) -> None:
    assert client.get(PATH).status_code == 405


def test_int64_ids_above_2_53_stay_exact_strings_in_the_lead(client: Any, hub: Context) -> None:
    raw_id = post(client, fixture("webhook_lead.json")).get_json()["raw_record_id"]
    lead = stored_lead(hub, raw_id)
    attribution = lead.data["attribution"]
    assert attribution["form_id"] == "9007199254740993" == str(TWO_53 + 1)
    assert attribution["campaign_id"] == "23456789012345677"
    assert attribution["ad_set_id"] == "158765432109876543"
    assert attribution["ad_id"] == "712345678901234567"
    assert float(attribution["form_id"]) == TWO_53  # what a float would have stored


def test_performance_max_leads_keep_the_asset_group_and_the_largest_int64(client: Any, hub: Context) -> None:
    raw_id = post(client, fixture("webhook_lead_performance_max.json")).get_json()["raw_record_id"]
    lead = stored_lead(hub, raw_id)
    assert lead.data["attribution"]["form_id"] == "9223372036854775807"
    assert lead.data["attribution"]["ad_set_id"] == "18014398509481985"
    with hub.db.session() as session:
        person = session.get(Person, lead.person_id)
        assert person is not None
    assert (person.first_name, person.last_name, person.email) == ("Özlem", "Yılmaz", "oezlem.yilmaz@example.org")


def test_user_columns_map_to_the_person_and_gcl_id_is_the_platform_lead_key(client: Any, hub: Context) -> None:
    raw_id = post(client, fixture("webhook_lead.json")).get_json()["raw_record_id"]
    lead = stored_lead(hub, raw_id)
    with hub.db.session() as session:
        person = session.get(Person, lead.person_id)
        assert person is not None
    assert lead.data["person"]["full_name"] == "Jürgen Weiß"
    assert person.email == "juergen.weiss@example.org"
    assert person.phone == "+491712345678"
    assert (person.city, person.postcode) == ("München", "80331")
    assert lead.platform_lead_key == "EAIaIQobChMI8sandboxGclid0001"
    assert lead.data["attribution"]["click_id"] == "EAIaIQobChMI8sandboxGclid0001"
    assert lead.channel == "google"
    assert lead.captured_at.isoformat() == "2026-11-18T14:03:27+00:00"
    assert lead.is_test is False


def test_custom_questions_and_unmapped_columns_become_answers(client: Any, hub: Context) -> None:
    raw_id = post(client, fixture("webhook_lead.json")).get_json()["raw_record_id"]
    lead = stored_lead(hub, raw_id)
    answers = {a["key"]: a for a in lead.data.get("answers", [])}
    assert answers["berufserfahrung_jahre"] == {
        "key": "berufserfahrung_jahre",
        "label": "Wie viele Jahre Berufserfahrung haben Sie?",
        "value": "3-5",
    }
    assert answers["startdatum"]["value"] == "sofort"
    assert answers["COUNTRY"]["value"] == "Deutschland"
    assert answers["JOB_TITLE"]["value"] == "Pflegefachkraft"
    assert "EMAIL" not in answers and "FULL_NAME" not in answers


def test_send_test_data_makes_a_lead_marked_as_test(endpoint: str, hub: Context) -> None:
    fake = GoogleLeadFormFake(KEY)
    sent = fake.send_test_data(endpoint)
    assert sent.status == 202
    lead = stored_lead(hub, sent.answer["raw_record_id"])
    assert lead.is_test is True
    assert lead.data["is_test"] is True


def test_fixture_test_data_is_a_test_lead_too(client: Any, hub: Context) -> None:
    raw_id = post(client, fixture("webhook_lead_test_data.json")).get_json()["raw_record_id"]
    assert stored_lead(hub, raw_id).is_test is True


def test_duplicate_deliveries_of_the_same_lead_id_are_one_lead(endpoint: str, hub: Context) -> None:
    fake = GoogleLeadFormFake(KEY)
    sent = fake.post(endpoint, fake.lead(7), times=3)
    assert [d.status for d in sent] == [202, 202, 202]
    outcomes = [pipeline.process(hub, d.answer["raw_record_id"]) for d in sent]
    assert [o.status for o in outcomes] == ["created", "duplicate", "duplicate"]
    assert len({o.lead_id for o in outcomes}) == 1
    assert count(hub, Lead) == 1 and count(hub, RawRecord) == 3  # every delivery kept for audit


def test_the_fake_sends_a_wrong_key_on_request_and_nothing_is_stored(endpoint: str, hub: Context) -> None:
    fake = GoogleLeadFormFake(KEY)
    sent = fake.post(endpoint, fake.lead(1), key="forged")
    assert sent[0].status == 401
    assert count(hub, RawRecord) == 0


def test_fake_leads_carry_ids_above_2_53_as_json_integers(endpoint: str, hub: Context) -> None:
    fake = GoogleLeadFormFake(KEY)
    body = fake.encode(fake.lead(3, performance_max=True))
    assert b'"form_id": 9007199254740993' in body and b'"asset_group_id": 18014398509481985' in body
    sent = fake.post(endpoint, fake.lead(3, performance_max=True))[0]
    lead = stored_lead(hub, sent.answer["raw_record_id"])
    assert lead.data["attribution"]["ad_set_id"] == "18014398509481985"
    assert lead.data["attribution"]["campaign_id"] == "23456789012345677"


def test_a_rotated_key_is_accepted_while_both_are_configured(app: Any, client: Any) -> None:
    ctx: Context = app.extensions["leadhub"]
    secrets = {"google_key": "new-key", "google_key_previous": KEY}
    connections.create(ctx, "google-rotating", "google_ads_lead_forms", {}, secrets)
    body = fixture("webhook_lead.json")
    response = client.post("/hooks/google_ads_lead_forms/google-rotating", data=body)
    assert response.status_code == 202


def test_verify_and_parse_work_without_a_web_request() -> None:
    body = fixture("webhook_lead.json")
    google.verify({}, body, {"google_key": KEY}, 300)
    with pytest.raises(SignatureInvalid):
        google.verify({}, body, {"google_key": "other"}, 300)
    with pytest.raises(PayloadMalformed):
        google.verify({}, b"[1, 2]", {"google_key": KEY}, 300)
    assert google.parse(body).user_column_data[0].column_id == "FULL_NAME"
    assert google.external_id(body) == "TeSter-5f1b2c3d-0001"
