"""``leadhub demo``: the Graph fake with a handful of fresh leads, pulled and pushed (``leadgen`` webhooks)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake
from connectors.sources.meta_lead_ads.fake_seed import PAGE_ID
from sync.demo_platforms import SHARED_PEOPLE, DemoPerson, DemoSource, run_number, serve

CONNECTION = "demo-meta"
APP_SECRET = "demo-meta-app-secret"  # noqa: S105 - the sandbox app's invented secret
VERIFY_TOKEN = "demo-meta-verify-token"  # noqa: S105
FORMS = ("551200000000101", "551200000000202")  # the fake's active forms (Pflege, IT-Talente)
PULLED = 4
SHARED = (0, 1)  # SHARED_PEOPLE who also answered an ad here


def start(seed: int) -> DemoSource:
    fake = MetaFake(app_secret=APP_SECRET, rng_seed=seed % 1000)
    fake.leads.clear()  # the fake's own seed is January's leads; the demo's are from the last minute
    numbers = itertools.count(930_000_000_000_000 + run_number(seed) * 100)
    now = int(time.time())
    for i in range(PULLED):
        lead = _add(fake, FORMS[i % len(FORMS)], now - 60 + i, next(numbers))
        if i < len(SHARED):
            _answer_as(lead, SHARED_PEOPLE[SHARED[i]])
    served = serve(fake.app())
    subscribed: set[str] = set()

    def push(hook_url: str, count: int) -> int:
        if hook_url not in subscribed:  # Meta checks the callback (hub.challenge) before it delivers anything
            fake.subscribe(hook_url, VERIFY_TOKEN, APP_SECRET)
            subscribed.add(hook_url)
        accepted = 0
        for i in range(count):
            lead = _add(fake, FORMS[i % len(FORMS)], int(time.time()), next(numbers))
            before = _ok(fake)
            fake.notify(lead)  # a signed leadgen delivery naming the lead; a worker fetches it
            accepted += _ok(fake) - before
        return accepted

    return DemoSource(
        platform="meta_lead_ads",
        connection_name=CONNECTION,
        settings={
            "base_url": served.url,
            "page_id": PAGE_ID,
            "max_rate_limit_wait_s": 10,  # a longer announced wait ends the sync (the next one resumes)
        },
        secrets={"access_token": SANDBOX_TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN},
        pullable=True,
        push=push,
        stop=served.stop,
        seeded=PULLED,
    )


def _add(fake: MetaFake, form_id: str, created: int, number: int) -> dict[str, Any]:
    """A new lead on a form, under an id of this demo run (the fake numbers its leads from 1 in every run)."""
    lead = fake.add_lead(form_id, created=created, notify=False)
    del fake.leads[lead["id"]]
    lead["id"] = str(number)
    fake.leads[lead["id"]] = lead
    return lead


def _answer_as(lead: dict[str, Any], person: DemoPerson) -> None:
    values = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "full_name": person.full_name,
        "email": person.email,
        "phone_number": person.phone,
        "city": person.city,
        "zip_code": person.postcode,
    }
    for item in lead["field_data"]:
        if item["name"] in values:
            item["values"] = [values[item["name"]]]


def _ok(fake: MetaFake) -> int:
    return sum(200 <= status < 300 for sub in fake.subscriptions for status in sub.statuses)
