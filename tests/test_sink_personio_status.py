"""Personio has no status webhooks: `leadhub sync` polls the v2 applications list and moves our applications."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

import connectors.sinks.personio as personio
from connectors.sinks.personio.fake import CLIENT_ID, CLIENT_SECRET, COMPANY_ID, SANDBOX_TOKEN, PersonioFake
from connectors.sources.form_webhook import samples
from core.context import Context
from core.errors import AuthExpired, ConfigurationError
from core.models import Application, Event
from sync import applications, connections, conversion, delivery
from tests.sink_helpers import capture, form_connection

POSITION = 123456


@pytest.fixture
def fake() -> PersonioFake:
    found = PersonioFake()
    found.company.add_position(POSITION, "Pflegefachkraft")
    found.company.custom_phases.update({1001: "Telefoninterview", 1002: "Vorstellungsgespräch"})
    return found


@pytest.fixture
def delivered(ctx: Context, live_server: Any, fake: PersonioFake) -> list[tuple[str, str]]:
    """Three applications delivered and linked: (our id, Personio's id)."""
    url = live_server(fake.app()).url
    connections.create(ctx, "personio", "personio",
                       {"base_url": url, "company_id": COMPANY_ID, "phase_map": {"1002": "interview"}},
                       {"access_token": SANDBOX_TOKEN, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    source = form_connection(ctx)
    ours = []
    for n in (1, 2, 3):
        lead_id = capture(ctx, source, samples.submission(n), f"s-{n}")
        ours.append(conversion.convert(ctx, lead_id, str(POSITION), "Pflegefachkraft"))
    for delivery_id, _ in list(ctx.dispatch.deliveries):  # type: ignore[attr-defined]
        delivery.attempt(ctx, delivery_id)
    theirs = {a["email"]: a["id"] for a in fake.applications()}
    return [(app, theirs[samples.submission(n)["fields"]["email"]]) for app, n in zip(ours, (1, 2, 3), strict=True)]


def stages(ctx: Context, ids: list[str]) -> list[str]:
    with ctx.db.session() as session:
        return [session.get(Application, i).stage for i in ids]  # type: ignore[union-attr]


def test_polling_moves_applications_by_system_and_mapped_custom_phases(
    ctx: Context, delivered: list[tuple[str, str]], fake: PersonioFake
) -> None:
    (first, first_remote), (second, second_remote), (third, third_remote) = delivered
    fake.move(first_remote, "offer")
    fake.move(second_remote, 1002)  # mapped to interview
    fake.move(third_remote, 1001)  # not mapped: stays where it is
    assert applications.poll(ctx, "personio") == 2
    assert stages(ctx, [first, second, third]) == ["offer", "interview", "received"]
    fake.move(first_remote, "accepted", seconds_later=5)
    fake.move(second_remote, "rejected", seconds_later=5)
    assert applications.poll(ctx, "personio") == 2
    assert stages(ctx, [first, second, third]) == ["hired", "rejected", "received"]
    with ctx.db.session() as session:
        moved = session.scalars(select(Event).where(Event.type == "application.status_changed")).all()
    assert len(moved) == 4


def test_the_poll_reads_only_what_changed_since_the_last_one_across_pages(
    ctx: Context, delivered: list[tuple[str, str]], fake: PersonioFake
) -> None:
    conn = connections.find(ctx, "personio")
    every = personio.poll_statuses(conn, requests.Session(), None)
    assert every == []  # all three are unassigned, which maps to no stage of ours
    for _, remote in delivered:
        fake.move(remote, "offer", seconds_later=30)
    since = datetime.fromtimestamp(fake.now(), UTC) + timedelta(seconds=10)
    paged = dataclasses.replace(conn, settings={**conn.settings, "page_size": 2})
    changed = personio.poll_statuses(paged, requests.Session(), since)
    assert sorted(u.remote_application_id for u in changed) == sorted(r for _, r in delivered)
    assert {u.reason for u in changed} == {"Personio: phase Offer"}
    [first, following] = [args for path, args in fake.queries if path == "/v2/recruiting/applications"][-2:]
    assert first["updated_at.gt"] == since.isoformat().replace("+00:00", "Z") and first["limit"] == "2"
    assert set(following) == {"cursor"}  # Personio takes a cursor alone


def test_polling_needs_read_credentials_and_says_so(ctx: Context, live_server: Any, fake: PersonioFake) -> None:
    url = live_server(fake.app()).url
    connections.create(ctx, "personio", "personio", {"base_url": url, "company_id": COMPANY_ID},
                       {"access_token": SANDBOX_TOKEN})
    with pytest.raises(ConfigurationError, match="personio:recruiting:read"):
        applications.poll(ctx, "personio")
    connections.update_secrets(ctx, "personio", {"client_id": CLIENT_ID, "client_secret": "wrong"})
    with pytest.raises(AuthExpired, match="refused the v2 client credentials"):
        applications.poll(ctx, "personio")
    with pytest.raises(AuthExpired, match="refused the v2 client credentials"):
        personio.check(connections.find(ctx, "personio"), requests.Session())
    connections.update_secrets(ctx, "personio", {"client_secret": CLIENT_SECRET})
    personio.check(connections.find(ctx, "personio"), requests.Session())
