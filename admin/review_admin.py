"""Review queue: possible duplicates side by side with the evidence; merge or keep apart; undo a merge."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin import audit
from admin.auth import ctx, current_user, login_required
from core.errors import LeadhubError

bp = Blueprint("review", __name__, url_prefix="/admin/review")
FIELDS = ("first_name", "last_name", "email", "phone", "city", "postcode", "country", "birth_date")


@bp.get("/")
@login_required()
def index() -> Any:
    from mappings import review

    page = max(int(request.args.get("page", 1)), 1)
    with ctx().db.session() as session:
        items = review.open_items(session, limit=20, offset=(page - 1) * 20)
        total = review.count_open(session)
    return render_template("admin/review.html", items=items, total=total, page=page, fields=FIELDS)


@bp.post("/<item_id>")
@login_required("editor")
def decide(item_id: str) -> Any:
    from mappings import review

    decision = request.form.get("decision", "")
    user = current_user()
    actor = user.email if user else "?"
    try:
        with ctx().db.transaction() as session:
            merge = review.decide(session, item_id, decision, actor)  # type: ignore[arg-type]
            audit.record(
                session,
                actor,
                f"review.{decision}",
                "review_item",
                item_id,
                None,
                {"merge_id": merge.id if merge else None},
            )
    except (LeadhubError, ValueError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("review.index"))
    flash("Merged; you can undo it from the person page." if decision == "merge" else "Kept apart.", "ok")
    return redirect(url_for("review.index"))


@bp.post("/merges/<merge_id>/undo")
@login_required("editor")
def undo(merge_id: str) -> Any:
    from mappings import merge as merging

    user = current_user()
    actor = user.email if user else "?"
    try:
        with ctx().db.transaction() as session:
            record = merging.undo(session, merge_id, undone_by=actor)
            survivor = record.survivor_id
            audit.record(session, actor, "merge.undo", "merge", merge_id)
    except LeadhubError as exc:
        flash(str(exc), "error")
        return redirect(request.referrer or url_for("review.index"))
    flash("Merge undone: both persons and their leads are back as they were.", "ok")
    return redirect(url_for("persons.show", person_id=survivor))
