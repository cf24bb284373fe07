"""The manifest's ``definitions.flatten`` in Python: join a lead's answers and consents to the form it embeds.

Answers carry only questionIds; their meaning is in the versioned form the ``form:(…)`` projection embeds in
each lead. manifest.yaml does this join in Jinja (pure YAML, so it runs on any Airbyte deployment); leadhub's
own pulls (``in_process.py``) and leads fetched after a push run this Python instead: the Jinja cost ~8 ms of
CPU per lead (docs/benchmarks.md, "Sources"). Keep the two in step: tests run the manifest's Jinja through the
CDK and compare it with :func:`flatten` on every seeded lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

URN_PREFIX = "urn:li:leadGenFormResponse:"
CONTACT = frozenset({"FIRST_NAME", "LAST_NAME", "EMAIL", "PHONE_NUMBER", "CITY", "ZIP_CODE", "LINKEDIN_PROFILE_LINK"})


def _text(value: Any) -> str:
    """Jinja's ``'' ~ value``: the value as text, ``None`` included."""
    return value if isinstance(value, str) else str(value)


def _first(items: Iterable[Any]) -> Any:
    return next(iter(items), None)


def _with(items: Iterable[Any], key: str, value: Any) -> Mapping[str, Any]:
    """The first dict whose ``key`` is present and equals ``value`` (Jinja ``selectattr(key, 'equalto', value)``)."""
    found: Mapping[str, Any] | None = next(
        (i for i in items if isinstance(i, Mapping) and key in i and i[key] == value), None
    )
    return found or {}


def _localized(texts: Mapping[str, Any], locale: str) -> Any:
    """The text in the form's own locale, else the first one given."""
    return texts.get(locale) or _first(texts.values())


def _joined(record: Mapping[str, Any], locale: str, form: Mapping[str, Any]) -> list[dict[str, Any]]:
    questions = (form.get("content") or {}).get("questions") or []
    items = []
    for answer in (record.get("formResponse") or {}).get("answers") or []:
        question = _with(questions, "questionId", answer.get("questionId"))
        label = _localized((question.get("question") or {}).get("localized") or {}, locale) or question.get("name")
        details = answer.get("answerDetails") or {}
        choice = (question.get("questionDetails") or {}).get("multipleChoiceQuestionDetails") or {}
        options = choice.get("options") or []
        picked = [
            _localized((_with(options, "id", option).get("text") or {}).get("localized") or {}, locale) or _text(option)
            for option in (details.get("multipleChoiceAnswer") or {}).get("options") or []
        ]
        chosen = picked[0] if len(picked) == 1 else (picked or None)
        value = details["textQuestionAnswer"].get("answer") if "textQuestionAnswer" in details else chosen
        predefined = question.get("predefinedField") or None
        key = predefined.lower() if predefined else _text(answer.get("questionId"))
        items.append({"key": key, "label": label or None, "value": value, "predefined": predefined})
    return items


def _consents(record: Mapping[str, Any], locale: str, form: Mapping[str, Any]) -> list[dict[str, Any]]:
    shown = ((form.get("content") or {}).get("legalInfo") or {}).get("consents") or []
    given = (record.get("formResponse") or {}).get("consentResponses") or []

    def consent(consent_id: Any, response: Mapping[str, Any], text: Any) -> dict[str, Any]:
        return {
            "purpose": f"linkedin_consent_{_text(consent_id)}",
            "granted": response.get("accepted") is True,
            "text": text,
            "text_version": record.get("versionedLeadGenFormUrn"),
            "given_at": record.get("submittedAt"),
            "source": "linkedin",
            "legal_basis": "consent",
        }

    items = [
        consent(
            box.get("id"),
            _with(given, "consentId", box.get("id")),
            _localized((box.get("consent") or {}).get("localized") or {}, locale) or None,
        )
        for box in shown
    ]
    ids = [box.get("id") for box in shown]
    items += [consent(r.get("consentId"), r, None) for r in given if r.get("consentId") not in ids]
    return items


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Add ``urn``, ``fields``, ``answers``, ``consents`` and ``hidden`` to the lead (in place) and return it."""
    form = record.get("form") or {}
    creation = form.get("creationLocale") or {}
    locale = f"{_text(creation.get('language', ''))}_{_text(creation.get('country', ''))}"
    joined = _joined(record, locale, form)
    record["urn"] = f"{URN_PREFIX}{_text(record['id'])}"
    record["fields"] = {i["predefined"]: i["value"] for i in joined if i["predefined"]}
    record["answers"] = [
        {"key": i["key"], "label": i["label"], "value": i["value"]} for i in joined if i["predefined"] not in CONTACT
    ]
    record["consents"] = _consents(record, locale, form)
    record["hidden"] = {_text(h.get("name")): h.get("value") for h in form.get("hiddenFields") or []}
    return record
