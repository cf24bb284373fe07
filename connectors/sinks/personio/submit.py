"""One application to Personio: documents first (``POST …/applications/documents`` → uuid), then the
application referencing them. Personio has no idempotency key; its own duplicate check — same email, same job
position → ``errors.applicant-already-exists`` — makes a retried create safe, and counts as delivered."""

from __future__ import annotations

from typing import Any

from connectors.sinks.base import Item, SendResult, excerpt
from connectors.sinks.personio import errors, payload, status
from connectors.sinks.personio.client import Api, Refused

DOCUMENTS = "/v1/recruiting/applications/documents"
APPLICATIONS = "/v1/recruiting/applications"
EXTENSIONS = {"application/pdf": "pdf", "application/msword": "doc", "text/plain": "txt",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}


def deliver(api: Api, item: Item) -> SendResult:
    known = item.remote_ids.get("application")
    if known:  # delivered before (a replay): Personio's API cannot change an application
        return _delivered(api, known, f"Already in Personio as application {known}; its API cannot update it.", None)
    job = payload.job_position_id(item, api.settings)
    payload.channel_id(item, api.settings)  # a bad mapping is refused before any document is uploaded
    email = (item.data.get("person") or {}).get("email")
    found = _find(api, email, job)
    if found:
        return _delivered(api, found, f"Found in Personio before creating: application {found}.", 200)
    body = payload.application(item, api.settings, [_upload(api, f.filename, f.content, f.content_type)
                                                    for f in item.files])
    response = api.write(APPLICATIONS, json=body)
    answer = errors.body(response)
    if response.status_code in (200, 201):
        linked = str(answer.get("id") or "") or _find(api, email, job)
        return _delivered(api, linked, f"Created (HTTP {response.status_code}).", response.status_code)
    duplicate = errors.already_applied(answer) if response.status_code == 400 else None
    if duplicate is None:
        raise Refused(errors.failure(response, api.summary(), api.connection), response)
    reason, context = duplicate
    linked = _context_id(context) or _find(api, email, job)
    note = (f"Personio answered {reason}: this email has already applied to job position {job}, so the application "
            f"exists — delivered{f' and linked to application {linked}' if linked else ''}. ({excerpt(response)})")
    return _delivered(api, linked, note, response.status_code)


def _upload(api: Api, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
    """Personio reads the type from the file name's extension: a name without one gets the content type's."""
    if "." not in filename.rsplit("/", 1)[-1] and content_type in EXTENSIONS:
        filename = f"{filename}.{EXTENSIONS[content_type]}"
    response = api.write(DOCUMENTS, files={"file": (filename, content, content_type)})
    if response.status_code != 200:
        raise Refused(errors.failure(response, api.summary(), api.connection), response)
    return {**errors.body(response), "original_filename": filename}


def _find(api: Api, email: str | None, job: int) -> str | None:
    """The application's id through the v2 read API; a failing read never fails the delivery."""
    try:
        return status.find(api, email, job)
    except Refused as refused:
        api.steps.append(f"(not linked: {refused.result.status_code or 'no answer'})")
        return None


def _context_id(context: dict[str, Any]) -> str | None:
    value = context.get("application_id") or context.get("applicant_id") or context.get("id")
    return str(value) if value else None


def _delivered(api: Api, remote_id: str | None, note: str, status: int | None) -> SendResult:
    return SendResult("delivered", status, note[:500], api.summary(), remote_id=remote_id or None,
                      remote_kind="application", remote_subject="application")
