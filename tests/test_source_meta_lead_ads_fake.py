"""The Meta Graph fake is as strict as the platform (sources.md §8): projection, paging, filtering, errors."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
import requests

from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID

AUTH = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
FORM = "551200000000101"


@pytest.fixture
def fake() -> MetaFake:
    return MetaFake(time_scale=0.002)


@pytest.fixture
def graph(fake: MetaFake) -> Any:
    return fake.app().test_client()


def test_fields_returns_only_the_requested_fields_plus_id(graph: Any) -> None:
    lead = graph.get("/v22.0/900000000000001?fields=created_time,platform", headers=AUTH).get_json()
    assert set(lead) == {"created_time", "platform", "id"}
    assert set(graph.get("/v22.0/900000000000001", headers=AUTH).get_json()) == {"created_time", "id"}  # minimal
    form = graph.get(f"/v22.0/{FORM}?fields=name,questions{{key,label}}", headers=AUTH).get_json()
    assert set(form) == {"name", "questions", "id"}


def test_a_field_the_node_does_not_have_is_error_100(graph: Any) -> None:
    answer = graph.get("/v22.0/900000000000001?fields=id,email", headers=AUTH)
    assert answer.status_code == 400
    assert (
        answer.get_json()["error"]["message"] == "(#100) Tried accessing nonexisting field (email) on node type (Lead)"
    )


def test_paging_next_is_absolute_and_absent_on_the_last_page(fake: MetaFake, live_server: Any) -> None:
    base = live_server(fake.app()).url
    url: str | None = f"{base}/v22.0/{FORM}/leads?fields=id,created_time&limit=4"
    seen, pages = [], 0
    while url:
        body = requests.get(url, headers=AUTH, timeout=5).json()
        seen += [lead["id"] for lead in body["data"]]
        pages += 1
        url = body["paging"].get("next")
        assert url is None or (url.startswith(f"{base}/v22.0/{FORM}/leads?") and "limit=4" in url)
    assert pages == 4 and len(seen) == len(set(seen)) == 14
    times = [fake.leads[i]["created_time"] for i in seen]
    assert times == sorted(times, reverse=True)  # newest first


def test_before_cursor_pages_backwards(graph: Any) -> None:
    first = graph.get(f"/v22.0/{FORM}/leads?limit=5", headers=AUTH).get_json()
    second = graph.get(first["paging"]["next"].split("localhost", 1)[1], headers=AUTH).get_json()
    back = graph.get(second["paging"]["previous"].split("localhost", 1)[1], headers=AUTH).get_json()
    assert back["data"] == first["data"] and "previous" not in first["paging"]


def test_filtering_on_time_created_keeps_a_window(graph: Any, fake: MetaFake) -> None:
    created = sorted(
        int(datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp())
        for lead in fake.leads.values()
        if lead["form_id"] == FORM
    )
    rules = [
        {"field": "time_created", "operator": "GREATER_THAN", "value": created[2]},
        {"field": "time_created", "operator": "LESS_THAN", "value": str(created[6])},
    ]
    body = graph.get(
        f"/v22.0/{FORM}/leads", query_string={"filtering": json.dumps(rules), "limit": 50}, headers=AUTH
    ).get_json()
    assert len(body["data"]) == 3  # strictly between the 3rd and the 7th lead


@pytest.mark.parametrize(
    "filtering",
    [
        '{"field":"time_created"}',
        '[{"field":"created_time","operator":"GREATER_THAN","value":1}]',
        '[{"field":"time_created","operator":"AFTER","value":1}]',
        "not json",
    ],
)
def test_malformed_filtering_is_error_100(graph: Any, filtering: str) -> None:
    answer = graph.get(f"/v22.0/{FORM}/leads", query_string={"filtering": filtering}, headers=AUTH)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == 100


def test_tokens_are_read_from_the_query_or_bearer_and_checked(graph: Any, fake: MetaFake) -> None:
    assert graph.get(f"/v22.0/{PAGE_ID}?access_token={SANDBOX_TOKEN}").status_code == 200
    assert graph.get(f"/v22.0/{PAGE_ID}").get_json()["error"]["code"] == 104
    assert graph.get(f"/v22.0/{PAGE_ID}", headers={"Authorization": "Bearer nope"}).get_json()["error"]["code"] == 190
    fake.expire_token()
    error = graph.get(f"/v22.0/{PAGE_ID}", headers=AUTH).get_json()["error"]
    assert (error["type"], error["code"], error["error_subcode"]) == ("OAuthException", 190, 463)


def test_appsecret_proof_is_checked_when_the_app_requires_it(graph: Any) -> None:
    strict = MetaFake(app_secret="s3cret", require_appsecret_proof=True).app().test_client()
    assert "appsecret_proof" in strict.get(f"/v22.0/{PAGE_ID}", headers=AUTH).get_json()["error"]["message"]
    assert strict.get(f"/v22.0/{PAGE_ID}?appsecret_proof=00", headers=AUTH).status_code == 400


def test_rate_limits_are_http_400_with_usage_headers_and_last_the_announced_time(fake: MetaFake, graph: Any) -> None:
    fake.fail_next("rate_limit", code=80005, wait_minutes=3)
    answer = graph.get(f"/v22.0/{FORM}/leads", headers=AUTH)
    assert answer.status_code == 400 and "Retry-After" not in answer.headers
    assert answer.get_json()["error"]["code"] == 80005
    (usage,) = json.loads(answer.headers["X-Business-Use-Case-Usage"]).values()
    assert usage[0]["type"] == "leadgen" and usage[0]["estimated_time_to_regain_access"] == 3
    assert json.loads(answer.headers["X-App-Usage"])["call_count"] == 100
    assert graph.get(f"/v22.0/{PAGE_ID}", headers=AUTH).status_code == 400  # still throttled: no kinder than Meta
    time.sleep(3 * 60 * 0.002)
    assert graph.get(f"/v22.0/{PAGE_ID}", headers=AUTH).status_code == 200


def test_app_usage_rises_with_calls(graph: Any) -> None:
    usage = [
        json.loads(graph.get(f"/v22.0/{PAGE_ID}", headers=AUTH).headers["X-App-Usage"])["call_count"] for _ in range(6)
    ]
    assert usage == sorted(usage) and usage[-1] > usage[0]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("reduce_data", 500, 1), ("unknown_id", 400, 100), ("transient", 500, 2), ("session_invalid", 400, 102)],
)
def test_injected_faults_answer_in_graph_form(fake: MetaFake, graph: Any, kind: str, status: int, code: int) -> None:
    fake.fail_next(kind)
    answer = graph.get(f"/v22.0/{FORM}", headers=AUTH)
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (status, code)
    assert "fbtrace_id" in answer.get_json()["error"]


def test_unknown_ids_are_100_33(graph: Any) -> None:
    error = graph.get("/v22.0/123456789", headers=AUTH).get_json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_test_leads_one_per_form_listed_and_deletable(graph: Any) -> None:
    data = json.dumps([{"name": "email", "values": ["grete.vogt@example.org"]}])
    created = graph.post(f"/v22.0/{FORM}/test_leads", data={"field_data": data}, headers=AUTH).get_json()
    assert graph.post(f"/v22.0/{FORM}/test_leads", headers=AUTH).status_code == 400
    listed = graph.get(f"/v22.0/{FORM}/test_leads?fields=field_data", headers=AUTH).get_json()["data"]
    assert listed == [{"field_data": json.loads(data), "id": created["id"]}]
    assert graph.delete(f"/v22.0/{created['id']}", headers=AUTH).get_json() == {"success": True}
    assert graph.post(f"/v22.0/{FORM}/test_leads", headers=AUTH).status_code == 200


def test_seeded_people_are_invented_german_and_european(fake: MetaFake) -> None:
    names = {f["values"][0] for lead in fake.leads.values() for f in lead["field_data"] if f["name"] == "last_name"}
    assert any(ch in "".join(names) for ch in "äöüßÖÜÄŁł")
    emails = [f["values"][0] for lead in fake.leads.values() for f in lead["field_data"] if f["name"] == "email"]
    assert all(email.endswith("@example.org") for email in emails)
    checks = {r["is_checked"] for lead in fake.leads.values() for r in lead.get("custom_disclaimer_responses", [])}
    assert checks == {"1", "0"}  # strings, as on Graph
