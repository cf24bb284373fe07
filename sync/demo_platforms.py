"""What ``leadhub demo`` needs of a platform's sandbox fake, and the pieces every platform's ``demo.py`` shares.

A source folder that can take part in the demo has a ``demo.py`` with ``start(seed) -> DemoSource``: the fake
seeded with a handful of invented leads and served on a free loopback port, the connection that points at it,
and how to make the platform push. Nothing here knows a platform: :func:`discover` finds the ``demo.py`` files
through the connector registry. The demo runs in the CLI process, so a fake may import what workers import.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from connectors import registry


@dataclass
class DemoSource:
    """One platform's fake, running, and the connection that reads it.

    ``push(hook_url, count)`` makes the platform announce ``count`` new leads at leadhub's
    ``/hooks/<platform>/<connection>`` URL through the fake's own emitter (signed as the platform signs) and
    returns how many deliveries leadhub accepted; ``stop()`` shuts the fake down.
    """

    platform: str
    connection_name: str
    settings: dict[str, Any]
    secrets: dict[str, str]
    pullable: bool
    push: Callable[[str, int], int]
    stop: Callable[[], None]
    seeded: int = 0  # leads waiting in the fake for the first pull
    notes: list[str] = field(default_factory=list)  # lines for "Where to look" (may grow while the demo runs)


@dataclass(frozen=True)
class DemoPerson:
    """An invented person who answered ads on two platforms: identity resolution makes them one person."""

    first_name: str
    last_name: str
    email: str
    phone: str
    city: str
    postcode: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


# Each appears on exactly two platforms (the platform's demo.py picks them by index); no real people.
SHARED_PEOPLE = (
    DemoPerson("Henrike", "Albers", "henrike.albers@example.org", "0151 20400101", "Köln", "50667"),
    DemoPerson("Tarek", "Haddad", "tarek.haddad@example.org", "0176 20400102", "Düsseldorf", "40213"),
    DemoPerson("Mirela", "Kovač", "mirela.kovac@example.org", "0160 20400103", "Bonn", "53111"),
    DemoPerson("Ole", "Brandstätter", "ole.brandstaetter@example.org", "0170 20400104", "Leipzig", "04109"),
    DemoPerson("Yasemin", "Aydın", "yasemin.aydin@example.org", "0152 20400105", "Berlin", "10115"),
)


class Served:
    """A WSGI app on a free loopback port, in a daemon thread (werkzeug's threaded server)."""

    def __init__(self, app: Flask) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log lines in the demo's output
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"fake {app.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(app: Flask) -> Served:
    return Served(app)


def run_number(seed: int, width: int = 6) -> int:
    """A number that differs from run to run (the demo seeds each run anew), so a new run's platform ids are
    new leads rather than known ones; ``width`` digits at most."""
    return seed % 10**width


def discover() -> list[tuple[str, ModuleType]]:
    """Every registered source connector whose folder has a ``demo.py``, in registry order."""
    found = []
    for info in registry.CONNECTORS.values():
        if info.direction != "source" or info.status != "available":
            continue
        name = f"{info.module}.demo"
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            found.append((info.name, importlib.import_module(name)))
    return found


@dataclass
class DemoSink:
    """The HubSpot fake, running, and the connection that delivers qualified leads to it."""

    platform: str
    connection_name: str
    settings: dict[str, Any]
    secrets: dict[str, str]
    contacts: Callable[[], int]
    stop: Callable[[], None]


def start_hubspot() -> DemoSink:
    """HubSpot's sandbox fake: qualified leads that granted ``recruiting_contact`` become contacts there."""
    from connectors.sinks.hubspot.fake import SANDBOX_TOKEN, HubSpotFake

    fake = HubSpotFake()
    served = serve(fake.app())
    return DemoSink(
        platform="hubspot",
        connection_name="demo-hubspot",
        settings={"base_url": served.url, "timeout_s": 5},
        secrets={"access_token": SANDBOX_TOKEN},
        contacts=lambda: len(fake.contacts()),
        stop=served.stop,
    )
