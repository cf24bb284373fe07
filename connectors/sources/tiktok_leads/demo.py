"""``leadhub demo``: the TikTok fake with a handful of fresh leads, pulled (export task) and pushed (lead webhook)."""

from __future__ import annotations

import itertools
from typing import Any

from connectors.sources.tiktok_leads import fake_data
from connectors.sources.tiktok_leads.fake import TikTokFake
from sync.demo_platforms import SHARED_PEOPLE, DemoPerson, DemoSource, run_number, serve

CONNECTION = "demo-tiktok"
APP_SECRET = "demo-tiktok-app-secret"  # noqa: S105 - the sandbox app's invented secret
PULLED = 4
SHARED = (1, 3)  # SHARED_PEOPLE who also answered an ad here


def start(seed: int) -> DemoSource:
    fake = TikTokFake()
    form = fake.forms[0].page_id
    numbers = itertools.count(7_410_000_000_000_000_000 + run_number(seed) * 100)
    for i in range(PULLED):
        lead = _add(fake, form, next(numbers))
        if i < len(SHARED):
            _answer_as(lead, SHARED_PEOPLE[SHARED[i]])
    served = serve(fake.app())

    def push(hook_url: str, count: int) -> int:
        ids = [_add(fake, form, next(numbers))["lead_id"] for _ in range(count)]
        statuses = fake.emit_webhooks(hook_url, ids, APP_SECRET)  # signed; a worker fetches each lead by id
        return sum(200 <= status < 300 for status in statuses)

    return DemoSource(
        platform="tiktok_leads",
        connection_name=CONNECTION,
        settings={
            "base_url": served.url,
            "advertiser_id": fake.advertiser_id,
            "page_id": form,  # export only the form the demo's leads are on: one export task, not one per form
            "rate_limit_wait_s": 2,  # after a throttling code, ask again in 2 s rather than 60 s
        },
        secrets={"access_token": fake.token, "app_secret": APP_SECRET},
        pullable=True,
        push=push,
        stop=served.stop,
        seeded=PULLED,
    )


def _add(fake: TikTokFake, page_id: str, number: int) -> dict[str, Any]:
    """A new lead on the form, under an id of this demo run (the fake numbers its leads from 1 in every run)."""
    [lead] = fake.add_leads(1, page_id)
    lead["lead_id"] = str(number)
    return lead


def _answer_as(lead: dict[str, Any], person: DemoPerson) -> None:
    labels = dict(fake_data.QUESTIONS)
    values = {
        labels["name"]: person.full_name,
        labels["email"]: person.email,
        labels["phone"]: person.phone,
        labels["city"]: person.city,
    }
    for item in lead["field_data"]:
        if item["field_name"] in values:
            item["field_value"] = values[item["field_name"]]
