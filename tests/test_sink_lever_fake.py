"""The Lever fake behaves like Lever (sinks.md §8), and the sink reads its answers in words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sinks.base import Item
from connectors.sinks.lever import errors, payload
from connectors.sinks.lever.fake import SANDBOX_KEY, LeverFake

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sinks" / "lever" / "fixtures"
POSTING = "2200dd68-757d-4ed2-a9b7-e1856196b513"


@pytest.fixture
def fake() -> LeverFake:
    found = LeverFake()
    found.account.add_posting("Pflegefachkraft", POSTING)
    return found


@pytest.fixture
def api(live_server: Any, fake: LeverFake) -> str:
    return str(live_server(fake.app()).url)


def call(api: str, method: str, path: str, body: Any = None, key: str = SANDBOX_KEY, **params: Any) -> Any:
    return requests.request(method, api + path, json=body, params=params, auth=(key, ""), timeout=5)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_every_post_makes_a_new_opportunity_of_the_contact_merged_by_email(api: str, fake: LeverFake) -> None:
    body = {"name": "Ada Lovelace", "emails": ["ada@example.com"], "sources": ["Meta Lead Ads"],
            "postings": [POSTING]}
    first = call(api, "POST", "/v1/opportunities", body, perform_as=fake.perform_as)
    second = call(api, "POST", "/v1/opportunities", {**body, "emails": ["ADA@example.com"]},
                  perform_as=fake.perform_as)
    assert first.status_code == second.status_code == 201
    one, two = first.json()["data"], second.json()["data"]
    assert one["id"] != two["id"] and one["contact"] == two["contact"]
    assert set(one) == set(fixture("opportunity_created.json")["data"])
    assert one["stage"] == "applicant-new" and len(one["applications"]) == 1
    found = call(api, "GET", "/v1/opportunities", email="Ada@Example.com", expand="applications", limit=1)
    page = found.json()
    assert [o["id"] for o in page["data"]] == [one["id"]] and page["hasNext"] is True
    assert page["data"][0]["applications"][0]["posting"] == POSTING
    rest = call(api, "GET", "/v1/opportunities", email="ada@example.com", limit=1, offset=page["next"]).json()
    assert [o["id"] for o in rest["data"]] == [two["id"]] and rest["hasNext"] is False and "next" not in rest


def test_writes_need_perform_as_and_a_bad_key_is_refused(api: str, fake: LeverFake) -> None:
    missing = call(api, "POST", "/v1/opportunities", {"name": "Ada", "emails": ["ada@example.com"]})
    assert missing.status_code == 400 and missing.json() == fixture("error_400_missing_perform_as.json")
    refused = call(api, "GET", "/v1/opportunities", key="wrong")
    assert refused.status_code == 401 and refused.json() == fixture("error_401_unauthorized.json")
    with_password = requests.get(api + "/v1/opportunities", auth=(SANDBOX_KEY, "x"), timeout=5)
    assert with_password.status_code == 401


def test_an_unknown_posting_origin_or_email_is_a_bad_request(api: str, fake: LeverFake) -> None:
    bad = call(api, "POST", "/v1/opportunities", {"name": "Ada", "postings": ["J-404"]}, perform_as=fake.perform_as)
    assert bad.status_code == 400 and bad.json() == fixture("error_400_invalid_posting.json")
    origin = call(api, "POST", "/v1/opportunities", {"name": "Ada", "origin": "facebook"}, perform_as=fake.perform_as)
    email = call(api, "POST", "/v1/opportunities", {"name": "Ada", "emails": ["ada"]}, perform_as=fake.perform_as)
    assert "Invalid origin" in origin.json()["message"] and "Invalid email" in email.json()["message"]
    assert fake.opportunities() == []


def test_the_token_bucket_answers_429_without_retry_after(api: str, fake: LeverFake) -> None:
    fake.throttle(0.001, 3.0)
    answers = [call(api, "GET", f"/v1/users/{fake.perform_as}") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json() == fixture("error_429_too_many_requests.json")
    assert "Retry-After" not in answers[-1].headers


def test_files_are_multipart_and_capped_at_30_mb(api: str, fake: LeverFake) -> None:
    opportunity = fake.account.create({"name": "Ada"}, fake.perform_as, fake.now())
    path = f"/v1/opportunities/{opportunity['id']}/files"
    sent = requests.post(api + path, params={"perform_as": fake.perform_as}, auth=(SANDBOX_KEY, ""), timeout=5,
                         files={"file": ("cv.pdf", b"%PDF-1.4", "application/pdf")})
    assert sent.status_code == 201 and sent.json()["data"]["size"] == 8 and sent.json()["data"]["ext"] == "pdf"
    too_big = requests.post(api + path, params={"perform_as": fake.perform_as}, auth=(SANDBOX_KEY, ""), timeout=5,
                            files={"file": ("cv.pdf", b"x" * (30 * 1024 * 1024 + 1), "application/pdf")})
    assert too_big.status_code == 413 and too_big.json()["code"] == "RequestEntityTooLarge"
    assert [f["name"] for f in call(api, "GET", path).json()["data"]] == ["cv.pdf"]


def test_an_outage_answers_503_until_it_ends(api: str, fake: LeverFake) -> None:
    fake.outage(600)
    assert call(api, "GET", "/v1/stages").status_code == 503
    fake.advance(601)
    assert call(api, "GET", "/v1/stages").status_code == 200


@pytest.mark.parametrize(
    ("name", "status", "expected"),
    [
        ("error_400_invalid_posting.json", 400, "Invalid posting id: J-404 — map the job's external id"),
        ("error_400_missing_perform_as.json", 400, "set the connection setting perform_as"),
        ("error_429_too_many_requests.json", 429, "(HTTP 429 TooManyRequestsError): Too many requests"),
    ],
)
def test_lever_errors_read_as_words(name: str, status: int, expected: str) -> None:
    assert expected in errors.words(fixture(name), status)


def test_an_application_body_credits_the_label_tags_the_campaign_and_names_the_posting() -> None:
    data = {"person": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
                       "phone": "+4917012345678", "city": "Berlin"},
            "job": {"external_id": "J-7", "title": "Pflege"}, "source": "Meta Lead Ads",
            "source_platform": "meta_lead_ads", "attribution": {"campaign_name": "pflege-herbst-2026"}}
    item = Item("dlv_1", "application.created", "application", "app_1", data, "per_1")
    settings = {"posting_ids": {"J-7": POSTING}, "tags": ["leadhub"], "origin": "applied"}
    body = payload.opportunity(item, settings, payload.posting_id(item, settings))
    assert body == {"name": "Ada Lovelace", "emails": ["ada@example.com"],
                    "phones": [{"type": "mobile", "value": "+4917012345678"}], "location": "Berlin",
                    "tags": ["pflege-herbst-2026", "leadhub"], "sources": ["Meta Lead Ads"], "origin": "applied",
                    "postings": [POSTING]}
    lead = Item("dlv_2", "lead.qualified", "lead", "lead_1", {"source": "form_webhook", "person": {}}, "per_1")
    assert payload.source(lead) == "Career site" and payload.posting_id(lead, settings) is None
