"""The data behind the Personio fake: job positions (published or not), recruiting channels, uploaded documents,
candidates (one per email) and applications, validated the way the Recruiting API validates them."""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
EXTENSIONS = ("pdf", "pptx", "xlsx", "docx", "doc", "xls", "ppt", "ods", "odt", "7z", "gz", "rar", "zip", "bmp",
              "gif", "jpg", "png", "tif", "csv", "txt", "rtf", "mp4", "3gp", "mov", "avi", "wmv")
MIMETYPES = {"pdf": "application/pdf", "txt": "text/plain", "doc": "application/msword",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
SYSTEM_PHASES = ("unassigned", "rejected", "withdrawn", "offer", "accepted")
CATEGORIES = ("cv", "cover-letter", "employment-reference", "certificate", "work-sample", "other")
SYSTEM_ATTRIBUTES = {"birthday", "gender", "location", "phone", "available_from", "salary_expectations"}
GENDERS = ("male", "female", "diverse", "undefined")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PersonioError(Exception):
    """An answer in one of Personio's error shapes."""

    def __init__(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, dict(headers or {})


def field_errors(found: dict[str, list[tuple[str, dict[str, Any]]]]) -> dict[str, Any]:
    return {"errors": [{"field": field, "errors": [{"reason": r, "context": c} for r, c in reasons]}
                       for field, reasons in found.items()]}


def generic(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"id": str(uuid.uuid4()), "status": str(status), "title": title, "detail": detail}]}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Company:
    def __init__(self) -> None:
        self.positions: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, str] = {}
        self.custom_phases: dict[int, str] = {}
        self.custom_attributes: set[str] = set()
        self.documents: dict[str, dict[str, Any]] = {}
        self.candidates: dict[str, dict[str, Any]] = {}  # normalised email → candidate
        self.applications: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(495039)

    def add_position(self, position_id: int, name: str, published: bool = True) -> int:
        self.positions[position_id] = {"id": position_id, "name": name, "published": published}
        return position_id

    # -- documents ----------------------------------------------------------------------------------------------
    def upload(self, filename: str, content: bytes) -> dict[str, Any]:
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if len(content) > MAX_DOCUMENT_BYTES:
            raise PersonioError(413, field_errors({"file": [("errors.file-too-big", {"max_size_mb": 20})]}))
        if extension not in EXTENSIONS:
            raise PersonioError(422, field_errors({"file": [("errors.invalid-file-type", {"extension": extension})]}))
        document: dict[str, Any] = {"uuid": str(uuid.uuid4()), "size": len(content),
                    "mimetype": MIMETYPES.get(extension, "application/octet-stream"),
                    "original_filename": filename, "extension": extension}
        self.documents[document["uuid"]] = {**document, "content": content}
        return document

    # -- applications -------------------------------------------------------------------------------------------
    def apply(self, body: dict[str, Any], today: date, now: datetime) -> dict[str, Any]:
        found: dict[str, list[tuple[str, dict[str, Any]]]] = {}

        def fail(field: str, reason: str, **context: Any) -> None:
            found.setdefault(field, []).append((reason, context))

        for field in ("first_name", "last_name", "email"):
            if not isinstance(body.get(field), str) or not body[field].strip():
                fail(field, "errors.attribute-validation.required-attribute")
        if isinstance(body.get("email"), str) and body["email"].strip() and not EMAIL.match(body["email"]):
            fail("email", "errors.attribute-validation.invalid-email-format")
        position = body.get("job_position_id")
        if position is None:
            fail("job_position_id", "errors.attribute-validation.required-attribute")
        elif not isinstance(position, int) or isinstance(position, bool):
            fail("job_position_id", "errors.attribute-validation.invalid-type")
        elif position not in self.positions:
            fail("job_position_id", "errors.posting-validation.posting-not-found")
        elif not self.positions[position]["published"]:
            fail("job_position_id", "errors.job-position.not-published")
        channel = body.get("recruiting_channel_id")
        if channel is not None and channel not in self.channels:
            fail("recruiting_channel_id", "errors.posting-validation.channel-not-found")
        self._check_date(body.get("application_date"), today, fail)
        phase = self._phase(body.get("phase"), fail)
        for n, file in enumerate(body.get("files") or []):
            if file.get("uuid") not in self.documents:
                fail(f"files.{n}.uuid", "errors.file-validation.file-not-exists")
            if file.get("category") not in CATEGORIES:
                fail(f"files.{n}.category", "errors.attribute-validation.unknown-attribute-option")
        for n, attribute in enumerate(body.get("attributes") or []):
            name = attribute.get("id")
            if name not in SYSTEM_ATTRIBUTES and name not in self.custom_attributes:
                fail(f"attributes.{n}.id", "errors.attribute-validation.unknown")
            elif name == "gender" and attribute.get("value") not in GENDERS:
                fail(f"attributes.{n}.value", "errors.attribute-validation.unknown-attribute-option")
        if found:
            raise PersonioError(400, field_errors(found))
        email = body["email"].strip().lower()
        if any(a["email"] == email and a["job"]["id"] == str(position) for a in self.applications.values()):
            raise PersonioError(400, field_errors({"email": [("errors.applicant-already-exists", {})]}))
        return self._store(body, email, phase, now)

    def _check_date(self, value: Any, today: date, fail: Any) -> None:
        if value is None:
            return
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            fail("application_date", "errors.attribute-validation.invalid-date-format")
            return
        if day > today:
            fail("application_date", "errors.date-validation.date-in-the-future")

    def _phase(self, phase: Any, fail: Any) -> dict[str, Any]:
        """An invalid custom phase is silently ``unassigned``; an invalid system phase is an error."""
        if not phase:
            return {"id": "unassigned", "type": "system", "name": "Unassigned"}
        if phase.get("type") == "system":
            if phase.get("id") not in SYSTEM_PHASES:
                fail("phase", "errors.phase-validation.invalid-system-phase")
            return {"id": str(phase.get("id")), "type": "system", "name": str(phase.get("id")).title()}
        custom = phase.get("id")
        if isinstance(custom, int) and custom in self.custom_phases:
            return {"id": str(custom), "type": "custom", "name": self.custom_phases[custom]}
        return {"id": "unassigned", "type": "system", "name": "Unassigned"}

    def _store(self, body: dict[str, Any], email: str, phase: dict[str, Any], now: datetime) -> dict[str, Any]:
        candidate = self.candidates.get(email)
        if candidate is None:
            candidate = {"id": str(uuid.uuid4()), "first_name": body["first_name"], "last_name": body["last_name"],
                         "email": email, "created_at": iso(now), "updated_at": iso(now)}
            self.candidates[email] = candidate
        application_id = str(next(self._ids))
        self.applications[application_id] = {
            "id": application_id, "candidate": {"id": candidate["id"]}, "job": {"id": str(body["job_position_id"])},
            "stage": phase, "channel": body.get("recruiting_channel_id"), "tags": list(body.get("tags") or []),
            "files": list(body.get("files") or []), "attributes": list(body.get("attributes") or []),
            "application_date": body.get("application_date"), "email": email,
            "created_at": iso(now), "updated_at": iso(now),
        }
        return self.applications[application_id]

    def public(self, application: dict[str, Any]) -> dict[str, Any]:
        """What the v2 read API shows of an application (no tags or custom attributes, as Personio notes)."""
        return {k: application[k] for k in ("id", "candidate", "job", "stage", "created_at", "updated_at")}
