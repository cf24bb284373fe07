"""Operations endpoints: ``/healthz`` (process up), ``/readyz`` (database and queue answer), ``/metrics``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text

from core.context import Context

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    ctx: Context = current_app.extensions["leadhub"]
    checks: dict[str, str] = {}
    try:
        with ctx.db.session() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        current_app.extensions["leadhub.queue_depth"]()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    registry: CollectorRegistry = current_app.extensions["leadhub.metrics"]
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")
