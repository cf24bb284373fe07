"""What ``verify`` needs of the inbound request beyond headers, body and secrets.

WORKAROUND until the framework passes them in: ``verify(headers, body, secrets, tolerance_s)`` sees neither
the query string (where Eventbrite's only configurable part, the endpoint URL, can carry a shared token)
nor the connection's settings (whose ``base_url`` names the sandbox host an ``api_url`` may point at).
Both are read from the Flask request being verified; outside a request they are absent.
"""

from __future__ import annotations

from typing import Any


def query_param(name: str) -> str | None:
    from flask import has_request_context, request

    return request.args.get(name) if has_request_context() else None


def connection_settings() -> dict[str, Any]:
    """The settings of the connection named in ``/hooks/eventbrite/<connection>`` (from the intake's cache)."""
    from flask import current_app, has_request_context, request

    if not has_request_context():
        return {}
    name = (request.view_args or {}).get("connection")
    cache = current_app.extensions.get("leadhub.connections")
    if not name or cache is None:
        return {}
    return dict(cache.get(name).settings)
