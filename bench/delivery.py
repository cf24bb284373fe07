"""Delivery benchmark: ``leadhub worker`` pushing to a vendor webhook receiver and to the HubSpot fake, beside a
plain ``requests`` loop to the same receiver, and lead-in → CRM-contact latency at fixed lead rates.

Real processes on loopback: a fast vendor receiver (Flask, one gunicorn gthread process, answers 200 and
counts by ``webhook-id``), the HubSpot sandbox fake (``connectors/sinks/hubspot/fake.py`` as is, one gunicorn
process, instrumented with ``/_bench/*`` to report when each contact was created), ``leadhub serve`` and 1 or 2
``leadhub worker`` processes (default settings: 4 threads each, sweeper on).

Throughput phases: N leads per worker count are stored through the real pipeline beforehand (in this process,
nothing queued) and their deliveries parked (``next_attempt_at`` a day ahead). A phase makes one set due and
queues one ``attempt_delivery`` task per delivery — what the pipeline does for fresh leads — and counts from
then until the last ``delivered_at``. The plain loop POSTs the very same bodies (signed the same way) to the
same receiver from one ``requests.Session``, and from as many threads as the workers have.

Latency phases: signed leads are POSTed to ``/hooks/form_webhook/<conn>`` open loop at a fixed rate; each
lead's latency runs from its 202 to the moment the fake created its contact (wall clock, same machine).

    .venv/bin/python bench/delivery.py                       # SQLite + embedded queue
    .venv/bin/python bench/delivery.py --backend postgres    # PostgreSQL + Redis on 127.0.0.1

Performance is measured here, never asserted in tests; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _delivery_support as sup
import requests
from sqlalchemy import create_engine, func, select, text, update

import connectors.sinks.hubspot as hubspot
from connectors.sinks.hubspot.fake import SANDBOX_TOKEN
from connectors.sources.form_webhook import samples, signature
from core import migrate
from core.context import Context
from core.models import Connection, Delivery, DeliveryAttempt, Lead, WebhookEndpoint, utcnow
from core.settings import Settings
from sync import connections, pipeline, tasks
from webhooks import endpoints, inbox, signing

HOST = sup.HOST
SOURCE = "bench"
CRM = "crm"
VENDOR = "vendor"
SIGNING_SECRET = "bench-signing-secret"
SECRET_KEY = "bench-secret-key"
PG_BENCH_DB = "leadhub_bench_delivery"
GOAL_RATIO = 0.5
GOAL_P95_S = 2.0
GOAL_RATE = 20.0


# ---------------------------------------------------------------- setup


def bench_settings(args: argparse.Namespace, workdir: Path, run_id: str) -> Settings:
    """Explicit settings (a stray LEADHUB_* in the shell cannot redirect the run); everything else at defaults."""
    common: dict[str, Any] = {"data_dir": workdir / "var", "secret_key": SECRET_KEY,
                              "queue_name": f"leadhub-bench-delivery-{run_id}"}
    if args.backend == "sqlite":
        return Settings(**common)
    url = args.pg_admin_url.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
    return Settings(database_url=url, redis_url=args.redis_url, **common)


def recreate_pg_database(admin_url: str, drop_only: bool = False) -> None:
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)'))
            if not drop_only:
                conn.execute(text(f'CREATE DATABASE "{PG_BENCH_DB}"'))
    finally:
        engine.dispose()


class Bench:
    """The run's processes, context and bookkeeping."""

    def __init__(self, args: argparse.Namespace, settings: Settings, workdir: Path) -> None:
        self.args, self.settings, self.workdir = args, settings, workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LEADHUB_")}
        self.env |= {**settings.as_env(), "PYTHONUNBUFFERED": "1"}
        self.receiver: sup.Proc | None = None
        self.fake: sup.Proc | None = None
        self.web: sup.Proc | None = None
        self.workers: list[sup.Proc] = []
        self.ctx: Context | None = None
        self.queue: tasks.HueyDispatcher | None = None
        self.secret = ""
        self.results: dict[str, Any] = {"throughput": [], "baseline": [], "latency": []}

    # -- processes ---------------------------------------------------------------------------------------
    def _self(self, *extra: str) -> list[str]:
        return [sys.executable, str(Path(__file__).resolve()), *extra]

    def start_stand_ins(self) -> None:
        rport, fport = sup.free_port(), sup.free_port()
        self.receiver = sup.start("receiver", self._self("--serve-receiver", str(rport)), self.env, self.workdir,
                                  rport, "/healthz")
        self.fake = sup.start("hubspot-fake", self._self("--serve-fake", str(fport), "--fake-interval-max",
                                                         str(self.args.fake_interval_max)),
                              self.env, self.workdir, fport, "/_bench/healthz")
        sup.wait_http(self.receiver)
        sup.wait_http(self.fake)

    def start_worker(self) -> None:
        n = len(self.workers) + 1
        proc = sup.start(f"worker{n}", [sys.executable, "-m", "sync.cli", "worker"], self.env, self.workdir)
        self.workers.append(proc)
        sup.wait_log(proc, "leadhub worker on queue")
        time.sleep(1.5)  # schema check, start-up sweep, consumer threads

    def stop_worker(self) -> None:
        sup.stop(self.workers.pop())

    def start_web(self) -> None:
        port = sup.free_port()
        cmd = [sys.executable, "-m", "sync.cli", "serve", "--host", HOST, "--port", str(port),
               "--processes", str(self.args.web_processes), "--threads", str(self.args.web_threads)]
        self.web = sup.start("web", cmd, self.env, self.workdir, port, "/readyz")
        sup.wait_http(self.web)

    def stop_all(self) -> None:
        for proc in [*reversed(self.workers), self.web, self.fake, self.receiver]:
            if proc is not None:
                with contextlib.suppress(Exception):
                    sup.stop(proc)
        self.workers = []

    def profile_start(self, phase: str) -> list[Any]:
        """py-spy on each worker for one phase (``--profile DIR``): collapsed stacks, idle threads included."""
        if not self.args.profile:
            return []
        out = Path(self.args.profile)
        out.mkdir(parents=True, exist_ok=True)
        return [subprocess.Popen([self.args.py_spy, "record", "--pid", str(w.process.pid), "--format", "raw",
                                  "--idle", "--rate", "50", "-o", str(out / f"{phase}-{w.name}.txt")],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for w in self.workers]

    @staticmethod
    def profile_stop(spies: list[Any]) -> None:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            with contextlib.suppress(subprocess.TimeoutExpired):
                spy.wait(timeout=30)

    def meter(self) -> sup.CpuMeter:
        roles: dict[str, list[sup.Proc]] = {"workers": self.workers}
        for name, proc in (("receiver", self.receiver), ("hubspot fake", self.fake), ("web", self.web)):
            if proc is not None:
                roles[name] = [proc]
        return sup.CpuMeter(roles).start()

    def url(self, proc: sup.Proc | None, path: str) -> str:
        assert proc is not None
        return f"http://{HOST}:{proc.port}{path}"

    # -- configuration -------------------------------------------------------------------------------------
    def prepare(self) -> None:
        assert self.fake is not None and self.receiver is not None
        self.ctx = Context.build(self.settings)  # NullDispatcher: pre-created work is queued by the phases
        migrate.upgrade(self.ctx.db)
        connections.create(self.ctx, SOURCE, "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
        _, self.secret = endpoints.create(self.ctx, VENDOR, self.url(self.receiver, "/hook"), ["lead.captured"])
        connections.create(self.ctx, CRM, "hubspot", {"base_url": self.url(self.fake, "")},
                           {"access_token": SANDBOX_TOKEN})
        hubspot.check(connections.find(self.ctx, CRM), requests.Session())  # creates leadhub's properties
        _, self.queue = tasks.build(self.settings)

    def set_endpoint_enabled(self, enabled: bool) -> None:
        assert self.ctx is not None
        with self.ctx.db.transaction() as session:
            session.execute(update(WebhookEndpoint).where(WebhookEndpoint.name == VENDOR).values(enabled=enabled))

    def set_crm_enabled(self, enabled: bool) -> None:
        assert self.ctx is not None
        with self.ctx.db.transaction() as session:
            session.execute(update(Connection).where(Connection.name == CRM).values(enabled=enabled))

    def precreate(self, label: str, first_n: int, count: int) -> dict[str, list[str]]:
        """Leads through the real pipeline in this process; their deliveries parked a day ahead."""
        assert self.ctx is not None
        source_id = connections.find(self.ctx, SOURCE).id
        ids: list[str] = []
        for n in range(first_n, first_n + count):
            submission = samples.submission(n, prefix=f"tp-{label}")
            body = json.dumps(submission, ensure_ascii=False).encode()
            raw_id = inbox.store(self.ctx, source_id, "form_webhook", body, submission["submission_id"])
            ids += pipeline.process(self.ctx, raw_id).deliveries
        with self.ctx.db.transaction() as session:
            session.execute(update(Delivery).where(Delivery.status == "pending")
                            .values(next_attempt_at=utcnow() + timedelta(days=1)))
        by_sink: dict[str, list[str]] = {"webhook": [], "hubspot": []}
        with self.ctx.db.session() as session:
            for chunk in chunks(ids):
                for did, sink in session.execute(select(Delivery.id, Delivery.sink).where(Delivery.id.in_(chunk))):
                    by_sink.setdefault(sink, []).append(did)
        return by_sink

    def bodies(self, ids: list[str]) -> list[tuple[str, bytes]]:
        assert self.ctx is not None
        out: list[tuple[str, bytes]] = []
        with self.ctx.db.session() as session:
            for chunk in chunks(ids):
                out += [(str(e), bytes(b)) for e, b in
                        session.execute(select(Delivery.event_id, Delivery.body).where(Delivery.id.in_(chunk)))]
        return out

    # -- throughput ------------------------------------------------------------------------------------------
    def release(self, ids: list[str]) -> None:
        """Make the set due now and queue one task per delivery, as the pipeline does for fresh leads."""
        assert self.ctx is not None and self.queue is not None
        with self.ctx.db.transaction() as session:
            for chunk in chunks(ids):
                session.execute(update(Delivery).where(Delivery.id.in_(chunk)).values(next_attempt_at=utcnow()))
        for did in ids:
            self.queue.deliver(did)

    def wait_done(self, ids: list[str], timeout_s: float) -> dict[str, Any]:
        assert self.ctx is not None
        deadline, last, last_change = time.monotonic() + timeout_s, -1, time.monotonic()
        while time.monotonic() < deadline:
            done = self.count(ids, ("delivered", "dead"))
            if done == len(ids):
                break
            if done != last:
                last, last_change = done, time.monotonic()
            elif time.monotonic() - last_change > 60:
                break
            time.sleep(0.2)
        statuses: Counter[str] = Counter()
        attempts, latest = 0, None
        with self.ctx.db.session() as session:
            for chunk in chunks(ids):
                for status, n in session.execute(select(Delivery.status, func.count()).where(Delivery.id.in_(chunk))
                                                 .group_by(Delivery.status)):
                    statuses[status] += n
                attempts += session.scalar(select(func.count()).select_from(DeliveryAttempt)
                                           .where(DeliveryAttempt.delivery_id.in_(chunk))) or 0
                moment = session.scalar(select(func.max(Delivery.delivered_at)).where(Delivery.id.in_(chunk)))
                if moment is not None:
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                    latest = moment if latest is None or moment > latest else latest
        return {"statuses": dict(statuses), "attempts": attempts, "last_delivered": latest}

    def count(self, ids: list[str], statuses: tuple[str, ...]) -> int:
        assert self.ctx is not None
        with self.ctx.db.session() as session:
            return sum(session.scalar(select(func.count()).select_from(Delivery)
                                      .where(Delivery.id.in_(chunk), Delivery.status.in_(statuses))) or 0
                       for chunk in chunks(ids))

    def throughput(self, sink: str, ids: list[str]) -> dict[str, Any]:
        workers = len(self.workers)
        print(f"  {sink:8} {len(ids)} deliveries, {workers} worker(s) ... ", end="", flush=True)
        if sink == "webhook":
            requests.post(self.url(self.receiver, "/_reset"), timeout=10)
        else:
            requests.post(self.url(self.fake, "/_bench/reset"), timeout=10)
        load_before = sup.loadavg()
        spies = self.profile_start(f"{sink}-{workers}w")
        meter = self.meter()
        t0 = datetime.now(UTC)
        wall0 = time.time()
        self.release(ids)
        queued_s = time.time() - wall0
        outcome = self.wait_done(ids, timeout_s=max(180.0, len(ids) / 5))
        cpu = meter.stop()
        self.profile_stop(spies)
        end = outcome["last_delivered"]
        elapsed = (end - t0).total_seconds() if end else float("nan")
        delivered = outcome["statuses"].get("delivered", 0)
        row: dict[str, Any] = {
            "sink": sink, "workers": workers, "threads": workers * self.settings.worker_threads,
            "deliveries": len(ids), "delivered": delivered, "statuses": outcome["statuses"],
            "attempts": outcome["attempts"], "elapsed_s": round(elapsed, 2),
            "per_s": round(delivered / elapsed, 1) if elapsed > 0 else 0.0, "enqueue_s": round(queued_s, 2),
            "cpu_s": cpu, "loadavg_before": load_before, "loadavg_after": sup.loadavg(),
        }
        if sink == "webhook":
            stats = requests.get(self.url(self.receiver, "/_stats"), timeout=10).json()
            row["receiver"] = {"total": stats["total"], "unique": stats["unique"]}
        else:
            stats = requests.get(self.url(self.fake, "/_bench/stats"), timeout=10).json()
            arrivals = requests.get(self.url(self.fake, "/_bench/arrivals"), timeout=30).json()
            last = max(arrivals.values(), default=wall0)
            row["fake"] = stats
            row["contacts_per_s"] = round(len(arrivals) / (last - wall0), 1) if arrivals else 0.0
        print(f"{row['per_s']:.1f}/s ({row['elapsed_s']} s, load {row['loadavg_after']})", flush=True)
        self.results["throughput"].append(row)
        return row

    def baseline(self, items: list[tuple[str, bytes]], threads: int, label: str) -> dict[str, Any]:
        """The same bodies, signed the same way, to the same receiver from ``threads`` keep-alive sessions."""
        url = self.url(self.receiver, "/hook")
        requests.post(self.url(self.receiver, "/_reset"), timeout=10)
        print(f"  plain requests loop, {threads} thread(s), {len(items)} POSTs ... ", end="", flush=True)
        failures = Counter[int]()
        lock = threading.Lock()

        def run(part: list[tuple[str, bytes]]) -> None:
            http = requests.Session()
            for msg_id, body in part:
                headers = signing.headers(msg_id, int(time.time()), body, [self.secret])
                headers.update({"content-type": "application/json", "user-agent": "bench-plain-loop"})
                response = http.post(url, data=body, headers=headers, timeout=15, allow_redirects=False)
                if response.status_code != 200:
                    with lock:
                        failures[response.status_code] += 1

        load_before = sup.loadavg()
        meter = self.meter()
        started = time.perf_counter()
        pool = [threading.Thread(target=run, args=(items[i::threads],)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        stats = requests.get(self.url(self.receiver, "/_stats"), timeout=10).json()
        row = {"label": label, "threads": threads, "posts": len(items), "elapsed_s": round(elapsed, 2),
               "per_s": round(len(items) / elapsed, 1), "failures": dict(failures), "received": stats["unique"],
               "cpu_s": cpu, "loadavg_before": load_before, "loadavg_after": sup.loadavg()}
        print(f"{row['per_s']:.1f}/s (load {row['loadavg_after']})", flush=True)
        self.results["baseline"].append(row)
        return row

    # -- latency ---------------------------------------------------------------------------------------------
    def post_leads(self, prefix: str, first_n: int, count: int, rate: float
                   ) -> tuple[list[str], list[float], list[int], float, float]:
        """Open loop: lead ``i`` is sent at ``begin + i / rate``; returns emails, 202 times, statuses, begin, lag."""
        assert self.web is not None
        leads: list[tuple[str, bytes, dict[str, str]]] = []
        for n in range(first_n, first_n + count):
            submission = samples.submission(n, prefix=prefix)
            body = json.dumps(submission, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, SIGNING_SECRET)}
            leads.append((submission["fields"]["email"].lower(), body, headers))
        answered = [0.0] * count
        statuses = [0] * count
        path = f"/hooks/form_webhook/{SOURCE}"
        port = self.web.port
        concurrency = max(2, min(32, int(rate / 10) + 2))
        begin = time.time() + 0.5
        counter = iter(range(count))
        lock = threading.Lock()

        def client() -> None:
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                time.sleep(max(0.0, begin + i / rate - time.time()))
                try:
                    conn.request("POST", path, leads[i][1], leads[i][2])
                    response = conn.getresponse()
                    response.read()
                    statuses[i] = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                answered[i] = time.time()
            conn.close()

        pool = [threading.Thread(target=client) for _ in range(concurrency)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        lag = max((answered[i] - (begin + i / rate) for i in range(count)), default=0.0)
        return [lead[0] for lead in leads], answered, statuses, begin, lag

    def wait_contacts(self, wanted: set[str], drain_s: float) -> dict[str, float]:
        arrivals: dict[str, float] = {}
        deadline, last_change, seen = time.time() + drain_s, time.time(), -1
        while time.time() < deadline:
            arrivals = requests.get(self.url(self.fake, "/_bench/arrivals"), timeout=30).json()
            present = len(wanted & arrivals.keys())
            if present == len(wanted):
                break
            if present != seen:
                seen, last_change = present, time.time()
            elif time.time() - last_change > 20:
                break
            time.sleep(0.5)
        return arrivals

    def wait_written(self, prefix: str, first_n: int, accepted: list[int], answered: list[float],
                     drain_s: float) -> dict[int, float]:
        """Lead ``i`` (index into the phase) -> when the fake first wrote its person at or after its 202.

        By leadhub person id, not by email: a lead whose person resolved to an earlier one (same name and
        city, say) updates that contact instead of creating one."""
        assert self.ctx is not None
        source_id = connections.find(self.ctx, SOURCE).id
        external = {f"{prefix}-{first_n + i:07d}": i for i in accepted}
        persons: dict[int, str] = {}
        written: dict[int, float] = {}
        deadline, last_change, seen = time.time() + drain_s, time.time(), -1
        while time.time() < deadline:
            with self.ctx.db.session() as session:
                for chunk in chunks(sorted(set(external) - {k for k, i in external.items() if i in persons})):
                    for ext, person in session.execute(select(Lead.external_id, Lead.person_id).where(
                            Lead.connection_id == source_id, Lead.external_id.in_(chunk))):
                        persons[external[ext]] = person
            writes = requests.get(self.url(self.fake, "/_bench/writes"), timeout=30).json()
            for i, person in persons.items():
                if i not in written:
                    after = [t for t in writes.get(person, []) if t >= answered[i]]
                    if after:
                        written[i] = min(after)
            if len(written) == len(accepted):
                break
            if len(written) != seen:
                seen, last_change = len(written), time.time()
            elif time.time() - last_change > 20:
                break
            time.sleep(0.5)
        return written

    def latency(self, rate: float, duration: float, first_n: int) -> dict[str, Any]:
        """Warm-up (2 s at the rate, not counted), then ``duration`` s at ``rate``; latency runs from each
        lead's 202 to the moment the fake created its contact."""
        count = int(rate * duration)
        print(f"  {rate:g} leads/s for {duration:g} s ({count} leads), {len(self.workers)} worker(s) ... ",
              end="", flush=True)
        emails, _, statuses, _, _ = self.post_leads(f"warm{rate:g}", first_n + 900_000, int(rate * 2), rate)
        self.wait_contacts({e for e, s in zip(emails, statuses, strict=True) if s == 202}, 60)
        requests.post(self.url(self.fake, "/_bench/reset"), timeout=10)
        load_before = sup.loadavg()
        spies = self.profile_start(f"latency{rate:g}")
        meter = self.meter()
        prefix = f"lat{rate:g}"
        emails, answered, statuses, begin, sent_late = self.post_leads(prefix, first_n, count, rate)
        accepted = [i for i in range(count) if statuses[i] == 202]
        written = self.wait_written(prefix, first_n, accepted, answered, self.args.drain_s)
        cpu = meter.stop()
        self.profile_stop(spies)
        fake = requests.get(self.url(self.fake, "/_bench/stats"), timeout=10).json()
        latencies = [written[i] - answered[i] for i in accepted if i in written]
        row = {
            "rate": rate, "duration_s": duration, "workers": len(self.workers), "leads": count,
            "accepted_202": sum(1 for s in statuses if s == 202), "contacts": len(latencies),
            "missing": len(accepted) - len(latencies),
            "p50_s": round(sup.percentile(latencies, 50), 3), "p95_s": round(sup.percentile(latencies, 95), 3),
            "p99_s": round(sup.percentile(latencies, 99), 3), "max_s": round(max(latencies, default=0.0), 3),
            "client_worst_lag_s": round(sent_late, 3), "fake": fake, "cpu_s": cpu,
            "loadavg_before": load_before, "loadavg_after": sup.loadavg(),
            "latency_by_second": by_second(latencies, [answered[i] - begin for i in accepted if i in written]),
        }
        print(f"p50 {row['p50_s']:.2f} s, p95 {row['p95_s']:.2f} s, {row['missing']} missing "
              f"(load {row['loadavg_after']})", flush=True)
        self.results["latency"].append(row)
        return row


def chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def by_second(latencies: list[float], offsets: list[float], bucket: float = 5.0) -> list[tuple[str, float]]:
    """p95 per ``bucket`` seconds of sending: does latency grow over the phase (a backlog) or stay flat?"""
    groups: dict[int, list[float]] = {}
    for lat, off in zip(latencies, offsets, strict=True):
        groups.setdefault(int(off // bucket), []).append(lat)
    return [(f"{k * bucket:g}-{(k + 1) * bucket:g}s", round(sup.percentile(v, 95), 2))
            for k, v in sorted(groups.items())]


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> int:
    run_id = time.strftime("%Y%m%d%H%M%S")
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    storage = "sqlite + embedded queue (huey SqliteHuey)" if args.backend == "sqlite" else "postgres + redis"
    print(f"delivery benchmark {time.strftime('%Y-%m-%d %H:%M')}: {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, backend {storage}; load average {sup.loadavg()}")
    with tempfile.TemporaryDirectory(prefix="leadhub-bench-delivery-") as tmp:
        workdir = Path(tmp)
        settings = bench_settings(args, workdir, run_id)
        print(f"settings at defaults: worker_threads={settings.worker_threads}, sweep_interval_s="
              f"{settings.sweep_interval_s}, sweep_grace_s={settings.sweep_grace_s}, lease_s={settings.lease_s}, "
              f"hubspot RATE_LIMIT={hubspot.RATE_LIMIT} (req/s, burst), BATCH_SIZE={hubspot.BATCH_SIZE}; "
              f"fake interval_max={args.fake_interval_max}/10 s")
        if args.backend == "postgres":
            recreate_pg_database(args.pg_admin_url)
        bench = Bench(args, settings, workdir)
        try:
            bench.start_stand_ins()
            bench.prepare()
            if args.deliveries and worker_counts:
                throughput_phases(bench, args, worker_counts)
            if rates:
                latency_phases(bench, args, rates)
        finally:
            bench.stop_all()
            if bench.queue is not None and args.backend == "postgres":
                with contextlib.suppress(Exception):
                    bench.queue.huey.flush()
            if bench.ctx is not None:
                bench.ctx.db.dispose()
            if args.backend == "postgres" and not args.keep:
                recreate_pg_database(args.pg_admin_url, drop_only=True)
            if args.keep_logs:
                for log in workdir.glob("*.log"):
                    Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                    (Path(args.keep_logs) / log.name).write_bytes(log.read_bytes())
    report(bench.results, args)
    return 0


def throughput_phases(bench: Bench, args: argparse.Namespace, worker_counts: list[int]) -> None:
    n = args.deliveries
    print(f"\npre-creating {n} leads per worker count through the pipeline (in-process, nothing queued) ... ",
          end="", flush=True)
    started = time.perf_counter()
    sets = {w: bench.precreate(f"w{w}", k * n, n) for k, w in enumerate(worker_counts)}
    print(f"{time.perf_counter() - started:.0f} s; "
          + ", ".join(f"{w}w: {len(s['webhook'])} webhook + {len(s['hubspot'])} hubspot" for w, s in sets.items()))
    first = sets[worker_counts[0]]["webhook"]
    items = bench.bodies(first)
    thread_counts = sorted({1, *(w * bench.settings.worker_threads for w in worker_counts)})
    print("\nthroughput")
    for threads in thread_counts:
        bench.baseline(items, threads, "before")
    for w in worker_counts:
        while len(bench.workers) < w:
            bench.start_worker()
        bench.baseline(items, 1, f"pair {w}w")  # right before: the machine's load drifts
        bench.throughput("webhook", sets[w]["webhook"])
        bench.throughput("hubspot", sets[w]["hubspot"])
    bench.baseline(items, 1, "after")
    while bench.workers:
        bench.stop_worker()


def latency_phases(bench: Bench, args: argparse.Namespace, rates: list[float]) -> None:
    bench.set_endpoint_enabled(args.latency_with_endpoint)
    while len(bench.workers) < args.latency_workers:
        bench.start_worker()
    bench.start_web()
    print(f"\nlatency (lead POST 202 -> contact created in the fake), vendor endpoint "
          f"{'on' if args.latency_with_endpoint else 'off'}")
    for k, rate in enumerate(rates):
        bench.latency(rate, args.duration, 5_000_000 + k * 1_000_000)
        time.sleep(2)


# ---------------------------------------------------------------- reporting


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    base = results["baseline"]
    if base:
        print("\nplain requests loop -> receiver")
        print(f"{'when':<7} {'threads':>7} {'POSTs':>6} {'per s':>7} {'load avg':>16} | cpu s: client receiver other")
        for row in base:
            c = row["cpu_s"]
            print(f"{row['label']:<7} {row['threads']:>7} {row['posts']:>6} {row['per_s']:>7.1f} "
                  f"{row['loadavg_after']:>16} | {c['bench client']:>13} {c['receiver']:>8} "
                  f"{c['other (db, redis, other jobs)']:>5}")
    single = [r["per_s"] for r in base if r["threads"] == 1]
    plain1 = statistics.mean(single) if single else 0.0
    if results["throughput"]:
        print("\nleadhub worker deliveries")
        print(f"{'sink':<8} {'workers':>7} {'threads':>7} {'deliv.':>6} {'per s':>7} {'/plain1':>7} {'/plainT':>7} "
              f"{'attempts':>8} {'load avg':>16} | cpu s: workers receiver fake other")
        for row in results["throughput"]:
            same = [r["per_s"] for r in base if r["threads"] == row["threads"]]
            c = row["cpu_s"]
            ratio1 = row["per_s"] / plain1 if plain1 else 0.0
            ratio_t = row["per_s"] / statistics.mean(same) if same else 0.0
            print(f"{row['sink']:<8} {row['workers']:>7} {row['threads']:>7} {row['delivered']:>6} "
                  f"{row['per_s']:>7.1f} {ratio1 if row['sink'] == 'webhook' else 0:>7.2f} "
                  f"{ratio_t if row['sink'] == 'webhook' else 0:>7.2f} {row['attempts']:>8} "
                  f"{row['loadavg_after']:>16} | {c['workers']:>14} {c.get('receiver', 0):>8} "
                  f"{c.get('hubspot fake', 0):>4} {c['other (db, redis, other jobs)']:>5}")
            if row["sink"] == "hubspot":
                fake = row["fake"]
                print(f"{'':8} contacts/s in the fake {row['contacts_per_s']}; fake calls {fake['calls']} "
                      f"statuses {fake['statuses']}, {fake['inputs']} inputs, fake server time "
                      f"{fake['server_s']:.2f} s")
            if set(row["statuses"]) - {"delivered"}:
                print(f"{'':8} statuses {row['statuses']}")
        print("\nwebhook ratio to the plain loop (the paired single-thread loop ran just before; CPU ms per "
              "delivery is the load-independent view)")
        for row in [r for r in results["throughput"] if r["sink"] == "webhook"]:
            pair = next((r for r in base if r["label"] == f"pair {row['workers']}w"), None)
            plain = pair["per_s"] if pair else plain1
            ratio = row["per_s"] / plain if plain else 0.0
            worker_ms = 1000 * row["cpu_s"]["workers"] / max(1, row["delivered"])
            plain_ms = 1000 * (pair or base[0])["cpu_s"]["bench client"] / max(1, (pair or base[0])["posts"])
            verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
            print(f"  {row['workers']} worker(s): {row['per_s']:.1f}/s vs plain {plain:.1f}/s = {ratio:.2f} "
                  f"(goal >= {GOAL_RATIO}: {verdict}); CPU {worker_ms:.1f} ms per delivery in the workers vs "
                  f"{plain_ms:.1f} ms per POST in the plain loop")
    if results["latency"]:
        print("\nlatency lead 202 -> HubSpot contact present")
        print(f"{'rate/s':>6} {'workers':>7} {'leads':>6} {'202':>5} {'contacts':>8} {'p50 s':>6} {'p95 s':>6} "
              f"{'p99 s':>6} {'max s':>6} {'load avg':>16} | fake calls / 429s / server s")
        for row in results["latency"]:
            fake = row["fake"]
            print(f"{row['rate']:>6g} {row['workers']:>7} {row['leads']:>6} {row['accepted_202']:>5} "
                  f"{row['contacts']:>8} {row['p50_s']:>6.2f} {row['p95_s']:>6.2f} {row['p99_s']:>6.2f} "
                  f"{row['max_s']:>6.2f} {row['loadavg_after']:>16} | {sum(fake['calls'].values())} / "
                  f"{fake['statuses'].get('429', 0)} / {fake['server_s']:.1f}")
            print(f"{'':6} p95 per 5 s of sending: {row['latency_by_second']}; cpu s {row['cpu_s']}")
            if row["rate"] == GOAL_RATE:
                ok = row["p95_s"] <= GOAL_P95_S and row["missing"] == 0
                print(f"{'':6} goal p95 <= {GOAL_P95_S:g} s at {GOAL_RATE:g} leads/s: {'met' if ok else 'NOT met'}")
    print(f"\nload average at the end: {sup.loadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), **results}, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--deliveries", type=int, default=1000,
                        help="leads per throughput set (one set per worker count); 0 skips throughput")
    parser.add_argument("--workers", default="1,2", help="worker process counts for the throughput phases")
    parser.add_argument("--rates", default="20,200", help="leads/s of the latency phases; empty skips them")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending per latency phase")
    parser.add_argument("--drain-s", type=float, default=300.0, help="max wait for contacts after sending")
    parser.add_argument("--latency-workers", type=int, default=1, help="worker processes in the latency phases")
    parser.add_argument("--latency-with-endpoint", action="store_true",
                        help="keep the vendor webhook endpoint subscribed during the latency phases")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--fake-interval-max", type=int, default=100,
                        help="the fake's requests per rolling 10 s (HubSpot Free/Starter: 100)")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--keep", action="store_true", help=f"keep the {PG_BENCH_DB} database afterwards")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the server and worker logs here")
    parser.add_argument("--profile", metavar="DIR", help="py-spy each worker per phase into DIR (collapsed stacks)")
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable for --profile")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--serve-receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_receiver:
        sup.serve(sup.receiver_app, args.serve_receiver, 16)
        return 0
    if args.serve_fake:
        sup.serve(lambda: sup.fake_app(args.fake_interval_max), args.serve_fake, 8)
        return 0
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; processes stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
