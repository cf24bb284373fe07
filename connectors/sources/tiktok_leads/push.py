"""Lead webhooks name a lead; we fetch it by id. TikTok has not published the payload, so several shapes pass."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests

from connectors.sources.base import ConnectionLike, Notice
from connectors.sources.tiktok_leads import record
from connectors.sources.tiktok_leads.envelope import unwrap
from connectors.sources.tiktok_leads.settings import TikTokSettings
from core.errors import PayloadMalformed, SourceError

LEAD_KEYS = ("lead_id", "leadId", "leadgen_id")
ADVERTISER_KEYS = ("advertiser_id", "advertiserId", "adv_id")
PAGE_KEYS = ("page_id", "pageId", "form_id", "formId")
EVENT_KEYS = ("event", "event_type", "action", "type")
NESTED = ("data", "lead", "content", "value", "leads", "entries", "events")


def _first(event: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((event[k] for k in keys if event.get(k) not in (None, "")), None)


def _id(value: Any, what: str) -> str:
    if isinstance(value, bool | float):
        raise PayloadMalformed(f"{what} must be a string or an integer, not {value!r}.")
    return str(value).strip()


def _events(node: Any, action: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every object that names a lead, with the event name found on it or above it."""
    if isinstance(node, str) and node.lstrip().startswith(("{", "[")):
        node = json.loads(node)  # TikTok for Developers sends the event as a JSON string in "content"
    if isinstance(node, list):
        for item in node:
            yield from _events(item, action)
    elif isinstance(node, dict):
        action = str(_first(node, EVENT_KEYS) or action)
        if _first(node, LEAD_KEYS) is not None or ("id" in node and _first(node, ADVERTISER_KEYS + PAGE_KEYS)):
            yield node, action
            return
        for key in NESTED:
            yield from _events(node.get(key), action)


def notices(body: bytes) -> list[Notice]:
    """One notice per named lead; the ref keeps advertiser and form for the fetch."""
    try:
        found = list(_events(json.loads(body), ""))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadMalformed(f"Body is not JSON: {exc}.") from None
    except RecursionError:
        raise PayloadMalformed("Body is nested too deeply.") from None
    if not found:
        names = ", ".join(LEAD_KEYS)
        raise PayloadMalformed(f"No lead id in the body; expected one of {names} (at the top, or under data/content).")
    result = []
    for event, action in found:
        lead_id = _id(_first(event, LEAD_KEYS) or event.get("id"), "lead_id")
        advertiser, page = _first(event, ADVERTISER_KEYS), _first(event, PAGE_KEYS)
        ref = {"advertiser_id": _id(advertiser, "advertiser_id") if advertiser is not None else None}
        ref["page_id"] = _id(page, "page_id") if page is not None else None
        deleted = "delete" in action.lower()
        result.append(Notice(lead_id, "deleted" if deleted else "created", json.dumps(ref)))
    return result


def _get(http: requests.Session, url: str, params: dict[str, Any], token: str, s: TikTokSettings) -> dict[str, Any]:
    return unwrap(http.get(url, params=params, headers={"Access-Token": token}, timeout=30), s)


def _mock_leads(http: requests.Session, token: str, s: TikTokSettings, advertiser: str, page: str) -> Iterator[Any]:
    """Test leads of one form, every page of them (``page_info.total_page``)."""
    number, total = 1, 1
    while number <= total:
        params = {"advertiser_id": advertiser, "page_id": page, "page": number, "page_size": s.page_size}
        data = _get(http, f"{s.api}/page/lead/mock/get/", params, token, s)
        yield from data.get("list") or []
        total = int((data.get("page_info") or {}).get("total_page") or 0)
        number += 1


def fetch(conn: ConnectionLike, notice: Notice, http: requests.Session) -> list[dict[str, Any]]:
    """The lead from ``/lead/get/`` (test leads from the mock endpoint), flattened like a pulled CSV row."""
    s = TikTokSettings.of(conn.settings)
    ref = json.loads(notice.ref or "{}")
    advertiser = ref.get("advertiser_id") or s.advertiser_id
    page = ref.get("page_id") or s.page_id
    token = conn.secrets["access_token"]
    params = {"advertiser_id": advertiser, "lead_ids": json.dumps([notice.external_id])}
    data = _get(http, f"{s.api}/lead/get/", params, token, s)
    leads = [lead for lead in data.get("list") or [] if record.lead_id(lead) == notice.external_id]
    if not leads and page:
        tests = _mock_leads(http, token, s, advertiser, page)
        leads = [lead for lead in tests if record.lead_id(lead) == notice.external_id]
    if not leads:
        raise SourceError(f"TikTok does not return lead {notice.external_id} yet; the notice waits for a retry.")
    return [record.flatten(record.row_from_api(lead, advertiser)) for lead in leads[:1]]
