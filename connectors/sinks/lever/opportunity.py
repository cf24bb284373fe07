"""Find the person's opportunity before anything is created: by the id we recorded, then by email
(``GET /v1/opportunities?email=``). Every ``POST /v1/opportunities`` makes a new opportunity, so a retry or a
lead that converts must land on the one that exists."""

from __future__ import annotations

from typing import Any

from connectors.sinks.base import File, Item, SendResult
from connectors.sinks.lever import payload
from connectors.sinks.lever.client import Api

EXPAND = {"expand": "applications"}


def deliver(api: Api, item: Item) -> SendResult:
    if item.event_type == "application.created":
        return _application(api, item)
    return _lead(api, item)


def _lead(api: Api, item: Item) -> SendResult:
    """A qualified lead: the person's opportunity gains our tags and source, or a new (jobless) one is made."""
    body = payload.opportunity(item, api.settings, None)
    found = _known(api, item.remote_ids.get("person"))
    if found is None:
        open_ones = [o for o in _by_email(api, body) if not o.get("archived")]
        found = next((o for o in open_ones if not postings(o)), open_ones[0] if open_ones else None)
    opportunity = _update(api, found, body) if found else _create(api, body)
    return _delivered(api, opportunity, "person")


def _application(api: Api, item: Item) -> SendResult:
    """An application: its own opportunity (a retry), else the person's open one for the same posting, else the
    person's lead opportunity (converted in place), else a new one on the posting; then the CV."""
    posting = payload.posting_id(item, api.settings)
    body = payload.opportunity(item, api.settings, posting)
    found = _known(api, item.remote_ids.get("application"))
    if found is None:
        person = _known(api, item.remote_ids.get("person"))
        seen = {o["id"]: o for o in [*([person] if person else []), *_by_email(api, body)] if not o.get("archived")}
        found = next((o for o in seen.values() if posting and posting in postings(o)), None)
        if found is None:
            found = next((o for o in seen.values() if not postings(o)), None)
            if found is not None:
                _convert(api, found, item, posting)
    opportunity = _update(api, found, body) if found else _create(api, body)
    _upload(api, opportunity["id"], item.files)
    return _delivered(api, opportunity, "application")


def postings(opportunity: dict[str, Any]) -> set[str]:
    """The postings an opportunity applies to (``expand=applications`` inlines them)."""
    applications = opportunity.get("applications") or []
    return {str(a["posting"]) for a in applications if isinstance(a, dict) and a.get("posting")}


def _known(api: Api, opportunity_id: str | None) -> dict[str, Any] | None:
    if not opportunity_id:
        return None
    found = api.call("GET", f"/v1/opportunities/{opportunity_id}", EXPAND, missing_ok=True)
    return found["data"] if found else None


def _by_email(api: Api, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every opportunity of the email's contact, newest first, following ``next`` while ``hasNext``."""
    if not body.get("emails"):
        return []
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {**EXPAND, "email": body["emails"][0], "limit": 100}
    while True:
        page = api.call("GET", "/v1/opportunities", params) or {}
        found += page.get("data") or []
        if not page.get("hasNext") or not page.get("next"):
            break
        params["offset"] = page["next"]
    return sorted(found, key=lambda o: o.get("createdAt") or 0, reverse=True)


def _create(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    created = api.call("POST", "/v1/opportunities", json=body) or {}
    return dict(created.get("data") or {})


def _update(api: Api, opportunity: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Add what is missing (tags, sources, links); never remove what a recruiter set."""
    path = f"/v1/opportunities/{opportunity['id']}"
    for field, endpoint in (("tags", "addTags"), ("sources", "addSources"), ("links", "addLinks")):
        missing = [v for v in body.get(field, []) if v not in (opportunity.get(field) or [])]
        if missing:
            api.call("POST", f"{path}/{endpoint}", json={field: missing})
    return opportunity


def _convert(api: Api, opportunity: dict[str, Any], item: Item, posting: str | None) -> None:
    """The lead's opportunity becomes the application: a note naming the job, then a lead stage moves on."""
    path = f"/v1/opportunities/{opportunity['id']}"
    note = payload.conversion_note(item, posting)
    notes = (api.call("GET", f"{path}/notes") or {}).get("data") or []
    if not any(n.get("text") == note for n in notes):
        api.call("POST", f"{path}/notes", json={"value": note})
    if str(opportunity.get("stage") or "").startswith("lead-"):
        stage = str(api.settings.get("application_stage") or "applicant-new")
        api.call("PUT", f"{path}/stage", json={"stage": stage})


def _upload(api: Api, opportunity_id: str, files: list[File]) -> None:
    """Each file once: a retry after a partial send finds it by name and size (``POST …/files``, multipart)."""
    if not files:
        return
    path = f"/v1/opportunities/{opportunity_id}/files"
    present = {(f.get("name"), f.get("size")) for f in (api.call("GET", path) or {}).get("data") or []}
    for file in files:
        if (file.filename, len(file.content)) not in present:
            api.call("POST", path, files={"file": (file.filename, file.content, file.content_type)})


def _delivered(api: Api, opportunity: dict[str, Any], subject: str) -> SendResult:
    return SendResult("delivered", 200, None, api.summary(), remote_id=str(opportunity["id"]),
                      remote_kind="opportunity", remote_subject=subject)
