"""More browser journeys in Debian's Chromium: a Meta connection against its fake from add to synced leads,
and a review item merged then undone from the person page. They save screenshots docs/admin.md shows.

The browser, the live site and the helpers are the ones of ``tests/test_admin_browser.py``.
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask
from sqlalchemy import func, select

from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID
from core.context import Context
from core.models import Connection, Lead, Person, RawRecord, ReviewItem
from sync import connections
from tests import test_admin_browser as shared
from tests.helpers import SIGNING_SECRET, encode, signed_headers
from tests.test_admin_browser import log_in, process_pending, shot

browser, site, page = shared.browser, shared.site, shared.page  # its fixtures, registered in this module too

META_SCALE = 0.005  # one minute the fake announces lasts 0.3 s, in the fake and in the connector
LISA = {"first_name": "Lisa", "last_name": "Vogel", "city": "Hamburg", "postcode": "20095", "email": "lisa.v@gmail.com"}
CONSENTS = [{"purpose": "recruiting_contact", "granted": True, "text_version": "2026-03"}]
LISA_MAYBE = {"first_name": "Lisa", "last_name": "Vogel", "city": "Hamburg", "email": "lisa@firma.example"}


def run_worker_step(app: Flask) -> int:
    """Stand in for ``leadhub worker``: run every task the web process queued (and the tasks those queue) now."""
    huey = app.extensions["leadhub.dispatcher"].huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def count(ctx: Context, model: Any, *where: Any) -> int:
    """How many rows match, to check what the worker stored behind the screens."""
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_an_admin_adds_a_meta_connection_tests_it_and_syncs_its_leads(
    page: Any, site: tuple[str, Context], app: Flask, live_server: Any
) -> None:
    _base, ctx = site
    meta = MetaFake(time_scale=META_SCALE)
    graph = live_server(meta.app())
    log_in(page)

    page.click("text=Connections")
    page.select_option("select[name=platform]", "meta_lead_ads")
    page.click("text=Continue")
    page.fill("input[name=name]", "meta-careers")
    page.fill("input[name=secret_access_token]", SANDBOX_TOKEN)
    page.fill("input[name=secret_app_secret]", "sandbox-app-secret")
    page.fill("input[name=secret_verify_token]", "sandbox-verify")
    page.fill(
        "textarea[name=settings]",
        f"base_url: {graph.url}\npage_id: '{PAGE_ID}'\nstart_date: '2025-12-01T00:00:00Z'\n"
        f"page_size: 5\nwait_scale: {META_SCALE}\n",
    )
    page.click("button:has-text('Create')")
    page.wait_for_selector("text=Connection meta-careers created.")
    assert page.locator("text=Nothing received yet").is_visible()

    # Test: queued for a worker, which asks the Graph fake with the stored token
    page.click("button:has-text('Test')")
    page.wait_for_selector("text=Test of meta-careers queued")
    asked = len(meta.requests)
    assert run_worker_step(app) == 1
    assert len(meta.requests) > asked and not meta.rejections
    page.reload()
    assert page.locator(".card span.badge").first.inner_text() == "ok"

    # Sync now: the worker pulls every form's leads page by page, then processes each stored record
    page.click("button:has-text('Sync now')")
    page.wait_for_selector("text=Sync of meta-careers queued")
    run_worker_step(app)
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == "meta-careers"))
        assert conn is not None and conn.last_sync_at is not None
    assert count(ctx, RawRecord, RawRecord.connection_id == conn.id) == len(meta.leads)
    assert count(ctx, RawRecord, RawRecord.status != "processed") == 0
    assert count(ctx, Lead, Lead.source == "meta_lead_ads") == len(meta.leads)
    page.reload()
    assert page.locator("table span.badge.processed").count() == 10  # the ten latest records
    assert "never" not in page.locator(".card").first.inner_text()
    shot(page, "meta-connection")

    page.click("text=Leads")
    page.fill("input[name=source]", "meta_lead_ads")
    page.click("button:has-text('Filter')")
    rows = page.locator("table tbody tr")
    assert rows.count() == min(len(meta.leads), 50)
    assert "meta_lead_ads" in rows.first.inner_text()
    shot(page, "meta-leads")


def test_an_admin_merges_a_possible_duplicate_and_undoes_it_from_the_person_page(
    page: Any, site: tuple[str, Context]
) -> None:
    base, ctx = site
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    for n, fields in enumerate((LISA, LISA_MAYBE)):  # same name and city, another email, no postcode: review band
        body = encode({"submission_id": f"review-{n}", "fields": fields, "consents": CONSENTS})
        posted = requests.post(
            f"{base}/hooks/form_webhook/careers", data=body, headers=signed_headers(body), timeout=10
        )
        assert posted.status_code == 202
    process_pending(ctx)
    with ctx.db.session() as session:
        [item] = session.scalars(select(ReviewItem).where(ReviewItem.status == "open")).all()
        first, second = (
            session.scalar(select(Lead.person_id).where(Lead.external_id == f"review-{n}")) for n in (0, 1)
        )
    assert first and second and first != second
    assert (item.person_id, item.candidate_id) == (second, first)

    log_in(page)
    page.click("text=Review")
    assert "1 open" in page.locator("h1").inner_text()
    card = page.locator(".review-item")
    assert "lisa@firma.example" in card.inner_text() and "lisa.v@gmail.com" in card.inner_text()
    shot(page, "review-queue")
    card.locator("button:has-text('Merge')").click()
    page.wait_for_selector("text=Merged; you can undo it from the person page.")
    assert page.locator("text=Nothing to review").is_visible()
    with ctx.db.session() as session:
        merged = session.get(Person, second)
        assert merged is not None and merged.merged_into_id == first

    # the merged person's page points at the survivor, whose page offers the undo
    page.goto(f"/admin/persons/{second}")
    page.click(f"a:has-text('{first}')")
    page.wait_for_url(f"**/admin/persons/{first}")
    timeline = page.locator("table.timeline").inner_text()
    assert timeline.count("Lead from form_webhook") == 2 and f"Merged {second} into {first}" in timeline
    undo = page.locator(f"button:has-text('Undo merge of {second}')")
    assert undo.is_visible()
    shot(page, "person-merged")
    undo.click()
    page.wait_for_selector("text=Merge undone: both persons and their leads are back as they were.")
    assert page.locator("button:has-text('Undo merge')").count() == 0

    page.click("text=Persons")
    page.fill("input[name=q]", "Vogel")
    page.click("button:has-text('Search')")
    assert page.locator("table tbody tr").count() == 2
    shot(page, "merge-undone")
    with ctx.db.session() as session:
        live = session.scalars(select(Person.id).where(Person.merged_into_id.is_(None), Person.last_name == "Vogel"))
        assert set(live.all()) == {first, second}
        assert {n: session.scalar(select(Lead.person_id).where(Lead.external_id == f"review-{n}")) for n in (0, 1)} == {
            0: first,
            1: second,
        }


def test_an_admin_creates_an_api_key_copies_it_once_and_revokes_it(page: Any, site: tuple[str, Context]) -> None:
    base, _ctx = site
    log_in(page)
    page.click("text=API keys")
    assert page.locator("text=No API keys yet").is_visible()
    page.fill("#apikey-form input[name=name]", "vendor-crm")
    page.select_option("#apikey-form select[name=role]", "viewer")
    page.click("button:has-text('Create key')")
    page.wait_for_selector("text=Key vendor-crm created (viewer)")
    plain = page.input_value("#new-key")
    assert plain.startswith("lh_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.click("#copy-key")
    page.wait_for_selector("text=Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == plain
    shot(page, "api-keys")

    api = f"{base}/api/v1/leads"
    assert requests.get(api, headers={"Authorization": f"Bearer {plain}"}, timeout=10).status_code == 200
    page.click("text=API keys")  # the list never shows the key again
    assert plain not in page.content() and page.locator("#new-key").count() == 0
    page.click("a:has-text('Revoke')")
    page.wait_for_selector("text=Revoke API key vendor-crm?")
    page.click("#confirm-revoke")
    page.wait_for_selector("text=revoked: the REST API refuses it from now on")
    assert page.locator("#keys span.badge.dead").inner_text() == "revoked"
    refused = requests.get(api, headers={"Authorization": f"Bearer {plain}"}, timeout=10)
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
