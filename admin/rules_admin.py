"""Rules: qualification rules (editable, with how many current leads each would match) and the routing in force."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import select

from admin import audit
from admin.auth import ctx, current_user, login_required
from core.models import HubSetting, Lead
from core.schema import Lead as CanonicalLead
from mappings import qualify
from sync import pipeline, routing

bp = Blueprint("rules", __name__, url_prefix="/admin/rules")
SAMPLE = 2000


def _match_counts(ruleset: qualify.RuleSet) -> tuple[dict[str, int], int]:
    """How many of the latest open leads each rule matches (a sample keeps the page fast on big hubs)."""
    counts = {rule.name: 0 for rule in ruleset.rules}
    with ctx().db.session() as session:
        leads = session.scalars(
            select(Lead.data)
            .where(Lead.stage.in_(("captured", "qualified", "disqualified")))
            .order_by(Lead.captured_at.desc())
            .limit(SAMPLE)
        ).all()
    for data in leads:
        if data.get("deleted"):
            continue
        try:
            decision = qualify.evaluate(ruleset, CanonicalLead.model_validate(data))
        except ValidationError:
            continue
        for name in decision.matched:
            counts[name] += 1
    return counts, len(leads)


@bp.get("/")
@login_required()
def index() -> Any:
    ruleset = pipeline.rules(ctx())
    counts, sampled = _match_counts(ruleset)
    with ctx().db.session() as session:
        routes = routing.routes(session)
    text = request.args.get("draft") or yaml.safe_dump(
        ruleset.model_dump(exclude_none=True, exclude_defaults=True), sort_keys=False, allow_unicode=True
    )
    return render_template(
        "admin/rules.html", ruleset=ruleset, counts=counts, sampled=sampled, routes=routes, text=text
    )


@bp.post("/")
@login_required("editor")
def save() -> Any:
    text = request.form.get("rules", "")
    try:
        ruleset = qualify.RuleSet.model_validate(yaml.safe_load(text) or {})
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        flash(f"Rules not saved: {exc}", "error")
        return redirect(url_for("rules.index"))
    user = current_user()
    with ctx().db.transaction() as session:
        row = session.get(HubSetting, pipeline.RULES_KEY)
        before = row.value if row else None
        value = ruleset.model_dump(mode="json", exclude_none=True)
        if row is None:
            session.add(HubSetting(key=pipeline.RULES_KEY, value=value, updated_by=user.email if user else None))
        else:
            row.value, row.updated_by = value, user.email if user else None
        audit.record(session, user.email if user else "?", "rules.save", "rules", None, before, value)
    pipeline.forget_rules()
    flash("Rules saved; new leads use them now. Re-evaluate open leads with `leadhub rules apply`.", "ok")
    return redirect(url_for("rules.index"))
