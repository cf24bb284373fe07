"""The v2 Recruiting API read side: which Personio application is ours (candidate by email, then the
candidate's application for the job position), and which applications changed stage since the last poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connectors.sinks.base import StatusUpdate
from connectors.sinks.personio.client import Api
from core.schema import ApplicationStage

# Personio's system phases; custom phases (integer ids) are mapped per connection in ``phase_map``
DEFAULT_PHASE_MAP = {"rejected": "rejected", "withdrawn": "withdrawn", "offer": "offer", "accepted": "hired"}


def pages(api: Api, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item of a v2 list, following ``_meta.links.next.href``."""
    answer = api.read(path, params)
    while True:
        yield from answer.get("_data") or []
        following = ((answer.get("_meta") or {}).get("links") or {}).get("next") or {}
        if not following.get("href"):
            return
        answer = api.read(str(following["href"]))


def find(api: Api, email: str | None, job_position: int) -> str | None:
    """The id of the person's application to the job position, if Personio has one."""
    if not email or not api.can_read:
        return None
    for candidate in pages(api, "/v2/recruiting/candidates", {"email": email}):
        for found in pages(api, "/v2/recruiting/applications", {"candidate.id": candidate["id"], "limit": 200}):
            if str((found.get("job") or {}).get("id")) == str(job_position):
                return str(found["id"])
    return None


def stage_of(application: dict[str, Any], settings: dict[str, Any]) -> ApplicationStage | None:
    stage = application.get("stage") or {}
    key = str(stage.get("id", ""))
    mapped = {**DEFAULT_PHASE_MAP, **{str(k): v for k, v in dict(settings.get("phase_map") or {}).items()}}.get(key)
    return ApplicationStage(mapped) if mapped else None


def changed(api: Api, since: datetime | None) -> list[StatusUpdate]:
    """Applications updated after ``since`` whose stage maps to one of ours."""
    params: dict[str, Any] = {"limit": int(api.settings.get("page_size") or 200)}
    if since is not None:
        params["updated_at.gt"] = since.isoformat().replace("+00:00", "Z")
    found = []
    for application in pages(api, "/v2/recruiting/applications", params):
        stage = stage_of(application, api.settings)
        if stage is not None:
            phase = application.get("stage") or {}
            reason = f"Personio: phase {phase.get('name') or phase.get('id')}"
            found.append(StatusUpdate(str(application["id"]), stage, reason))
    return found
