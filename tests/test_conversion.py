"""Lead → application: via the API or the signed link; the source is credited and every lead linked."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from admin import apikeys
from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Application, ApplicationLead, Attachment, Event, Lead, StageChange
from sync import connections, pipeline
from tests.helpers import SIGNING_SECRET, encode
from webhooks import inbox

PDF = b"%PDF-1.4\n% invented CV\n"


@pytest.fixture
def hub(app: Any) -> Context:
    ctx: Context = app.extensions["leadhub"]
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    return ctx


def capture(ctx: Context, n: int, prefix: str = "c") -> str:
    conn = connections.find(ctx, "careers")
    raw = inbox.store(ctx, conn.id, "form_webhook", encode(samples.submission(n, prefix=prefix)))
    lead_id = pipeline.process(ctx, raw).lead_id
    assert lead_id
    return lead_id


def auth(ctx: Context, role: str = "editor") -> dict[str, str]:
    return {"Authorization": f"Bearer {apikeys.create(ctx, 'test', role)[1]}"}


def test_convert_through_the_api_links_every_lead_and_credits_the_first_source(client: Any, hub: Context) -> None:
    first = capture(hub, 1, "a")
    second_submission = samples.submission(1, prefix="b")  # the same person again, later
    conn = connections.find(hub, "careers")
    second = pipeline.process(hub, inbox.store(hub, conn.id, "form_webhook", encode(second_submission))).lead_id
    response = client.post(
        f"/api/v1/leads/{second}/convert", json={"job": {"external_id": "J-7", "title": "Pflege"}}, headers=auth(hub)
    )
    assert response.status_code == 201, response.get_json()
    application_id = response.get_json()["application_id"]
    with hub.db.session() as session:
        application = session.get(Application, application_id)
        linked = set(session.scalars(select(ApplicationLead.lead_id)))
        stages = {lead.id: lead.stage for lead in session.scalars(select(Lead))}
        event = session.scalar(select(Event).where(Event.type == "application.created"))
    assert application.source == "Career site"
    assert linked == {first, second}
    assert set(stages.values()) == {"converted"}
    assert event.payload["lead_ids"] == [first, second] and event.payload["job"]["external_id"] == "J-7"
    again = client.post(f"/api/v1/leads/{first}/convert", json={"job": {"external_id": "J-7"}}, headers=auth(hub))
    assert again.get_json()["application_id"] == application_id  # same person, same job: one application


def test_the_api_refuses_missing_keys_and_viewer_keys(client: Any, hub: Context) -> None:
    lead = capture(hub, 2)
    assert client.post(f"/api/v1/leads/{lead}/convert", json={"job": {"external_id": "J"}}).status_code == 401
    refused = client.post(
        f"/api/v1/leads/{lead}/convert", json={"job": {"external_id": "J"}}, headers=auth(hub, "viewer")
    )
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


def test_the_application_link_prefills_activates_and_converts_with_a_cv(client: Any, hub: Context) -> None:
    lead_id = capture(hub, 3)
    link = client.post(
        f"/api/v1/leads/{lead_id}/application-link",
        json={"job": {"external_id": "J-9", "title": "Pflegefachkraft"}},
        headers=auth(hub),
    )
    path = re.sub(r"^https?://[^/]+", "", link.get_json()["url"])
    page = client.get(path)
    person = samples.submission(3)["fields"]
    assert page.status_code == 200
    assert person["email"] in page.get_data(as_text=True) and "Lebenslauf" in page.get_data(as_text=True)
    with hub.db.session() as session:
        assert session.get(Lead, lead_id).stage == "activated"
    missing = client.post(path, data={}, content_type="multipart/form-data")
    assert missing.status_code == 400
    done = client.post(
        path, data={"cv": (io.BytesIO(PDF), "lebenslauf.pdf", "application/pdf")}, content_type="multipart/form-data"
    )
    assert done.status_code == 200 and "Danke" in done.get_data(as_text=True)
    with hub.db.session() as session:
        attachment = session.scalar(select(Attachment))
        changes = [
            c.to_stage
            for c in session.scalars(
                select(StageChange).where(StageChange.subject_id == lead_id).order_by(StageChange.at)
            )
        ]
    assert attachment.filename == "lebenslauf.pdf" and attachment.content == PDF
    assert changes == ["captured", "qualified", "activated", "converted"]


def test_a_tampered_or_expired_link_explains_itself(client: Any, hub: Context) -> None:
    assert client.get("/apply/not-a-real-token").status_code == 404
    assert "not valid" in client.get("/apply/not-a-real-token").get_data(as_text=True)


def test_a_cv_of_the_wrong_type_is_refused_with_a_reason(client: Any, hub: Context) -> None:
    lead = capture(hub, 4)
    response = client.post(
        f"/api/v1/leads/{lead}/convert",
        headers=auth(hub),
        content_type="multipart/form-data",
        data={"job_external_id": "J", "cv": (io.BytesIO(b"MZ..."), "cv.exe", "application/x-msdownload")},
    )
    assert response.status_code == 400 and "PDF, Word or text" in response.get_json()["detail"]


def test_the_funnel_counts_a_conversion_on_its_channel_with_the_time_it_took(client: Any, hub: Context) -> None:
    from admin import funnel

    lead = capture(hub, 5)
    client.post(f"/api/v1/leads/{lead}/convert", json={"job": {"external_id": "J-1"}}, headers=auth(hub))
    with hub.db.session() as session:
        total, channels = funnel.compute(session, funnel.Filters())
    assert total.steps["captured"] == 1 and total.steps["converted"] == 1 and total.steps["received"] == 1
    assert [c.label for c in channels] == ["landing_page"] and channels[0].steps["received"] == 1
    assert total.median_days_to_application is not None and total.median_days_to_application >= 0
