"""Invented, seeded sandbox data for the LinkedIn fake: one ad account, versioned forms, German-speaking people.

No real people: names are common German/European names combined at random, addresses are example.org mailboxes,
phone numbers follow German formats. Forms are versioned like LinkedIn's: a new version gets new questionIds, so
an answer can only be read against the version the lead was submitted on.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from typing import Any

ACCOUNT_ID = "5123456"
ACCOUNT_URN = f"urn:li:sponsoredAccount:{ACCOUNT_ID}"
CAMPAIGNS = {
    "urn:li:sponsoredCampaign:271828182": "Pflegefachkräfte Herbst 2026",
    "urn:li:sponsoredCampaign:314159265": "IT-Talente Q4 2026",
}
CREATIVES = ["urn:li:sponsoredCreative:405060701", "urn:li:sponsoredCreative:405060702"]

FIRST = [
    "Jürgen",
    "Anna-Lena",
    "Özlem",
    "Lukas",
    "Sophie",
    "Mehmet",
    "Katarzyna",
    "Björn",
    "Chloé",
    "Hannelore",
    "Jonas",
    "Zeynep",
    "Léa",
    "Florian",
    "Małgorzata",
    "Dörte",
    "Ümit",
    "Søren",
    "Frauke",
    "Gülay",
]
LAST = [
    "Müller",
    "von der Heide",
    "Yılmaz",
    "Schäfer",
    "Nowak",
    "Weiß",
    "Dubois",
    "Groß",
    "Kowalski",
    "Hoffmann",
    "Brückner",
    "Lehmann",
    "Fischer",
    "Öztürk",
    "Krüger",
    "Çelik",
    "Jäger",
    "Mößner",
    "Kühn",
    "Überreiter",
]
CITIES = ["Berlin", "München", "Köln", "Düsseldorf", "Hamburg", "Leipzig", "Nürnberg", "Freiburg im Breisgau"]
TITLES = ["Pflegefachfrau", "Gesundheits- und Krankenpfleger", "Fachinformatikerin", "Softwareentwickler", "Azubi"]


def _text(de: str) -> dict[str, Any]:
    return {"localized": {"de_DE": de}}


def _question(
    qid: int, name: str, de: str, predefined: str | None = None, options: list[str] | None = None
) -> dict[str, Any]:
    details: dict[str, Any] = (
        {"multipleChoiceQuestionDetails": {"options": [{"id": i, "text": _text(o)} for i, o in enumerate(options)]}}
        if options
        else {"textQuestionDetails": {"maxResponseLength": 300}}
    )
    question: dict[str, Any] = {
        "questionId": qid,
        "name": name,
        "question": _text(de),
        "questionDetails": details,
        "responseEditable": True,
        "responseRequired": predefined is not None,
    }
    if predefined:
        question["predefinedField"] = predefined
    return question


def _form(
    form_id: int, version: int, name: str, questions: list[dict[str, Any]], consents: list[str], hidden: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": form_id,
        "versionId": version,
        "name": name,
        "state": "PUBLISHED",
        "owner": {"sponsoredAccount": ACCOUNT_URN},
        "creationLocale": {"country": "DE", "language": "de"},
        "created": 1_780_000_000_000 + version,
        "lastModified": 1_790_000_000_000 + version,
        "reviewInfo": {"reviewStatus": "APPROVED", "rejectionReasons": []},
        "hiddenFields": [{"name": k, "value": v} for k, v in hidden.items()],
        "content": {
            "headline": _text("Jetzt unverbindlich Kontakt aufnehmen"),
            "questions": questions,
            "legalInfo": {
                "legalInfoId": int(f"10{version}{form_id}"),
                "privacyPolicyUrl": "https://karriere.example.org/datenschutz",
                "legalDisclaimer": _text("Es gilt unsere Datenschutzerklärung."),
                "consents": [{"id": i, "checkRequired": i == 0, "consent": _text(t)} for i, t in enumerate(consents)],
            },
        },
    }


def forms() -> list[dict[str, Any]]:
    """Every version of every form; the newest version of each is what ``leadForms`` lists."""
    pflege_hidden = {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "pflege-herbst-2026"}
    pflege_consents = [
        "Ich bin einverstanden, dass mich das Recruiting-Team zu passenden Stellen kontaktiert.",
        "Bitte nehmt mich in euren Talentpool auf (Speicherung bis zu 24 Monate).",
    ]
    base = [
        _question(1107430001, "Vorname", "Vorname", "FIRST_NAME"),
        _question(1207430001, "Nachname", "Nachname", "LAST_NAME"),
        _question(1307430001, "E-Mail", "E-Mail-Adresse", "EMAIL"),
        _question(1407430001, "Telefon", "Telefonnummer", "PHONE_NUMBER"),
        _question(1507430001, "Ort", "Stadt", "CITY"),
        _question(1607430001, "Jobtitel", "Berufsbezeichnung", "JOB_TITLE"),
        _question(1707430001, "Schicht", "Welche Schicht bevorzugst du?", options=["Früh", "Spät", "Nacht"]),
    ]
    v2 = [
        _question(2107430001, "Vorname", "Vorname", "FIRST_NAME"),
        _question(2207430001, "Nachname", "Nachname", "LAST_NAME"),
        _question(2307430001, "E-Mail", "E-Mail-Adresse", "EMAIL"),
        _question(2407430001, "Telefon", "Telefonnummer", "PHONE_NUMBER"),
        _question(2507430001, "Ort", "Stadt", "CITY"),
        _question(2607430001, "Jobtitel", "Berufsbezeichnung", "JOB_TITLE"),
        _question(2707430001, "Erfahrung", "Wie viele Jahre Berufserfahrung hast du?"),
        _question(2807430001, "Schicht", "Welche Schichten passen dir?", options=["Früh", "Spät", "Nacht"]),
    ]
    it = [
        _question(1107430002, "Vorname", "Vorname", "FIRST_NAME"),
        _question(1207430002, "Nachname", "Nachname", "LAST_NAME"),
        _question(1307430002, "Geschäftliche E-Mail", "Geschäftliche E-Mail-Adresse", "WORK_EMAIL"),
        _question(1407430002, "Firma", "Unternehmen", "COMPANY_NAME"),
        _question(1507430002, "Senioritaet", "Karrierestufe", "SENIORITY"),
        _question(1607430002, "Stack", "Dein Lieblings-Stack?", options=["Python", "Java", "TypeScript", "Go"]),
    ]
    it_hidden = {"utm_source": "linkedin", "utm_medium": "paid_social", "utm_campaign": "it-talente-q4"}
    return [
        _form(7430001, 1, "Pflege – Kontakt", base, pflege_consents, pflege_hidden),
        _form(7430001, 2, "Pflege – Kontakt", v2, pflege_consents, pflege_hidden),
        _form(7430002, 1, "IT-Talente – Rückruf", it, ["Ich möchte zu IT-Stellen kontaktiert werden."], it_hidden),
    ]


def versioned_urn(form: dict[str, Any]) -> str:
    return f"urn:li:versionedLeadGenForm:(urn:li:leadGenForm:{form['id']},{form['versionId']})"


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ł", "l").replace("ı", "i").replace("ø", "o")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _phone(rng: random.Random) -> str:
    return rng.choice(["0151 {a} {b}", "+49 170 {a}{b}", "0176-{a}{b}", "(030) {a} {b}"]).format(
        a=rng.randint(100, 999), b=rng.randint(1000, 9999)
    )


def _answer(question: dict[str, Any], person: dict[str, str], rng: random.Random) -> dict[str, Any] | None:
    predefined = question.get("predefinedField")
    choice = question["questionDetails"].get("multipleChoiceQuestionDetails")
    if choice:
        picked = sorted(rng.sample(range(len(choice["options"])), k=rng.choice([1, 1, 2])))
        return {"questionId": question["questionId"], "answerDetails": {"multipleChoiceAnswer": {"options": picked}}}
    value = person.get(predefined or "") if predefined else str(rng.randint(0, 25))
    if value is None:
        return None
    return {"questionId": question["questionId"], "answerDetails": {"textQuestionAnswer": {"answer": value}}}


def lead(n: int, form: dict[str, Any], submitted_at_ms: int, rng: random.Random, test: bool = False) -> dict[str, Any]:
    """The ``n``-th invented lead on one form version, in the full (unprojected, undecorated) API shape."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = _ascii(f"{first}.{last}".lower().replace(" ", "").replace("'", ""))
    person = {
        "FIRST_NAME": first,
        "LAST_NAME": last,
        "EMAIL": f"{local}.{n}@example.org",
        "WORK_EMAIL": f"{local}.{n}@firma.example.com",
        "PHONE_NUMBER": _phone(rng),
        "CITY": rng.choice(CITIES),
        "JOB_TITLE": rng.choice(TITLES),
        "COMPANY_NAME": rng.choice(["Muster IT GmbH", "Beispiel & Söhne KG", "Nordlicht Software AG"]),
        "SENIORITY": rng.choice(["Einstieg", "Senior", "Leitung"]),
    }
    questions = form["content"]["questions"]
    answers = [a for a in (_answer(q, person, rng) for q in questions) if a is not None]
    consents = form["content"]["legalInfo"]["consents"]
    campaign = rng.choice(list(CAMPAIGNS))
    return {
        "id": f"{uuid.UUID(int=rng.getrandbits(128))}-{rng.randint(1, 9)}",
        "owner": {"sponsoredAccount": ACCOUNT_URN},
        "submitter": f"urn:li:person:{_ascii(first)[:3]}{rng.getrandbits(32):08x}",
        "leadType": "SPONSORED",
        "testLead": test,
        "submittedAt": submitted_at_ms,
        "versionedLeadGenFormUrn": versioned_urn(form),
        "leadMetadata": {"sponsoredLeadMetadata": {"campaign": campaign}},
        "associatedEntity": {"associatedCreative": rng.choice(CREATIVES)},
        "formResponse": {
            "answers": answers,
            "consentResponses": [
                {"consentId": c["id"], "accepted": c["checkRequired"] or rng.random() < 0.5} for c in consents
            ],
        },
    }
