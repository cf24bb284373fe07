"""Browser journeys through the admin in Debian's Chromium (Playwright), as a new user would walk them.

They also save the screenshots docs/admin.md shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from connectors.sources.form_webhook import samples
from core.context import Context
from core.models import Delivery, RawRecord
from sync import delivery, pipeline
from tests.admin_helpers import PASSWORD, make_user
from tests.helpers import SIGNING_SECRET, Receiver, encode, signed_headers

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        message = "Debian's chromium is needed at /usr/bin/chromium (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def site(app: Flask, live_server: Any) -> tuple[str, Context]:
    ctx: Context = app.extensions["leadhub"]
    make_user(ctx, "ops@example.org", "admin")
    return live_server(app).url, ctx


@pytest.fixture
def page(browser: Any, site: tuple[str, Context]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site[0])
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any) -> None:
    page.goto("/admin/")
    assert "/admin/login" in page.url
    shot(page, "login")
    page.fill("input[name=email]", "ops@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")


def process_pending(ctx: Context) -> None:
    """Stand in for the worker: process what the web process stored, then send what that caused."""
    with ctx.db.session() as session:
        pending = session.scalars(select(RawRecord.id).where(RawRecord.status == "pending")).all()
    for raw_id in pending:
        pipeline.process(ctx, raw_id)
    with ctx.db.session() as session:
        due = session.scalars(select(Delivery.id).where(Delivery.status == "pending")).all()
    for delivery_id in due:
        delivery.attempt(ctx, delivery_id)


def test_a_new_admin_connects_a_form_maps_it_and_follows_a_lead_to_a_vendor(
    page: Any, site: tuple[str, Context], live_server: Any
) -> None:
    base, ctx = site
    log_in(page)
    assert page.locator("text=No leads in this range yet").is_visible()

    # add a webhook source through the connections screen
    page.click("text=Connections")
    page.select_option("select[name=platform]", "form_webhook")
    page.click("text=Continue")
    page.fill("input[name=name]", "careers")
    page.fill("input[name=secret_signing_secret]", SIGNING_SECRET)
    page.click("button:has-text('Create')")
    page.wait_for_selector("text=Connection careers created.")
    assert page.locator("code", has_text="/hooks/form_webhook/careers").is_visible()

    # a vendor endpoint, checked with a test event
    receiver = Receiver(secrets=[])
    vendor = live_server(receiver.app())
    page.click("text=Webhooks")
    page.fill("#endpoint-form input[name=name]", "vendor-crm")
    page.fill("#endpoint-form input[name=url]", f"{vendor.url}/hook")
    page.check("input[value='lead.captured']")
    page.click("button:has-text('Add endpoint')")
    flash = page.locator(".flash").inner_text()
    receiver.secrets.append(flash.split("give it to the vendor now: ")[1].strip())
    page.click("#send-test")
    page.wait_for_selector("text=Test event delivered")
    assert receiver.arrivals[-1].verified
    shot(page, "webhook-endpoint")

    # leads arrive by webhook and are processed
    for n in range(6):
        body = encode(samples.submission(n, prefix="ui"))
        assert (
            requests.post(
                f"{base}/hooks/form_webhook/careers", data=body, headers=signed_headers(body), timeout=10
            ).status_code
            == 202
        )
    process_pending(ctx)
    assert len([a for a in receiver.arrivals if b"lead.captured" in a.body]) == 6

    # the mapping editor: change a transform, the preview changes, publish and replay
    page.click("text=Connections")
    page.click("text=careers")
    shot(page, "connection")
    page.click("text=Mapping editor")
    draft = page.input_value("#draft")
    city = samples.submission(5, prefix="ui")["fields"]["city"]
    assert city in page.locator(".mapped").first.inner_text()
    page.fill(
        "#draft",
        draft.replace(
            "person.city:\n    path:\n    - fields.city\n    - fields.ort\n    transforms:\n    - trim",
            "person.city:\n    path:\n    - fields.city\n    - fields.ort\n    transforms:\n    - trim\n    - upper",
        ),
    )
    page.click("#preview-button")
    page.wait_for_selector("#diff")
    assert city.upper() in page.locator(".mapped").first.inner_text()
    shot(page, "mapping-editor")
    page.click("#publish-button")
    page.wait_for_selector("text=Published mapping version 2. Replayed: 6 leads updated")

    # the person's timeline shows the lead, its stages and the delivery
    page.click("text=Persons")
    page.locator("table a").first.click()
    page.wait_for_selector("table.timeline")
    timeline = page.locator("table.timeline").inner_text()
    assert "Lead from form_webhook" in timeline and "webhook → vendor-crm" in timeline
    shot(page, "person-timeline")

    # a dead letter, replayed from the deliveries screen
    receiver.script = [400]
    body = encode(samples.submission(99, prefix="ui"))
    requests.post(f"{base}/hooks/form_webhook/careers", data=body, headers=signed_headers(body), timeout=10)
    process_pending(ctx)
    page.goto("/admin/deliveries/?status=dead")
    assert page.locator("span.badge.dead").count() == 1
    page.click("#replay-dead")
    page.wait_for_selector("text=1 dead deliveries queued again")
    process_pending(ctx)
    page.goto("/admin/deliveries/?status=dead")
    assert page.locator("text=No deliveries match").is_visible()
    page.goto("/admin/deliveries/")
    shot(page, "deliveries")

    # the dashboard reads at a glance, the rules show what they match
    page.click("text=Dashboard")
    assert page.locator("svg.funnel").is_visible()
    assert "landing_page" in page.locator("table").inner_text()
    shot(page, "dashboard")
    page.click("text=Rules")
    assert page.locator(".rule-count").count() >= 3
    shot(page, "rules")
    page.click("text=Audit log")
    assert "mapping.publish" in page.locator("table").inner_text()
    shot(page, "audit-log")
