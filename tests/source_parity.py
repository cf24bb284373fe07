"""Read a connection through its manifest exactly as an Airbyte deployment runs it (the manifest's own Jinja, no
in-process replacement), to compare with what leadhub's faster in-process pull stores."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from sqlalchemy import select

from connectors import registry
from core.context import Context
from core.models import RawRecord
from sync import connections, pull


def airbyte_records(ctx: Context, connection_name: str) -> dict[str, dict[str, Any]]:
    """Every record of the connection's lead stream, by record id, as JSON would carry it."""
    view = connections.find(ctx, connection_name)
    plugin = registry.get(view.platform, "source").load()
    models, Source, _ = pull._import_cdk()
    manifest = yaml.safe_load(plugin.MANIFEST.read_text(encoding="utf-8"))
    config = plugin.source_config(view)
    probe = Source(source_config=copy.deepcopy(manifest), config=config)
    catalog = pull._catalog(models, probe.discover(pull.log, config), plugin.RECORD_STREAM)
    source = Source(source_config=manifest, config=config, catalog=catalog, state=[])
    records = {}
    for kind, payload in pull._messages(models, source, config, catalog, [], pull.log):
        if kind == "record" and payload[0] == plugin.RECORD_STREAM:
            records[plugin.record_id(payload[1])] = json.loads(json.dumps(payload[1], ensure_ascii=False, default=str))
    return records


def stored_records(ctx: Context, connection_id: str | None = None) -> dict[str, dict[str, Any]]:
    """The raw records a pull stored, by external id."""
    query = select(RawRecord)
    if connection_id is not None:
        query = query.where(RawRecord.connection_id == connection_id)
    with ctx.db.session() as session:
        return {raw.external_id: json.loads(raw.body) for raw in session.scalars(query)}
