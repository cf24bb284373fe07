"""Admin response times with many leads stored: dashboard and lead list, p50/p95 over HTTP.

    python bench/admin.py --leads 1000000 [--backend sqlite|postgres] [--reuse]

Generates leads (with persons, stage changes for the funnel, applications for the 8 % converted) by bulk insert,
serves the admin with `leadhub serve`, logs in, and times each page. Goal (issue 6): p95 ≤ 300 ms on both backends.
``--reuse`` keeps the generated database (SQLite: REUSE_DIR; PostgreSQL: the leadhub_bench_admin database) and
skips generation when it already holds that many leads; it is migrated first, so a new migration's backfill runs
on the million leads.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, insert, select, text

# This file is bench/admin.py: run as a script, its folder comes first on sys.path and would shadow the
# `admin` package it benchmarks.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from admin import users  # noqa: E402 - after the sys.path fix above
from core import migrate  # noqa: E402 - after the sys.path fix above
from core.context import Context  # noqa: E402 - after the sys.path fix above
from core.ids import new_id  # noqa: E402 - after the sys.path fix above
from core.models import Application, ApplicationLead, Connection, Lead, Person  # noqa: E402 - after the sys.path fix above
from core.settings import Settings  # noqa: E402 - after the sys.path fix above
from sync import application_counts  # noqa: E402 - after the sys.path fix above

CHANNELS = ["meta", "linkedin", "tiktok", "google", "event", "landing_page"]
STAGES = ["captured"] * 30 + ["qualified"] * 35 + ["disqualified"] * 15 + ["activated"] * 12 + ["converted"] * 8
PASSWORD = "bench-password-long-enough"
REUSE_DIR = Path(tempfile.gettempdir()) / "leadhub-bench-admin"


def generate(ctx: Context, count: int, batch: int = 20_000) -> float:
    started = time.monotonic()
    rng = random.Random(7)
    now = datetime.now(UTC)
    conn_id = new_id("conn")
    with ctx.db.transaction() as session:
        session.add(Connection(id=conn_id, name="bench", platform="form_webhook", direction="source", settings={}))
    # as in real accounts: a campaign runs on one channel with one or two forms
    campaigns = [
        (f"campaign-{i:03d}", CHANNELS[i % len(CHANNELS)], [f"form-{i:03d}a", f"form-{i:03d}b"]) for i in range(120)
    ]
    done = 0
    while done < count:
        persons, leads, apps, links = [], [], [], []
        for _ in range(min(batch, count - done)):
            pid, lid = new_id("per"), new_id("lead")
            at = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            stage = rng.choice(STAGES)
            campaign, channel, forms = rng.choice(campaigns)
            persons.append(
                {"id": pid, "first_name": "Anna", "last_name": f"Muster{done}", "created_at": at, "updated_at": at}
            )
            leads.append(
                {
                    "id": lid,
                    "person_id": pid,
                    "connection_id": conn_id,
                    "source": "form_webhook",
                    "external_id": f"b{done}",
                    "stage": stage,
                    "stage_changed_at": at,
                    "captured_at": at,
                    "is_test": False,
                    "channel": channel,
                    "campaign": campaign,
                    "form_id": rng.choice(forms),
                    "created_at": at,
                    "data": {"person": {"first_name": "Anna", "last_name": f"Muster{done}"}},
                }
            )
            if stage == "converted":
                aid = new_id("app")
                apps.append(
                    {
                        "id": aid,
                        "person_id": pid,
                        "stage": rng.choice(["received", "interview", "hired"]),
                        "stage_changed_at": at,
                        "created_at": at + timedelta(days=rng.randint(1, 30)),
                        "channel": channel,
                        "campaign": campaign,
                        "form_id": leads[-1]["form_id"],
                        "first_captured_at": at,
                    }
                )
                links.append({"application_id": aid, "lead_id": lid})
            done += 1
        with ctx.db.transaction() as session:
            session.execute(insert(Person), persons)
            session.execute(insert(Lead), leads)
            if apps:
                session.execute(insert(Application), apps)
                session.execute(insert(ApplicationLead), links)
        print(f"\r  generated {done:,} leads", end="", flush=True)
    print()
    with ctx.db.engine.begin() as connection:  # what migration 0008 does for leads that exist before it
        month = (
            "to_char(captured_at AT TIME ZONE 'UTC', 'YYYY-MM')"
            if connection.dialect.name == "postgresql"
            else "substr(captured_at, 1, 7)"
        )
        connection.execute(
            text(
                "INSERT INTO funnel_counts (month, channel, campaign, form_id, stage, count) "
                f"SELECT {month}, coalesce(channel, ''), coalesce(campaign, ''), coalesce(form_id, ''), stage, "
                "count(*) "
                "FROM leads WHERE is_test = false GROUP BY 1, 2, 3, 4, 5"
            )
        )
        application_counts.rebuild(connection)  # what migration 0012 does for applications that exist before it
        connection.execute(text("ANALYZE"))
    return time.monotonic() - started


def timings(session: requests.Session, url: str, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = session.get(url, timeout=60)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep the generated database between runs")
    args = parser.parse_args()
    if args.reuse:
        workdir = REUSE_DIR / args.backend
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="leadhub-bench-admin-"))
    values: dict[str, object] = {"data_dir": workdir, "secret_key": "bench"}
    if args.backend == "postgres":
        admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = 'leadhub_bench_admin'"))
            if not (args.reuse and exists):
                connection.execute(text("DROP DATABASE IF EXISTS leadhub_bench_admin WITH (FORCE)"))
                connection.execute(text("CREATE DATABASE leadhub_bench_admin"))
        engine.dispose()
        values["database_url"] = "postgresql://postgres@127.0.0.1:5432/leadhub_bench_admin"
        values["redis_url"] = "redis://127.0.0.1:6379/0"
        values["queue_name"] = "bench-admin"
    settings = Settings(**values)  # type: ignore[arg-type]
    ctx = Context.build(settings)
    migrated = time.monotonic()
    migrate.upgrade(ctx.db)
    print(f"migrated in {time.monotonic() - migrated:.1f} s")
    with ctx.db.session() as session:
        stored = session.scalar(select(func.count()).select_from(Lead)) or 0
    if stored and stored != args.leads:
        sys.exit(f"{workdir} holds {stored:,} leads, not {args.leads:,}: delete it or run without --reuse.")
    generated_s = 0.0
    if not stored:
        print(f"generating {args.leads:,} leads on {args.backend} …")
        generated_s = generate(ctx, args.leads)
        users.create(ctx, "bench@example.org", PASSWORD, "admin")
    else:
        print(f"reusing the {stored:,} leads in {workdir}")
    env = {**os.environ, **settings.as_env()}
    server = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "serve", "--port", str(args.port)], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        http = requests.Session()
        login_page = http.get(f"{base}/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)
        assert token
        http.post(
            f"{base}/admin/login", data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token[1]}
        ).raise_for_status()
        last_month = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m")
        pages = {
            "dashboard (all)": "/admin/",
            "dashboard (channel)": "/admin/?channel=meta",
            "dashboard (campaign, since last month)": f"/admin/?campaign=campaign-007&start={last_month}",
            "lead list (first page)": "/admin/leads/",
            "lead list (stage filter)": "/admin/leads/?stage=activated",
            "lead list (campaign filter)": "/admin/leads/?campaign=campaign-042",
        }
        results = {}
        print(f"\n{'page':34} {'p50 ms':>8} {'p95 ms':>8}")
        for label, path in pages.items():
            http.get(f"{base}{path}")  # warm
            p50, p95 = timings(http, f"{base}{path}", args.runs)
            results[label] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
            print(f"{label:34} {p50:8.1f} {p95:8.1f}")
        worst = max(r["p95_ms"] for r in results.values())
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"\nworst p95 {worst:.0f} ms (goal ≤ 300 ms); generation took {generated_s:.0f} s; load average {load}")
        if args.json:
            args.json.write_text(json.dumps({"backend": args.backend, "leads": args.leads, "pages": results}, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
