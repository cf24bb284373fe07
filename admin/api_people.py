"""/api/v1/persons and /api/v1/applications: get, search, timeline with remote ids; applications by person."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import func, or_, select

from admin import timeline
from admin.api import ctx, newest_first, operation, problem
from admin.api_leads import CURSOR, ID, LIMIT
from admin.api_models import ApplicationOut, ApplicationPage, PersonOut, PersonPage, Problem, TimelineOut
from admin.openapi import Operation, Param
from core.models import Application, ApplicationLead, Person


def person_out(person: Person) -> dict[str, Any]:
    return PersonOut.model_validate(person, from_attributes=True).model_dump(mode="json")


@operation(
    Operation(
        "/persons",
        "get",
        "Search persons by name, email or phone",
        {200: PersonPage, 400: Problem},
        params=[Param("q", "query", {"type": "string", "maxLength": 200}), LIMIT, CURSOR],
    )
)
def search_persons() -> Any:
    where: list[Any] = [Person.merged_into_id.is_(None)]
    if q := request.args.get("q", "").strip():
        like = f"%{q.lower()}%"
        where.append(
            or_(
                func.lower(Person.email).like(like),
                func.lower(Person.last_name).like(like),
                func.lower(Person.first_name).like(like),
                Person.phone.like(f"%{q}%"),
            )
        )
    return newest_first(Person, (), lambda _session, person: person_out(person), tuple(where))


@operation(
    Operation(
        "/persons/{person_id}",
        "get",
        "One person",
        {200: PersonOut, 404: Problem},
        params=[Param("person_id", "path", ID)],
    )
)
def get_person(person_id: str) -> Any:
    with ctx().db.session() as session:
        person = session.get(Person, person_id)
    if person is None:
        return problem(404, "Not found", f"No person {person_id}.")
    return jsonify(person_out(person))


@operation(
    Operation(
        "/persons/{person_id}/timeline",
        "get",
        "Every lead, merge, stage change, delivery and event of a person, with remote ids",
        {200: TimelineOut, 404: Problem},
        params=[Param("person_id", "path", ID)],
    )
)
def person_timeline(person_id: str) -> Any:
    with ctx().db.session() as session:
        person = session.get(Person, person_id)
        if person is None:
            return problem(404, "Not found", f"No person {person_id}.")
        entries, remotes = timeline.for_person(session, person_id)
        document = TimelineOut(
            person=PersonOut.model_validate(person, from_attributes=True),
            entries=[e.__dict__ for e in entries],
            remote_ids=[
                {
                    "connection_id": r.connection_id,
                    "subject_type": r.subject_type,
                    "subject_id": r.subject_id,
                    "remote_id": r.remote_id,
                    "remote_kind": r.remote_kind,
                }
                for r in remotes
            ],
        )
    return jsonify(document.model_dump(mode="json"))


def application_out(session: Any, app: Application) -> dict[str, Any]:
    leads = list(session.scalars(select(ApplicationLead.lead_id).where(ApplicationLead.application_id == app.id)))
    return ApplicationOut(
        id=app.id,
        person_id=app.person_id,
        job_id=app.job_id,
        stage=app.stage,
        stage_changed_at=app.stage_changed_at,
        source=app.source,
        remote_id=app.remote_id,
        created_at=app.created_at,
        lead_ids=leads,
    ).model_dump(mode="json")


@operation(
    Operation(
        "/applications",
        "get",
        "List applications, newest first",
        {200: ApplicationPage, 400: Problem},
        params=[
            LIMIT,
            CURSOR,
            Param("person_id", "query", {"type": "string"}),
            Param("stage", "query", {"type": "string"}),
        ],
    )
)
def list_applications() -> Any:
    return newest_first(Application, ("person_id", "stage"), application_out)


@operation(
    Operation(
        "/applications/{application_id}",
        "get",
        "One application with its lineage",
        {200: ApplicationOut, 404: Problem},
        params=[Param("application_id", "path", ID)],
    )
)
def get_application(application_id: str) -> Any:
    with ctx().db.session() as session:
        app = session.get(Application, application_id)
        if app is None:
            return problem(404, "Not found", f"No application {application_id}.")
        return jsonify(application_out(session, app))
