"""HubSpot progress read back over real HTTP against the fake: a recruiter's lead status or lifecycle stage change
makes the delivered, qualified lead ``activated`` (issue 5, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from connectors.sinks.hubspot.fake import HubSpotFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired
from core.models import Lead, RemoteRecord, StageChange, SyncState
from sync import activation, delivery
from tests import sink_helpers
from tests.sink_helpers import capture, form_connection


@pytest.fixture
def fake() -> HubSpotFake:
    return HubSpotFake()


@pytest.fixture
def crm(ctx: Context, live_server: Any, fake: HubSpotFake) -> str:
    """A HubSpot connection against the fake, its properties set up; returns the fake's URL."""
    return sink_helpers.hubspot_connection(ctx, live_server(fake.app()).url)


@pytest.fixture
def source(ctx: Context) -> str:
    return form_connection(ctx)


def delivered(ctx: Context, source: str, n: int) -> tuple[str, str]:
    """Capture submission ``n`` (qualified), deliver it to HubSpot; the lead id and its contact id."""
    lead_id = capture(ctx, source, samples.submission(n))
    pending = [d for d in sink_helpers.deliveries(ctx, "hubspot") if d.status == "pending"]
    for row in pending:
        delivery.attempt(ctx, row.id)
    with ctx.db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.stage == "qualified"
        contact_id = session.scalar(select(RemoteRecord.remote_id).where(RemoteRecord.subject_id == lead.person_id))
    assert contact_id, "the delivery recorded no contact id"
    return lead_id, contact_id


def stage(ctx: Context, lead_id: str) -> str:
    with ctx.db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.stage


def changes(ctx: Context, lead_id: str) -> list[tuple[str | None, str, str | None]]:
    with ctx.db.session() as session:
        rows = session.scalars(select(StageChange).where(StageChange.subject_id == lead_id).order_by(StageChange.at))
        return [(r.from_stage, r.to_stage, r.reason) for r in rows]


def test_a_contact_marked_in_progress_activates_its_lead_once(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    lead_id, contact_id = delivered(ctx, source, 1)
    assert activation.poll_crm(ctx, "crm") == 0  # just delivered: lifecycle stage "lead" is leadhub's own
    fake.change(contact_id, hs_lead_status="IN_PROGRESS")
    assert activation.poll_crm(ctx, "crm") == 1
    assert stage(ctx, lead_id) == "activated"
    assert changes(ctx, lead_id)[-1] == ("qualified", "activated", "HubSpot lead status IN_PROGRESS")
    assert activation.poll_crm(ctx, "crm") == 0
    assert [c[1] for c in changes(ctx, lead_id)].count("activated") == 1
    [search, *_] = fake.calls("/search")
    filters = {f["propertyName"]: f for g in search["filterGroups"] for f in g["filters"]}
    assert filters["lastmodifieddate"]["operator"] == "GTE"
    with ctx.db.session() as session:
        assert session.scalar(select(SyncState.state).where(SyncState.stream == "progress"))["since"]


def test_an_unrelated_change_does_not_activate(ctx: Context, source: str, crm: str, fake: HubSpotFake) -> None:
    lead_id, contact_id = delivered(ctx, source, 2)
    fake.change(contact_id, hs_lead_status="UNQUALIFIED", city="Köln")
    assert activation.poll_crm(ctx, "crm") == 0
    assert stage(ctx, lead_id) == "qualified"
    assert [c[1] for c in changes(ctx, lead_id)] == ["captured", "qualified"]


def test_a_later_lifecycle_stage_activates_and_the_progress_values_are_settings(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    first, first_contact = delivered(ctx, source, 3)
    second, second_contact = delivered(ctx, source, 4)
    sink_helpers.set_settings(ctx, "crm", progress_lead_statuses=["CONNECTED"], progress_lifecycle_stages="opportunity")
    fake.change(first_contact, lifecyclestage="salesqualifiedlead")  # not progress under these settings
    fake.change(second_contact, lifecyclestage="opportunity")
    assert activation.poll_crm(ctx, "crm") == 1
    assert (stage(ctx, first), stage(ctx, second)) == ("qualified", "activated")
    assert changes(ctx, second)[-1][2] == "HubSpot lifecycle stage opportunity"


def test_progress_is_read_over_several_pages(ctx: Context, source: str, crm: str, fake: HubSpotFake) -> None:
    sink_helpers.set_settings(ctx, "crm", progress_page_size=2)
    leads = [delivered(ctx, source, n) for n in range(5, 10)]
    for _, contact_id in leads:
        fake.change(contact_id, hs_lead_status="CONNECTED")
    assert activation.poll_crm(ctx, "crm") == 5
    assert {stage(ctx, lead_id) for lead_id, _ in leads} == {"activated"}
    assert len(fake.calls("/search")) >= 3  # 5 contacts at 2 a page
    assert [c["after"] for c in fake.calls("/search")[-3:]] == ["0", "2", "4"]


def test_a_contact_leadhub_did_not_create_is_ignored_and_sink_sync_says_what_it_did(
    ctx: Context, source: str, crm: str, fake: HubSpotFake
) -> None:
    lead_id, _ = delivered(ctx, source, 10)
    other = fake.portal.create({"email": "someone@example.com"}, fake.now())
    fake.change(other["id"], hs_lead_status="OPEN_DEAL")
    assert activation.poll_sink(ctx, "crm") == "0 leads activated by progress in the CRM."
    assert stage(ctx, lead_id) == "qualified"


def test_a_revoked_token_is_said_in_words(ctx: Context, source: str, crm: str, fake: HubSpotFake) -> None:
    fake.revoke()
    with pytest.raises(AuthExpired, match="set-secret crm access_token"):
        activation.poll_crm(ctx, "crm")
