"""Sandbox fake of TikTok's lead API (Business API v1.3), faithful to docs/shared sources.md §8.

Every answer is HTTP 200 with ``{code, message, request_id, data}``; errors are non-zero codes. Lists page with
``page``/``page_size`` and ``page_info``. Leads are exported by a task (create → RUNNING → SUCCEED → CSV
download that expires 10 minutes after it was generated). Test leads are created, read and deleted through the
mock endpoints. Faults are injected from Python with :meth:`TikTokFake.fail_next`.
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
import time
from typing import Any

from flask import Flask, Response, request

from connectors.sources.tiktok_leads import fake_data, fake_routes
from connectors.sources.tiktok_leads.fake_webhooks import WebhookScheme, delivery, emit

FAULTS = ("rate_limit", "token_expired", "server_error", "task_failed", "file_expired")


class TikTokFake:
    """State and fault injection; ``app()`` serves it under ``/open_api/v1.3``."""

    def __init__(
        self,
        token: str = "sandbox-token",  # noqa: S107 - the sandbox's own token, not a credential
        advertiser_id: str = "7001234567890123456",
        forms: int = 3,
        polls_until_done: int = 1,
        rate_limit_window_s: float = 1.0,
    ) -> None:
        self.token, self.advertiser_id = token, advertiser_id
        self.forms = fake_data.forms(advertiser_id, forms)
        self.polls_until_done = polls_until_done
        self.rate_limit_window_s = rate_limit_window_s
        self.tasks: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.answers: list[int] = []  # the envelope code of every answer, in order
        self.offset_s = 0.0
        self.expired = False
        self.throttled_until = 0.0
        self.faults: dict[str, tuple[int, str]] = {}
        self.lock = threading.RLock()
        self._numbers = itertools.count(1)
        self.task_numbers = itertools.count(1)

    def now(self) -> float:
        return time.time() + self.offset_s

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (export files expire on it)."""
        self.offset_s += seconds

    def fail_next(self, kind: str, count: int = 1, on: str = "") -> None:
        """Inject a fault into the next ``count`` requests whose path contains ``on``.

        ``rate_limit`` answers code 40100 to every request for ``rate_limit_window_s`` from the first refusal;
        ``token_expired`` makes the token expire for good (code 40102); ``server_error`` answers 50000;
        ``task_failed`` lets the next export task end FAILED; ``file_expired`` lets 10 minutes pass before the
        next download.
        """
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; known: {', '.join(FAULTS)}")
        self.faults[kind] = (count, on)

    def take(self, kind: str, path: str = "") -> bool:
        """Consume one injected fault of ``kind`` if it applies to ``path``."""
        with self.lock:
            count, on = self.faults.get(kind, (0, ""))
            if count <= 0 or on not in path:
                return False
            self.faults[kind] = (count - 1, on)
            return True

    def add_leads(self, n: int, page_id: str | None = None, is_test: bool = False) -> list[dict[str, Any]]:
        """``n`` new leads on one form (the first by default), created now on the fake's clock."""
        form = self.form(page_id or self.forms[0].page_id)
        assert form is not None
        new = [fake_data.lead(next(self._numbers), form, self.now(), is_test) for _ in range(n)]
        form.leads.extend(new)
        return new

    def form(self, page_id: str) -> fake_data.Form | None:
        return next((f for f in self.forms if f.page_id == page_id), None)

    def lead(self, lead_id: str, tests: bool = True) -> dict[str, Any] | None:
        """One lead as ``/lead/get/`` shows it; test leads only when ``tests`` (the mock endpoints show them)."""
        found = next((lead for f in self.forms for lead in f.leads if lead["lead_id"] == lead_id), None)
        if found is None or (found["is_test"] and not tests):
            return None
        return {**found, "advertiser_id": self.advertiser_id}

    def export_csv(self, form: fake_data.Form) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(form.columns())
        writer.writerows(fake_data.csv_row(lead) for lead in form.leads)
        return out.getvalue().encode("utf-8")

    def webhook(self, lead_id: str, secret: str, scheme: WebhookScheme | None = None) -> tuple[dict[str, str], bytes]:
        """The signed delivery TikTok would post for one lead (payload and signature are assumptions)."""
        lead = self.lead(lead_id)
        assert lead is not None, f"no lead {lead_id}"
        return delivery(lead, secret, scheme or WebhookScheme(), int(self.now()))

    def emit_webhooks(
        self, url: str, lead_ids: list[str], secret: str, scheme: WebhookScheme | None = None, duplicates: int = 0
    ) -> list[int]:
        """Post one signed delivery per lead to ``url``, each repeated ``duplicates`` more times (at-least-once)."""
        return emit(url, [self.webhook(lead_id, secret, scheme) for lead_id in lead_ids], duplicates)

    def app(self) -> Flask:
        app = Flask("tiktok_fake")
        app.register_blueprint(fake_routes.blueprint(self), url_prefix="/open_api/v1.3")

        @app.after_request
        def remember(response: Response) -> Response:
            if response.is_json:
                self.answers.append(int((response.get_json() or {}).get("code", -1)))
            return response

        @app.before_request
        def log() -> None:
            self.requests.append(request.full_path)

        return app
