"""The Harvest calls the sink needs, once for v3 and once for legacy v1: the same verbs, different routes and shapes.

No call is idempotent at Greenhouse (every POST makes a new record), so ``flow`` looks up before it creates.
"""

from __future__ import annotations

from typing import Any

from connectors.sinks.base import File
from connectors.sinks.greenhouse import payload
from connectors.sinks.greenhouse.client import Api

PER_PAGE = 500


def jobs_of(application: dict[str, Any]) -> list[int]:
    """The job ids of an application in either version's shape."""
    ids = [int(j["id"]) for j in application.get("jobs") or [] if isinstance(j, dict) and j.get("id")]
    ids += [int(j) for j in application.get("prospect_job_ids") or []]
    if application.get("job_id"):
        ids.append(int(application["job_id"]))
    return ids


def source_of(application: dict[str, Any]) -> int | None:
    source = application.get("source")
    if isinstance(source, dict) and source.get("id"):
        return int(source["id"])
    return int(application["source_id"]) if application.get("source_id") else None


def oldest(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several people may share an email in Greenhouse (no dedupe on create): the first one is ours."""
    return min(candidates, key=lambda c: int(c["id"])) if candidates else None


class Harvest:
    """What both versions share: reading a list by following ``Link: rel="next"``."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def application(self, application_id: str) -> dict[str, Any] | None:
        response = self.api.call("GET", f"/{self.api.version}/applications/{int(application_id)}")
        return None if response.status_code == 404 else self.api.expect(response, 200)

    def pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        response = self.api.call("GET", path, params=params)
        while True:
            found += self.api.expect(response, 200) or []
            following = response.links.get("next", {}).get("url")
            if not following:
                return found
            response = self.api.call("GET", following)  # v3: the cursor must be the only parameter


class V3(Harvest):
    def find(self, email: str) -> dict[str, Any] | None:
        return oldest(self.pages("/v3/candidates", {"email": email, "per_page": PER_PAGE}))

    def candidate(self, candidate_id: str) -> dict[str, Any] | None:
        response = self.api.call("GET", f"/v3/candidates/{int(candidate_id)}")
        return None if response.status_code == 404 else self.api.expect(response, 200)

    def update(self, candidate_id: str, changes: dict[str, Any]) -> None:
        self.api.expect(self.api.call("PATCH", f"/v3/candidates/{int(candidate_id)}", changes), 200)

    def create_prospect(self, fields: dict[str, Any], application: dict[str, Any] | None) -> str:
        body = {**fields, **({"application": application} if application else {})}
        return str(self.api.expect(self.api.call("POST", "/v3/prospects", body), 201)["id"])

    def applications(self, candidate: dict[str, Any]) -> list[dict[str, Any]]:
        return self.pages("/v3/applications", {"candidate_id": candidate["id"], "per_page": PER_PAGE})

    def create_candidate(self, fields: dict[str, Any], application: dict[str, Any], files: list[File]) -> str:
        """One POST makes the candidate and the application; the files follow, one resource each."""
        created = self.api.expect(self.api.call("POST", "/v3/candidates", {**fields, "applications": [application]}),
                                  201)
        application_id = str(created["application_ids"][0])
        for file in files:
            self.attach(application_id, file)
        return application_id

    def add_application(self, candidate_id: str, application: dict[str, Any], files: list[File]) -> str:
        body = {"candidate_id": int(candidate_id), **application}
        application_id = str(self.api.expect(self.api.call("POST", "/v3/applications", body), 201)["id"])
        for file in files:
            self.attach(application_id, file)
        return application_id

    def convert(self, application_id: str, job_id: int) -> str:
        path = f"/v3/applications/{int(application_id)}/convert_to_candidate"
        return str(self.api.expect(self.api.call("POST", path, {"job_id": job_id}), 200, 201)["id"])

    def set_source(self, application_id: str, source_id: int) -> None:
        self.api.expect(self.api.call("PATCH", f"/v3/applications/{int(application_id)}", {"source_id": source_id}),
                        200)

    def attached(self, application_id: str) -> set[str]:
        found = self.pages("/v3/attachments", {"application_id": int(application_id), "per_page": PER_PAGE})
        return {str(a.get("filename")) for a in found}

    def attach(self, application_id: str, file: File) -> None:
        body = {"application_id": int(application_id), **payload.attachment(file)}
        self.api.expect(self.api.call("POST", "/v3/attachments", body), 201)


class V1(Harvest):
    """Legacy Harvest (retired 31 Aug 2026): files go inline with the application."""

    def find(self, email: str) -> dict[str, Any] | None:
        return oldest(self.pages("/v1/candidates", {"email": email, "per_page": PER_PAGE}))

    def candidate(self, candidate_id: str) -> dict[str, Any] | None:
        response = self.api.call("GET", f"/v1/candidates/{int(candidate_id)}")
        return None if response.status_code == 404 else self.api.expect(response, 200)

    def update(self, candidate_id: str, changes: dict[str, Any]) -> None:
        self.api.expect(self.api.call("PATCH", f"/v1/candidates/{int(candidate_id)}", changes), 200)

    def create_prospect(self, fields: dict[str, Any], application: dict[str, Any] | None) -> str:
        body = {**fields, **({"application": application} if application else {})}
        return str(self.api.expect(self.api.call("POST", "/v1/prospects", body), 201)["id"])

    def applications(self, candidate: dict[str, Any]) -> list[dict[str, Any]]:
        return list(candidate.get("applications") or [])  # the v1 candidate object carries them

    def create_candidate(self, fields: dict[str, Any], application: dict[str, Any], files: list[File]) -> str:
        inline = {**application, "attachments": [payload.attachment(f) for f in files]}
        created = self.api.expect(self.api.call("POST", "/v1/candidates", {**fields, "applications": [inline]}), 201)
        return str(created["application_ids"][0])  # present even in Greenhouse's truncated (async) answer

    def add_application(self, candidate_id: str, application: dict[str, Any], files: list[File]) -> str:
        body = {**application, "attachments": [payload.attachment(f) for f in files]}
        path = f"/v1/candidates/{int(candidate_id)}/applications"
        return str(self.api.expect(self.api.call("POST", path, body), 201)["id"])

    def convert(self, application_id: str, job_id: int) -> str:
        path = f"/v1/applications/{int(application_id)}/convert_prospect"
        return str(self.api.expect(self.api.call("PATCH", path, {"job_id": job_id}), 200)["new_application_id"])

    def set_source(self, application_id: str, source_id: int) -> None:
        self.api.expect(self.api.call("PATCH", f"/v1/applications/{int(application_id)}", {"source_id": source_id}),
                        200)

    def attached(self, application_id: str) -> set[str]:
        found = self.api.expect(self.api.call("GET", f"/v1/applications/{int(application_id)}"), 200)
        return {str(a.get("filename")) for a in found.get("attachments") or []}

    def attach(self, application_id: str, file: File) -> None:
        path = f"/v1/applications/{int(application_id)}/attachments"
        self.api.expect(self.api.call("POST", path, payload.attachment(file)), 201)


def for_api(api: Api) -> V3 | V1:
    return V3(api) if api.version == "v3" else V1(api)
