"""Two workers receiving the same new person at the same moment still produce one person (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import select

from core.context import Context
from core.models import Lead, Person
from mappings import identity
from mappings.identity_config import IdentityConfig
from sync import pipeline
from tests.test_identity_resolve import Hub

WORKERS = 3


def _at_once(tasks: list[Callable[[], object]]) -> None:
    """Start every task on its own thread at the same instant; re-raise the first failure."""
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def run(task: Callable[[], object]) -> None:
        barrier.wait()
        try:
            task()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def _persons_of_leads(ctx: Context) -> set[str]:
    with ctx.db.session() as session:
        return set(session.scalars(select(Lead.person_id)).all())


def _live_persons(ctx: Context) -> int:
    with ctx.db.session() as session:
        return len(session.scalars(select(Person.id).where(Person.merged_into_id.is_(None))).all())


@pytest.mark.parametrize("advisory_locks", [True, False], ids=["advisory-locks", "unique-key-only"])
def test_the_same_new_person_arriving_on_several_workers_at_once_is_one_person(
    ctx: Context, monkeypatch: pytest.MonkeyPatch, advisory_locks: bool
) -> None:
    monkeypatch.setattr(identity, "DEFAULT_CONFIG", IdentityConfig(advisory_locks=advisory_locks))
    hub = Hub(ctx)
    for round_ in range(4):
        fields = {
            "first_name": "Lena",
            "last_name": f"Krüger{round_}",
            "email": f"lena.krueger{round_}@web.de",
            "phone": f"0151 400 000{round_}",
        }
        raw_ids = [hub.store(fields, submission_id=f"round{round_}-worker{w}") for w in range(WORKERS)]
        _at_once([partial(pipeline.process, ctx, raw_id) for raw_id in raw_ids])
        with ctx.db.session() as session:
            owners = set(session.scalars(select(Lead.person_id).where(Lead.external_id.like(f"round{round_}-%"))))
        assert len(owners) == 1, f"round {round_}: {owners}"
    assert _live_persons(ctx) == 4
    assert len(_persons_of_leads(ctx)) == 4


def test_the_same_new_person_with_different_emails_at_once_is_one_person(ctx: Context) -> None:
    """No common key: only the advisory lock on the shared blocks (PostgreSQL) or the SQLite write lock
    keeps the second worker from creating a twin before the first one commits."""
    hub = Hub(ctx)
    raw_ids = [
        hub.store({"first_name": "Jürgen", "last_name": "Groß", "postcode": "04109", "email": f"jg{w}@example.org"})
        for w in range(WORKERS)
    ]
    _at_once([partial(pipeline.process, ctx, raw_id) for raw_id in raw_ids])
    assert len(_persons_of_leads(ctx)) == 1
