"""The TikTok sandbox fake behaves like the platform; the connector's pure parts (envelope, records, signature)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.sources.tiktok_leads import notices, record, signature
from connectors.sources.tiktok_leads.envelope import unwrap
from connectors.sources.tiktok_leads.fake import TikTokFake
from connectors.sources.tiktok_leads.settings import TikTokSettings
from core.errors import AuthExpired, RateLimited, SignatureInvalid, SourceError

FIXTURES = Path(__file__).resolve().parent.parent / "connectors" / "sources" / "tiktok_leads" / "fixtures"
API = "/open_api/v1.3"
# HMAC-SHA256 vectors computed with `openssl dgst -sha256 -hmac test_app_secret` over these exact bytes.
BODY = (
    b'{"lead_id":"7400000000000000001","advertiser_id":"7001234567890123456",'
    b'"page_id":"7323456000000000000","create_time":1795167400}'
)
RAW_SIGNATURE = "c9704e0cb08d8140fc5c39e9c421e57b4840a84eb504027dd2454193d52d4e03"
TIMESTAMPED_SIGNATURE = "t=1795167400,s=f172c91e220ef1ff101218694c3fc1c219fe1a1309d160bc3d501210a7a99122"


@pytest.fixture
def fake() -> TikTokFake:
    return TikTokFake(forms=3)


@pytest.fixture
def api(fake: TikTokFake) -> Any:
    client = fake.app().test_client()

    def call(path: str, token: str | None = None, method: str = "GET", **params: Any) -> Any:
        headers = {"Access-Token": fake.token if token is None else token}
        params.setdefault("advertiser_id", fake.advertiser_id)
        if method == "POST":
            return client.post(API + path, json=params, headers=headers)
        return client.get(API + path, query_string=params, headers=headers)

    return call


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("token", "params", "code"),
    [
        ("", {}, 40104),
        ("revoked", {}, 40105),
        (None, {"advertiser_id": ""}, 40002),
        (None, {"advertiser_id": "7000000000000000000"}, 40001),
    ],
    ids=["no token", "wrong token", "no advertiser", "foreign advertiser"],
)
def test_errors_are_http_200_with_a_non_zero_code_in_the_envelope(
    api: Any, token: str | None, params: dict[str, Any], code: int
) -> None:
    response = api("/page/get/", token=token, **params)
    assert response.status_code == 200
    assert set(response.get_json()) == {"code", "message", "request_id", "data"}
    assert response.get_json()["code"] == code


def test_throttling_refuses_every_request_for_the_window_then_serves(fake: TikTokFake, api: Any) -> None:
    fake.rate_limit_window_s = 600
    fake.fail_next("rate_limit")
    assert [api("/page/get/").get_json()["code"] for _ in range(3)] == [40100, 40100, 40100]
    fake.advance(601)
    assert api("/page/get/").get_json()["code"] == 0


def test_forms_page_with_page_info_to_the_last_page(api: Any) -> None:
    pages = [api("/page/get/", page=n, page_size=2).get_json()["data"] for n in (1, 2, 3)]
    assert [len(p["list"]) for p in pages] == [2, 1, 0]
    assert pages[1]["page_info"] == {"page": 2, "page_size": 2, "total_number": 3, "total_page": 2}
    assert api("/page/get/", page_size=101).get_json()["code"] == 40002


def test_fields_parameter_projects_the_forms(api: Any) -> None:
    items = api("/page/get/", fields='["page_name"]').get_json()["data"]["list"]
    assert all(set(item) == {"page_id", "page_name"} for item in items)


def test_export_file_expires_ten_minutes_after_it_was_generated(fake: TikTokFake, api: Any) -> None:
    fake.add_leads(2)
    task_id = api("/page/lead/task/", page_id=fake.forms[0].page_id).get_json()["data"]["task_id"]
    assert api("/page/lead/task/download/", task_id=task_id).get_json()["code"] == 40000  # not finished yet
    assert [api("/page/lead/task/", task_id=task_id).get_json()["data"]["status"] for _ in range(2)] == [
        "RUNNING",
        "SUCCEED",
    ]
    fake.advance(599)
    download = api("/page/lead/task/download/", task_id=task_id)
    assert download.mimetype == "text/csv" and len(download.data.decode().splitlines()) == 3
    fake.advance(2)
    expired = api("/page/lead/task/download/", task_id=task_id).get_json()
    assert expired["code"] == 40000 and "expired" in expired["message"]


def test_test_leads_are_created_read_and_deleted_only_through_the_mock_endpoints(fake: TikTokFake, api: Any) -> None:
    page_id = fake.forms[0].page_id
    lead = api("/page/lead/mock/create/", method="POST", page_id=page_id).get_json()["data"]
    assert lead["is_test"] is True
    assert [x["lead_id"] for x in api("/page/lead/mock/get/", page_id=page_id).get_json()["data"]["list"]] == [
        lead["lead_id"]
    ]
    assert api("/lead/get/", lead_ids=json.dumps([lead["lead_id"]])).get_json()["data"]["list"] == []
    assert api("/page/lead/mock/delete/", method="POST", lead_id=lead["lead_id"]).get_json()["code"] == 0
    assert api("/page/lead/mock/get/", page_id=page_id).get_json()["data"]["list"] == []


def test_fixtures_have_the_shape_the_fake_answers_with(fake: TikTokFake, api: Any) -> None:
    """The fixtures were recorded from the fake; this fails when one of them drifts from it."""
    (lead,) = fake.add_leads(1)
    page = api("/page/get/", page=1, page_size=2).get_json()
    assert set(page["data"]) == set(fixture("pages_page1.json")["data"])
    assert set(page["data"]["list"][0]) == set(fixture("pages_page1.json")["data"]["list"][0])
    task = api("/page/lead/task/", page_id=fake.forms[0].page_id).get_json()
    assert set(task["data"]) == set(fixture("task_created.json")["data"])
    polled = api("/page/lead/task/", task_id=task["data"]["task_id"]).get_json()
    assert set(polled["data"]) == set(fixture("task_running.json")["data"])
    done = api("/page/lead/task/", task_id=task["data"]["task_id"]).get_json()["data"]
    assert done["status"] == fixture("task_succeeded.json")["data"]["status"] == "SUCCEED"
    last = fixture("pages_page2.json")["data"]["page_info"]
    assert last["page"] == last["total_page"] == 2 and len(fixture("pages_page2.json")["data"]["list"]) == 1
    got = api("/lead/get/", lead_ids=json.dumps([lead["lead_id"]])).get_json()["data"]["list"][0]
    assert set(got) == set(fixture("lead_get.json")["data"]["list"][0])
    header = (FIXTURES / "leads_export.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == fake.forms[0].columns()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error_rate_limited.json", RateLimited),
        ("error_token_expired.json", AuthExpired),
        ("error_token_invalid.json", AuthExpired),
        ("error_file_expired.json", SourceError),
    ],
)
def test_envelope_codes_become_typed_errors(name: str, error: type[Exception]) -> None:
    response = requests.Response()
    response.status_code, response._content = 200, (FIXTURES / name).read_bytes()
    with pytest.raises(error) as raised:
        unwrap(response, TikTokSettings.of({"rate_limit_wait_s": "7"}))
    assert type(raised.value) is error
    if isinstance(raised.value, RateLimited):
        assert raised.value.retry_after_s == 7.0


def test_code_sets_are_configurable() -> None:
    response = requests.Response()
    response.status_code, response._content = 200, b'{"code": 51021, "message": "QPM exceeded", "data": {}}'
    with pytest.raises(RateLimited):
        unwrap(response, TikTokSettings.of({"rate_limit_codes": "40100, 51021"}))
    response._content = (FIXTURES / "error_token_expired.json").read_bytes()
    with pytest.raises(SourceError) as raised:
        unwrap(response, TikTokSettings.of({"auth_error_codes": [40105]}))
    assert not isinstance(raised.value, AuthExpired)


def test_a_csv_row_and_a_fetched_lead_flatten_alike() -> None:
    text = (FIXTURES / "leads_export.csv").read_text(encoding="utf-8")
    row = next(csv.DictReader(io.StringIO(text)))
    pulled = record.flatten({**{k: v or None for k, v in row.items()}, "advertiser_id": "7001234567890123456"})
    fetched = record.flatten(record.row_from_api(fixture("lead_get.json")["data"]["list"][0]))
    assert pulled == fetched
    assert pulled["fields"]["phone_number"] == "0176-22074937"
    assert [a["key"] for a in pulled["answers"]] == [
        "wie_viele_jahre_berufserfahrung_haben_sie",
        "ab_wann_können_sie_starten",
    ]
    assert pulled["consents"] == [
        {
            "purpose": "einwilligung_aufnahme_in_den_talentpool",
            "granted": False,
            "text": "Einwilligung: Aufnahme in den Talentpool",
            "source": "tiktok",
        }
    ]
    assert record.lead_id({"\ufeffLead ID": "'7400000000000000001"}) == "7400000000000000001"


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Phone number", "phone_number"),
        ("E-Mail", "e_mail"),
        ("Ab wann können Sie starten?", "ab_wann_können_sie_starten"),
    ],
)
def test_question_labels_become_stable_keys(label: str, key: str) -> None:
    assert record.key(label) == key


def test_signatures_match_vectors_computed_with_openssl() -> None:
    assert signature.sign(BODY, "test_app_secret") == RAW_SIGNATURE
    assert signature.sign(BODY, "test_app_secret", "timestamped", 1795167400) == TIMESTAMPED_SIGNATURE
    signature.verify("sha256=" + RAW_SIGNATURE.upper(), BODY, ["old", "test_app_secret"], "raw", "H", 300)
    signature.verify(TIMESTAMPED_SIGNATURE, BODY, ["test_app_secret"], "timestamped", "H", 300, now=1795167500)
    with pytest.raises(SignatureInvalid, match="tolerance"):
        signature.verify(TIMESTAMPED_SIGNATURE, BODY, ["test_app_secret"], "timestamped", "H", 60, now=1795167500)


def test_a_delete_event_is_a_deleted_notice() -> None:
    (notice,) = notices(b'{"event": "lead.delete", "data": {"lead_id": "7400000000000000009"}}')
    assert (notice.external_id, notice.action) == ("7400000000000000009", "deleted")


def test_unknown_fault_and_unknown_signature_scheme_are_refused(fake: TikTokFake) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        fake.fail_next("gremlins")
    with pytest.raises(ValueError, match="signature_scheme"):
        TikTokSettings.of({"signature_scheme": "md5"})


def test_the_manifest_jinja_and_record_py_flatten_every_known_column_alike() -> None:
    """Drift guard: the Jinja twin in manifest.yaml must know the same metadata, standard and consent names."""
    import logging

    import yaml

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from airbyte_cdk.sources.declarative.interpolation.jinja import JinjaInterpolation

    root.handlers[:], root.level = handlers, level
    manifest = yaml.safe_load((FIXTURES.parent / "manifest.yaml").read_text(encoding="utf-8"))
    (leads,) = [s for s in manifest["streams"] if s.get("name") == "leads"]
    template = leads["transformations"][1]["fields"][0]["value"]
    labels = [*record.METADATA, *record.STANDARD, "Consent: Newsletter", "Opt-in SMS", "Führerschein Klasse B?"]
    row = {label: f"ja {n}" if n % 2 else "Yes" for n, label in enumerate(labels)}
    flat = JinjaInterpolation().eval(template, {}, record=row)
    expected = record.flatten(row)
    assert flat == {key: expected[key] for key in ("fields", "answers", "consents")}
    assert [c["purpose"] for c in flat["consents"]] == ["consent_newsletter", "opt_in_sms"]
    assert [a["key"] for a in flat["answers"]] == ["führerschein_klasse_b"]
