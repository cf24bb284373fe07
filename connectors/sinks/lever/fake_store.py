"""The data behind the Lever fake: users, postings, stages, archive reasons, contacts merged by email and
opportunities — a new one for every create, as Lever does — with their applications, files and notes."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

ORIGINS = ("agency", "applied", "internal", "referred", "sourced", "university")
MAX_FILE_BYTES = 30 * 1024 * 1024
STAGES = {
    "lead-new": "New lead",
    "lead-reached-out": "Reached out",
    "lead-responded": "Responded",
    "applicant-new": "New applicant",
    "d8b2d6f2-3c51-4bb4-9a1e-5d4f0c2f6a11": "Recruiter screen",
    "0f5e3c4a-7d21-4c8e-8a55-2b9e61f0d7c2": "On-site interview",
    "offer": "Offer",
}
ARCHIVE_REASONS = [
    {"id": "63dd55b2-a99f-4e7b-985f-22c7bf80ab42", "text": "Hired", "status": "active", "type": "hired"},
    {"id": "9c4a8d7e-1f2b-4e3c-8a6d-5b7c9e0f1a23", "text": "Underqualified", "status": "active", "type": "non-hired"},
    {"id": "e1f2a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7", "text": "Withdrew", "status": "active", "type": "non-hired"},
]


class LeverError(Exception):
    """An answer in Lever's error envelope ``{"code": …, "message": …}``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, dict(headers or {})

    def body(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def ms(seconds: float) -> int:
    return int(seconds * 1000)


class Account:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.postings: dict[str, dict[str, Any]] = {}
        self.stages = dict(STAGES)
        self.archive_reasons = [dict(r) for r in ARCHIVE_REASONS]
        self.contacts: dict[str, str] = {}  # normalised email → contact id
        self.opportunities: dict[str, dict[str, Any]] = {}
        self.applications: dict[str, dict[str, Any]] = {}
        self.files: dict[str, list[dict[str, Any]]] = {}
        self.notes: dict[str, list[dict[str, Any]]] = {}

    def add_user(self, name: str, user_id: str | None = None) -> str:
        user_id = user_id or str(uuid.uuid4())
        email = f"{name.lower().replace(' ', '.')}@example.com"
        self.users[user_id] = {"id": user_id, "name": name, "username": name.split()[0].lower(), "email": email,
                               "accessRole": "super admin", "createdAt": ms(time.time()), "deactivatedAt": None}
        return user_id

    def add_posting(self, text: str, posting_id: str | None = None, state: str = "published") -> str:
        posting_id = posting_id or str(uuid.uuid4())
        self.postings[posting_id] = {"id": posting_id, "text": text, "state": state, "createdAt": ms(time.time())}
        return posting_id

    # -- checks shared by every write ---------------------------------------------------------------------------
    def actor(self, perform_as: str | None) -> str:
        if not perform_as:
            raise LeverError(400, "BadRequestError", "Missing required query parameter: perform_as")
        user = self.users.get(perform_as)
        if user is None or user.get("deactivatedAt"):
            raise LeverError(400, "BadRequestError", f"Invalid perform_as user: {perform_as}")
        return perform_as

    def get(self, opportunity_id: str) -> dict[str, Any]:
        found = self.opportunities.get(opportunity_id)
        if found is None:
            raise LeverError(404, "ResourceNotFound", f"Opportunity {opportunity_id} not found")
        return found

    # -- opportunities ------------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any], actor: str, now: float) -> dict[str, Any]:
        """Always a new opportunity; its contact is the existing one when an email matches."""
        emails = body.get("emails") or []
        if not isinstance(emails, list) or any(not isinstance(e, str) or "@" not in e for e in emails):
            raise LeverError(400, "BadRequestError", f"Invalid email address in emails: {emails}")
        origin = body.get("origin", "sourced")
        if origin not in ORIGINS:
            raise LeverError(400, "BadRequestError", f"Invalid origin: {origin}. Must be one of {', '.join(ORIGINS)}")
        wanted = body.get("postings") or []
        if len(wanted) > 1:
            raise LeverError(400, "BadRequestError", "An opportunity can only be applied to one posting at a time")
        for posting in wanted:
            if posting not in self.postings:
                raise LeverError(400, "BadRequestError", f"Invalid posting id: {posting}")
        stage = body.get("stage") or ("applicant-new" if wanted else "lead-new")
        if stage not in self.stages:
            raise LeverError(400, "BadRequestError", f"Invalid stage id: {stage}")
        if not body.get("name") and not emails:
            raise LeverError(400, "BadRequestError", "An opportunity needs a name or an email address")
        contact = next((self.contacts[e.lower()] for e in emails if e.lower() in self.contacts), None)
        contact = contact or str(uuid.uuid4())
        for email in emails:
            self.contacts.setdefault(email.lower(), contact)
        opportunity_id = str(uuid.uuid4())
        stamp = ms(now)
        opportunity = {
            "id": opportunity_id, "name": body.get("name") or emails[0], "headline": body.get("headline", ""),
            "contact": contact, "emails": list(emails), "phones": list(body.get("phones") or []),
            "confidentiality": "non-confidential", "location": body.get("location", ""),
            "links": list(body.get("links") or []), "tags": list(dict.fromkeys(body.get("tags") or [])),
            "sources": list(dict.fromkeys(body.get("sources") or [])), "origin": origin, "sourcedBy": actor,
            "owner": body.get("owner") or actor, "followers": [actor], "stage": stage,
            "stageChanges": [{"toStageId": stage, "toStageIndex": list(self.stages).index(stage),
                              "updatedAt": stamp, "userId": actor}],
            "archived": None, "applications": [], "createdAt": stamp, "updatedAt": stamp,
            "lastInteractionAt": stamp, "lastAdvancedAt": stamp, "snoozedUntil": None, "isAnonymized": False,
            "urls": {"list": "https://hire.sandbox.lever.co/candidates",
                     "show": f"https://hire.sandbox.lever.co/candidates/{opportunity_id}"},
            "dataProtection": None,
        }
        for posting in wanted:
            application_id = str(uuid.uuid4())
            self.applications[application_id] = {
                "id": application_id, "type": "posting", "candidateId": opportunity_id,
                "opportunityId": opportunity_id, "posting": posting, "postingHiringManager": None,
                "postingOwner": actor, "user": actor, "name": opportunity["name"], "createdAt": stamp,
            }
            opportunity["applications"].append(application_id)
        self.opportunities[opportunity_id] = opportunity
        return opportunity

    def view(self, opportunity: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        shown = dict(opportunity)
        if "applications" in expand:
            shown["applications"] = [self.applications[a] for a in opportunity["applications"]]
        return shown

    def by_email(self, email: str) -> list[dict[str, Any]]:
        contact = self.contacts.get(email.strip().lower())
        found = [o for o in self.opportunities.values() if contact and o["contact"] == contact]
        return sorted(found, key=lambda o: o["createdAt"])

    def add(self, opportunity_id: str, field: str, values: Any, now: float) -> dict[str, Any]:
        if not isinstance(values, list) or any(not isinstance(v, str) for v in values):
            raise LeverError(400, "BadRequestError", f"{field} must be an array of strings")
        opportunity = self.get(opportunity_id)
        opportunity[field] = list(dict.fromkeys([*opportunity[field], *values]))
        opportunity["updatedAt"] = ms(now)
        return opportunity

    def move(self, opportunity_id: str, stage: str, actor: str, now: float) -> dict[str, Any]:
        opportunity = self.get(opportunity_id)
        if stage not in self.stages:
            raise LeverError(400, "BadRequestError", f"Invalid stage id: {stage}")
        opportunity["stage"], opportunity["updatedAt"] = stage, ms(now)
        opportunity["stageChanges"].append({"toStageId": stage, "toStageIndex": list(self.stages).index(stage),
                                            "updatedAt": ms(now), "userId": actor})
        return opportunity

    def archive(self, opportunity_id: str, reason: str | None, now: float) -> dict[str, Any]:
        opportunity = self.get(opportunity_id)
        if reason is not None and reason not in {r["id"] for r in self.archive_reasons}:
            raise LeverError(400, "BadRequestError", f"Invalid archive reason: {reason}")
        opportunity["archived"] = {"reason": reason, "archivedAt": ms(now)} if reason else None
        return opportunity

    # -- notes and files ----------------------------------------------------------------------------------------
    def note(self, opportunity_id: str, value: Any, actor: str, now: float) -> dict[str, Any]:
        self.get(opportunity_id)
        if not isinstance(value, str) or not value.strip():
            raise LeverError(400, "BadRequestError", "Note value must be a non-empty string")
        note = {"id": str(uuid.uuid4()), "text": value, "fields": [{"type": "text", "text": "Comment",
                                                                   "value": value}],
                "user": actor, "secret": False, "completedAt": ms(now), "createdAt": ms(now), "deletedAt": None}
        self.notes.setdefault(opportunity_id, []).append(note)
        return note

    def upload(self, opportunity_id: str, name: str, content: bytes, now: float) -> dict[str, Any]:
        self.get(opportunity_id)
        if len(content) > MAX_FILE_BYTES:
            raise LeverError(413, "RequestEntityTooLarge", "File size exceeds the limit of 30MB")
        if not content:
            raise LeverError(400, "BadRequestError", "File is empty")
        file_id = str(uuid.uuid4())
        entry = {"id": file_id, "downloadUrl": f"https://api.sandbox.lever.co/v1/opportunities/{opportunity_id}"
                                               f"/files/{file_id}/download",
                 "ext": name.rsplit(".", 1)[-1].lower() if "." in name else "", "name": name,
                 "uploadedAt": ms(now), "status": "processed", "size": len(content)}
        self.files.setdefault(opportunity_id, []).append({**entry, "content": content})
        return entry


def page(items: list[dict[str, Any]], limit: str | None, offset: str | None) -> dict[str, Any]:
    """Lever's list envelope: ``limit`` 1 to 100, an opaque ``offset`` token, ``hasNext`` and ``next``."""
    size = int(limit or 100)
    if not 1 <= size <= 100:
        raise LeverError(400, "BadRequestError", "limit must be between 1 and 100")
    try:
        start = int(base64.urlsafe_b64decode(offset.encode()).decode()) if offset else 0
    except ValueError as exc:
        raise LeverError(400, "BadRequestError", f"Invalid offset: {offset}") from exc
    chunk = items[start:start + size]
    more = start + size < len(items)
    answer: dict[str, Any] = {"data": chunk, "hasNext": more}
    if more:
        answer["next"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return answer
