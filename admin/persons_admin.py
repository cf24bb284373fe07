"""Persons: search, and the person page with its timeline and lineage."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, or_, select

from admin import timeline
from admin.auth import ctx, login_required
from core.models import Connection, Lead, Merge, Person

bp = Blueprint("persons", __name__, url_prefix="/admin/persons")
PAGE = 50


@bp.get("/")
@login_required()
def index() -> Any:
    q = request.args.get("q", "").strip()
    after = request.args.get("after", "")
    query = select(Person).where(Person.merged_into_id.is_(None)).order_by(Person.id.desc()).limit(PAGE + 1)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Person.email).like(like),
                func.lower(Person.last_name).like(like),
                func.lower(Person.first_name).like(like),
                Person.phone.like(f"%{q}%"),
                Person.id == q,
            )
        )
    if after:
        query = query.where(Person.id < after)
    with ctx().db.session() as session:
        rows = session.scalars(query).all()
    more = len(rows) > PAGE
    return render_template("admin/persons.html", rows=rows[:PAGE], q=q, next_after=rows[PAGE - 1].id if more else None)


@bp.get("/<person_id>")
@login_required()
def show(person_id: str) -> Any:
    with ctx().db.session() as session:
        person = session.get(Person, person_id)
        if person is None:
            abort(404)
        entries, remotes = timeline.for_person(session, person_id)
        names = {c.id: c.name for c in session.scalars(select(Connection))}
        leads = session.scalars(select(Lead).where(Lead.person_id == person_id).order_by(Lead.captured_at)).all()
        merges = session.scalars(select(Merge).where(Merge.survivor_id == person_id, Merge.undone_at.is_(None))).all()
    return render_template(
        "admin/person.html", person=person, entries=entries, remotes=remotes, names=names, leads=leads, merges=merges
    )
