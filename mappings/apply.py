"""Turn one raw record into a canonical Lead with a mapping; errors name the field and the reason."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from core.errors import MappingError
from core.schema import Lead
from mappings import transforms
from mappings.spec import Condition, FieldRule, MappingSpec

_MISSING = object()


_SELECTOR = re.compile(r"^(?P<key>[^\[]+)\[(?P<field>[^=!\]]+)(?P<op>!?=)(?P<value>[^\]]*)\]$")
_RESHAPE = re.compile(r"^\{(?P<pairs>[^}]*)\}$")


def _split(path: str) -> list[str]:
    """Dots separate steps, except inside ``[...]`` selectors and ``{...}`` reshapes (whose parts may hold dots)."""
    parts, depth, current = [], 0, ""
    for char in path:
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1, "{": 1, "}": -1}.get(char, 0)
        current += char
    parts.append(current)
    return parts


def _select(current: Any, selector: re.Match[str]) -> Any:
    """``list[field=a|b]``: the first item whose field is one of the values; ``list[field!=a|b]``: every
    item whose field is none of them (a list)."""
    items = current.get(selector["key"]) if isinstance(current, dict) else None
    values = set(selector["value"].split("|"))
    matching = [
        i
        for i in items or []
        if isinstance(i, dict) and (str(i.get(selector["field"])) in values) == (selector["op"] == "=")
    ]
    if selector["op"] == "!=":
        return matching
    return matching[0] if matching else _MISSING


def _reshape(current: Any, pairs: str) -> Any:
    """``.{key:column_id|column_name,value:string_value}`` builds one dict per list item, each target from the
    first non-empty source; items without the first target are dropped."""
    targets = [
        (t.strip(), [src.strip() for src in sources.split("|")])
        for t, _, sources in (pair.partition(":") for pair in pairs.split(","))
        if t.strip()
    ]
    out = []
    for item in current if isinstance(current, list) else []:
        built = {}
        for target, sources in targets:
            value = next(
                (item.get(src) for src in sources if isinstance(item, dict) and item.get(src) not in (None, "")), None
            )
            if value is not None:
                built[target] = value
        if targets and targets[0][0] in built:
            out.append(built)
    return out


def read_path(record: Any, path: str) -> Any:
    """Follow ``a.b.0.c`` through dicts and lists; ``list[key=value]`` picks the first matching item
    (Meta's ``field_data[name=email].values.0``), ``list[key!=a|b]`` keeps every other item, and
    ``.{target:source|fallback,…}`` reshapes each item of a list. Missing parts give ``_MISSING``."""
    current = record
    for part in _split(path):
        selector, reshape = _SELECTOR.match(part), _RESHAPE.match(part)
        if selector:
            current = _select(current, selector)
            if current is _MISSING:
                return _MISSING
        elif reshape:
            current = _reshape(current, reshape["pairs"])
        elif isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _holds(condition: Condition, record: dict[str, Any]) -> bool:
    found = read_path(record, condition.path)
    present = found is not _MISSING and found not in (None, "")
    if condition.exists is not None and present != condition.exists:
        return False
    if condition.equals is not None and (not present or str(found) != str(condition.equals)):
        return False
    return not (condition.in_ is not None and (not present or str(found) not in {str(v) for v in condition.in_}))


def _source_value(rule: FieldRule, record: dict[str, Any]) -> Any:
    values = [read_path(record, path) for path in rule.paths]
    present = [v for v in values if v is not _MISSING and v not in (None, "")]
    if rule.join is not None:
        return rule.join.join(str(v) for v in present) if present else _MISSING
    return present[0] if present else _MISSING


def map_fields(spec: MappingSpec, record: dict[str, Any]) -> dict[str, Any]:
    """The mapped (not yet validated) canonical dict."""
    out: dict[str, Any] = {}
    for target, rule in spec.fields.items():
        if rule.when is not None and not _holds(rule.when, record):
            continue
        value = _source_value(rule, record)
        if value is _MISSING:
            if rule.default is None:
                continue
            value = rule.default
        try:
            value = transforms.run(rule.transforms, value, spec.value_maps)
        except (ValueError, TypeError) as exc:
            raise MappingError(f"{target}: {exc}", field=target) from exc
        if value is not None:
            _set_dotted(out, target, value)
    return out


def apply_mapping(
    spec: MappingSpec, record: dict[str, Any], defaults: dict[str, Any] | None = None, **context: Any
) -> Lead:
    """Map and validate; ``context`` sets what the record cannot know (source, connection),
    ``defaults`` fills what it may leave out (the time we received it)."""
    data = {**(defaults or {}), **map_fields(spec, record)}
    data.update({key: value for key, value in context.items() if value is not None})
    data.setdefault("person", {})
    try:
        lead = Lead.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise MappingError(problems, field=field) from exc
    person = lead.person
    if person.full_name and not (person.first_name or person.last_name):
        # platforms that only ask for a name (TikTok, Google, Meta's full_name) still give first and last
        person.first_name = transforms.first_name(person.full_name, None)
        person.last_name = transforms.last_name(person.full_name, None)
    return lead
