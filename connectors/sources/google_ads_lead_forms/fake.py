"""Sandbox of Google's lead form webhook: WebhookLead deliveries with invented people, posted like Google does.

Google offers no API to pull leads from (backfill needs the Google Ads API and a developer token), so the
fake is the sender: JSON numbers for int64 ids (also above 2**53), ``is_test`` leads like the form's
"Send test data" button, custom questions, a wrong key on request, and the same lead delivered again.
"""

from __future__ import annotations

import json
import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from flask import Flask, jsonify, request

FIRST = ["Jürgen", "Anna-Lena", "Özlem", "Lukas", "Sophie", "Mehmet", "Katarzyna", "Björn", "Chloé", "Małgorzata"]
LAST = ["Müller", "von der Heide", "Yılmaz", "Schäfer", "Nowak", "Weiß", "Dubois", "Groß", "Kowalski", "Krüger"]
CITIES = [("Berlin", "10115"), ("München", "80331"), ("Köln", "50667"), ("Düsseldorf", "40213"), ("Leipzig", "04109")]
CUSTOM = [
    ("berufserfahrung_jahre", "Wie viele Jahre Berufserfahrung haben Sie?", ["0-2", "3-5", "mehr als 5"]),
    ("startdatum", "Ab wann können Sie starten?", ["sofort", "in 1 Monat", "in 3 Monaten"]),
]
TWO_53 = 2**53


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i").replace(" ", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


@dataclass(frozen=True)
class Delivery:
    status: int
    body: bytes
    answer: Any


class GoogleLeadFormFake:
    """Builds and posts ``WebhookLead`` JSON; the same ``n`` and seed give the same lead."""

    def __init__(self, google_key: str, seed: int = 2026) -> None:
        self.google_key = google_key
        self.seed = seed
        self.form_id = TWO_53 + 1  # a float would turn this into 2**53
        self.campaign_id = 23456789012345677
        self.adgroup_id = 158765432109876543
        self.creative_id = 712345678901234567

    def lead(self, n: int, *, is_test: bool = False, performance_max: bool = False) -> dict[str, Any]:
        rng = random.Random(self.seed * 100_003 + n)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, postcode = rng.choice(CITIES)
        columns = [
            ("FULL_NAME", "Full Name", f"{first} {last}"),
            ("EMAIL", "User Email", f"{_ascii(first)}.{_ascii(last)}.{n}@example.org"),
            ("PHONE_NUMBER", "User Phone", f"0151 {rng.randint(1000000, 9999999)}"),
            ("POSTAL_CODE", "Postal Code", postcode),
            ("CITY", "City", city),
        ] + [(key, text, rng.choice(options)) for key, text, options in CUSTOM]
        submitted = datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(minutes=37 * n)
        lead: dict[str, Any] = {
            "lead_id": f"{'TeSter' if is_test else 'Lead'}-{self.seed}-{n:06d}",
            "api_version": "1.0",
            "form_id": self.form_id,
            "campaign_id": self.campaign_id,
            "google_key": self.google_key,
            "is_test": is_test,
            "gcl_id": f"EAIaIQobChMI{self.seed}x{n:06d}",
            "lead_submit_time": submitted.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user_column_data": [{"column_name": t, "string_value": v, "column_id": c} for c, t, v in columns],
        }
        if performance_max:
            lead["asset_group_id"] = TWO_53 * 2 + 1
        else:
            lead.update(adgroup_id=self.adgroup_id, creative_id=self.creative_id)
        return lead

    def encode(self, lead: dict[str, Any], key: str | None = None) -> bytes:
        """The body on the wire; ``key`` replaces the right google_key (a misconfigured or forged sender)."""
        return json.dumps({**lead, "google_key": self.google_key if key is None else key}).encode()

    def post(
        self, url: str, lead: dict[str, Any], *, key: str | None = None, times: int = 1, timeout_s: float = 10.0
    ) -> list[Delivery]:
        """POST the lead ``times`` times with identical bytes (Google retries the same lead)."""
        body = self.encode(lead, key)
        deliveries = []
        for _ in range(times):
            response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=timeout_s)
            try:
                answer: Any = response.json()
            except ValueError:
                answer = response.text
            deliveries.append(Delivery(response.status_code, body, answer))
        return deliveries

    def send_test_data(self, url: str) -> Delivery:
        """What the form's "Send test data" button does: one ``is_test`` lead."""
        return self.post(url, self.lead(0, is_test=True))[0]


def create_app(fake: GoogleLeadFormFake, target_url: str) -> Flask:
    """A small console to trigger deliveries to ``target_url`` (for ``leadhub demo`` and manual tests)."""
    app = Flask("google_ads_lead_forms_fake")
    counter = {"next": 1}

    @app.post("/deliver")
    def deliver() -> Any:
        options = request.get_json(silent=True) or {}
        results = []
        for _ in range(int(options.get("count", 1))):
            n, counter["next"] = counter["next"], counter["next"] + 1
            lead = fake.lead(n, is_test=bool(options.get("is_test")))
            key = "wrong-key" if options.get("wrong_key") else None
            for sent in fake.post(target_url, lead, key=key, times=1 + int(options.get("duplicates", 0))):
                results.append({"lead_id": lead["lead_id"], "status": sent.status})
        return jsonify({"deliveries": results})

    @app.get("/leads/<int:n>")
    def show(n: int) -> Any:
        return app.response_class(fake.encode(fake.lead(n)), mimetype="application/json")

    return app
