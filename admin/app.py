"""``create_app(settings)``: the web role — inbound webhooks, operations endpoints (admin and API to come)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from prometheus_client import CollectorRegistry

from admin import (
    api,
    api_leads,
    api_ops,
    api_people,
    apikeys_admin,
    apply,
    auditlog,
    auth,
    connections_admin,
    csrf,
    dashboard,
    deliveries_admin,
    endpoints_admin,
    leads_admin,
    mappings_admin,
    ops,
    persons_admin,
    review_admin,
    rules_admin,
)
from admin.metrics import HubCollector
from core.settings import Settings
from sync import tasks
from webhooks import inbound, inbox


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    ctx, dispatcher = tasks.build(settings)
    app = Flask(__name__, static_folder="static", static_url_path="/admin/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="leadhub_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    csrf.protect(app)
    app.jinja_env.globals["current_user"] = auth.current_user
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(ctx, dispatcher.queue_depth))
    app.extensions.update(
        {
            "leadhub": ctx,
            "leadhub.connections": inbound.ConnectionCache(ctx),
            "leadhub.inbox": inbox.GroupCommitter(ctx),
            "leadhub.queue_depth": dispatcher.queue_depth,
            "leadhub.dispatcher": dispatcher,
            "leadhub.metrics": registry,
        }
    )
    app.register_blueprint(ops.bp)
    app.register_blueprint(inbound.bp)
    assert api_leads and api_people and api_ops  # their operations register on api.bp when imported
    app.register_blueprint(api.bp)
    app.register_blueprint(api.docs)
    app.register_blueprint(apply.bp)
    for blueprint in (
        auth.bp,
        dashboard.bp,
        leads_admin.bp,
        connections_admin.bp,
        mappings_admin.bp,
        rules_admin.bp,
        review_admin.bp,
        persons_admin.bp,
        deliveries_admin.bp,
        endpoints_admin.bp,
        auditlog.bp,
        auditlog.settings_bp,
        apikeys_admin.bp,
    ):
        app.register_blueprint(blueprint)
    return app
