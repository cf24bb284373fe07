"""HTTP sessions for calls to vendors and platforms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests


class VendorSession(requests.Session):
    """A keep-alive session whose environment settings are resolved once per scheme and host.

    requests reads proxy, ``NO_PROXY`` and CA-bundle variables from the environment on every call — about
    0.8 ms, more than a whole call to a vendor on a fast network. They do not change while a worker runs, so
    they are looked up once per host with requests' own rules and reused. ``~/.netrc`` is not consulted:
    credentials come from the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False  # what requests would read per call comes from the cache below instead
        self._environment: dict[tuple[str, str], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:  # requests' typed dict; a plain dict of the same keys
        if proxies or verify is not None or cert is not None or not isinstance(url, str):
            return self._from_environment(url, proxies, stream, verify, cert)  # the caller asked for something
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        settings = self._environment.get(key)
        if settings is None:
            settings = self._environment[key] = self._from_environment(url, {}, None, None, None)
        return {**settings, "stream": stream if stream is not None else settings["stream"]}

    def _from_environment(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
        self.trust_env = True
        try:
            return dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
        finally:
            self.trust_env = False
