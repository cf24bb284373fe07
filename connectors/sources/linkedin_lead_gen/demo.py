"""``leadhub demo``: the LinkedIn fake with a handful of fresh leads, pulled and pushed (``LEAD_ACTION``)."""

from __future__ import annotations

import time
from typing import Any

from connectors.sources.linkedin_lead_gen import fake_seed
from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn
from sync.demo_platforms import SHARED_PEOPLE, DemoPerson, DemoSource, serve

CONNECTION = "demo-linkedin"
FORMS = (7430001, 7430002)  # Pflege (Kontakt, newest version), IT-Talente (Rückruf)
PULLED = 4
SHARED = (0, 2)  # SHARED_PEOPLE who also answered an ad here


def start(seed: int) -> DemoSource:
    fake = FakeLinkedIn(seed=seed)  # its lead ids come from the seed: every demo run has new ones
    now_ms = int(time.time() * 1000)
    for i in range(PULLED):  # submitted during the last minute (a sync reads up to the current second)
        [lead] = fake.add_leads(1, at_ms=now_ms - 60_000 + i * 1000, form_id=FORMS[i % len(FORMS)])
        if i < len(SHARED):
            _answer_as(fake, lead, SHARED_PEOPLE[SHARED[i]])
    served = serve(fake.app())

    def push(hook_url: str, count: int) -> int:
        # LinkedIn validates the endpoint (challengeCode, answered with the client secret) before any push.
        if not (hook_url in fake.webhooks and fake.webhooks[hook_url].validated) and not fake.subscribe(hook_url):
            history = fake.webhooks[hook_url].history
            raise RuntimeError(f"LinkedIn could not validate {hook_url}: {history[-1] if history else '?'}")
        accepted = 0
        for i in range(count):
            [lead] = fake.add_leads(1, at_ms=int(time.time() * 1000) - 1000, form_id=FORMS[i % len(FORMS)])
            accepted += sum(200 <= d.status < 300 for d in fake.notify(hook_url, lead["id"]))
        return accepted

    return DemoSource(
        platform="linkedin_lead_gen",
        connection_name=CONNECTION,
        settings={
            "base_url": served.url,
            "sponsored_account_id": fake_seed.ACCOUNT_ID,
            "backoff_factor_s": 1,  # after throttling wait 1 s * 2^attempt, not 5 s * 2^attempt
        },
        secrets={"access_token": next(iter(fake.tokens)), "client_secret": fake.client_secret},
        pullable=True,
        push=push,
        stop=served.stop,
        seeded=PULLED,
    )


def _answer_as(fake: FakeLinkedIn, lead: dict[str, Any], person: DemoPerson) -> None:
    """Put the person's contact details into the answers of the lead's own form version."""
    values = {
        "FIRST_NAME": person.first_name,
        "LAST_NAME": person.last_name,
        "EMAIL": person.email,
        "WORK_EMAIL": person.email,
        "PHONE_NUMBER": person.phone,
        "CITY": person.city,
    }
    form_id, version = lead["versionedLeadGenFormUrn"].rsplit("leadGenForm:", 1)[1].rstrip(")").split(",")
    predefined = {
        q["questionId"]: q.get("predefinedField") for q in fake.form(int(form_id), int(version))["content"]["questions"]
    }
    for answer in lead["formResponse"]["answers"]:
        field = predefined.get(answer["questionId"])
        text = answer["answerDetails"].get("textQuestionAnswer")
        if field in values and text is not None:
            text["answer"] = values[field]
