"""One delivery to Greenhouse: a qualified lead becomes a prospect, a conversion becomes an application.

Every POST creates a new record at Greenhouse and none takes an idempotency key, so each step looks first: the
person by the recorded id, else by email; the application by candidate and job. A create that timed out is found
by the retry instead of being made twice. A person who is already a prospect is converted, not duplicated.
"""

from __future__ import annotations

from typing import Any

import requests

from connectors.sinks.base import File, Item, SendResult
from connectors.sinks.greenhouse import errors, harvest, payload
from connectors.sinks.greenhouse.client import Api, Refused
from connectors.sinks.greenhouse.harvest import V1, V3, jobs_of, source_of


def send(api: Api, item: Item) -> SendResult:
    try:
        if item.event_type == "lead.qualified":
            return _prospect(api, item)
        if item.event_type == "application.created":
            return _application(api, item)
    except Refused as refused:
        return refused.result
    except requests.RequestException as exc:
        return errors.timeout(exc, api)
    return SendResult("permanent", None, None, "not sent",
                      f"Greenhouse takes lead.qualified and application.created, not {item.event_type}; change this "
                      "connection's route.")


def _known(gh: V3 | V1, item: Item) -> dict[str, Any] | None:
    """The person as Greenhouse has them: by the id we recorded (unless deleted or merged away), else by email."""
    recorded = item.remote_ids.get("person")
    if recorded:
        found = gh.candidate(recorded)
        if found is not None:
            return found
    email = (item.data.get("person") or {}).get("email")
    return gh.find(str(email)) if email else None


def _prospect(api: Api, item: Item) -> SendResult:
    gh = harvest.for_api(api)
    fields = payload.person(item.data, api.settings)
    found = _known(gh, item)
    if found is not None:
        changes = payload.additions(found, fields)
        if changes:
            gh.update(str(found["id"]), changes)
        return _delivered(api, str(found["id"]), "person")
    created = gh.create_prospect(fields, payload.prospect_application(item.data, api.settings))
    return _delivered(api, created, "person")


def _application(api: Api, item: Item) -> SendResult:
    gh = harvest.for_api(api)
    job = payload.job_id(item.data, api.settings)
    wanted = payload.application(item.data, api.settings, job)
    recorded = item.remote_ids.get("application")  # a replay of a delivery that arrived
    if recorded and gh.application(recorded) is not None:
        _attach_missing(gh, recorded, item.files)
        return _delivered(api, recorded, "application")
    found = _known(gh, item)
    if found is None:
        created = gh.create_candidate(payload.person(item.data, api.settings), wanted, item.files)
        return _delivered(api, created, "application")
    applications = gh.applications(found)
    mine = next((a for a in applications if not a.get("prospect") and job in jobs_of(a)), None)
    if mine is not None:  # made by an earlier attempt whose answer we never got, or by a recruiter
        application_id = str(mine["id"])
    else:
        prospect = _prospect_application(applications, job)
        if prospect is None:
            return _delivered(api, gh.add_application(str(found["id"]), wanted, item.files), "application")
        application_id = gh.convert(str(prospect["id"]), job)
        if wanted.get("source_id") and source_of(prospect) != wanted["source_id"]:
            gh.set_source(application_id, wanted["source_id"])
    _attach_missing(gh, application_id, item.files)
    return _delivered(api, application_id, "application")


def _prospect_application(applications: list[dict[str, Any]], job: int) -> dict[str, Any] | None:
    """An active prospect application, the one considered for this job first."""
    active = [a for a in applications if a.get("prospect") and a.get("status", "active") == "active"]
    return next((a for a in active if job in jobs_of(a)), active[0] if active else None)


def _attach_missing(gh: V3 | V1, application_id: str, files: list[File]) -> None:
    if not files:
        return
    present = gh.attached(application_id)
    for file in files:
        if file.filename not in present:
            gh.attach(application_id, file)


def _delivered(api: Api, remote_id: str, subject: str) -> SendResult:
    kind = "candidate" if subject == "person" else "application"
    return SendResult("delivered", api.last_status, None, api.summary(), remote_id=remote_id, remote_kind=kind,
                      remote_subject=subject)
