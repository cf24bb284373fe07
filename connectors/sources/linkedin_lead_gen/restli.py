"""Rest.li 2.0 query syntax, as LinkedIn parses it: ``(key:value,…)`` tuples, ``List(…)``, field projections.

Parentheses, commas and colons are syntax; the same characters percent-encoded are data. So a URN inside a
tuple must be sent as ``urn%3Ali%3AsponsoredAccount%3A123``, and ``%28sponsoredAccount…%29`` is a plain
string, not a tuple. The sandbox fake parses raw query strings with this module to be exactly that strict.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

RESERVED = "(),:"


class RestliSyntaxError(ValueError):
    """The value does not parse as Rest.li 2.0; the message says where."""


def query_params(raw_query: str) -> dict[str, str]:
    """Split a raw query string into raw (still percent-encoded) values; later keys win."""
    params: dict[str, str] = {}
    for part in raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            params[unquote(key)] = value
    return params


def parse(raw: str) -> Any:
    """A raw Rest.li 2.0 value: a dict for ``(k:v,…)``, a list for ``List(…)``, else the decoded string."""
    value, end = _value(raw, 0)
    if end != len(raw):
        raise RestliSyntaxError(f"unexpected {raw[end]!r} at position {end} in {raw!r}")
    return value


def _value(raw: str, pos: int) -> tuple[Any, int]:
    if raw.startswith("List(", pos):
        return _sequence(raw, pos + 5)
    if raw.startswith("(", pos):
        return _record(raw, pos + 1)
    end = pos
    while end < len(raw) and raw[end] not in RESERVED:
        end += 1
    return unquote(raw[pos:end]), end


def _record(raw: str, pos: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    if raw.startswith(")", pos):
        return out, pos + 1
    while True:
        key, pos = _value(raw, pos)
        if not isinstance(key, str) or not raw.startswith(":", pos):
            raise RestliSyntaxError(f"expected 'key:value' at position {pos} in {raw!r}")
        out[key], pos = _value(raw, pos + 1)
        if raw.startswith(",", pos):
            pos += 1
        elif raw.startswith(")", pos):
            return out, pos + 1
        else:
            raise RestliSyntaxError(f"expected ',' or ')' at position {pos} in {raw!r}")


def _sequence(raw: str, pos: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    if raw.startswith(")", pos):
        return out, pos + 1
    while True:
        item, pos = _value(raw, pos)
        out.append(item)
        if raw.startswith(",", pos):
            pos += 1
        elif raw.startswith(")", pos):
            return out, pos + 1
        else:
            raise RestliSyntaxError(f"expected ',' or ')' at position {pos} in {raw!r}")


def projection(raw: str) -> dict[str, Any]:
    """``a,b,form:(name,content)`` → ``{"a": None, "b": None, "form": {"name": None, "content": None}}``."""
    fields, end = _fields(unquote(raw), 0)
    if end != len(unquote(raw)):
        raise RestliSyntaxError(f"unexpected ')' at position {end} in fields={raw!r}")
    return fields


def _fields(text: str, pos: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while pos < len(text) and text[pos] != ")":
        end = pos
        while end < len(text) and text[end] not in ",:()":
            end += 1
        name = text[pos:end]
        if not name:
            raise RestliSyntaxError(f"empty field name at position {pos} in fields={text!r}")
        if text.startswith(":(", end):
            out[name], end = _fields(text, end + 2)
            if not text.startswith(")", end):
                raise RestliSyntaxError(f"unclosed '(' after {name!r} in fields={text!r}")
            end += 1
        else:
            out[name] = None
        pos = end + 1 if text.startswith(",", end) else end
    return out, pos


def project(document: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Keep only the projected fields (nested projections apply to nested objects)."""
    out: dict[str, Any] = {}
    for name, sub in fields.items():
        if name not in document:
            continue
        value = document[name]
        out[name] = project(value, sub) if sub is not None and isinstance(value, dict) else value
    return out
