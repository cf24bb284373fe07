"""The Greenhouse fake plays Greenhouse, not a kinder vendor: no dedupe, Harvest's 422/429 shapes, OAuth errors,
``On-Behalf-Of`` on v1 writes, v3 cursor paging, v1 ``Link`` paging, and faults from Python."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests

import connectors.sinks.greenhouse as greenhouse
from connectors.sinks.greenhouse import errors
from connectors.sinks.greenhouse.fake import (
    SANDBOX_API_KEY,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    SANDBOX_USER_ID,
    GreenhouseFake,
)

FIXTURES = Path(greenhouse.__file__).parent / "fixtures"
PERSON = {"first_name": "Erika", "last_name": "Musterfrau",
          "email_addresses": [{"value": "erika.musterfrau@example.org", "type": "personal"}]}


class Client:
    """A bare Harvest client for poking the fake."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.token = ""

    def grant(self, sub: Any = SANDBOX_USER_ID, client: tuple[str, str] = (SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
              grant_type: str = "client_credentials") -> requests.Response:
        response = self.http.post(f"{self.url}/token", data={"grant_type": grant_type, "sub": sub}, auth=client)
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    def v3(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if not self.token:
            self.grant()
        url = path if path.startswith("http") else f"{self.url}{path}"
        return self.http.request(method, url, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)

    def v1(self, method: str, path: str, user: Any = SANDBOX_USER_ID, **kwargs: Any) -> requests.Response:
        headers = {"On-Behalf-Of": str(user)} if user is not None else {}
        return self.http.request(method, f"{self.url}{path}", auth=(SANDBOX_API_KEY, ""), headers=headers, **kwargs)


@pytest.fixture
def fake() -> GreenhouseFake:
    return GreenhouseFake()


@pytest.fixture
def gh(live_server: Any, fake: GreenhouseFake) -> Client:
    return Client(live_server(fake.app()).url)


def test_the_token_endpoint_issues_a_bearer_token_for_the_sub_user(gh: Client) -> None:
    answer = gh.grant()
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    found = answer.json()
    assert (found["token_type"], found["expires_in"]) == ("Bearer", 3600)
    claims = json.loads(base64.urlsafe_b64decode(found["access_token"].split(".")[1] + "=="))
    assert claims["sub"] == str(SANDBOX_USER_ID)
    assert set(found) == set(json.loads((FIXTURES / "token_200.json").read_bytes()))


def test_the_token_endpoint_refuses_wrong_clients_grants_and_users(gh: Client) -> None:
    wrong = gh.grant(client=(SANDBOX_CLIENT_ID, "nope"))
    assert wrong.status_code == 401 and wrong.json() == json.loads((FIXTURES / "error_401_invalid_client.json")
                                                                   .read_bytes())
    assert gh.grant(grant_type="password").json()["error"] == "unsupported_grant_type"
    assert gh.grant(sub="").json() == {"error": "invalid_request", "error_description": "sub must be a Greenhouse "
                                                                                        "user id"}


def test_a_missing_expired_or_revoked_token_is_401(gh: Client, fake: GreenhouseFake) -> None:
    assert gh.http.get(f"{gh.url}/v3/candidates").status_code == 401
    assert gh.v3("GET", "/v3/candidates").status_code == 200
    fake.advance(3601)
    expired = gh.v3("GET", "/v3/candidates")
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"
    gh.grant()
    fake.revoke()
    assert gh.v3("GET", "/v3/candidates").status_code == 401 and gh.grant().status_code == 401


def test_every_post_makes_a_new_record_even_for_the_same_email(gh: Client) -> None:
    first = gh.v3("POST", "/v3/prospects", json=PERSON)
    second = gh.v3("POST", "/v3/prospects", json=PERSON)
    assert first.status_code == second.status_code == 201 and first.json()["id"] != second.json()["id"]
    found = gh.v3("GET", "/v3/candidates", params={"email": "ERIKA.musterfrau@example.org"}).json()
    assert len(found) == 2


def test_validation_errors_come_as_greenhouses_errors_array(gh: Client) -> None:
    answer = gh.v3("POST", "/v3/prospects", json={"first_name": "Erika", "application": {"source_id": 999}})
    assert answer.status_code == 422
    assert answer.json() == {"message": "Validation error", "errors": [
        {"message": "can't be blank", "field": "last_name"},
        {"message": "Source 999 does not exist", "field": "application.source_id"}]}
    assert answer.json() == json.loads((FIXTURES / "error_422_validation.json").read_bytes())
    assert errors.words(answer) == "last_name: can't be blank; application.source_id: Source 999 does not exist"


def test_a_v1_candidate_needs_an_application_and_attachments_need_a_known_content_type(gh: Client) -> None:
    bare = gh.v1("POST", "/v1/candidates", json=PERSON)
    assert bare.json()["errors"] == [{"message": "Must have at least one application", "field": "applications"}]
    exe = {"filename": "cv.exe", "type": "resume", "content": base64.b64encode(b"MZ").decode(),
           "content_type": "application/x-msdownload"}
    answer = gh.v1("POST", "/v1/candidates", json={**PERSON, "applications": [{"job_id": 215725,
                                                                                "attachments": [exe]}]})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "applications[0].attachments[0].content_type"


def test_v1_writes_need_on_behalf_of_and_reads_do_not(gh: Client) -> None:
    answer = gh.v1("POST", "/v1/prospects", user=None, json=PERSON)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "On-Behalf-Of"
    assert gh.v1("GET", "/v1/candidates", user=None).status_code == 200
    assert gh.v1("POST", "/v1/prospects", json=PERSON).status_code == 201
    unauthorised = gh.http.get(f"{gh.url}/v1/candidates", auth=("wrong", ""))
    assert unauthorised.status_code == 401


def test_convert_prospect_answers_old_and_new_ids_in_v1_and_the_application_in_v3(gh: Client) -> None:
    prospect = gh.v1("POST", "/v1/prospects", json=PERSON).json()
    old = prospect["applications"][0]["id"]
    converted = gh.v1("PATCH", f"/v1/applications/{old}/convert_prospect", json={"job_id": 215725}).json()
    assert converted["success"] is True and converted["old_application_id"] == old
    again = gh.v1("PATCH", f"/v1/applications/{converted['new_application_id']}/convert_prospect",
                  json={"job_id": 215725})
    assert again.status_code == 422  # no longer a prospect
    other = gh.v3("POST", "/v3/prospects", json=PERSON).json()
    [application_id] = other["application_ids"]
    moved = gh.v3("POST", f"/v3/applications/{application_id}/convert_to_candidate", json={"job_id": 215725})
    assert moved.json()["prospect"] is False and moved.json()["job_id"] == 215725


def test_every_answer_carries_the_ten_second_limit_and_429_says_when_to_come_back(
    gh: Client, fake: GreenhouseFake
) -> None:
    fake.rate_limit = 2
    first = gh.v3("GET", "/v3/jobs")
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
    gh.v3("GET", "/v3/jobs")
    limited = gh.v3("GET", "/v3/jobs")
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 10
    assert "X-RateLimit-Limit" not in limited.headers and "X-RateLimit-Remaining" not in limited.headers
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(fake.now())
    assert limited.json() == json.loads((FIXTURES / "error_429_rate_limited.json").read_bytes())
    fake.advance(10)
    assert gh.v3("GET", "/v3/jobs").status_code == 200


def test_v3_pages_by_cursor_alone_and_v1_by_page_with_next_prev_last(gh: Client, fake: GreenhouseFake) -> None:
    for n in range(5):
        fake.org.new_person({**PERSON, "last_name": f"M{n}"}, fake.now())
    page = gh.v3("GET", "/v3/candidates", params={"per_page": 2})
    assert len(page.json()) == 2 and set(page.links) == {"next"}
    following = page.links["next"]["url"]
    assert "cursor=" in following and "per_page" not in following
    assert gh.v3("GET", following + "&per_page=2").status_code == 422  # the cursor must stand alone
    second = gh.v3("GET", following)
    third = gh.v3("GET", second.links["next"]["url"])
    assert len(second.json()) == 2 and len(third.json()) == 1 and "next" not in third.links
    v1 = gh.v1("GET", "/v1/candidates", params={"per_page": 2, "page": 2})
    assert set(v1.links) == {"next", "prev", "last"} and "page=3" in v1.links["last"]["url"]
    assert gh.v1("GET", "/v1/candidates", params={"per_page": 501}).status_code == 422


def test_faults_from_python_outage_then_recovery_and_a_late_answer_after_the_write(
    gh: Client, fake: GreenhouseFake
) -> None:
    fake.fail_next(503, path="/v3/prospects")
    assert gh.v3("POST", "/v3/prospects", json=PERSON).status_code == 503
    fake.outage(600)
    assert gh.v3("GET", "/v3/jobs").status_code == 500
    fake.advance(600)
    assert gh.v3("GET", "/v3/jobs").status_code == 200
    fake.delay_next(1.0, path="/v3/prospects")
    with pytest.raises(requests.Timeout):
        gh.v3("POST", "/v3/prospects", json=PERSON, timeout=0.3)
    assert len(fake.org.candidates) == 1  # written before the answer was due


def test_a_denied_permission_is_403(gh: Client, fake: GreenhouseFake) -> None:
    fake.denied.add("POST /v3/prospects")
    answer = gh.v3("POST", "/v3/prospects", json=PERSON)
    assert answer.status_code == 403 and "permission" in answer.json()["message"]
