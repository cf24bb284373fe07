"""Qualification rules: declarative conditions on a canonical lead → a score and an outcome, with the deciding rule.

Rules run in order. Every matching rule adds its ``score``; the first matching rule that names an
``outcome`` decides it. No deciding rule → ``needs_review`` (the lead stays ``captured``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.schema import Lead
from mappings.apply import _MISSING, read_path

DEFAULT_RULES = Path(__file__).parent / "default_rules.yaml"

Op = Literal["equals", "not_equals", "in", "contains", "regex", "gt", "gte", "lt", "lte", "exists", "not_exists"]
Outcome = Literal["qualified", "disqualified", "needs_review"]


class Check(BaseModel):
    """One comparison on a canonical path, e.g. ``answers[key=experience_years].value`` ``gte`` 2."""

    model_config = ConfigDict(extra="forbid")
    field: str
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_needed(self) -> Check:
        if self.op not in ("exists", "not_exists") and self.value is None:
            raise ValueError(f"{self.field}: operator {self.op} needs a value")
        if self.op == "regex":
            re.compile(str(self.value))
        return self


class Condition(BaseModel):
    """``all`` / ``any`` of checks or nested conditions."""

    model_config = ConfigDict(extra="forbid")
    all: list[Check | Condition] | None = None
    any: list[Check | Condition] | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    when: Condition
    score: float = 0.0
    outcome: Outcome | None = None


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None = None) -> RuleSet:
        return cls.model_validate(yaml.safe_load((path or DEFAULT_RULES).read_text(encoding="utf-8")) or {})


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    score: float
    rule: str | None
    matched: tuple[str, ...]


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "."))
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _check(check: Check, document: dict[str, Any]) -> bool:
    found = read_path(document, check.field)
    present = found is not _MISSING and found not in (None, "", [])
    if check.op == "exists":
        return present
    if check.op == "not_exists":
        return not present
    if not present:
        return False
    if check.op == "equals":
        return _comparable(found) == _comparable(check.value)
    if check.op == "not_equals":
        return _comparable(found) != _comparable(check.value)
    if check.op == "in":
        return _comparable(found) in {_comparable(v) for v in check.value}
    if check.op == "contains":
        haystack = found if isinstance(found, list) else str(found).lower()
        return (check.value in haystack) if isinstance(found, list) else str(check.value).lower() in haystack
    if check.op == "regex":
        return re.search(str(check.value), str(found)) is not None
    left, right = _comparable(found), _comparable(check.value)
    try:
        return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[check.op]
    except TypeError:  # a number compared with text: the rule does not apply
        return False


def _holds(condition: Condition | Check, document: dict[str, Any]) -> bool:
    if isinstance(condition, Check):
        return _check(condition, document)
    results = True
    if condition.all is not None:
        results = all(_holds(part, document) for part in condition.all)
    if condition.any is not None:
        results = results and any(_holds(part, document) for part in condition.any)
    return results


def evaluate(rules: RuleSet, lead: Lead | dict[str, Any]) -> Decision:
    document = lead.model_dump(mode="json") if isinstance(lead, Lead) else lead
    score, outcome, decided_by, matched = 0.0, None, None, []
    for rule in rules.rules:
        if _holds(rule.when, document):
            matched.append(rule.name)
            score += rule.score
            if outcome is None and rule.outcome is not None:
                outcome, decided_by = rule.outcome, rule.name
    return Decision(outcome or "needs_review", score, decided_by, tuple(matched))
