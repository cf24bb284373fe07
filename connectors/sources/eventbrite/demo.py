"""``leadhub demo``: the Eventbrite fake with a career fair's fresh registrations, pulled and pushed
(``order.placed`` deliveries that name the order, re-fetched by a worker)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.sources.eventbrite import samples
from connectors.sources.eventbrite.fake import EventbriteFake
from sync.demo_platforms import SHARED_PEOPLE, DemoPerson, DemoSource, run_number, serve

CONNECTION = "demo-eventbrite"
WEBHOOK_TOKEN = "demo-eventbrite-webhook-token"  # noqa: S105 - Eventbrite signs nothing: the URL carries a token
PULLED = 4
SHARED = (3, 4)  # SHARED_PEOPLE who also registered here


def start(seed: int) -> DemoSource:
    fake = EventbriteFake(seed=seed)
    served = serve(fake.app())
    fake.public_url = served.url  # api_url and resource_uri point back at the fake, as Eventbrite's point at it
    now = datetime.now(UTC).replace(microsecond=0)
    event = fake.add_event(samples.EVENT_NAMES[0], at=now - timedelta(days=1))
    numbers = itertools.count(run_number(seed) * 100 + 1)  # the fake numbers attendees from 1 in every run
    for i in range(PULLED):
        person = SHARED_PEOPLE[SHARED[i]] if i < len(SHARED) else None
        _register(fake, event["id"], next(numbers), now - timedelta(seconds=60 - i), person)

    def push(hook_url: str, count: int) -> int:
        url = f"{hook_url}{'&' if '?' in hook_url else '?'}token={WEBHOOK_TOKEN}"
        accepted = 0
        for _ in range(count):
            order_id = _register(fake, event["id"], next(numbers), datetime.now(UTC).replace(microsecond=0))
            responses = fake.emit(url, "order.placed", fake.order_url(order_id))  # a worker re-fetches the order
            accepted += sum(200 <= r.status_code < 300 for r in responses)
        return accepted

    return DemoSource(
        platform="eventbrite",
        connection_name=CONNECTION,
        settings={
            "base_url": f"{served.url}/v3",
            "rate_limit_wait_s": 2,  # when HIT_RATE_LIMIT names no wait, ask again in 2 s rather than 60 s
        },
        secrets={"private_token": fake.token, "webhook_token": WEBHOOK_TOKEN},
        pullable=True,
        push=push,
        stop=served.stop,
        seeded=PULLED,
    )


def _register(fake: EventbriteFake, event_id: str, n: int, at: datetime, person: DemoPerson | None = None) -> str:
    """One single-ticket order placed at ``at``, numbered for this demo run; returns the order id."""
    order_id = str(9_700_000_000 + n)
    attendee = samples.attendee(n, event_id, order_id, at, fake.public_url, fake.seed)
    attendee.update(status="Attending", checked_in=False, cancelled=False, refunded=False)  # the fair is tomorrow
    attendee["barcodes"][0]["status"] = "unused"
    if person is not None:
        _as(attendee["profile"], person)
    fake.attendees[attendee["id"]] = attendee
    fake.orders[order_id] = samples.order(order_id, event_id, attendee["profile"], at, fake.public_url)
    return order_id


def _as(profile: dict[str, Any], person: DemoPerson) -> None:
    profile.update(
        first_name=person.first_name,
        last_name=person.last_name,
        name=person.full_name,
        email=person.email,
        cell_phone=person.phone,
    )
    profile["addresses"] = {"home": {"city": person.city, "postal_code": person.postcode, "country": "DE"}}
