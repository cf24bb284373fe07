"""The OpenAPI 3.1 document of /api/v1, generated from the operations' pydantic models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from admin.api_models import Problem


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # path | query
    schema: dict[str, Any]
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    path: str  # OpenAPI form: /leads/{lead_id}
    method: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    params: list[Param] = field(default_factory=list)
    write: bool = False
    multipart: dict[str, Any] | None = None


OPERATIONS: list[Operation] = []


def document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        for status, model in op.responses.items():
            content_type = "application/json"
            if model is None:
                responses[str(status)] = {"description": "No content"}
                continue
            if model is Problem:
                content_type = "application/problem+json"
            responses[str(status)] = {
                "description": model.__doc__.split("\n")[0] if model.__doc__ else model.__name__,
                "content": {content_type: {"schema": ref(model)}},
            }
        for status in (400, 401) + ((403,) if op.write else ()):
            responses.setdefault(
                str(status),
                {"description": "Problem", "content": {"application/problem+json": {"schema": ref(Problem)}}},
            )
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path.strip('/').replace('/', '_')}".replace("{", "").replace("}", ""),
            "parameters": [
                {
                    "name": p.name,
                    "in": p.where,
                    "required": p.required or p.where == "path",
                    "schema": p.schema,
                    "description": p.description,
                }
                for p in op.params
            ],
            "responses": responses,
            "security": [{"apiKey": []}],
        }
        if op.body is not None or op.multipart is not None:
            content: dict[str, Any] = {}
            if op.body is not None:
                content["application/json"] = {"schema": ref(op.body)}
            if op.multipart is not None:
                content["multipart/form-data"] = {"schema": op.multipart}
            entry["requestBody"] = {"required": True, "content": content}
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "leadhub REST API",
            "version": "1.0.0",
            "description": "Leads, persons, applications, funnel metrics, deliveries and webhook endpoints. "
            "Errors are application/problem+json.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `leadhub apikey create`.",
                }
            },
        },
    }
