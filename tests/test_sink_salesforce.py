"""The Salesforce sink against its fake over real HTTP, through the delivery engine (issue 5 acceptance)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

import connectors.sinks.salesforce as salesforce
from connectors.sinks.salesforce.fake import SANDBOX_TOKEN, SalesforceFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired, ConfigurationError
from core.models import Connection, Delivery, DeliveryAttempt, RemoteRecord
from sync import connections, delivery
from tests import sink_helpers
from tests.sink_helpers import again, capture, form_connection, make_due, wait_s

EXT = "LeadHub_Person_Id__c"


@pytest.fixture
def fake() -> SalesforceFake:
    return SalesforceFake()


@pytest.fixture
def crm(ctx: Context, live_server: Any, fake: SalesforceFake) -> str:
    url: str = live_server(fake.app()).url
    connections.create(ctx, "sf", "salesforce", {"base_url": url, "timeout_s": 2.0}, {"access_token": SANDBOX_TOKEN})
    return url


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def deliveries(ctx: Context) -> list[Delivery]:
    return sink_helpers.deliveries(ctx, "salesforce")


def set_settings(ctx: Context, **values: Any) -> None:
    sink_helpers.set_settings(ctx, "sf", **values)


def connection(ctx: Context) -> Connection:
    return sink_helpers.connection(ctx, "sf")


def test_a_qualified_lead_becomes_a_lead_upserted_by_the_person_id(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(1))
    [row] = deliveries(ctx)
    assert delivery.attempt(ctx, row.id) == "delivered"
    [lead] = fake.leads()
    fields = samples.submission(1)["fields"]
    assert (lead["LastName"], lead["Email"]) == (fields["last_name"], fields["email"])
    assert lead["Company"] == "[not provided]"
    assert lead["LeadSource"] == "Web" and lead["Description"].startswith("Bevorzugte Schicht: ")
    assert lead[EXT].startswith("per_") and lead["Phone"].startswith("+49")
    method, path, body, _ = fake.requests[-1]
    assert (method, path) == ("PATCH", f"/services/data/v62.0/sobjects/Lead/{EXT}/{lead[EXT]}") and EXT not in body
    with ctx.db.session() as session:
        remote = session.scalar(select(RemoteRecord))
    assert (remote.subject_type, remote.remote_id, remote.remote_kind) == ("person", lead["Id"], "Lead")
    with ctx.db.session() as session:
        summary = session.scalar(select(DeliveryAttempt.request_summary))
    assert summary == f"PATCH /services/data/v62.0/sobjects/Lead/{EXT}/{lead[EXT]} (api-usage=1/15000)"


def test_the_same_person_again_updates_the_lead_and_keeps_what_a_recruiter_typed(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(2))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    [lead] = fake.leads()
    fake.org.leads[lead["Id"]]["Company"] = "Klinikum Nord"  # a recruiter filled it in
    capture(ctx, source, again(2, "again"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    [lead] = fake.leads()
    assert lead["Company"] == "Klinikum Nord" and deliveries(ctx)[1].remote_id == lead["Id"]


def test_leadsource_follows_the_connections_mapping_and_falls_back_to_its_default(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    set_settings(ctx, lead_source_map={"landing_page": "Partner Referral"})
    capture(ctx, source, samples.submission(3))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    set_settings(ctx, lead_source_map={"landing_page": None}, lead_source_default="Purchased List")
    capture(ctx, source, samples.submission(4))
    delivery.attempt(ctx, deliveries(ctx)[1].id)
    set_settings(ctx, lead_source_map={}, lead_source_default="Phone Inquiry")
    capture(ctx, source, samples.submission(5))
    delivery.attempt(ctx, deliveries(ctx)[2].id)
    assert [lead.get("LeadSource") for lead in fake.leads()] == ["Partner Referral", "Purchased List", "Web"]


def test_a_duplicate_rule_match_is_dead_lettered_with_the_matching_lead(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    email = samples.submission(6)["fields"]["email"]
    other = fake.org.create({"LastName": "Sales", "Company": "X", "Email": email.upper()}, True, "v62.0")
    capture(ctx, source, samples.submission(6))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    error = deliveries(ctx)[0].last_error
    assert "DUPLICATES_DETECTED: Use one of these records?" in error and other["Id"] in error
    assert "Standard_Lead_Duplicate_Rule" in error and "allow_duplicates" in error
    assert len(fake.leads()) == 1


def test_allow_duplicates_saves_past_an_alerting_rule_but_not_a_blocking_one(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    set_settings(ctx, allow_duplicates=True)
    for n in (7, 8):
        fake.org.create({"LastName": "Sales", "Company": "X", "Email": samples.submission(n)["fields"]["email"]},
                        True, "v62.0")
        capture(ctx, source, samples.submission(n))
    first, second = deliveries(ctx)
    assert delivery.attempt(ctx, first.id) == "delivered"  # the standard rule only alerts
    assert fake.requests[-1][3]["Sforce-Duplicate-Rule-Header"] == "allowSave=true"
    fake.org.duplicate_rule = "block"
    assert delivery.attempt(ctx, second.id) == "dead"
    assert "a blocking rule" in deliveries(ctx)[1].last_error


def test_an_unknown_field_is_dead_lettered_in_salesforces_words(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    set_settings(ctx, fields={"LeadHub_Campaign__c": "attribution.utm_campaign"})
    capture(ctx, source, samples.submission(9))
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "dead"
    error = deliveries(ctx)[0].last_error
    assert "INVALID_FIELD: No such column 'LeadHub_Campaign__c' on sobject of type Lead" in error
    fake.org.add_field("LeadHub_Campaign__c", "Campaign")  # the admin creates the field; a replay would now pass
    capture(ctx, source, samples.submission(10))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    assert fake.leads()[0]["LeadHub_Campaign__c"] == samples.submission(10)["utm"]["campaign"]


def test_a_converted_lead_is_dead_lettered_with_words(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(11))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    fake.convert(fake.leads()[0]["Id"])
    capture(ctx, source, again(11, "after-conversion"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "dead"
    assert "CANNOT_UPDATE_CONVERTED_LEAD: cannot reference converted lead" in deliveries(ctx)[1].last_error


def test_the_daily_api_limit_waits_long_and_does_not_ask_for_reauthorisation(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(12))
    fake.api_limit = 0
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    row = deliveries(ctx)[0]
    assert 3590 <= wait_s(row) <= 3601 and "REQUEST_LIMIT_EXCEEDED" in row.last_error
    assert "api-usage=0/0" in row.last_error and connection(ctx).status != "needs_reauth"


def test_a_503_with_retry_after_is_honoured(ctx: Context, source: str, crm: str, fake: SalesforceFake) -> None:
    capture(ctx, source, samples.submission(13))
    fake.fail_next(503, headers={"Retry-After": "120"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert 118 <= wait_s(deliveries(ctx)[0]) <= 121
    assert "SERVER_UNAVAILABLE" in deliveries(ctx)[0].last_error


def test_a_ten_minute_outage_ends_and_every_lead_arrives(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    ctx.settings.retry_schedule = [0.0, 5.0, 300.0, 1800.0]
    for n in range(14, 19):
        capture(ctx, source, samples.submission(n))
    fake.outage(600)
    for _ in range(5):
        waiting = [d for d in deliveries(ctx) if d.status == "pending"]
        if not waiting:
            break
        fake.advance(max(0.0, max(wait_s(d) for d in waiting)))
        make_due(ctx)
        for row in waiting:
            delivery.attempt(ctx, row.id)
    rows = deliveries(ctx)
    assert {d.status for d in rows} == {"delivered"} and {d.attempt_count for d in rows} == {4}
    assert len(fake.leads()) == 5


@pytest.mark.parametrize("version", ["v62.0", "v45.0"], ids=["update-200", "update-204"])
def test_a_create_that_timed_out_is_retried_without_a_second_lead(
    ctx: Context, source: str, crm: str, fake: SalesforceFake, version: str
) -> None:
    set_settings(ctx, api_version=version)
    capture(ctx, source, samples.submission(19))
    fake.delay_next(3.0)  # Salesforce creates the Lead, then answers after our 2 s timeout
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    assert "did not answer within 2 s" in deliveries(ctx)[0].last_error and len(fake.leads()) == 1
    make_due(ctx)
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"
    [lead] = fake.leads()
    assert deliveries(ctx)[0].remote_id == lead["Id"]


def test_an_invalid_session_flags_the_connection_and_a_new_token_resumes_it(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(20))
    fake.revoke()
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "pending"
    conn = connection(ctx)
    assert conn.status == "needs_reauth" and "INVALID_SESSION_ID" in str(conn.status_message)
    assert "set-secret sf access_token" in str(conn.status_message)
    fake.tokens.add("00D5g000004sandbox!fresh")
    connections.update_secrets(ctx, "sf", {"access_token": "00D5g000004sandbox!fresh"})
    assert delivery.attempt(ctx, deliveries(ctx)[0].id) == "delivered"


def test_a_lead_deleted_in_salesforce_is_created_again(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(21))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    fake.org.leads.clear()
    capture(ctx, source, again(21, "after-delete"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "delivered"
    [lead] = fake.leads()
    assert lead["Company"] == "[not provided]" and deliveries(ctx)[1].remote_id == lead["Id"]


def test_two_leads_with_one_external_id_are_dead_lettered_with_both(
    ctx: Context, source: str, crm: str, fake: SalesforceFake
) -> None:
    capture(ctx, source, samples.submission(22))
    delivery.attempt(ctx, deliveries(ctx)[0].id)
    [lead] = fake.leads()
    fake.org.duplicate_rule = None
    twin = fake.org.create({"LastName": "Twin", "Company": "X"}, True, "v62.0")
    twin[EXT] = lead[EXT]  # a data load wrote the same value while the field was not Unique
    capture(ctx, source, again(22, "twice"))
    assert delivery.attempt(ctx, deliveries(ctx)[1].id) == "dead"
    error = deliveries(ctx)[1].last_error
    assert f"2 Leads have {EXT}" in error and lead["Id"] in error and twin["Id"] in error


def test_check_accepts_a_ready_org_and_names_what_is_missing(ctx: Context, crm: str, fake: SalesforceFake) -> None:
    salesforce.check(connections.find(ctx, "sf"), requests.Session())
    set_settings(ctx, external_id_field="Candidate_Ref__c")
    with pytest.raises(ConfigurationError, match="no External ID field Candidate_Ref__c"):
        salesforce.check(connections.find(ctx, "sf"), requests.Session())
    set_settings(ctx, external_id_field=EXT, lead_source_map={"landing_page": "Karriereseite"})
    fake.org.fields["LeadSource"]["restrictedPicklist"] = True
    with pytest.raises(ConfigurationError, match=r"restricted picklist without the value\(s\) Karriereseite"):
        salesforce.check(connections.find(ctx, "sf"), requests.Session())
    fake.revoke()
    with pytest.raises(AuthExpired, match="INVALID_SESSION_ID"):
        salesforce.check(connections.find(ctx, "sf"), requests.Session())
