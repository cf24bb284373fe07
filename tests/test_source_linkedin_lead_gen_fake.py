"""The LinkedIn fake is as strict as LinkedIn (sources.md §8): headers, Rest.li syntax, projection, paging, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.sources.linkedin_lead_gen import restli
from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn, active_versions

OWNER = "owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A5123456)"
HEADERS = {
    "Authorization": "Bearer fake-access-token",
    "LinkedIn-Version": "202610",
    "X-Restli-Protocol-Version": "2.0.0",
}
LEADS = f"/rest/leadFormResponses?q=owner&{OWNER}&leadType=(leadType:SPONSORED)"


@pytest.fixture
def fake_api(live_server: Any) -> tuple[FakeLinkedIn, str]:
    fake = FakeLinkedIn(today=date(2026, 11, 26))
    start = int((datetime.now(UTC) - timedelta(days=3)).timestamp() * 1000)
    fake.add_leads(7, at_ms=start)
    fake.add_leads(2, at_ms=start + 3_600_000, test=True)
    return fake, live_server(fake.app()).url


def get(url: str, path: str, **headers: str) -> requests.Response:
    merged = {k: v for k, v in {**HEADERS, **headers}.items() if v}
    return requests.get(url + path, headers=merged, timeout=5)


def test_versions_sunset_after_twelve_months() -> None:
    assert active_versions(date(2026, 11, 26)) == {"202512"} | {f"2026{m:02d}" for m in range(1, 12)}


def test_missing_version_header_is_refused(fake_api: tuple[FakeLinkedIn, str]) -> None:
    response = get(fake_api[1], LEADS, **{"LinkedIn-Version": ""})
    assert response.status_code == 400 and response.json()["code"] == "VERSION_MISSING"


def test_sunset_version_is_refused_with_426(fake_api: tuple[FakeLinkedIn, str]) -> None:
    response = get(fake_api[1], LEADS, **{"LinkedIn-Version": "202409"})
    assert response.status_code == 426
    assert response.json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 202409 is not active",
    }


def test_missing_restli_protocol_header_is_refused(fake_api: tuple[FakeLinkedIn, str]) -> None:
    assert get(fake_api[1], LEADS, **{"X-Restli-Protocol-Version": ""}).status_code == 400


@pytest.mark.parametrize(
    "owner",
    [
        "owner=%28sponsoredAccount%3Aurn%3Ali%3AsponsoredAccount%3A5123456%29",  # tuple syntax percent-encoded: data
        "owner=(sponsoredAccount:urn:li:sponsoredAccount:5123456)",  # colons of the URN not encoded
        "owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A5123456",  # unclosed
    ],
    ids=["encoded-parentheses", "raw-colons", "unclosed"],
)
def test_owner_tuples_must_use_restli_2_syntax(fake_api: tuple[FakeLinkedIn, str], owner: str) -> None:
    response = get(fake_api[1], f"/rest/leadFormResponses?q=owner&{owner}&leadType=(leadType:SPONSORED)")
    assert response.status_code == 400 and response.json()["code"] == "ILLEGAL_ARGUMENT"


def test_another_account_is_forbidden(fake_api: tuple[FakeLinkedIn, str]) -> None:
    path = "/rest/leadForms?q=owner&owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A999)"
    assert get(fake_api[1], path).status_code == 403


def test_paging_reports_total_and_links(fake_api: tuple[FakeLinkedIn, str]) -> None:
    page = get(fake_api[1], LEADS + "&start=4&count=4").json()
    assert page["paging"]["start"] == 4 and page["paging"]["count"] == 4 and page["paging"]["total"] == 9
    assert {link["rel"] for link in page["paging"]["links"]} == {"prev", "next"}
    assert len(page["elements"]) == 4
    assert len(get(fake_api[1], LEADS + "&start=8&count=4").json()["elements"]) == 1


def test_time_range_and_test_lead_filters(fake_api: tuple[FakeLinkedIn, str]) -> None:
    fake, url = fake_api
    newest = max(lead["submittedAt"] for lead in fake.leads)
    window = f"&submittedAtTimeRange=(start:{newest},end:{newest + 1})"
    assert [e["submittedAt"] for e in get(url, LEADS + window).json()["elements"]] == [newest]
    only_tests = get(url, LEADS + "&limitedToTestLeads=true&count=50").json()["elements"]
    assert len(only_tests) == 2 and all(e["testLead"] for e in only_tests)
    assert get(url, LEADS + "&limitedToTestLeads=false&count=50").json()["paging"]["total"] == 9


def test_projection_decides_fields_and_the_form_decoration(fake_api: tuple[FakeLinkedIn, str]) -> None:
    plain = get(fake_api[1], LEADS).json()["elements"][0]
    assert "form" not in plain and "formResponse" in plain
    projected = get(fake_api[1], LEADS + "&fields=id,submittedAt,form:(name,hiddenFields)").json()["elements"][0]
    assert set(projected) == {"id", "submittedAt", "form"}
    assert set(projected["form"]) == {"name", "hiddenFields"}


def test_the_decorated_form_is_the_version_the_lead_was_submitted_on(fake_api: tuple[FakeLinkedIn, str]) -> None:
    fake, url = fake_api
    old = fake.add_leads(1, at_ms=fake.leads[0]["submittedAt"] - 1000, version=1)[0]
    lead = get(url, f"/rest/leadFormResponses/{old['id']}?fields=id,versionedLeadGenFormUrn,form:(id,content)").json()
    asked = {a["questionId"] for a in old["formResponse"]["answers"]}
    assert asked <= {q["questionId"] for q in lead["form"]["content"]["questions"]}
    assert lead["versionedLeadGenFormUrn"].endswith("7430001,1)")


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("token_invalid", 401, 65600), ("token_revoked", 401, 65601), ("throttle_app", 429, None)],
)
def test_injected_faults_use_linkedins_envelopes(
    fake_api: tuple[FakeLinkedIn, str], kind: str, status: int, code: int | None
) -> None:
    fake, url = fake_api
    fake.fail_next(kind)
    response = get(url, LEADS)
    assert response.status_code == status and response.json()["status"] == status
    assert response.json().get("serviceErrorCode") == code
    assert get(url, LEADS).status_code == 200  # one fault, then back to normal


def test_unknown_token_is_65600(fake_api: tuple[FakeLinkedIn, str]) -> None:
    response = get(fake_api[1], LEADS, Authorization="Bearer made-up")
    assert response.status_code == 401 and response.json()["serviceErrorCode"] == 65600


def test_oauth_refresh_issues_a_working_token_and_refuses_a_bad_refresh_token(
    fake_api: tuple[FakeLinkedIn, str],
) -> None:
    fake, url = fake_api
    form = {"grant_type": "refresh_token", "client_id": fake.client_id, "client_secret": fake.client_secret}
    issued = requests.post(f"{url}/oauth/v2/accessToken", data={**form, "refresh_token": fake.refresh_token}, timeout=5)
    token = issued.json()["access_token"]
    assert issued.json()["expires_in"] == 5_184_000
    assert get(url, LEADS, Authorization=f"Bearer {token}").status_code == 200
    refused = requests.post(f"{url}/oauth/v2/accessToken", data={**form, "refresh_token": "nope"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_restli_values_parse_to_tuples_lists_and_decoded_strings() -> None:
    assert restli.parse("(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A1)") == {
        "sponsoredAccount": "urn:li:sponsoredAccount:1"
    }
    assert restli.parse("(start:1,end:2)") == {"start": "1", "end": "2"}
    assert restli.parse("(value:(sponsoredAccount:x))") == {"value": {"sponsoredAccount": "x"}}
    assert restli.parse("List(ACTIVE,PAUSED)") == ["ACTIVE", "PAUSED"]
    assert restli.parse("%28a%3Ab%29") == "(a:b)"
    with pytest.raises(restli.RestliSyntaxError):
        restli.parse("(a:b:c)")
    assert restli.projection("id,form:(name,content)") == {"id": None, "form": {"name": None, "content": None}}
