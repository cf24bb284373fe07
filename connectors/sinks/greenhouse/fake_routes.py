"""The fake's Harvest routes, v3 and v1, over the ``fake_store.Org``; paging as each version pages (v3: an opaque
``cursor`` that must be the only parameter, ``Link`` next only; v1: ``page``/``per_page`` with next/prev/last)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import request

from connectors.sinks.greenhouse import fake_shapes as shapes
from connectors.sinks.greenhouse.fake_store import Invalid

if TYPE_CHECKING:
    from connectors.sinks.greenhouse.fake import GreenhouseFake

Reply = tuple[Any, int, dict[str, str]]


def _not_found() -> Reply:
    return {"message": "Resource not found"}, 404, {}


def _since(value: str | None, field: str) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise Invalid([{"message": "Must be an ISO-8601 timestamp", "field": field}]) from exc


def _per_page(value: Any) -> int:
    try:
        number = int(value if value is not None else 100)
    except ValueError:
        number = 0
    if not 1 <= number <= 500:
        raise Invalid([{"message": "Must be between 1 and 500", "field": "per_page"}])
    return number


def _v3_query() -> tuple[dict[str, str], int, int]:
    """The filters, offset and page size: from the cursor alone, or from the first request's parameters."""
    args = request.args.to_dict()
    if "cursor" in args:
        if len(args) > 1:
            raise Invalid([{"message": "cursor cannot be combined with other parameters", "field": "cursor"}])
        try:
            state = json.loads(base64.urlsafe_b64decode(args["cursor"].encode()))
        except ValueError as exc:
            raise Invalid([{"message": "is invalid", "field": "cursor"}]) from exc
        return dict(state["p"]), int(state["o"]), int(state["n"])
    per_page = _per_page(args.pop("per_page", None))
    return args, 0, per_page


def _v3_page(items: list[dict[str, Any]], params: dict[str, str], offset: int, per_page: int) -> Reply:
    page = items[offset:offset + per_page]
    headers = {}
    if offset + per_page < len(items):
        state = {"p": params, "o": offset + per_page, "n": per_page}
        cursor = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        headers["Link"] = f'<{request.base_url}?{urlencode({"cursor": cursor})}>; rel="next"'
    return page, 200, headers


def _v1_page(items: list[dict[str, Any]]) -> Reply:
    per_page = _per_page(request.args.get("per_page"))
    page = max(1, int(request.args.get("page") or 1))
    last = max(1, -(-len(items) // per_page))
    args = request.args.to_dict()

    def link(number: int, rel: str) -> str:
        return f'<{request.base_url}?{urlencode({**args, "page": number, "per_page": per_page})}>; rel="{rel}"'

    links = ([link(page + 1, "next")] if page < last else []) + ([link(page - 1, "prev")] if page > 1 else [])
    links += [link(last, "last")] if request.args.get("skip_count") != "true" else []
    return items[(page - 1) * per_page:page * per_page], 200, ({"Link": ", ".join(links)} if last > 1 else {})


def routes(fake: GreenhouseFake) -> list[tuple[str, str, Callable[..., Reply]]]:
    org = fake.org

    def person(candidate_id: str) -> dict[str, Any]:
        found = org.candidates.get(int(candidate_id))
        if found is None:
            raise _Missing
        return found

    def application(application_id: str) -> dict[str, Any]:
        found = org.applications.get(int(application_id))
        if found is None:
            raise _Missing
        return found

    def missing_ok(handler: Callable[..., Reply]) -> Callable[..., Reply]:
        def wrapped(body: dict[str, Any], **kwargs: Any) -> Reply:
            try:
                return handler(body, **kwargs)
            except _Missing:
                return _not_found()

        return wrapped

    # -- people ----------------------------------------------------------------------------------------------
    def create_person(body: dict[str, Any], prospect: bool, version: str) -> Reply:
        errors = org.check_person(body)
        if prospect:
            errors += org.check_application(dict(body.get("application") or {}), True, "application.")
        else:
            given = body.get("applications") or []
            if not given:
                errors.append({"message": "Must have at least one application", "field": "applications"})
            for n, each in enumerate(given):
                errors += org.check_application(each, False, f"applications[{n}].")
        if errors:
            raise Invalid(errors)
        created = org.new_person(body, fake.now())
        for each in [dict(body.get("application") or {})] if prospect else body["applications"]:
            org.new_application(created["id"], each, prospect, fake.now())
        if version == "v1" and fake.truncated_for_s:  # Greenhouse finishes asynchronously: ids only for now
            fake.ready_at[created["id"]] = fake.now() + fake.truncated_for_s
            return {"id": created["id"], "application_ids": [a["id"] for a in org.applications_of(created["id"])]}, \
                201, {}
        shown = shapes.candidate_v3(org, created) if version == "v3" else shapes.candidate_v1(org, created)
        return shown, 201, {}

    def list_people(version: str) -> Reply:
        params, offset, per_page = _v3_query() if version == "v3" else (request.args.to_dict(), 0, 0)
        email = params.get("email")
        found = org.with_email(email) if email else list(org.candidates.values())
        found = [c for c in found if fake.ready_at.get(c["id"], 0) <= fake.now()]  # still being created: invisible
        if version == "v3":
            return _v3_page([shapes.candidate_v3(org, c) for c in found], params, offset, per_page)
        return _v1_page([shapes.candidate_v1(org, c) for c in found])

    def read_person(candidate_id: str, version: str) -> Reply:
        found = person(candidate_id)
        if version == "v1" and fake.ready_at.get(found["id"], 0) > fake.now():
            return _not_found()
        return (shapes.candidate_v3(org, found) if version == "v3" else shapes.candidate_v1(org, found)), 200, {}

    def update_person(body: dict[str, Any], candidate_id: str, version: str) -> Reply:
        found = person(candidate_id)
        errors = org.check_person({"first_name": found["first_name"], "last_name": found["last_name"], **body})
        if errors:
            raise Invalid(errors)
        org.update_person(found, body, fake.now())
        return read_person(candidate_id, version)

    # -- applications -------------------------------------------------------------------------------------------
    def add_application(body: dict[str, Any], candidate_id: str, version: str) -> Reply:
        person(candidate_id)
        prospect = str(body.get("prospect", "")).lower() == "true"
        errors = org.check_application(body, prospect)
        if errors:
            raise Invalid(errors)
        created = org.new_application(int(candidate_id), body, prospect, fake.now())
        return (shapes.application_v3(created) if version == "v3" else shapes.application_v1(org, created)), 201, {}

    def v3_create_application(body: dict[str, Any]) -> Reply:
        if not isinstance(body.get("candidate_id"), int):
            raise Invalid([{"message": "can't be blank", "field": "candidate_id"}])
        return add_application(body, str(body["candidate_id"]), "v3")

    def convert(body: dict[str, Any], application_id: str, version: str) -> Reply:
        found = application(application_id)
        if not found["prospect"]:
            raise Invalid([{"message": "Application is not a prospect application", "field": "application_id"}])
        errors = org.check_application({"job_id": body.get("job_id")}, False)
        if errors:
            raise Invalid(errors)
        new = org.convert(found["id"], int(body["job_id"]), fake.now())
        if version == "v3":
            return shapes.application_v3(new), 200, {}
        return {"success": True, "old_application_id": found["id"], "new_application_id": new["id"]}, 200, {}

    def update_application(body: dict[str, Any], application_id: str, version: str) -> Reply:
        found = application(application_id)
        if "source_id" in body:
            errors = org.check_application({"source_id": body["source_id"]}, True)
            if errors:
                raise Invalid(errors)
            found["source_id"] = body["source_id"]
        org.touch(found["id"], fake.now())
        return read_application(application_id, version)

    def read_application(application_id: str, version: str) -> Reply:
        found = application(application_id)
        return (shapes.application_v3(found) if version == "v3" else shapes.application_v1(org, found)), 200, {}

    def list_applications(version: str) -> Reply:
        params, offset, per_page = _v3_query() if version == "v3" else (request.args.to_dict(), 0, 0)
        since_key = "updated_after" if version == "v3" else "last_activity_after"
        since = _since(params.get(since_key), since_key)
        found = sorted(org.applications.values(), key=lambda a: a["id"])
        if params.get("candidate_id"):
            found = [a for a in found if str(a["candidate_id"]) == params["candidate_id"]]
        if since is not None:
            found = [a for a in found if a["updated"] >= since]
        if version == "v3":
            return _v3_page([shapes.application_v3(a) for a in found], params, offset, per_page)
        return _v1_page([shapes.application_v1(org, a) for a in found])

    # -- attachments, sources, jobs ---------------------------------------------------------------------------
    def attach(body: dict[str, Any], application_id: str, version: str) -> Reply:
        application(application_id)
        errors = org.check_attachment(body)
        if errors:
            raise Invalid(errors)
        stored = org.attach(int(application_id), body, fake.now())
        return (shapes.attachment_v3(stored) if version == "v3" else shapes.attachment_v1(stored)), 201, {}

    def v3_attach(body: dict[str, Any]) -> Reply:
        if not isinstance(body.get("application_id"), int):
            raise Invalid([{"message": "can't be blank", "field": "application_id"}])
        return attach(body, str(body["application_id"]), "v3")

    def v3_attachments(body: dict[str, Any]) -> Reply:
        params, offset, per_page = _v3_query()
        wanted = params.get("application_id")
        found = [a for app_id, stored in org.attachments.items() for a in stored
                 if wanted is None or str(app_id) == wanted]
        return _v3_page([shapes.attachment_v3(a) for a in found], params, offset, per_page)

    def sources(version: str) -> Reply:
        found = list(org.sources.values())
        if version == "v3":
            params, offset, per_page = _v3_query()
            return _v3_page(found, params, offset, per_page)
        return _v1_page(found)

    def jobs(version: str) -> Reply:
        found = [{k: v for k, v in j.items() if k != "stages"} for j in org.jobs.values()]
        if version == "v3":
            params, offset, per_page = _v3_query()
            return _v3_page(found, params, offset, per_page)
        return _v1_page(found)

    table: list[tuple[str, str, Callable[..., Reply]]] = []
    for v in ("v3", "v1"):
        table += [
            (f"/{v}/candidates", "GET", lambda body, v=v: list_people(v)),
            (f"/{v}/candidates", "POST", lambda body, v=v: create_person(body, False, v)),
            (f"/{v}/prospects", "POST", lambda body, v=v: create_person(body, True, v)),
            (f"/{v}/candidates/<candidate_id>", "GET", lambda body, candidate_id, v=v: read_person(candidate_id, v)),
            (f"/{v}/candidates/<candidate_id>", "PATCH",
             lambda body, candidate_id, v=v: update_person(body, candidate_id, v)),
            (f"/{v}/applications", "GET", lambda body, v=v: list_applications(v)),
            (f"/{v}/applications/<application_id>", "GET",
             lambda body, application_id, v=v: read_application(application_id, v)),
            (f"/{v}/applications/<application_id>", "PATCH",
             lambda body, application_id, v=v: update_application(body, application_id, v)),
            (f"/{v}/sources", "GET", lambda body, v=v: sources(v)),
            (f"/{v}/jobs", "GET", lambda body, v=v: jobs(v)),
        ]
    table += [
        ("/v3/applications", "POST", v3_create_application),
        ("/v3/applications/<application_id>/convert_to_candidate", "POST",
         lambda body, application_id: convert(body, application_id, "v3")),
        ("/v3/attachments", "GET", v3_attachments),
        ("/v3/attachments", "POST", v3_attach),
        ("/v1/candidates/<candidate_id>/applications", "POST",
         lambda body, candidate_id: add_application(body, candidate_id, "v1")),
        ("/v1/applications/<application_id>/convert_prospect", "PATCH",
         lambda body, application_id: convert(body, application_id, "v1")),
        ("/v1/applications/<application_id>/attachments", "POST",
         lambda body, application_id: attach(body, application_id, "v1")),
    ]
    return [(rule, method, missing_ok(handler)) for rule, method, handler in table]


class _Missing(Exception):
    """A record named in the path does not exist (404)."""
