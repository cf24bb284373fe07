"""``leadhub serve``: the web role under gunicorn (threads per process, processes per core)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class WebServer(BaseApplication):
    """Gunicorn run from Python; each worker process builds its own app (engines are not shared)."""

    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._factory()


def options(host: str, port: int, processes: int, threads: int) -> dict[str, Any]:
    """The server settings shared by ``leadhub serve`` and the intake benchmark's bare endpoint."""
    return {
        "bind": f"{host}:{port}",
        "workers": processes,
        "threads": threads,
        "worker_class": "gthread",
        "keepalive": 30,
        "timeout": 60,
        "graceful_timeout": 5,
        "accesslog": None,
        "loglevel": "warning",
    }
