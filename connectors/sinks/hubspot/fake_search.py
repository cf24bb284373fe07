"""``POST /crm/v3/objects/contacts/search`` in the fake: filterGroups (OR of ANDs), date comparisons (``GT``,
``GTE``, ``LT``, ``LTE`` with epoch milliseconds or ISO values), ``sorts``, paging by ``after``, HubSpot's
limits, and an indexing lag so that a contact written a moment ago is not found yet (eventual consistency)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from connectors.sinks.hubspot import fake_errors as errors
from connectors.sinks.hubspot.fake_store import Portal, public

MAX_RESULTS = 10_000


def _matches(props: dict[str, str], flt: dict[str, Any]) -> bool:
    name, operator = flt.get("propertyName", ""), flt.get("operator", "EQ")
    have = props.get(name)
    value = str(flt.get("value", ""))
    if operator == "EQ":
        return have is not None and have.lower() == value.lower()
    if operator == "NEQ":
        return have is None or have.lower() != value.lower()
    if operator == "HAS_PROPERTY":
        return bool(have)
    if operator == "NOT_HAS_PROPERTY":
        return not have
    if operator == "IN":
        return have is not None and have.lower() in {str(v).lower() for v in flt.get("values", [])}
    if operator in ("GT", "GTE", "LT", "LTE"):
        if have is None:
            return False
        left, right = _millis(have), _millis(value)
        return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}[operator]
    raise errors.validation(f"Unsupported operator {operator} in this sandbox.")


def _millis(value: str) -> int:
    """A date property or filter value as epoch milliseconds (HubSpot takes both forms in filters)."""
    if value.isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise errors.validation(f"{value} is not a valid date: use epoch milliseconds or ISO 8601.") from None


def _sort_key(contact: dict[str, Any], name: str) -> tuple[int, Any]:
    have = contact["properties"].get(name)
    if name in ("createdate", "lastmodifieddate") and have:
        return (0, _millis(have))
    return (0 if have is not None else 1, have or "")


def search(portal: Portal, body: dict[str, Any], now: float, lag_s: float) -> dict[str, Any]:
    groups = body.get("filterGroups") or []
    filters = [f for g in groups for f in g.get("filters", [])]
    if len(groups) > 5 or len(filters) > 25 or any(len(g.get("filters", [])) > 10 for g in groups):
        raise errors.validation("Too many filters: at most 5 filterGroups, 10 filters per group and 25 in total.")
    limit, after = int(body.get("limit") or 10), int(body.get("after") or 0)
    if limit > 200:
        raise errors.validation("limit must be at most 200")
    if after + limit > MAX_RESULTS:
        raise errors.validation(f"Search results are capped at {MAX_RESULTS}; narrow the query.")
    visible = [c for c in portal.contacts.values() if c["touched"] + lag_s <= now]
    found = [c for c in sorted(visible, key=lambda c: int(c["id"]))
             if not groups or any(all(_matches(c["properties"], f) for f in g.get("filters", [])) for g in groups)]
    for order in reversed(body.get("sorts") or []):  # stable sorts: the first named sort wins
        name = order.get("propertyName", "") if isinstance(order, dict) else str(order)
        descending = isinstance(order, dict) and order.get("direction") == "DESCENDING"
        found.sort(key=functools.partial(_sort_key, name=name), reverse=descending)
    page = found[after: after + limit]
    names = list(body.get("properties") or ["email", "firstname", "lastname"])
    answer: dict[str, Any] = {"total": len(found), "results": [public(c, names) for c in page]}
    if after + limit < len(found):
        answer["paging"] = {"next": {"after": str(after + limit)}}
    return answer
