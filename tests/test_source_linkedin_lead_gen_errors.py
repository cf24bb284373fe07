"""linkedin_lead_gen pulls when LinkedIn refuses: throttling, refused or expired tokens, refresh, sunset versions."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from connectors.sources import linkedin_lead_gen
from core.context import Context
from core.errors import AuthExpired, SourceError
from core.models import Connection
from sync import connections, pull
from tests.test_source_linkedin_lead_gen import NAME, Sandbox, days_ago_ms, linkedin, make_connection

__all__ = ["linkedin"]  # the fixture, shared with the main pull tests
LOG = logging.getLogger("test.linkedin")


@pytest.mark.parametrize(
    ("kind", "times", "retry_after"),
    [("throttle_app", 2, None), ("throttle_member", 1, None), ("throttle_app", 1, 1)],
    ids=["application-day-limit", "member-day-limit", "with-retry-after"],
)
def test_each_throttle_form_waits_then_completes(
    ctx: Context, linkedin: Sandbox, kind: str, times: int, retry_after: int | None
) -> None:
    linkedin.fake.add_leads(6, at_ms=days_ago_ms(4))
    linkedin.fake.fail_next(kind, times, retry_after=retry_after)
    started = time.monotonic()
    result = pull.run(ctx, NAME)
    assert result.stored == 6
    assert time.monotonic() - started >= (retry_after or 0)
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == NAME)) == "ok"


@pytest.mark.parametrize(
    ("how", "code"), [("token_invalid", "65600"), ("token_revoked", "65601"), ("token_expired", "65600")]
)
def test_refused_token_flags_the_connection_for_reauthorisation(
    ctx: Context, linkedin: Sandbox, how: str, code: str
) -> None:
    linkedin.fake.add_leads(3, at_ms=days_ago_ms(2))
    linkedin.fake.fail_next(how, 20)
    with pytest.raises(AuthExpired):
        pull.run(ctx, NAME)
    with ctx.db.session() as session:
        conn = session.scalar(select(Connection).where(Connection.name == NAME))
    assert conn is not None and conn.status == "needs_reauth"
    assert "Re-authorise" in (conn.status_message or "") and code in (conn.status_message or "")


def test_a_token_linkedin_expired_is_refused_without_retrying(ctx: Context, linkedin: Sandbox) -> None:
    linkedin.fake.expire("fake-access-token")
    with pytest.raises(AuthExpired, match="expired"):
        pull.run(ctx, NAME)
    assert len(linkedin.fake.requests) == 1


def test_refresh_token_connection_gets_a_new_access_token_at_each_sync(ctx: Context, linkedin: Sandbox) -> None:
    fake = linkedin.fake
    fake.add_leads(3, at_ms=days_ago_ms(2))
    fake.expire("fake-access-token")  # the stored access token is stale; the refresh token still works
    secrets = {
        "access_token": "fake-access-token",
        "client_secret": fake.client_secret,
        "client_id": fake.client_id,
        "refresh_token": fake.refresh_token,
    }
    make_connection(ctx, linkedin.url, name="li-oauth", secrets=secrets)
    assert pull.run(ctx, "li-oauth").stored == 3
    assert fake.refreshes == 1


def test_revoked_refresh_token_flags_the_connection_for_reauthorisation(ctx: Context, linkedin: Sandbox) -> None:
    secrets = {
        "access_token": "x",
        "client_secret": linkedin.fake.client_secret,
        "client_id": linkedin.fake.client_id,
        "refresh_token": "revoked-refresh-token",
    }
    make_connection(ctx, linkedin.url, name="li-oauth", secrets=secrets)
    with pytest.raises(AuthExpired):
        pull.run(ctx, "li-oauth")
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == "li-oauth")) == "needs_reauth"


def stream_errors(config: dict[str, Any]) -> list[Any]:
    """Read lead_form_responses with the CDK directly and return its per-stream TRACE errors."""
    from airbyte_cdk.models import (
        ConfiguredAirbyteCatalog,
        ConfiguredAirbyteStream,
        DestinationSyncMode,
        SyncMode,
        Type,
    )
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    manifest = yaml.safe_load(linkedin_lead_gen.MANIFEST.read_text(encoding="utf-8"))
    probe = ConcurrentDeclarativeSource(source_config=manifest, config=config)
    stream = next(s for s in probe.discover(LOG, config).streams if s.name == "lead_form_responses")
    catalog = ConfiguredAirbyteCatalog(
        streams=[
            ConfiguredAirbyteStream(
                stream=stream, sync_mode=SyncMode.full_refresh, destination_sync_mode=DestinationSyncMode.append
            )
        ]
    )
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=catalog, state=[])
    errors = []
    with pytest.raises(AirbyteTracedException):
        for message in source.read(LOG, config, catalog, []):
            if message.type == Type.TRACE and message.trace.error is not None:
                errors.append(message.trace.error)
    return errors


def test_a_sunset_api_version_fails_the_stream_naming_the_setting_to_change(ctx: Context, linkedin: Sandbox) -> None:
    make_connection(ctx, linkedin.url, name="li-old", linkedin_version="202401")
    config = linkedin_lead_gen.source_config(connections.find(ctx, "li-old"))
    (error,) = stream_errors(config)
    assert "linkedin_version" in error.message and "202401" in error.message
    assert error.failure_type.value == "system_error"  # a setting to change, not a token to renew


def test_a_sunset_api_version_stops_the_pull_without_asking_for_reauthorisation(
    ctx: Context, linkedin: Sandbox
) -> None:
    make_connection(ctx, linkedin.url, name="li-old", linkedin_version="202401")
    with pytest.raises(SourceError, match="Set linkedin_version to a current YYYYMM") as caught:
        pull.run(ctx, "li-old")
    assert not isinstance(caught.value, AuthExpired)
    with ctx.db.session() as session:
        assert session.scalar(select(Connection.status).where(Connection.name == "li-old")) == "ok"
