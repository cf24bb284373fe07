"""Source benchmark: pull throughput per connector against its fake, and webhook → lead latency under load.

Part 1, per pull connector: its sandbox fake runs in a subprocess on a loopback port, seeded with ``--leads``
leads (see ``bench/_sources_support.py`` for the bench-only memoisation that keeps the fake off the critical
path). Then, in this one process:

* **plain**: a ``requests.Session`` loop over the very pages the connector asks for (same endpoints, page size,
  filters and paging; for TikTok create task → poll → download → parse the CSV), decoding each page and taking
  each record's id: the ceiling the fake and HTTP allow;
* **cdk read**: the connector's manifest through ``ConcurrentDeclarativeSource.read()`` exactly as
  ``sync/pull.py`` builds it (discover, catalog, source), records counted but not stored;
* **pull.run**: ``sync.pull.run`` end to end into a fresh SQLite hub (raw records in batches of 500 with state,
  the no-op dispatcher of ``Context.build``).

records/s counts from the start of the call to the last record; "steady" leaves out the time to the first
record (source construction, discover, first page). The ratio is plain / connector.

Part 2: ``leadhub serve`` and one ``leadhub worker`` (subprocesses, SQLite + embedded queue, temp data dir);
signed form_webhook submissions (and Meta leadgen webhooks, whose lead the worker fetches from the Meta fake)
posted open-loop at ``--rate`` per second for ``--duration`` seconds. Latency runs from the 202 answer to the
moment the Lead row is visible to a reader polling the database every ``--poll-ms``.

    .venv/bin/python bench/sources.py                                   # everything, 50,000 leads each
    .venv/bin/python bench/sources.py --leads 5000 --connectors meta_lead_ads --skip-push
    .venv/bin/python bench/sources.py --only-push --push meta_lead_ads,form_webhook

The machine's load average is printed with every figure (other jobs share the cores). Performance is measured
here, never asserted in tests; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import io
import json
import logging
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

REPO = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "_sources_support.py"
HOST = "127.0.0.1"
SECRET_KEY = "bench-secret-key"
SIGNING_SECRET = "bench-signing-secret"
META_APP_SECRET = "bench-meta-app-secret"
PULL_CONNECTORS = ("meta_lead_ads", "tiktok_leads", "eventbrite", "linkedin_lead_gen")
GOAL_RECORDS_PER_S = 5000.0
GOAL_P95_S = 1.0
TIKTOK_POLL_S = 0.05  # the CDK waits 5 s between export-task polls; the fake finishes at once
# A fixed first-sync start (midnight, 40 days ago): every read sends the same filter, so the fake's memo holds.
META_START = (datetime.now(UTC) - timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------ the fake process


@dataclass
class Fake:
    name: str
    process: subprocess.Popen[bytes]
    info: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.info["url"])


def start_fake(name: str, leads: int, webhook_leads: int = 0, timeout_s: float = 300.0) -> Fake:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SUPPORT), "fake", name, str(port), str(leads), str(webhook_leads)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not line:
        line = process.stdout.readline()
        if process.poll() is not None and not line:
            break
    if not line:
        stop(process)
        raise RuntimeError(f"fake {name} did not start: {(process.stderr.read() if process.stderr else b'')[-2000:]!r}")
    threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
    return Fake(name, process, json.loads(line))


def _drain(stream: Any) -> None:
    for _ in iter(stream.readline, b""):
        pass


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# ------------------------------------------------------------------------------------------ hubs and connections


def hub_settings(workdir: Path, tag: str) -> Any:
    from core.settings import Settings

    return Settings(data_dir=workdir / tag, secret_key=SECRET_KEY, queue_name=f"leadhub-bench-{tag}")


def connection_for(fake: Fake, page_size: int | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Settings and secrets of a connection pointed at the fake, as the connector's tests make them."""
    info = fake.info
    if fake.name == "meta_lead_ads":
        settings: dict[str, Any] = {
            "base_url": fake.url,
            "page_id": info["page_id"],
            "start_date": META_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        secrets = {"access_token": info["access_token"], "app_secret": META_APP_SECRET, "verify_token": "bench"}
    elif fake.name == "tiktok_leads":
        settings = {"base_url": fake.url, "advertiser_id": info["advertiser_id"]}
        secrets = {"access_token": info["access_token"], "app_secret": "bench-tiktok-secret"}
    elif fake.name == "eventbrite":
        settings = {"base_url": f"{fake.url}/v3", "start_date": info["start_date"]}
        secrets = {"private_token": info["access_token"]}
    elif fake.name == "linkedin_lead_gen":
        settings = {
            "base_url": fake.url,
            "sponsored_account_id": info["sponsored_account_id"],
            "start_date": (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%d"),
        }
        secrets = {"access_token": info["access_token"], "client_secret": "fake-client-secret"}
    else:
        raise ValueError(fake.name)
    if page_size:
        settings["page_size"] = page_size
    return settings, secrets


def new_hub(workdir: Path, tag: str, fake: Fake, page_size: int | None) -> Any:
    from core import migrate
    from core.context import Context
    from sync import connections

    ctx = Context.build(hub_settings(workdir, tag))
    migrate.upgrade(ctx.db)
    settings, secrets = connection_for(fake, page_size)
    connections.create(ctx, "bench", fake.name, settings, secrets)
    return ctx


def page_size_of(fake: Fake, page_size: int | None) -> int:
    """The page size the connector asks for with these settings (its manifest default otherwise)."""
    if page_size:
        return page_size
    return {"meta_lead_ads": 100, "tiktok_leads": 100, "eventbrite": 50, "linkedin_lead_gen": 500}[fake.name]


# ------------------------------------------------------------------------------------------ measurements


@dataclass
class Run:
    connector: str
    path: str
    records: int
    elapsed_s: float
    first_record_s: float
    load: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.records / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def steady(self) -> float:
        span = self.elapsed_s - self.first_record_s
        return (self.records - 1) / span if span > 0 and self.records > 1 else 0.0


class Clock:
    """Counts records and remembers when the first one came."""

    def __init__(self, fake_pid: int | None = None) -> None:
        self.fake_pid = fake_pid
        self.fake0 = cpu_of(fake_pid)
        self.cpu0 = time.process_time()  # this process, every thread
        self.t0 = time.perf_counter()
        self.first: float | None = None
        self.count = 0

    def tick(self, n: int = 1) -> None:
        if self.first is None:
            self.first = time.perf_counter() - self.t0
        self.count += n

    def run(self, connector: str, path: str, **extra: Any) -> Run:
        elapsed = time.perf_counter() - self.t0
        n = max(1, self.count)
        extra["cpu_ms_per_rec"] = round(1000 * (time.process_time() - self.cpu0) / n, 3)
        if self.fake_pid:
            extra["fake_cpu_ms_per_rec"] = round(1000 * (cpu_of(self.fake_pid) - self.fake0) / n, 3)
        return Run(connector, path, self.count, elapsed, self.first or 0.0, loadavg(), extra)


def cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of a process (all threads), from /proc."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_pull(ctx: Any, connector: str, fake_pid: int | None = None) -> Run:
    from sync import pull

    clock = Clock(fake_pid)
    result = pull.run(ctx, "bench", progress=clock.tick)
    return clock.run(connector, "pull.run (CDK + store)", stored=result.stored)


def timed_cdk_read(ctx: Any, connector: str, fake_pid: int | None = None) -> Run:
    """What sync/pull.py does up to (not including) storing: same manifest, config, catalog and source."""
    from connectors import registry
    from sync import connections, pull

    clock = Clock(fake_pid)
    view = connections.find(ctx, "bench")
    plugin = registry.get(view.platform, "source").load()
    models, Source, _ = pull._import_cdk()
    config = plugin.source_config(view)
    probe = Source(source_config=pull.manifest_for(plugin), config=config)
    catalog = pull._catalog(models, probe.discover(pull.log, config), plugin.RECORD_STREAM)
    source = Source(source_config=pull.manifest_for(plugin), config=config, catalog=catalog, state=[])
    setup = time.perf_counter() - clock.t0
    for message in source.read(pull.log, config, catalog, []):
        if message.type == models.Type.RECORD and message.record.stream == plugin.RECORD_STREAM:
            plugin.record_id(message.record.data)
            clock.tick()
    return clock.run(connector, "CDK read (no store)", setup_s=round(setup, 2))


def plain_loop(fake: Fake, connector: str, page_size: int) -> Run:
    """Plain requests over the same pages the connector reads."""
    http = requests.Session()
    clock = Clock(fake.process.pid)
    {"meta_lead_ads": _plain_meta, "tiktok_leads": _plain_tiktok, "eventbrite": _plain_eventbrite,
     "linkedin_lead_gen": _plain_linkedin}[connector](http, fake, page_size, clock)
    http.close()
    return clock.run(connector, "plain requests loop")


def _plain_meta(http: requests.Session, fake: Fake, size: int, clock: Clock) -> None:
    base = f"{fake.url}/v22.0"
    http.headers["Authorization"] = f"Bearer {fake.info['access_token']}"
    import hashlib
    import hmac

    proof = hmac.new(META_APP_SECRET.encode(), fake.info["access_token"].encode(), hashlib.sha256).hexdigest()
    form_fields = ("id,name,status,locale,created_time,page_id,leads_count,questions,tracking_parameters,"
                   "legal_content,privacy_policy_url")
    lead_fields = ("id,created_time,form_id,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,platform,"
                   "is_organic,partner_name,field_data,custom_disclaimer_responses")
    since = int(META_START.timestamp())
    forms: list[dict[str, Any]] = []
    url: str | None = f"{base}/{fake.info['page_id']}/leadgen_forms"
    params: dict[str, Any] | None = {"limit": size, "appsecret_proof": proof, "fields": form_fields}
    while url:
        page = http.get(url, params=params, timeout=60).json()
        forms += page["data"]
        url, params = page.get("paging", {}).get("next"), None
    filtering = json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": since}],
                           separators=(",", ":"))
    for form in forms:
        url = f"{base}/{form['id']}/leads?filtering={quote(filtering)}"
        params = {"limit": size, "appsecret_proof": proof, "fields": lead_fields}
        while url:
            page = http.get(url, params=params, timeout=60).json()
            for lead in page["data"]:
                str(lead["id"])
                clock.tick()
            url, params = page.get("paging", {}).get("next"), None


def _plain_tiktok(http: requests.Session, fake: Fake, size: int, clock: Clock) -> None:
    api = f"{fake.url}/open_api/v1.3"
    http.headers["Access-Token"] = fake.info["access_token"]
    advertiser = fake.info["advertiser_id"]
    forms, page = [], 1
    while True:
        body = http.get(f"{api}/page/get/", params={"advertiser_id": advertiser, "page_size": size, "page": page},
                        timeout=60).json()["data"]
        forms += body["list"]
        if body["page_info"]["page"] >= body["page_info"]["total_page"]:
            break
        page += 1
    for form in forms:
        task = http.get(f"{api}/page/lead/task/", params={"advertiser_id": advertiser, "page_id": form["page_id"]},
                        timeout=60).json()["data"]["task_id"]
        while True:
            status = http.get(f"{api}/page/lead/task/", params={"advertiser_id": advertiser, "task_id": task},
                              timeout=60).json()["data"]["status"]
            if status == "SUCCEED":
                break
            time.sleep(TIKTOK_POLL_S)
        answer = http.get(f"{api}/page/lead/task/download/", params={"advertiser_id": advertiser, "task_id": task},
                          timeout=120)
        for row in csv.DictReader(io.StringIO(answer.content.decode("utf-8"))):
            str(row["lead_id"])
            clock.tick()


def _plain_eventbrite(http: requests.Session, fake: Fake, size: int, clock: Clock) -> None:
    base = f"{fake.url}/v3"
    http.headers["Authorization"] = f"Bearer {fake.info['access_token']}"

    def pages(url: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        params = dict(params)
        while True:
            body = http.get(url, params=params, timeout=60).json()
            yield from body[key]
            if not body["pagination"].get("has_more_items"):
                return
            params["continuation"] = body["pagination"]["continuation"]

    for org in list(pages(f"{base}/users/me/organizations/", "organizations", {})):
        for event in list(pages(f"{base}/organizations/{org['id']}/events/", "events", {"page_size": "50"})):
            url = f"{base}/events/{event['id']}/attendees/"
            for attendee in pages(url, "attendees", {"changed_since": fake.info["start_date"]}):
                str(attendee["id"])
                clock.tick()


def _plain_linkedin(http: requests.Session, fake: Fake, size: int, clock: Clock) -> None:
    http.headers.update({"Authorization": f"Bearer {fake.info['access_token']}", "LinkedIn-Version": "202610",
                         "X-Restli-Protocol-Version": "2.0.0"})
    from connectors.sources.linkedin_lead_gen.config import PROJECTION

    start_ms = int((datetime.now(UTC) - timedelta(days=90)).replace(hour=0, minute=0, second=0,
                                                                     microsecond=0).timestamp() * 1000)
    end_ms = int(time.time()) * 1000
    query = (f"q=owner&owner=(sponsoredAccount:urn%3Ali%3AsponsoredAccount%3A{fake.info['sponsored_account_id']})"
             f"&leadType=(leadType:SPONSORED)&limitedToTestLeads=false"
             f"&submittedAtTimeRange=(start:{start_ms},end:{end_ms})&fields={PROJECTION}")
    start = 0
    while True:
        body = http.get(f"{fake.url}/rest/leadFormResponses?{query}&start={start}&count={size}", timeout=60).json()
        for lead in body["elements"]:
            f"urn:li:leadGenFormResponse:{lead['id']}"
            clock.tick()
        paging = body["paging"]
        if not body["elements"] or paging["start"] + len(body["elements"]) >= paging["total"]:
            return
        start = paging["start"] + paging["count"]


def quick_tiktok_polls() -> None:
    """The CDK polls an export task every 5 s; the fake finishes at once, so poll every TIKTOK_POLL_S."""
    from sync import pull

    pull._import_cdk()
    from airbyte_cdk.sources.declarative.async_job.job_orchestrator import AsyncJobOrchestrator

    AsyncJobOrchestrator._WAIT_TIME_BETWEEN_STATUS_UPDATE_IN_SECONDS = TIKTOK_POLL_S  # type: ignore[attr-defined]


def bench_connector(name: str, args: argparse.Namespace, workdir: Path) -> list[Run]:
    fake = start_fake(name, args.leads)
    print(f"\n{name}: fake seeded with {fake.info['leads']} leads in {fake.info['seed_s']} s at {fake.url}",
          flush=True)
    size = page_size_of(fake, args.page_size)
    runs: list[Run] = []
    try:
        warm = plain_loop(fake, name, size)  # also fills the fake's per-query memo
        print(f"  warm-up plain loop: {warm.records} records, {warm.rate:,.0f}/s", flush=True)
        for n in range(args.rounds):
            for path in ("plain", "cdk", "pull"):
                if path == "plain":
                    run = plain_loop(fake, name, size)
                elif path == "cdk":
                    ctx = new_hub(workdir, f"{name}-read-{n}", fake, args.page_size)
                    run = timed_cdk_read(ctx, name, fake.process.pid)
                    ctx.db.dispose()
                else:
                    ctx = new_hub(workdir, f"{name}-pull-{n}", fake, args.page_size)
                    run = timed_pull(ctx, name, fake.process.pid)
                    ctx.db.dispose()
                run.extra["page_size"] = size
                runs.append(run)
                print(f"  {run.path:<24} {run.records:>7} rec {run.elapsed_s:>7.2f} s {run.rate:>9,.0f}/s "
                      f"(steady {run.steady:,.0f}/s, first record {run.first_record_s:.2f} s) load {run.load} "
                      f"{json.dumps(run.extra)}", flush=True)
        if args.profile:
            profile_read(name, fake, args, workdir)
    finally:
        stop(fake.process)
    return runs


def profile_read(name: str, fake: Fake, args: argparse.Namespace, workdir: Path) -> None:
    """py-spy (all threads, the CDK reads in a worker pool) over one CDK read in a child process."""
    pyspy = Path(args.profile)
    out = Path(tempfile.gettempdir()) / f"leadhub-bench-sources-{name}.pyspy.txt"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = [sys.executable, str(Path(__file__).resolve()), "--profile-child", name, "--fake-url", fake.url,
             "--fake-info", json.dumps(fake.info), "--workdir", str(workdir)]
    if args.page_size:
        child += ["--page-size", str(args.page_size)]
    command = [str(pyspy), "record", "--format", "raw", "--rate", "200", "--output", str(out), "--", *child]
    subprocess.run(command, cwd=REPO, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if out.exists():
        summarise_profile(out, name)


def summarise_profile(path: Path, name: str) -> None:
    """Self and inclusive share of samples per function (folded stacks from ``py-spy --format raw``)."""
    selfs: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = imports = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f]
        # leave out idle threads (queue waits, selects, sleeps)
        if frames and any(w in frames[-1] for w in ("wait (threading", "select (", "sleep", "_wait_for_tstate")):
            continue
        if any("_find_and_load" in f or "new_hub" in f for f in frames):
            imports += n  # importing the CDK and migrating the hub: fixed cost, not the read
            continue
        total += n
        leaf = _frame(frames[-1]) if frames else "?"
        selfs[leaf] = selfs.get(leaf, 0) + n
        for frame in {_frame(f) for f in frames}:
            inclusive[frame] = inclusive.get(frame, 0) + n
    print(f"\n  py-spy profile of one CDK read of {name} ({total} busy samples, all threads; {imports} more "
          f"samples in imports and hub setup left out; raw stacks: {path}):")
    print("    inclusive:")
    for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:70]:
        print(f"      {100 * n / total:5.1f}%  {frame}")
    print("    self:")
    for frame, n in sorted(selfs.items(), key=lambda kv: -kv[1])[:25]:
        print(f"      {100 * n / total:5.1f}%  {frame}")


def _frame(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where.rsplit(':', 1)[0]})"


def profile_child(args: argparse.Namespace) -> int:
    fake = Fake(args.profile_child, subprocess.Popen(["true"]), json.loads(args.fake_info))
    if fake.name == "tiktok_leads":
        quick_tiktok_polls()
    ctx = new_hub(Path(args.workdir), f"{fake.name}-profile", fake, args.page_size)
    run = timed_cdk_read(ctx, fake.name)
    print(run.records, run.rate)
    return 0


# ------------------------------------------------------------------------------------------ part 2: push latency


@dataclass
class Push:
    name: str
    path: str
    bodies: list[tuple[str, bytes]]  # external id, body
    sign: Callable[[bytes], dict[str, str]]
    answered: dict[str, float] = field(default_factory=dict)  # external id -> perf_counter at the 202
    sent_late: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def form_webhook_push(count: int, run_id: str) -> Push:
    from connectors.sources import form_webhook
    from connectors.sources.form_webhook import samples, signature

    bodies = []
    for n in range(count):
        body = json.dumps(samples.submission(n, prefix=f"bench-{run_id}"), ensure_ascii=False).encode()
        bodies.append((form_webhook.external_id(body), body))

    def sign(body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", signature.HEADER: signature.sign(body, SIGNING_SECRET)}

    return Push("form_webhook", "/hooks/form_webhook/careers", bodies, sign)


def meta_push(fake: Fake, count: int) -> Push:
    from connectors.sources.meta_lead_ads import fake_webhooks

    leads = fake.info["webhook_leads"][:count]
    bodies = [(lead["id"], fake_webhooks.body([fake_webhooks.leadgen_value(lead, fake.info["page_id"])],
                                             fake.info["page_id"])) for lead in leads]

    def sign(body: bytes) -> dict[str, str]:
        return fake_webhooks.signed_headers(body, META_APP_SECRET)

    return Push("meta_lead_ads", "/hooks/meta_lead_ads/meta", bodies, sign)


class Watcher(threading.Thread):
    """Polls the leads table; remembers when each external id first became visible."""

    def __init__(self, settings: Any, poll_s: float) -> None:
        super().__init__(daemon=True)
        from core.db import Database

        self.db = Database(settings)
        self.poll_s = poll_s
        self.seen: dict[str, float] = {}
        self.stamped: dict[str, datetime] = {}
        self.stopping = threading.Event()
        self.polls = 0

    def run(self) -> None:
        from sqlalchemy import select

        from core.models import Lead

        since = datetime.now(UTC) - timedelta(minutes=1)
        while not self.stopping.is_set():
            with self.db.session() as session:
                rows = session.execute(
                    select(Lead.external_id, Lead.created_at).where(Lead.created_at >= since)
                ).all()
            now = time.perf_counter()
            self.polls += 1
            for external_id, created in rows:
                if external_id not in self.seen:
                    self.seen[external_id] = now
                    self.stamped[external_id] = created
            if rows:
                newest = max(created for _, created in rows)
                since = max(since, (newest if newest.tzinfo else newest.replace(tzinfo=UTC)) - timedelta(seconds=5))
            self.stopping.wait(self.poll_s)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.db.dispose()


def post_open_loop(port: int, push: Push, rate: float, threads: int) -> None:
    """Request ``i`` is due at ``begin + i / rate``; a pool of keep-alive connections sends them."""
    begin = time.perf_counter() + 0.3
    index = iter(range(len(push.bodies)))
    lock = threading.Lock()

    def work() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while True:
            with lock:
                i = next(index, None)
            if i is None:
                break
            due = begin + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            push.sent_late.append(time.perf_counter() - due)
            external_id, body = push.bodies[i]
            try:
                conn.request("POST", push.path, body, push.sign(body))
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                status = 0
            push.statuses.append(status)
            if status == 202:
                push.answered[external_id] = time.perf_counter()
        conn.close()

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wait_ready(port: int, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise RuntimeError(f"leadhub serve did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def bench_push(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    from core import migrate
    from core.context import Context
    from sync import connections

    settings = hub_settings(workdir, "push")
    ctx = Context.build(settings)
    migrate.upgrade(ctx.db)
    connections.create(ctx, "careers", "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    count = int(args.rate * args.duration)
    run_id = time.strftime("%H%M%S")
    pushes: list[Push] = []
    fake: Fake | None = None
    if "form_webhook" in args.push:
        pushes.append(form_webhook_push(count, run_id))
    if "meta_lead_ads" in args.push:
        fake = start_fake("meta_lead_ads", count, webhook_leads=count)
        meta_settings, meta_secrets = connection_for(fake, None)
        connections.create(ctx, "meta", "meta_lead_ads", meta_settings, meta_secrets)
        pushes.append(meta_push(fake, count))
    ctx.db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADHUB_")}
    env |= {**settings.as_env(), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    commands = {
        "serve": [sys.executable, "-m", "sync.cli", "serve", "--host", HOST, "--port", str(port),
                  "--processes", str(args.web_processes), "--threads", str(args.web_threads)],
    } | {f"worker{n}": [sys.executable, "-m", "sync.cli", "worker"] for n in range(1, args.workers + 1)}
    logs = {name: workdir / f"{name}.log" for name in commands}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    results = []
    try:
        for name, command in commands.items():
            with logs[name].open("wb") as out:
                processes[name] = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                                   start_new_session=True)
        wait_ready(port, processes["serve"], logs["serve"])
        time.sleep(3.0)  # the worker imports and sweeps once before consuming
        for push in pushes:
            watcher = Watcher(settings, args.poll_ms / 1000)
            watcher.start()
            load_before = loadavg()
            t0 = time.perf_counter()
            post_open_loop(port, push, args.rate, args.client_threads)
            sent_s = time.perf_counter() - t0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not set(push.answered) <= set(watcher.seen):
                time.sleep(0.05)
            watcher.stop()
            latencies = [watcher.seen[i] - push.answered[i] for i in push.answered if i in watcher.seen]
            result = {
                "push": push.name, "rate": args.rate, "duration_s": args.duration, "posted": len(push.bodies),
                "answered_202": len(push.answered), "other_statuses": sorted({s for s in push.statuses if s != 202}),
                "stored": len(latencies), "missing": len(push.answered) - len(latencies),
                "send_s": round(sent_s, 1), "achieved_rate": round(len(push.statuses) / sent_s, 1),
                "sender_late_p95_ms": round(percentile(push.sent_late, 95) * 1000, 1),
                "p50_ms": round(percentile(latencies, 50) * 1000, 1),
                "p95_ms": round(percentile(latencies, 95) * 1000, 1),
                "p99_ms": round(percentile(latencies, 99) * 1000, 1),
                "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
                "poll_ms": args.poll_ms, "polls": watcher.polls, "load_before": load_before, "load_after": loadavg(),
            }
            results.append(result)
            print(f"  {push.name:<14} {result['answered_202']}/{result['posted']} answered 202, "
                  f"{result['stored']} leads stored; 202 → lead p50 {result['p50_ms']:.0f} ms, "
                  f"p95 {result['p95_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms "
                  f"(goal p95 <= {GOAL_P95_S * 1000:.0f} ms: "
                  f"{'met' if result['p95_ms'] <= GOAL_P95_S * 1000 else 'NOT met'}); "
                  f"load {result['load_before']} → {result['load_after']}", flush=True)
    finally:
        for process in processes.values():
            stop(process)
        if fake is not None:
            stop(fake.process)
    return results


# ------------------------------------------------------------------------------------------ report


def print_table(runs: list[Run]) -> list[dict[str, Any]]:
    rows = []
    print("\n| connector | page | plain rec/s | CDK read rec/s (steady) | pull.run rec/s (steady) | plain / pull | "
          "goal ≥ 5,000/s | client CPU ms/rec (plain / read / pull) | CPU-bound pull rec/s | "
          "load avg (plain / read / pull) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for connector in dict.fromkeys(r.connector for r in runs):
        of = {p: [r for r in runs if r.connector == connector and r.path.startswith(p)]
              for p in ("plain", "CDK", "pull")}
        plain = statistics.median(r.rate for r in of["plain"])
        read = statistics.median(r.rate for r in of["CDK"])
        pull = statistics.median(r.rate for r in of["pull"])
        read_steady = statistics.median(r.steady for r in of["CDK"])
        pull_steady = statistics.median(r.steady for r in of["pull"])
        loads = " / ".join(of[p][-1].load.split()[0] for p in ("plain", "CDK", "pull"))
        met = "met" if pull >= GOAL_RECORDS_PER_S else "NOT met"
        cpu = [statistics.median(r.extra["cpu_ms_per_rec"] for r in of[p]) for p in ("plain", "CDK", "pull")]
        bound = 1000 / cpu[2] if cpu[2] else 0.0
        print(f"| {connector} | {of['pull'][-1].extra['page_size']} | {plain:,.0f} | "
              f"{read:,.0f} ({read_steady:,.0f}) | "
              f"{pull:,.0f} ({pull_steady:,.0f}) | {plain / pull if pull else 0:.1f}× | {met} | "
              f"{cpu[0]:.3f} / {cpu[1]:.3f} / {cpu[2]:.3f} | {bound:,.0f} | {loads} |")
        rows.append({"connector": connector, "plain": plain, "cdk_read": read, "pull": pull,
                     "cdk_read_steady": read_steady, "pull_steady": pull_steady,
                     "records": of["pull"][-1].records, "loads": loads, "cpu_ms_per_rec": cpu})
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leads", type=int, default=50_000, help="leads seeded per fake")
    parser.add_argument("--connectors", default=",".join(PULL_CONNECTORS), help="pull connectors, comma-separated")
    parser.add_argument("--page-size", type=int, default=None, help="override every connector's default page size")
    parser.add_argument("--rounds", type=int, default=1, help="plain / CDK read / pull rounds per connector (median)")
    parser.add_argument("--profile", metavar="PY_SPY", help="path of a py-spy binary: profile one CDK read each")
    parser.add_argument("--skip-push", action="store_true", help="leave out the webhook latency part")
    parser.add_argument("--only-push", action="store_true", help="only the webhook latency part")
    parser.add_argument("--push", default="form_webhook,meta_lead_ads", help="push sources for the latency part")
    parser.add_argument("--rate", type=float, default=50.0, help="webhooks per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of webhooks per push source")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="how often the leads table is polled")
    parser.add_argument("--client-threads", type=int, default=8, help="sender connections")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="worker processes for the webhook latency part")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--profile-child", help=argparse.SUPPRESS)
    parser.add_argument("--fake-url", help=argparse.SUPPRESS)
    parser.add_argument("--fake-info", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile_child:
        return profile_child(args)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    print(f"sources benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {os.cpu_count()} cores {cpu}, "
          f"Python {platform.python_version()}; load average {loadavg()}")
    from sync import pull

    pull._import_cdk()
    logging.getLogger("airbyte").setLevel(logging.WARNING)
    runs: list[Run] = []
    pushes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="leadhub-bench-sources-") as tmp:
        workdir = Path(tmp)
        if not args.only_push:
            if "tiktok_leads" in args.connectors:
                quick_tiktok_polls()
            for name in [c for c in args.connectors.split(",") if c]:
                runs += bench_connector(name, args, workdir)
        if not args.skip_push:
            print(f"\nwebhook → lead latency: {args.rate:g}/s for {args.duration:g} s per source, "
                  f"serve {args.web_processes}x{args.web_threads} + {args.workers} worker(s), SQLite", flush=True)
            pushes = bench_push(args, workdir)
    if runs:
        rows = print_table(runs)
    if pushes:
        print("\n| push source | rate | 202s | leads stored | p50 ms | p95 ms | p99 ms | max ms | goal p95 ≤ 1 s | "
              "load avg (before → after) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for p in pushes:
            met = "met" if p["p95_ms"] <= GOAL_P95_S * 1000 else "NOT met"
            print(f"| {p['push']} | {p['rate']:g}/s × {p['duration_s']:g} s | {p['answered_202']} | {p['stored']} | "
                  f"{p['p50_ms']:.0f} | {p['p95_ms']:.0f} | {p['p99_ms']:.0f} | {p['max_ms']:.0f} | {met} | "
                  f"{p['load_before']} → {p['load_after']} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": [vars(r) | {"rate": r.rate, "steady": r.steady} for r in runs],
                                               "table": rows, "push": pushes}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
