"""Identity benchmark: generated leads through map → resolve → qualify → store on a real SQLite file.

Prints leads/s, peak RSS, pairwise precision / recall / F1 against the generator's truth, and the p95 of
"one new lead matched against every stored person". With two sizes it prints their time ratio.

    .venv/bin/python bench/identity.py --n 100000
    .venv/bin/python bench/identity.py --n 100000 --n 1000000
    .venv/bin/python bench/identity.py --prefill 1000000     # match latency only, against 1M stored persons

The queue and HTTP are bypassed: each batch of leads is one transaction that, per lead, maps the raw
submission with the connection's mapping, calls the same ``mappings.identity.resolve`` as the pipeline,
runs the qualification rules (when ``mappings.qualify`` exists) and stores the raw record and the lead.
Performance is measured here, never asserted in tests; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, select

from core import migrate, schema
from core.context import Context
from core.ids import new_id
from core.models import Lead, Merge, Person, RawRecord, ReviewItem, utcnow
from core.settings import Settings
from mappings import identity, scoring, survivorship, synthetic
from mappings import keys as keys_module
from mappings.apply import apply_mapping
from mappings.identity_config import IdentityConfig
from mappings.spec import MappingSpec
from sync import connections

RAW, LEADS = cast(Table, RawRecord.__table__), cast(Table, Lead.__table__)
GOALS = {"leads_per_s": 5000, "peak_rss_gb_1m": 4.0, "ratio": 12.0, "precision": 0.97, "f1": 0.93, "p95_ms": 50.0}


@dataclass
class Run:
    n: int
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("map", "resolve", "qualify", "store"), 0.0))
    scores: synthetic.PairScores | None = None
    persons: int = 0
    merges: int = 0
    reviews: int = 0
    review_pairs_true: int = 0
    match_ms: list[float] = field(default_factory=list)
    match_cpu_ms: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0


def _qualifier() -> Any:
    """The qualification step, when the qualification module exists (it is built in parallel)."""
    if importlib.util.find_spec("mappings.qualify") is None:
        return None
    from mappings import qualify

    rules = qualify.RuleSet.load()
    return lambda lead: qualify.evaluate(rules, lead)


def _mapping() -> MappingSpec:
    from connectors.sources import form_webhook

    spec = form_webhook.default_mapping().model_dump(mode="json", exclude_defaults=True)
    spec["fields"].update(synthetic.MAPPING_FIELDS)
    return MappingSpec.model_validate(spec)


def run(n: int, workdir: Path, batch: int, seed: int, samples: int, config: IdentityConfig) -> Run:
    settings = Settings(data_dir=workdir, secret_key="bench-secret-key")
    ctx = Context.build(settings)
    migrate.upgrade(ctx.db)
    connection = connections.create(ctx, "bench", "form_webhook", {}, {"signing_secret": "bench"})
    spec, qualify_lead = _mapping(), _qualifier()
    generator = synthetic.Generator(seed=seed)
    leads = generator.leads(n + samples)
    truth: dict[str, str] = {}
    result = Run(n)
    stages = result.stages
    started, wall = time.process_time(), time.perf_counter()
    done = 0
    while done < n:
        with ctx.db.transaction() as session:
            for _ in range(min(batch, n - done)):
                item = next(leads)
                t0 = time.process_time()
                body = json.dumps(item.record).encode()
                canonical = apply_mapping(
                    spec,
                    item.record,
                    defaults={"captured_at": utcnow()},
                    source=item.source,
                    connection=connection.name,
                    mapping_version=1,
                )
                lead_id = new_id("lead")
                t1 = time.process_time()
                person = identity.resolve(session, canonical.person, config=config, lead_id=lead_id, source=item.source)
                t2 = time.process_time()
                decision = qualify_lead(canonical) if qualify_lead else None
                t3 = time.process_time()
                raw_id = new_id("raw")
                session.connection().execute(
                    RAW.insert(),
                    [
                        {
                            "id": raw_id,
                            "connection_id": connection.id,
                            "source": item.source,
                            "external_id": canonical.external_id,
                            "body": body,
                            "status": "processed",
                            "lead_id": lead_id,
                        }
                    ],
                )
                session.connection().execute(
                    LEADS.insert(),
                    [
                        {
                            "id": lead_id,
                            "person_id": person.id,
                            "connection_id": connection.id,
                            "source": item.source,
                            "external_id": canonical.external_id,
                            "raw_record_id": raw_id,
                            "captured_at": canonical.captured_at,
                            "score": decision.score if decision else None,
                            "decided_by_rule": decision.rule if decision else None,
                            "channel": item.source,
                            "data": canonical.model_dump(mode="json", exclude_none=True),
                        }
                    ],
                )
                t4 = time.process_time()
                stages["map"] += t1 - t0
                stages["resolve"] += t2 - t1
                stages["qualify"] += t3 - t2
                stages["store"] += t4 - t3
                truth[lead_id] = item.truth
                done += 1
        if done % (batch * 20) == 0 or done == n:
            rate = done / (time.perf_counter() - wall)
            print(f"  {done:>9,} leads  {rate:,.0f}/s", file=sys.stderr, flush=True)
    result.seconds = time.perf_counter() - wall
    result.cpu_seconds = time.process_time() - started
    _score(ctx, truth, result)
    _match_latency(ctx, spec, leads, samples, config, result)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx.db.dispose()
    return result


def _score(ctx: Context, truth: dict[str, str], result: Run) -> None:
    with ctx.db.session() as session:
        owners = dict(session.execute(select(Lead.id, Lead.person_id)).all())
        redirects: dict[str, str] = {
            pid: target
            for pid, target in session.execute(select(Person.id, Person.merged_into_id)).all()
            if target is not None
        }
        result.persons = session.scalar(select(func.count()).where(Person.merged_into_id.is_(None))) or 0
        result.merges = session.scalar(select(func.count()).select_from(Merge)) or 0
        reviews = session.execute(select(ReviewItem.person_id, ReviewItem.candidate_id)).all()
    truth_of_person: dict[str, str] = {}
    for lead_id, person_id in owners.items():
        while person_id in redirects:
            person_id = redirects[person_id]
        truth_of_person.setdefault(person_id, truth[lead_id])
        owners[lead_id] = person_id
    result.scores = synthetic.pairwise([(truth[lead_id], person_id) for lead_id, person_id in owners.items()])
    result.reviews = len(reviews)
    result.review_pairs_true = sum(
        1 for a, b in reviews if truth_of_person.get(a) and truth_of_person.get(a) == truth_of_person.get(b)
    )


def _match_latency(
    ctx: Context, spec: MappingSpec, leads: Any, samples: int, config: IdentityConfig, result: Run
) -> None:
    """Resolve fresh leads one at a time against everything stored, rolling each back."""
    for _ in range(samples):
        item = next(leads)
        canonical = apply_mapping(spec, item.record, defaults={"captured_at": utcnow()}, source=item.source)
        with ctx.db.session() as session:
            started, cpu = time.perf_counter(), time.process_time()
            identity.resolve(session, canonical.person, config=config, lead_id=new_id("lead"))
            session.flush()
            result.match_ms.append((time.perf_counter() - started) * 1000)
            result.match_cpu_ms.append((time.process_time() - cpu) * 1000)
            session.rollback()


def prefill(n: int, workdir: Path, seed: int, samples: int, config: IdentityConfig) -> Run:
    """Store ``n`` persons directly (one per generated human, keys and blocks by the same functions as
    resolve, no matching), then time single-lead resolves against them: the latency goal at scale without
    the hours a full import of that size takes here."""
    settings = Settings(data_dir=workdir, secret_key="bench-secret-key")
    ctx = Context.build(settings)
    migrate.upgrade(ctx.db)
    generator = synthetic.Generator(seed=seed, duplicate_rate=0.0)
    stamp = "2026-01-01 00:00:00.000000"
    started = time.perf_counter()
    persons: list[tuple[Any, ...]] = []
    keys: list[tuple[Any, ...]] = []
    blocks: list[tuple[str, str]] = []

    def flush() -> None:
        with ctx.db.transaction() as session:
            connection = session.connection()
            connection.exec_driver_sql(
                "INSERT INTO persons (id, first_name, last_name, email, phone, city, postcode, country, birth_date,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                persons,
            )
            connection.exec_driver_sql(
                "INSERT OR IGNORE INTO identity_keys (id, person_id, kind, value, shared, created_at)"
                " VALUES (?,?,?,?,?,?)",
                keys,
            )
            connection.exec_driver_sql("INSERT OR IGNORE INTO person_blocks (person_id, block) VALUES (?,?)", blocks)
        for rows in (persons, keys, blocks):
            rows.clear()

    for done, item in enumerate(generator.leads(n), start=1):
        fields = dict(item.record["fields"])
        if fields.get("phone"):
            fields["phone"] = keys_module.normalise_phone(fields["phone"])
        person = schema.Person.model_validate({k: v for k, v in fields.items() if v})
        values = survivorship.values_of(person)
        pid = new_id("per")
        persons.append((pid, *(values[f] for f in survivorship.FIELDS), stamp, stamp))
        keys.extend((new_id("key"), pid, kind, value, False, stamp) for kind, value in keys_module.keys_of(person))
        blocks.extend((pid, block) for block in scoring.blocks_of(scoring.Profile.of_incoming(person)))
        if done % 20_000 == 0:
            flush()
            print(f"  {done:>9,} persons stored", file=sys.stderr, flush=True)
    if persons:
        flush()
    result = Run(n, seconds=time.perf_counter() - started)
    with ctx.db.session() as session:
        result.persons = session.scalar(select(func.count()).select_from(Person)) or 0
    spec = _mapping()
    fresh = synthetic.Generator(seed=seed).leads(samples * 3)  # the same humans again, and new ones
    _match_latency(ctx, spec, fresh, samples, config, result)
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx.db.dispose()
    return result


def report_latency(result: Run) -> None:
    cuts = statistics.quantiles(result.match_ms, n=100)
    print(f"\n== {result.persons:,} persons stored directly in {result.seconds:,.0f} s")
    print(
        f"match one lead  p50 {cuts[49]:.2f} ms  p95 {cuts[94]:.2f} ms  p99 {cuts[98]:.2f} ms "
        f"over {len(result.match_ms):,} leads (goal p95 ≤ {GOALS['p95_ms']} ms)"
    )
    _cpu_line(result)
    print(f"peak RSS        {result.peak_rss_mb:,.0f} MB")


def _cpu_line(result: Run) -> None:
    """CPU time per match: what the latency would be on an idle machine (wall time includes waiting for a core)."""
    cuts = statistics.quantiles(result.match_cpu_ms, n=100) if len(result.match_cpu_ms) >= 2 else [0.0] * 99
    print(f"  (CPU time)    p50 {cuts[49]:.2f} ms  p95 {cuts[94]:.2f} ms  p99 {cuts[98]:.2f} ms")


def report(result: Run) -> None:
    scores = result.scores
    assert scores is not None
    rate = result.n / result.seconds
    cuts = statistics.quantiles(result.match_ms, n=100) if len(result.match_ms) >= 2 else [0.0] * 99
    print(f"\n== {result.n:,} leads")
    print(f"time            {result.seconds:,.1f} s   ({rate:,.0f} leads/s; goal ≥ {GOALS['leads_per_s']:,})")
    print(f"CPU time        {result.cpu_seconds:,.1f} s   ({result.n / result.cpu_seconds:,.0f} leads per CPU second)")
    shares = ", ".join(f"{k} {v / result.n * 1e6:,.0f} µs" for k, v in result.stages.items())
    print(f"CPU per lead    {shares} (rest: transactions, generator)")
    print(f"peak RSS        {result.peak_rss_mb:,.0f} MB")
    print(
        f"persons         {result.persons:,}   merges {result.merges:,}   review items {result.reviews:,} "
        f"({result.review_pairs_true:,} of them true duplicates)"
    )
    print(
        f"pairs           true {scores.true_pairs:,}  predicted {scores.predicted_pairs:,}  "
        f"correct {scores.correct_pairs:,}"
    )
    print(f"precision       {scores.precision:.4f} (goal ≥ {GOALS['precision']})")
    print(f"recall          {scores.recall:.4f}")
    print(f"F1              {scores.f1:.4f} (goal ≥ {GOALS['f1']})")
    print(
        f"match one lead  p50 {cuts[49]:.2f} ms  p95 {cuts[94]:.2f} ms  p99 {cuts[98]:.2f} ms "
        f"against {result.persons:,} persons (goal p95 ≤ {GOALS['p95_ms']} ms)"
    )
    _cpu_line(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="leads to import (repeat for a ratio)")
    parser.add_argument("--batch", type=int, default=500, help="leads per transaction")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=1000, help="single-lead matches timed after the import")
    parser.add_argument("--workdir", type=Path, help="where the SQLite files go (default: a temporary directory)")
    parser.add_argument("--prefill", type=int, help="only time matches against this many directly stored persons")
    args = parser.parse_args()
    sizes = args.n or [100_000]
    config = IdentityConfig()
    results = []
    with tempfile.TemporaryDirectory(prefix="leadhub-identity-") as tmp:
        if args.prefill:
            workdir = (args.workdir or Path(tmp)) / f"prefill{args.prefill}"
            workdir.mkdir(parents=True, exist_ok=True)
            report_latency(prefill(args.prefill, workdir, args.seed, args.samples, config))
            return
        for n in sizes:
            workdir = (args.workdir or Path(tmp)) / f"n{n}"
            workdir.mkdir(parents=True, exist_ok=True)
            print(f"importing {n:,} leads into {workdir / 'leadhub.db'}", file=sys.stderr)
            result = run(n, workdir, args.batch, args.seed, args.samples, config)
            report(result)
            results.append(result)
    if len(results) >= 2:
        small, large = results[0], results[-1]
        ratio = large.seconds / small.seconds
        print(f"\ntime ratio {large.n:,} : {small.n:,} = {ratio:.1f} (goal ≤ {GOALS['ratio']})")


if __name__ == "__main__":
    main()
