"""End to end over real HTTP: a Meta lead by webhook → qualified → HubSpot contact → application link with a CV →
Greenhouse application crediting "Meta Lead Ads" → Greenhouse stages back → the person's timeline with every hop."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import select

import connectors.sinks.hubspot as hubspot
from connectors.sinks.greenhouse.fake import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER_ID, GreenhouseFake
from connectors.sinks.hubspot.fake import SANDBOX_TOKEN, HubSpotFake
from connectors.sources.meta_lead_ads.fake import MetaFake
from core.context import Context
from core.models import Application, Delivery, Lead, RawRecord, RemoteRecord
from sync import connections, delivery, pipeline
from tests.test_conversion import PDF, auth
from tests.test_sink_greenhouse_status import SECRET as GREENHOUSE_SECRET
from tests.test_sink_greenhouse_status import stage_of
from tests.test_sink_hubspot import deliveries as hubspot_deliveries
from tests.test_source_meta_lead_ads_webhooks import (  # noqa: F401 - fake and hook are fixtures
    APP_SECRET,
    VERIFY_TOKEN,
    fake,
    hook,
    process_all,
)

PFLEGE_FORM = "551200000000101"  # kontakt_bewerbung (required) and talentpool: the Meta defaults map both
META_SOURCE_ID = 16  # "Meta Lead Ads" among the Greenhouse fake's sources
GREENHOUSE_JOB = 215725
JOB = {"external_id": "J-7", "title": "Pflegefachkraft (m/w/d)"}


@pytest.fixture
def crm(ctx: Context, live_server: Any) -> HubSpotFake:
    """HubSpot over HTTP with its contact properties set up, receiving qualified leads (its default route)."""
    api = HubSpotFake()
    url = live_server(api.app()).url
    connections.create(ctx, "crm", "hubspot", {"base_url": url, "timeout_s": 2}, {"access_token": SANDBOX_TOKEN})
    hubspot.check(connections.find(ctx, "crm"), requests.Session())
    return api


@pytest.fixture
def ats(ctx: Context, live_server: Any) -> GreenhouseFake:
    """Greenhouse over HTTP receiving applications, Meta leads credited to its "Meta Lead Ads" source."""
    api = GreenhouseFake()
    url = live_server(api.app()).url
    settings = {
        "base_url": url,
        "token_url": f"{url}/token",
        "user_id": SANDBOX_USER_ID,
        "job_ids": {JOB["external_id"]: GREENHOUSE_JOB},
        "source_ids": {"meta_lead_ads": META_SOURCE_ID},
        "route": {"events": ["application.created"]},
    }
    secrets = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
    connections.create(ctx, "gh", "greenhouse", settings, {**secrets, "webhook_secret": GREENHOUSE_SECRET})
    return api


def due(ctx: Context, sink: str) -> list[str]:
    """Deliveries to one sink that wait for a worker (the web role's queue has no worker in this test)."""
    with ctx.db.session() as session:
        return list(
            session.scalars(
                select(Delivery.id).where(Delivery.sink == sink, Delivery.status == "pending").order_by(Delivery.id)
            )
        )


def status_from_greenhouse(ctx: Context, ats: GreenhouseFake, hub_url: str, action: str, application: int) -> None:
    """Greenhouse posts a signed status web hook to the hub; a worker applies it."""
    sent = ats.webhooks.send(f"{hub_url}/hooks/greenhouse/gh", action, application, GREENHOUSE_SECRET)
    assert sent.ok, sent.status
    with ctx.db.session() as session:
        pending = select(RawRecord.id).where(RawRecord.kind == "status", RawRecord.status == "pending")
        [raw_id] = session.scalars(pending)
    assert pipeline.process(ctx, raw_id).status == "status"


def test_a_meta_lead_travels_to_hubspot_and_into_greenhouse_and_its_stages_come_back(
    ctx: Context, fake: MetaFake, hook: str, crm: HubSpotFake, ats: GreenhouseFake, dispatcher: Any  # noqa: F811
) -> None:
    hub_url = hook.split("/hooks/")[0]
    api = auth(ctx)

    # 1. Meta: the subscription handshake, then a signed leadgen delivery; the worker fetches the lead from Graph.
    fake.subscribe(hook, VERIFY_TOKEN, APP_SECRET)
    meta_lead = fake.add_lead(PFLEGE_FORM)
    assert fake.subscriptions[0].statuses == [202]
    assert process_all(ctx) == ["created"]
    with ctx.db.session() as session:
        lead = session.scalar(select(Lead).where(Lead.external_id == meta_lead["id"]))
    assert lead is not None and lead.platform_lead_key == meta_lead["id"]
    contact_consent = next(c for c in lead.data["consents"] if c["purpose"] == "recruiting_contact")
    assert contact_consent["platform_key"] == "kontakt_bewerbung" and contact_consent["granted"] is True
    assert lead.stage == "qualified"  # because of the Meta default consent-purpose map

    # 2. HubSpot: the qualified lead becomes a contact; its id is recorded.
    [to_crm] = hubspot_deliveries(ctx)
    assert [d for d, _ in dispatcher.deliveries] == [to_crm.id]
    assert delivery.attempt(ctx, to_crm.id) == "delivered"
    [contact] = crm.contacts()
    email = lead.data["person"]["email"]
    assert contact["email"] == email and contact["leadhub_channel"] == "meta"

    # 3. The recruiter sends the signed application link; the candidate opens it and uploads a CV.
    link = requests.post(f"{hub_url}/api/v1/leads/{lead.id}/application-link", json={"job": JOB}, headers=api,
                         timeout=10)
    assert link.status_code == 201, link.text
    page = requests.get(link.json()["url"], timeout=10)
    assert page.status_code == 200 and email in page.text
    done = requests.post(link.json()["url"], files={"cv": ("lebenslauf.pdf", PDF, "application/pdf")}, timeout=10)
    assert done.status_code == 200 and "Danke" in done.text
    with ctx.db.session() as session:
        application = session.scalar(select(Application).where(Application.person_id == lead.person_id))
        assert session.get(Lead, lead.id).stage == "converted"  # type: ignore[union-attr]
    assert application is not None and application.source == "Meta Lead Ads"

    # 4. Greenhouse: a candidate with the application for the job, credited to Meta Lead Ads, with the CV.
    [to_ats] = due(ctx, "greenhouse")
    assert due(ctx, "hubspot") == []  # HubSpot takes qualified leads only
    assert delivery.attempt(ctx, to_ats) == "delivered"
    [person] = ats.people()
    [theirs] = person["applications"]
    assert theirs["job_ids"] == [GREENHOUSE_JOB] and theirs["source_id"] == META_SOURCE_ID
    assert ats.org.sources[META_SOURCE_ID]["name"] == "Meta Lead Ads"
    assert [a["filename"] for a in theirs["attachments"]] == ["lebenslauf.pdf"]

    # 5. Greenhouse's stage changes come back by signed web hook.
    assert stage_of(ctx, application.id) == "received"
    ats.move(theirs["id"], "Phone Interview")
    status_from_greenhouse(ctx, ats, hub_url, "candidate_stage_change", theirs["id"])
    assert stage_of(ctx, application.id) == "interview"
    ats.hire(theirs["id"])
    status_from_greenhouse(ctx, ats, hub_url, "hire_candidate", theirs["id"])
    assert stage_of(ctx, application.id) == "hired"

    # 6. The person's timeline shows every hop, with the remote ids.
    answer = requests.get(f"{hub_url}/api/v1/persons/{lead.person_id}/timeline", headers=api, timeout=10)
    assert answer.status_code == 200, answer.text
    timeline = answer.json()
    entries = [(e["kind"], e["title"], e["detail"]) for e in timeline["entries"]]
    assert ("lead", "Lead from meta_lead_ads") in {(k, t) for k, t, _ in entries}
    assert any(k == "lead" and f"external id {meta_lead['id']}" in d for k, _, d in entries)
    assert ("delivery", "hubspot → crm") in {(k, t) for k, t, _ in entries}
    assert any(t == "hubspot → crm" and f"remote id {contact['id']}" in d for _, t, d in entries)
    assert any(t == "greenhouse → gh" and f"remote id {theirs['id']}" in d for _, t, d in entries)
    assert ("application", "Application (Meta Lead Ads)") in {(k, t) for k, t, _ in entries}
    assert any(k == "application" and f"ATS id {theirs['id']}" in d for k, _, d in entries)
    stage_titles = [t for k, t, _ in entries if k == "stage"]
    for move in ("lead new → captured", "lead captured → qualified", "lead qualified → activated",
                 "lead activated → converted", "application received → interview", "application interview → hired"):
        assert move in stage_titles
    events = [t for k, t, _ in entries if k == "event"]
    for event in ("lead.captured", "lead.qualified", "application.created", "application.status_changed"):
        assert event in events
    remote = {(r["subject_type"], r["remote_kind"], r["remote_id"]) for r in timeline["remote_ids"]}
    assert ("application", "application", str(theirs["id"])) in remote
    assert any(kind == "contact" and remote_id == contact["id"] for _, kind, remote_id in remote)
    with ctx.db.session() as session:
        recorded = {r.remote_id for r in session.scalars(select(RemoteRecord))}
    assert {contact["id"], str(theirs["id"])} <= recorded
