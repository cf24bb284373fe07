"""How the fake Greenhouse writes its records: Harvest v1 objects (nested source, jobs, applications inside the
candidate), Harvest v3 objects (flat ids [UNCONFIRMED field names]) and web hook payloads."""

from __future__ import annotations

from typing import Any

from connectors.sinks.greenhouse.fake_store import Org


def attachment_v1(stored: dict[str, Any]) -> dict[str, Any]:
    return {"filename": stored["filename"], "url": stored["url"], "type": stored["type"],
            "created_at": stored["created_at"]}


def application_v1(org: Org, application: dict[str, Any]) -> dict[str, Any]:
    source = org.sources.get(application["source_id"]) if application["source_id"] else None
    return {
        "id": application["id"], "candidate_id": application["candidate_id"], "prospect": application["prospect"],
        "applied_at": application["applied_at"], "rejected_at": application["rejected_at"],
        "last_activity_at": application["last_activity_at"], "location": None,
        "source": {"id": source["id"], "public_name": source["name"]} if source else None,
        "credited_to": {"id": 4080, "first_name": "Kate", "last_name": "Austen", "name": "Kate Austen",
                        "employee_id": None},
        "rejection_reason": application["rejection_reason"], "rejection_details": None,
        "jobs": [{"id": j, "name": org.jobs[j]["name"]} for j in application["job_ids"]],
        "job_post_id": None, "status": application["status"], "current_stage": _stage(application),
        "answers": [], "prospective_office": None, "prospective_department": None,
        "prospect_detail": {"prospect_pool": None, "prospect_stage": None, "prospect_owner": None},
        "custom_fields": {}, "keyed_custom_fields": {},
        "attachments": [attachment_v1(a) for a in org.attachments.get(application["id"], [])],
    }


def candidate_v1(org: Org, person: dict[str, Any]) -> dict[str, Any]:
    applications = [application_v1(org, a) for a in org.applications_of(person["id"])]
    return {
        "id": person["id"], "first_name": person["first_name"], "last_name": person["last_name"],
        "company": person["company"], "title": person["title"], "created_at": person["created_at"],
        "updated_at": person["updated_at"], "last_activity": person["last_activity"],
        "is_private": person["is_private"], "photo_url": None,
        "attachments": [a for app in applications for a in app["attachments"]],
        "application_ids": [a["id"] for a in applications], "phone_numbers": person["phone_numbers"],
        "addresses": person["addresses"], "email_addresses": person["email_addresses"], "website_addresses": [],
        "social_media_addresses": [], "recruiter": None, "coordinator": None, "can_email": True,
        "tags": person["tags"], "applications": applications, "educations": [], "employments": [],
        "custom_fields": {}, "keyed_custom_fields": {},
    }


def candidate_v3(org: Org, person: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": person["id"], "first_name": person["first_name"], "last_name": person["last_name"],
        "company": person["company"], "title": person["title"], "is_private": person["is_private"],
        "created_at": person["created_at"], "updated_at": person["updated_at"],
        "last_activity_at": person["last_activity"], "email_addresses": person["email_addresses"],
        "phone_numbers": person["phone_numbers"], "addresses": person["addresses"], "tags": person["tags"],
        "application_ids": [a["id"] for a in org.applications_of(person["id"])],
    }


def application_v3(application: dict[str, Any]) -> dict[str, Any]:
    prospect = application["prospect"]
    return {
        "id": application["id"], "candidate_id": application["candidate_id"], "prospect": prospect,
        "status": application["status"], "job_id": None if prospect else application["job_ids"][0],
        "prospect_job_ids": application["job_ids"] if prospect else [], "source_id": application["source_id"],
        "current_stage": _stage(application), "applied_at": application["applied_at"],
        "created_at": application["created_at"], "updated_at": application["updated_at"],
        "last_activity_at": application["last_activity_at"], "rejected_at": application["rejected_at"],
        "rejection_reason": application["rejection_reason"],
    }


def attachment_v3(stored: dict[str, Any]) -> dict[str, Any]:
    return {"id": stored["id"], "application_id": stored["application_id"], "filename": stored["filename"],
            "type": stored["type"], "content_type": stored["content_type"], "url": stored["url"],
            "created_at": stored["created_at"]}


def _stage(application: dict[str, Any]) -> dict[str, Any] | None:
    stage = application["current_stage"]
    return {"id": stage["id"], "name": stage["name"]} if stage else None


def webhook_application(org: Org, application: dict[str, Any]) -> dict[str, Any]:
    """The ``payload.application`` of Greenhouse's application web hooks (candidate and jobs inline)."""
    person = org.candidates[application["candidate_id"]]
    source = org.sources.get(application["source_id"]) if application["source_id"] else None
    stage = _stage(application)
    return {
        "id": application["id"], "rejected_at": application["rejected_at"], "prospect": application["prospect"],
        "status": application["status"], "applied_at": application["applied_at"],
        "last_activity_at": application["last_activity_at"],
        "url": f"https://app.greenhouse.io/people/{person['id']}?application_id={application['id']}",
        "source": {"id": source["id"], "name": source["name"]} if source else None,
        "credited_to": None, "rejection_reason": application["rejection_reason"], "rejection_details": None,
        "current_stage": {**stage, "interviews": []} if stage else None,
        "prospect_detail": {"prospect_pool": None, "prospect_stage": None, "prospect_owner": None},
        "custom_fields": {},
        "candidate": {
            "id": person["id"], "first_name": person["first_name"], "last_name": person["last_name"],
            "title": person["title"], "company": person["company"], "created_at": person["created_at"],
            "external_id": None, "photo_url": None, "url": f"https://app.greenhouse.io/people/{person['id']}",
            "is_private": person["is_private"], "can_email": True, "phone_numbers": person["phone_numbers"],
            "email_addresses": person["email_addresses"], "addresses": person["addresses"],
            "website_addresses": [], "social_media_addresses": [], "educations": [], "employments": [],
            "recruiter": None, "coordinator": None, "tags": person["tags"], "custom_fields": {},
            "attachments": [attachment_v1(a) for a in org.attachments.get(application["id"], [])],
        },
        "jobs": [{"id": j, "name": org.jobs[j]["name"], "requisition_id": org.jobs[j]["requisition_id"],
                  "status": org.jobs[j]["status"], "confidential": False, "departments": [], "offices": [],
                  "custom_fields": {}} for j in application["job_ids"]],
    }
