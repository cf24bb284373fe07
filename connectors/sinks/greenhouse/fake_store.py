"""The fake Greenhouse organisation: users, jobs with their stages, sources, people (candidates and prospects),
applications and attachments — validated the way Harvest validates, serialised in v1 and v3 shapes.

Like Greenhouse, nothing is deduplicated: every create makes a new record, even for an email already on file.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from datetime import UTC, datetime
from typing import Any

DEFAULT_STAGES = ("Application Review", "Preliminary Phone Screen", "Phone Interview", "Face to Face",
                  "Reference Check", "Offer")
SOURCE_TYPES = {"attend_events", "referrals", "third_party_boards", "candidate_search", "other", "social_media",
                "company_marketing", "agencies", "prospecting"}
EMAIL_TYPES = ("personal", "work", "other")
PHONE_TYPES = ("home", "work", "mobile", "skype", "other")
ATTACHMENT_TYPES = ("resume", "cover_letter", "other", "take_home_test", "offer_letter", "signed_offer_letter")
CONTENT_TYPES = ("application/pdf", "application/msword",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/plain",
                 "text/rtf", "image/jpeg", "image/png")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Invalid(Exception):
    """422 with Greenhouse's ``errors`` array."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Org:
    def __init__(self) -> None:
        self.users = {4080: "Kate Austen", 92120: "Greenhouse Admin"}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.sources: dict[int, dict[str, Any]] = {}
        self.candidates: dict[int, dict[str, Any]] = {}
        self.applications: dict[int, dict[str, Any]] = {}
        self.attachments: dict[int, list[dict[str, Any]]] = {}
        self._candidate_ids = itertools.count(15803530)
        self._application_ids = itertools.count(38776620)
        self._stage_ids = itertools.count(2708728)
        self.add_job(215725, "Pflegefachkraft (m/w/d)")
        self.add_job(266926, "Fachinformatiker Systemintegration (m/w/d)")
        for source_id, name, kind in ((7, "Career site", "company_marketing"), (16, "Meta Lead Ads", "social_media"),
                                      (17, "LinkedIn Lead Gen", "social_media"), (632, "Other", "prospecting")):
            self.sources[source_id] = {"id": source_id, "name": name, "type": {"id": 5, "name": kind}}

    def add_job(self, job_id: int, name: str, status: str = "open", stages: tuple[str, ...] = DEFAULT_STAGES) -> None:
        self.jobs[job_id] = {"id": job_id, "name": name, "status": status, "requisition_id": None,
                             "stages": [{"id": next(self._stage_ids), "name": s} for s in stages]}

    # -- validation --------------------------------------------------------------------------------------------
    def check_person(self, body: dict[str, Any]) -> list[dict[str, str]]:
        errors = [{"message": "can't be blank", "field": f} for f in ("first_name", "last_name")
                  if not str(body.get(f) or "").strip()]
        for n, entry in enumerate(body.get("email_addresses") or []):
            if not EMAIL.match(str(entry.get("value") or "")):
                errors.append({"message": "Must be a valid email address", "field": f"email_addresses[{n}].value"})
            if entry.get("type") not in EMAIL_TYPES:
                errors.append({"message": f"Must be one of: {', '.join(EMAIL_TYPES)}",
                               "field": f"email_addresses[{n}].type"})
        for n, entry in enumerate(body.get("phone_numbers") or []):
            if entry.get("type") not in PHONE_TYPES:
                errors.append({"message": f"Must be one of: {', '.join(PHONE_TYPES)}",
                               "field": f"phone_numbers[{n}].type"})
        return errors

    def check_application(self, body: dict[str, Any], prospect: bool, where: str = "") -> list[dict[str, str]]:
        errors = []
        jobs = [int(j) for j in body.get("job_ids") or []] if prospect else [body.get("job_id")]
        for job in jobs:
            if not isinstance(job, int) or job not in self.jobs:
                errors.append({"message": f"Job {job} does not exist", "field": f"{where}job_id"})
            elif self.jobs[job]["status"] != "open":
                errors.append({"message": f"Job {job} is not open", "field": f"{where}job_id"})
        source = body.get("source_id")
        if source is not None and (not isinstance(source, int) or source not in self.sources):
            errors.append({"message": f"Source {source} does not exist", "field": f"{where}source_id"})
        for n, attachment in enumerate(body.get("attachments") or []):
            errors += self.check_attachment(attachment, f"{where}attachments[{n}].")
        return errors

    def check_attachment(self, body: dict[str, Any], where: str = "") -> list[dict[str, str]]:
        errors = []
        if not body.get("filename"):
            errors.append({"message": "can't be blank", "field": f"{where}filename"})
        if body.get("type") not in ATTACHMENT_TYPES:
            errors.append({"message": f"Must be one of: {', '.join(ATTACHMENT_TYPES)}", "field": f"{where}type"})
        if body.get("content") is None and not body.get("url"):
            errors.append({"message": "Must provide either content or url", "field": f"{where}content"})
        if body.get("content") is not None:
            if body.get("content_type") not in CONTENT_TYPES:
                errors.append({"message": f"Must be one of: {', '.join(CONTENT_TYPES)}",
                               "field": f"{where}content_type"})
            try:
                if not base64.b64decode(str(body["content"]), validate=True):
                    raise ValueError("empty")
            except (binascii.Error, ValueError):
                errors.append({"message": "Must be Base64 encoded, non-empty", "field": f"{where}content"})
        return errors

    # -- writes --------------------------------------------------------------------------------------------------
    def new_person(self, body: dict[str, Any], now: float) -> dict[str, Any]:
        person_id = next(self._candidate_ids)
        person = {
            "id": person_id, "first_name": body["first_name"], "last_name": body["last_name"],
            "company": body.get("company"), "title": body.get("title"), "is_private": bool(body.get("is_private")),
            "created_at": iso(now), "updated_at": iso(now), "last_activity": iso(now),
            "email_addresses": [dict(e) for e in body.get("email_addresses") or []],
            "phone_numbers": [dict(p) for p in body.get("phone_numbers") or []],
            "addresses": [dict(a) for a in body.get("addresses") or []],
            "tags": [str(t) for t in body.get("tags") or []],
        }
        self.candidates[person_id] = person
        return person

    def update_person(self, person: dict[str, Any], body: dict[str, Any], now: float) -> None:
        for key in ("first_name", "last_name", "company", "title", "email_addresses", "phone_numbers", "addresses",
                    "tags"):
            if key in body:
                person[key] = body[key]  # arrays are replaced, as Harvest's PATCH does
        person["updated_at"] = person["last_activity"] = iso(now)

    def new_application(self, candidate_id: int, body: dict[str, Any], prospect: bool, now: float) -> dict[str, Any]:
        application_id = next(self._application_ids)
        job_ids = [int(j) for j in body.get("job_ids") or []] if prospect else [int(body["job_id"])]
        first_stage = None if prospect else self.jobs[job_ids[0]]["stages"][0]
        application = {
            "id": application_id, "candidate_id": candidate_id, "prospect": prospect, "status": "active",
            "job_ids": job_ids, "source_id": body.get("source_id"), "applied_at": iso(now), "created_at": iso(now),
            "updated_at": iso(now), "last_activity_at": iso(now), "rejected_at": None, "rejection_reason": None,
            "current_stage": dict(first_stage) if first_stage else None, "updated": now,
        }
        self.applications[application_id] = application
        self.attachments[application_id] = []
        for attachment in body.get("attachments") or []:
            self.attach(application_id, attachment, now)
        return application

    def attach(self, application_id: int, body: dict[str, Any], now: float) -> dict[str, Any]:
        stored = {"id": next(self._stage_ids), "application_id": application_id, "filename": body["filename"],
                  "type": body["type"], "content_type": body.get("content_type"), "created_at": iso(now),
                  "content": base64.b64decode(body["content"]) if body.get("content") is not None else None,
                  "url": f"https://prod-heroku.s3.amazonaws.com/sandbox/{application_id}/{body['filename']}"}
        self.attachments.setdefault(application_id, []).append(stored)
        self.touch(application_id, now)
        return stored

    def convert(self, application_id: int, job_id: int, now: float) -> dict[str, Any]:
        """Prospect → candidate on a job: a new candidate application replaces the prospect one (v1 answers with
        both ids)."""
        old = self.applications.pop(application_id)
        new = self.new_application(old["candidate_id"], {"job_id": job_id, "source_id": old["source_id"]}, False, now)
        new["converted_from"] = application_id
        self.attachments[new["id"]] += self.attachments.pop(application_id, [])
        return new

    def touch(self, application_id: int, now: float) -> None:
        application = self.applications[application_id]
        application["updated_at"] = application["last_activity_at"] = iso(now)
        application["updated"] = now

    def move(self, application_id: int, stage_name: str, now: float) -> dict[str, Any]:
        """A recruiter moves the application to the stage of its job with that name."""
        application = self.applications[application_id]
        stages = self.jobs[application["job_ids"][0]]["stages"]
        application["current_stage"] = dict(next(s for s in stages if s["name"] == stage_name))
        self.touch(application_id, now)
        return application

    def hire(self, application_id: int, now: float) -> dict[str, Any]:
        self.applications[application_id]["status"] = "hired"
        self.touch(application_id, now)
        return self.applications[application_id]

    def reject(self, application_id: int, reason: str, now: float) -> dict[str, Any]:
        application = self.applications[application_id]
        application.update(status="rejected", rejected_at=iso(now),
                           rejection_reason={"id": 14, "name": reason, "type": {"id": 1, "name": "We rejected them"}})
        self.touch(application_id, now)
        return application

    # -- reads ---------------------------------------------------------------------------------------------------
    def with_email(self, email: str) -> list[dict[str, Any]]:
        wanted = email.strip().lower()
        return [c for c in self.candidates.values()
                if any(str(e.get("value", "")).lower() == wanted for e in c["email_addresses"])]

    def applications_of(self, candidate_id: int) -> list[dict[str, Any]]:
        return [a for a in self.applications.values() if a["candidate_id"] == candidate_id]
