"""Helpers of ``bench/sources.py``: the platform fakes served in a subprocess of their own, seeded with N leads.

Run as a script (``python bench/_sources_support.py fake <connector> <port> <leads>``) it builds the connector's
sandbox fake, seeds it, prints one JSON line (``{"ready": true, "url": …, …}``) and serves until killed. A
subprocess keeps the fake off the reader's GIL; the request handler sets TCP_NODELAY (a keep-alive server
without it stalls every small answer ~40 ms on delayed ACKs, airbyte-cdk.md §3).

**Bench-only speed-ups of the fakes (no file outside bench/ changes).** The fakes are written for tests with a
few dozen leads: every page request filters (and for LinkedIn deep-copies and projects) *all* leads of the
edge, and Eventbrite's ``add_attendees`` is quadratic. At 50,000 leads that would make the fake, not the
connector, the bottleneck (Meta ~0.3 s, LinkedIn ~2.5 s per page). So in this process only, the filtered list of
an edge is computed once per distinct query (data do not change after seeding) and page offsets come from an
index instead of ``list.index``. Answers are byte-for-byte what the fake serves otherwise (same rows, order,
paging links and cursors); the plain ``requests`` loop and the connector read the same pages.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

HOST = "127.0.0.1"
META_FORM = "551200000000101"  # the Pflege form: 8 questions, 2 consent boxes, tracking parameters
LINKEDIN_TODAY = "2026-11-26"  # the fake's calendar for version sunsets (as in the connector's tests)


def _now() -> int:
    return int(time.time())


# ------------------------------------------------------------------------------------------------ Meta


def meta_app(leads: int) -> tuple[Any, dict[str, Any]]:
    from connectors.sources.meta_lead_ads import fake_graph
    from connectors.sources.meta_lead_ads.fake import SANDBOX_TOKEN, MetaFake

    fake = MetaFake()
    fake.store.leads.clear()  # exactly ``leads`` leads, all on one form
    start = _now() - 30 * 86_400
    for i in range(leads):
        fake.store.add_lead(META_FORM, start + i * 10, organic=i % 5 == 4)  # 10 s apart: ~6 days for 50k
    fake.requests = _NoList()  # the request log would grow by one dict per page; nothing reads it here

    edges: dict[tuple[str, str, str, str | None], tuple[list[dict[str, Any]], str]] = {}
    original_edge = fake.store.edge

    def edge(node: Any, name: str, filtering: str | None) -> tuple[list[dict[str, Any]], str]:
        key = (node[0]["id"], node[1], name, filtering)
        if key not in edges:
            edges[key] = original_edge(node, name, filtering)
        return edges[key]

    fake.store.edge = edge  # type: ignore[method-assign]
    positions: dict[int, dict[str, int]] = {}

    def page(items: list[dict[str, Any]], fields: list[str], args: list[tuple[str, str]], base_url: str) -> Any:
        """fake_graph.page, line for line, with ``ids.index`` answered from a dict built once per edge list."""
        given = dict(args)
        size = fake_graph.limit_of(given.get("limit"))
        ids = positions.get(id(items))
        if ids is None:
            ids = positions[id(items)] = {item["id"]: n for n, item in enumerate(items)}
        start, end = 0, None
        try:
            if given.get("after"):
                start = ids[fake_graph._decode(given["after"])] + 1
            elif given.get("before"):
                end = ids[fake_graph._decode(given["before"])]
                start = max(0, end - size)
        except KeyError:
            raise fake_graph.invalid_parameter("The after/before cursor does not point into this edge.") from None
        chunk = items[start : end if end is not None else start + size]
        body: dict[str, Any] = {"data": [fake_graph.project(item, fields) for item in chunk]}
        if not chunk:
            return body
        rest = [(key, value) for key, value in args if key not in ("after", "before")]
        cursor = fake_graph.cursor
        paging: dict[str, Any] = {"cursors": {"before": cursor(chunk[0]["id"]), "after": cursor(chunk[-1]["id"])}}
        if start + len(chunk) < len(items):
            paging["next"] = f"{base_url}?{urlencode([*rest, ('after', cursor(chunk[-1]['id']))])}"
        if start > 0:
            paging["previous"] = f"{base_url}?{urlencode([*rest, ('before', cursor(chunk[0]['id']))])}"
        body["paging"] = paging
        return body

    fake_graph.page = page  # type: ignore[assignment]
    info = {
        "page_id": fake.page_id,
        "access_token": SANDBOX_TOKEN,
        "forms": list(fake.store.forms),
        "leads": leads,
    }
    return fake, info


class _NoList(list):  # type: ignore[type-arg]
    def append(self, item: Any) -> None:
        return None


def meta_webhook_leads(fake: Any, count: int) -> list[dict[str, Any]]:
    """Ids and ad fields of the newest ``count`` leads: enough to build leadgen webhook deliveries."""
    keys = ("id", "form_id", "created_time", "ad_id", "adset_id")
    leads = list(fake.store.leads.values())[-count:]
    return [{k: lead.get(k) for k in keys} for lead in leads]


# ------------------------------------------------------------------------------------------------ TikTok


def tiktok_app(leads: int) -> tuple[Any, dict[str, Any]]:
    from connectors.sources.tiktok_leads.fake import TikTokFake

    fake = TikTokFake(forms=1)
    fake.add_leads(leads, fake.forms[0].page_id)
    fake.requests = _NoList()
    fake.answers = _NoList()
    return fake, {"advertiser_id": fake.advertiser_id, "access_token": fake.token, "leads": leads}


# ------------------------------------------------------------------------------------------------ Eventbrite


def eventbrite_app(leads: int, public_url: str) -> tuple[Any, dict[str, Any]]:
    from flask import request

    from connectors.sources.eventbrite import samples
    from connectors.sources.eventbrite.fake import EventbriteFake

    fake = EventbriteFake()  # 50 attendees a page, as Eventbrite serves them
    fake.public_url = public_url
    fake.hourly_limit = 10**9  # 2,000 calls an hour would stop the second 1,000-page read with 429s
    event = fake.add_event(at=datetime.now(UTC) + timedelta(days=30))
    first = datetime.now(UTC) - timedelta(days=60)
    for i in range(leads):  # add_order per attendee: add_attendees rescans every attendee per order
        fake.add_order(event["id"], 1, first + timedelta(minutes=1) * i)
    fake.requests = _NoList()
    rows: dict[tuple[str, str | None, str | None], list[dict[str, Any]]] = {}

    def event_attendees(event_id: str) -> Any:
        """EventbriteFake._event_attendees + _attendee_page with the filtered rows kept per query."""
        if event_id not in fake.events:
            return fake._event_attendees(event_id)
        key = (event_id, request.args.get("changed_since"), request.args.get("status"))
        if key not in rows:
            found = [a for a in fake.attendees.values() if a["event_id"] == event_id]
            since, status = key[1], key[2]
            if since:
                try:
                    cutoff = datetime.strptime(since, samples.STAMP)
                except ValueError:
                    return fake._attendee_page(found)  # the fake's own error answer
                found = [a for a in found if datetime.strptime(a["changed"], samples.STAMP) >= cutoff]
            if status == "attending":
                found = [a for a in found if a["status"] in ("Attending", "Checked In")]
            elif status == "not_attending":
                found = [a for a in found if a["status"] in ("Not Attending", "Deleted")]
            rows[key] = found
        return fake._page("attendees", rows[key], fake.page_size)

    app = fake.app()
    app.view_functions["_event_attendees"] = event_attendees
    return fake, {
        "access_token": fake.token,
        "start_date": (first - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "leads": leads,
        "_app": app,
    }


# ------------------------------------------------------------------------------------------------ LinkedIn


def linkedin_app(leads: int) -> tuple[Any, dict[str, Any]]:
    from flask import request

    from connectors.sources.linkedin_lead_gen import fake_routes, restli
    from connectors.sources.linkedin_lead_gen.fake import FakeLinkedIn

    fake = FakeLinkedIn(today=datetime.strptime(LINKEDIN_TODAY, "%Y-%m-%d").date())
    first_ms = (_now() - 60 * 86_400) * 1000
    fake.add_leads(leads, at_ms=first_ms, step_ms=60_000)  # one a minute: ~35 days for 50k
    fake.requests = _NoList()
    app = fake.app()
    shaped: dict[tuple[str, str], dict[str, Any]] = {}
    original_shape = fake_routes._shape

    def shape(fake_: Any, lead: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
        fields = restli.query_params(request.query_string.decode()).get("fields") or ""
        key = (lead["id"], fields)
        if key not in shaped:
            shaped[key] = original_shape(fake_, lead, query)
        return shaped[key]

    fake_routes._shape = shape  # type: ignore[assignment]
    pages: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}
    original_page = fake_routes._page
    view = app.view_functions["lead_form_responses"]

    def key_of() -> tuple[tuple[str, str], ...]:
        raw = restli.query_params(request.query_string.decode())
        return tuple(sorted((k, v) for k, v in raw.items() if k not in ("start", "count")))

    def capture(rows: list[dict[str, Any]], query: dict[str, Any]) -> Any:
        pages[key_of()] = rows
        return original_page(rows, query)

    fake_routes._page = capture  # type: ignore[assignment]

    def lead_form_responses() -> Any:
        """The fake's finder, with the filtered, sorted, projected rows kept per query (start/count aside)."""
        cached = pages.get(key_of())
        if cached is None:
            return view()
        query, problem = fake_routes._finder(fake)
        return problem if problem is not None else original_page(cached, query)

    app.view_functions["lead_form_responses"] = lead_form_responses
    return fake, {"access_token": "fake-access-token", "sponsored_account_id": "5123456", "leads": leads, "_app": app}


# ------------------------------------------------------------------------------------------------ serving


def build(name: str, port: int, leads: int, webhook_leads: int = 0) -> tuple[Any, dict[str, Any]]:
    url = f"http://{HOST}:{port}"
    if name == "meta_lead_ads":
        fake, info = meta_app(leads)
        info["webhook_leads"] = meta_webhook_leads(fake, webhook_leads) if webhook_leads else []
        app = fake.app()
    elif name == "tiktok_leads":
        fake, info = tiktok_app(leads)
        app = fake.app()
    elif name == "eventbrite":
        fake, info = eventbrite_app(leads, url)
        app = info.pop("_app")
    elif name == "linkedin_lead_gen":
        fake, info = linkedin_app(leads)
        app = info.pop("_app")
    else:
        raise SystemExit(f"no fake for {name}")
    info["url"] = url
    return app, info


def serve(name: str, port: int, leads: int, webhook_leads: int = 0) -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    class NoDelayHandler(WSGIRequestHandler):
        disable_nagle_algorithm = True

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    app, info = build(name, port, leads, webhook_leads)
    server = make_server(HOST, port, app, threaded=True, request_handler=NoDelayHandler)
    info |= {"ready": True, "seed_s": round(time.perf_counter() - t0, 2)}
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "fake":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    else:
        raise SystemExit("usage: _sources_support.py fake <connector> <port> <leads> [webhook_leads]")
