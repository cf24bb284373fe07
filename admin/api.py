"""REST API v1: the blueprint, API-key auth, problem+json errors, and the operation registry behind /api/openapi.json.

Resources live in ``api_leads.py``, ``api_people.py`` and ``api_ops.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from admin import apikeys, audit, openapi
from admin.api_models import Problem
from core.context import Context

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs = Blueprint("api_docs", __name__)
WRITE_ROLES = {"admin", "editor"}


def problem(status: int, title: str, detail: str) -> Any:
    response = jsonify(Problem(title=title, status=status, detail=detail).model_dump())
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    return problem(exc.code or 500, exc.name, exc.description or exc.name)


def ctx() -> Context:
    context: Context = current_app.extensions["leadhub"]
    return context


def actor() -> str:
    return f"api-key:{g.api_key.name}"


def body(model: type[BaseModel]) -> Any:
    """The JSON body validated; a ValueError carries what is wrong (the route answers 400)."""
    if b"\\u0000" in request.get_data() or b"\x00" in request.get_data():
        raise ValueError("The body contains a NUL character, which no database column can store.")
    document = request.get_json(silent=True)
    if document is None:
        raise ValueError("The body must be a JSON object (Content-Type: application/json).")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise ValueError(
            "; ".join(f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}" for e in exc.errors())
        ) from None


def operation(op: openapi.Operation) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the OpenAPI operation and guard the view with the API key (write operations need editor+)."""
    openapi.OPERATIONS.append(op)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            key = apikeys.verify(ctx(), header[7:].strip()) if header.startswith("Bearer ") else None
            if key is None:
                return problem(
                    401,
                    "Unauthorized",
                    "Send a valid API key as `Authorization: Bearer lh_…`; create one with `leadhub apikey create`.",
                )
            if op.write and key.role not in WRITE_ROLES:
                return problem(403, "Forbidden", f"This API key has the role {key.role}, which cannot change data.")
            g.api_key = key
            if any("\x00" in str(v) for v in (*kwargs.values(), *request.args.values(), *request.form.values())):
                return problem(400, "Invalid request", "A path or query value contains a NUL character.")
            try:
                return view(*args, **kwargs)
            except ValueError as exc:
                return problem(400, "Invalid request", str(exc))

        flask_path = op.path.replace("{", "<").replace("}", ">")
        bp.add_url_rule(
            flask_path, view_func=wrapper, methods=[op.method.upper()], endpoint=f"{op.method}_{view.__name__}"
        )
        return wrapper

    return decorate


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


def time_arg(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} needs a time zone, e.g. 2026-11-01T00:00:00Z")
    return parsed


def newest_first(
    model: Any, equal: tuple[str, ...], convert: Callable[[Session, Any], dict[str, Any]], where: tuple[Any, ...] = ()
) -> Any:
    """One page of a list endpoint: newest first by id, ``equal`` filters from the query string, ``cursor``
    (the last id of the previous page) and ``limit``; answers ``{"items", "next_cursor"}``."""
    limit = int_arg("limit", 50, 1, 200)
    query = select(model).where(*where).order_by(model.id.desc()).limit(limit + 1)
    for name in equal:
        if value := request.args.get(name):
            query = query.where(getattr(model, name) == value)
    if cursor := request.args.get("cursor"):
        query = query.where(model.id < cursor)
    with ctx().db.session() as session:
        rows = session.scalars(query).all()
        items = [convert(session, row) for row in rows[:limit]]
    return jsonify({"items": items, "next_cursor": rows[limit - 1].id if len(rows) > limit else None})


def audit_change(action: str, target_type: str, target_id: str | None, after: dict[str, Any] | None = None) -> None:
    with ctx().db.transaction() as session:
        audit.record(session, actor(), action, target_type, target_id, None, after)


@docs.get("/api/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi.document())
