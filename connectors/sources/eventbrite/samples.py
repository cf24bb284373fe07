"""Invented Eventbrite objects (no real people) for the sandbox fake, the demo and the tests."""

from __future__ import annotations

import random
import unicodedata
from datetime import datetime
from typing import Any

FIRST = ["Jürgen", "Anna-Lena", "Özlem", "Lukas", "Sophie", "Mehmet", "Katarzyna", "Björn", "Chloé", "Małgorzata"]
LAST = ["Müller", "von der Heide", "Yılmaz", "Schäfer", "Nowak", "Weiß", "Dubois", "Groß", "Kowalski", "Krüger"]
CITIES = [("Berlin", "10115"), ("München", "80331"), ("Köln", "50667"), ("Hamburg", "20095"), ("Leipzig", "04109")]
JOBS = [("Pflegefachkraft", "Klinikum Süd"), ("Fachinformatikerin", "Stadtwerke Köln"), ("Berufskraftfahrer", None)]
AFFILIATES = ["ebdssbdestsearch", "newsletter-nov", "insta-story", None]
EVENT_NAMES = [
    "Karrieretag Pflege – Klinikum Nordstadt",
    "IT-Talents Meetup Leipzig",
    "Ausbildungsmesse Logistik 2027",
]
QUESTIONS = [
    ("287263021", "Welcher Fachbereich interessiert Sie?", "multiple_choice", ["Intensivpflege", "Pädiatrie"]),
    ("287263022", "Haben Sie eine abgeschlossene Ausbildung?", "text", ["Ja, Pflegefachfrau", "Noch in Ausbildung"]),
    ("287263023", "Dürfen wir Sie nach der Messe anrufen?", "text", [""]),  # often left empty
]
# (status, checked_in, cancelled, refunded): the variants an attendee list really mixes
STATUSES = [
    ("Attending", False, False, False),
    ("Attending", False, False, False),
    ("Checked In", True, False, False),
    ("Not Attending", False, True, False),
    ("Not Attending", False, False, True),
]
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def ascii_local(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i").replace(" ", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def event(event_id: str, name: str, org_id: str, at: datetime, api: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "name": {"text": name, "html": name},
        "organization_id": org_id,
        "start": {"timezone": "Europe/Berlin", "utc": "2027-03-11T08:00:00Z", "local": "2027-03-11T09:00:00"},
        "status": "live",
        "currency": "EUR",
        "created": at.strftime(STAMP),
        "changed": at.strftime(STAMP),
        "url": f"https://www.eventbrite.de/e/karriere-{event_id}",
        "resource_uri": f"{api}/v3/events/{event_id}/",
    }


def profile(n: int, rng: random.Random) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, postcode = rng.choice(CITIES)
    job, company = rng.choice(JOBS)
    data: dict[str, Any] = {
        "first_name": first,
        "last_name": last,
        "name": f"{first} {last}",
        "email": f"{ascii_local(first)}.{ascii_local(last)}.{n}@example.org",
        "cell_phone": f"0176 {rng.randint(1000000, 9999999)}",
        "job_title": job,
        "addresses": {"home": {"city": city, "postal_code": postcode, "country": "DE"}},
    }
    if company:
        data["company"] = company
    return data


def attendee(n: int, event_id: str, order_id: str, at: datetime, api: str, seed: int) -> dict[str, Any]:
    """The ``n``-th attendee; its status variant cycles so every list mixes them."""
    rng = random.Random(seed * 1_000_003 + n)
    status, checked_in, cancelled, refunded = STATUSES[n % len(STATUSES)]
    attendee_id = f"{13_000_000_000 + n}"
    answers = []
    for question_id, question, kind, options in QUESTIONS:
        answer: dict[str, Any] = {"question_id": question_id, "question": question, "type": kind}
        value = rng.choice(options)
        if value:
            answer["answer"] = value
        answers.append(answer)
    return {
        "id": attendee_id,
        "event_id": event_id,
        "order_id": order_id,
        "created": at.strftime(STAMP),
        "changed": at.strftime(STAMP),
        "status": status,
        "checked_in": checked_in,
        "cancelled": cancelled,
        "refunded": refunded,
        "quantity": 1,
        "ticket_class_id": "263793801",
        "ticket_class_name": "Fachbesucher (kostenlos)",
        "profile": profile(n, rng),
        "answers": answers,
        "barcodes": [{"barcode": f"{attendee_id}001", "status": "used" if checked_in else "unused", "checkin_type": 0}],
        "affiliate": AFFILIATES[n % len(AFFILIATES)],
        "costs": {"base_price": {"currency": "EUR", "value": 0, "major_value": "0.00", "display": "0,00 €"}},
        "delivery_method": "electronic",
        "resource_uri": f"{api}/v3/events/{event_id}/attendees/{attendee_id}/",
    }


def order(order_id: str, event_id: str, buyer: dict[str, Any], at: datetime, api: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "event_id": event_id,
        "created": at.strftime(STAMP),
        "changed": at.strftime(STAMP),
        "name": buyer["name"],
        "first_name": buyer["first_name"],
        "last_name": buyer["last_name"],
        "email": buyer["email"],
        "status": "placed",
        "resource_uri": f"{api}/v3/orders/{order_id}/",
    }
