"""``leadhub demo``: Google's lead form webhook sender. Google offers no API to pull leads from, so this
platform only pushes: each ``WebhookLead`` carries the whole lead and the form's ``google_key``."""

from __future__ import annotations

import itertools
from typing import Any

from connectors.sources.google_ads_lead_forms.fake import GoogleLeadFormFake, create_app
from sync.demo_platforms import SHARED_PEOPLE, DemoPerson, DemoSource, Served, serve

CONNECTION = "demo-google"
GOOGLE_KEY = "demo-google-lead-form-key"
SHARED = (2, 4)  # SHARED_PEOPLE who also answered an ad here: the first leads pushed


def start(seed: int) -> DemoSource:
    fake = GoogleLeadFormFake(google_key=GOOGLE_KEY, seed=seed)  # lead ids carry the seed: new in every run
    numbers = itertools.count(901)  # the console below numbers its own leads from 1
    consoles: dict[str, Served] = {}
    notes: list[str] = []

    def push(hook_url: str, count: int) -> int:
        if hook_url not in consoles:  # the fake's console sends further leads to the same URL on request
            consoles[hook_url] = serve(create_app(fake, hook_url))
            notes.append(
                f"Send a Google lead: curl -X POST {consoles[hook_url].url}/deliver "
                """-H 'content-type: application/json' -d '{"count": 1}'"""
            )
        accepted = 0
        for _ in range(count):
            n = next(numbers)
            lead = fake.lead(n)
            if n - 901 < len(SHARED):
                _answer_as(lead, SHARED_PEOPLE[SHARED[n - 901]])
            accepted += sum(200 <= d.status < 300 for d in fake.post(hook_url, lead))
        return accepted

    def stop() -> None:
        for console in consoles.values():
            console.stop()

    return DemoSource(
        platform="google_ads_lead_forms",
        connection_name=CONNECTION,
        settings={},  # nothing to point at: Google posts to leadhub, leadhub never calls Google
        secrets={"google_key": GOOGLE_KEY},
        pullable=False,
        push=push,
        stop=stop,
        notes=notes,
    )


def _answer_as(lead: dict[str, Any], person: DemoPerson) -> None:
    values = {
        "FULL_NAME": person.full_name,
        "EMAIL": person.email,
        "PHONE_NUMBER": person.phone,
        "POSTAL_CODE": person.postcode,
        "CITY": person.city,
    }
    for column in lead["user_column_data"]:
        if column["column_id"] in values:
            column["string_value"] = values[column["column_id"]]
