"""``create_app(settings)``: the web role — inbound webhooks, operations endpoints (admin and API to come)."""

from __future__ import annotations

from flask import Flask
from prometheus_client import CollectorRegistry

from admin import api, apply, ops
from admin.metrics import HubCollector
from core.settings import Settings
from sync import tasks
from webhooks import inbound


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    ctx, dispatcher = tasks.build(settings)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=None)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(ctx, dispatcher.queue_depth))
    app.extensions.update(
        {
            "leadhub": ctx,
            "leadhub.connections": inbound.ConnectionCache(ctx),
            "leadhub.queue_depth": dispatcher.queue_depth,
            "leadhub.metrics": registry,
        }
    )
    app.register_blueprint(ops.bp)
    app.register_blueprint(inbound.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(apply.bp)
    return app
