"""Graph API mechanics the fake shares by every edge: field projection, cursor paging, ``filtering``."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from connectors.sources.meta_lead_ads.fake_errors import invalid_parameter

LEAD_FIELDS = frozenset(
    {
        "id",
        "ad_id",
        "ad_name",
        "adset_id",
        "adset_name",
        "campaign_id",
        "campaign_name",
        "created_time",
        "custom_disclaimer_responses",
        "field_data",
        "form_id",
        "home_listing",
        "is_organic",
        "partner_name",
        "platform",
        "post",
        "retailer_item_id",
        "vehicle",
    }
)
FORM_FIELDS = frozenset(
    {
        "id",
        "allow_organic_lead",
        "created_time",
        "expired_leads_count",
        "is_optimized_for_quality",
        "leads_count",
        "legal_content",
        "locale",
        "name",
        "organic_leads_count",
        "page",
        "page_id",
        "privacy_policy_url",
        "questions",
        "status",
        "thank_you_page",
        "tracking_parameters",
    }
)
PAGE_FIELDS = frozenset({"id", "name", "category", "link"})
DEFAULTS = {"Lead": ("created_time", "id"), "LeadgenForm": ("id", "locale", "name", "status"), "Page": ("name", "id")}
ALLOWED = {"Lead": LEAD_FIELDS, "LeadgenForm": FORM_FIELDS, "Page": PAGE_FIELDS}
OPERATORS = {
    "GREATER_THAN": lambda a, b: a > b,
    "GREATER_THAN_OR_EQUAL": lambda a, b: a >= b,
    "LESS_THAN": lambda a, b: a < b,
}
DEFAULT_LIMIT = 25


def requested_fields(param: str | None, node_type: str) -> list[str]:
    """``fields=a,b{c,d},e.limit(5)`` → ``[a, b, e]``; a field the node does not have is an error, as on Graph."""
    if not param:
        return list(DEFAULTS[node_type])
    names, depth, current = [], 0, ""
    for char in param + ",":
        if char == "," and depth == 0:
            names.append(current.split(".")[0].strip())
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current += char if depth == 0 and char not in "{}" else ""
    for name in names:
        if name and name not in ALLOWED[node_type]:
            raise invalid_parameter(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")
    return [name for name in names if name]


def project(node: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the requested fields the node has, and always ``id``."""
    out = {name: node[name] for name in fields if name in node and name != "id"}
    out["id"] = node["id"]
    return out


def time_filters(param: str | None) -> list[tuple[str, int]]:
    """``filtering=[{"field":"time_created","operator":"GREATER_THAN","value":<unix seconds>}]``."""
    if not param:
        return []
    try:
        rules = json.loads(param)
    except json.JSONDecodeError:
        raise invalid_parameter("param filtering must be an array.") from None
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise invalid_parameter("param filtering must be an array.")
    out = []
    for i, rule in enumerate(rules):
        if rule.get("field") != "time_created":
            raise invalid_parameter(f"Filtering field {rule.get('field')} is not supported")
        if rule.get("operator") not in OPERATORS:
            raise invalid_parameter(f"param filtering[{i}][operator] must be one of {{{', '.join(OPERATORS)}}}.")
        try:
            out.append((rule["operator"], int(str(rule.get("value")))))
        except ValueError:
            raise invalid_parameter(f"param filtering[{i}][value] must be a unix timestamp.") from None
    return out


def unix(graph_time: str) -> int:
    return int(datetime.strptime(graph_time, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def keep(lead: dict[str, Any], filters: list[tuple[str, int]]) -> bool:
    created = unix(lead["created_time"])
    return all(OPERATORS[operator](created, value) for operator, value in filters)


def cursor(node_id: str) -> str:
    return base64.urlsafe_b64encode(f"QVFI:{node_id}".encode()).decode().rstrip("=")


def _decode(value: str) -> str:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("QVFI:"):
        raise invalid_parameter("The after/before cursor is invalid.")
    return text[5:]


def limit_of(param: str | None) -> int:
    if param is None:
        return DEFAULT_LIMIT
    if not param.isdigit():
        raise invalid_parameter("Param limit must be a non-negative integer")
    return int(param) or DEFAULT_LIMIT


def page(items: list[dict[str, Any]], fields: list[str], args: list[tuple[str, str]], base_url: str) -> dict[str, Any]:
    """One page: ``data`` plus ``paging`` with cursors and absolute ``next``/``previous`` URLs (none past the end)."""
    given = dict(args)
    size = limit_of(given.get("limit"))
    ids = [item["id"] for item in items]
    start, end = 0, None
    try:
        if given.get("after"):
            start = ids.index(_decode(given["after"])) + 1
        elif given.get("before"):
            end = ids.index(_decode(given["before"]))
            start = max(0, end - size)
    except ValueError:
        raise invalid_parameter("The after/before cursor does not point into this edge.") from None
    chunk = items[start : end if end is not None else start + size]
    body: dict[str, Any] = {"data": [project(item, fields) for item in chunk]}
    if not chunk:
        return body
    rest = [(key, value) for key, value in args if key not in ("after", "before")]
    paging: dict[str, Any] = {"cursors": {"before": cursor(chunk[0]["id"]), "after": cursor(chunk[-1]["id"])}}
    if start + len(chunk) < len(items):
        paging["next"] = f"{base_url}?{urlencode([*rest, ('after', cursor(chunk[-1]['id']))])}"
    if start > 0:
        paging["previous"] = f"{base_url}?{urlencode([*rest, ('before', cursor(chunk[0]['id']))])}"
    body["paging"] = paging
    return body
