"""Intake benchmark: signed form leads over loopback HTTP, ``leadhub serve`` against a bare Flask endpoint.

Both servers run at the same time under the same gunicorn settings (:func:`sync.serve.options`). Each one
gets a warm-up, closed-loop max-throughput rounds (``--rounds`` x ``--requests`` at ``--concurrency``
keep-alive connections, alternating between the servers; the median round counts) and an open-loop phase
at a fixed ``--rate`` whose latencies count from each request's scheduled send time, so a slow answer
cannot hide the requests queued behind it (no coordinated omission). Afterwards the leadhub database must
hold exactly one raw record per 202 answer.

    .venv/bin/python bench/intake.py                      # SQLite + embedded queue
    .venv/bin/python bench/intake.py --backend postgres   # PostgreSQL + Redis on 127.0.0.1

Performance is measured here, never asserted in tests; the figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
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
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, func, select, text

from connectors.sources.form_webhook import samples, signature
from core import migrate
from core.context import Context
from core.models import RawRecord
from core.queue import make_huey
from core.settings import Settings
from sync import connections
from sync.serve import WebServer, options

HOST = "127.0.0.1"
CONNECTION = "bench"
PATH = f"/hooks/form_webhook/{CONNECTION}"
SIGNING_SECRET = "bench-signing-secret"
SECRET_KEY = "bench-secret-key"
PG_BENCH_DB = "leadhub_bench"
GOAL_RATIO = 0.5
GOAL_P99_MS = 50.0
TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent

Request = tuple[bytes, dict[str, str]]


# ---------------------------------------------------------------- the bare endpoint


def bare_app() -> Flask:
    """The baseline: read the body, answer 202 JSON; no signature, no storage, no queue."""
    app = Flask("bare")

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.post("/hooks/<source>/<connection>")
    def receive(source: str, connection: str) -> Any:
        body = request.get_data()
        return jsonify({"status": "accepted", "bytes": len(body)}), 202

    return app


def serve_bare(port: int, processes: int, threads: int) -> None:
    """Run :func:`bare_app` under the very gunicorn settings ``leadhub serve`` uses."""
    WebServer(bare_app, options(HOST, port, processes, threads)).run()


# ---------------------------------------------------------------- backend and servers


def bench_settings(args: argparse.Namespace, workdir: Path, run_id: str) -> Settings:
    """Settings for the run, built explicitly so a stray LEADHUB_* in the shell cannot redirect it."""
    common: dict[str, Any] = {
        "data_dir": workdir / "var", "secret_key": SECRET_KEY, "queue_name": f"leadhub-bench-{run_id}",
        "sqlite_synchronous": args.sqlite_synchronous,
    }
    if args.backend == "sqlite":
        return Settings(**common)
    return Settings(database_url=pg_url(args.pg_admin_url, PG_BENCH_DB), redis_url=args.redis_url, **common)


def pg_url(admin_url: str, database: str) -> str:
    """``admin_url`` pointed at another database on the same server."""
    return admin_url.rsplit("/", 1)[0] + f"/{database}"


def recreate_pg_database(admin_url: str, drop_only: bool = False) -> None:
    """Drop the benchmark database (and create it afresh unless ``drop_only``)."""
    engine = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_BENCH_DB}" WITH (FORCE)'))
            if not drop_only:
                conn.execute(text(f'CREATE DATABASE "{PG_BENCH_DB}"'))
    finally:
        engine.dispose()


def prepare(settings: Settings) -> None:
    """Migrate the schema and create the signed form_webhook connection the load posts to."""
    ctx = Context.build(settings)
    try:
        migrate.upgrade(ctx.db)
        connections.create(ctx, CONNECTION, "form_webhook", {}, {"signing_secret": SIGNING_SECRET})
    finally:
        ctx.db.dispose()


def count_raw_records(settings: Settings) -> int:
    """Rows in ``raw_records``: what intake committed."""
    ctx = Context.build(settings)
    try:
        with ctx.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(RawRecord)) or 0)
    finally:
        ctx.db.dispose()


def queue_depth(settings: Settings, flush: bool) -> int:
    """Tasks waiting in the queue (no worker ran); flushed afterwards when asked (Redis is shared)."""
    huey = make_huey(settings)
    depth = int(huey.pending_count())
    if flush:
        huey.flush()
    return depth


@dataclass
class Server:
    """One server subprocess (a gunicorn master and its workers, in a process group of their own)."""

    name: str
    port: int
    ready_path: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int,
                 ready_path: str) -> Server:
    """Start ``command`` with its output in ``workdir/<name>.log``."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Server(name, port, ready_path, process, log)


def start_servers(args: argparse.Namespace, settings: Settings, workdir: Path) -> list[Server]:
    """The bare endpoint and ``leadhub serve``, same processes and threads, on free ports."""
    scale = ["--processes", str(args.processes), "--threads", str(args.threads)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADHUB_")}
    env |= {**settings.as_env(), "PYTHONUNBUFFERED": "1"}
    bare_port, hub_port = free_port(), free_port()
    bare_cmd = [sys.executable, str(Path(__file__).resolve()), "--bare-server", str(bare_port), *scale]
    hub_cmd = [sys.executable, "-m", "sync.cli", "serve", "--host", HOST, "--port", str(hub_port), *scale]
    return [
        start_server("bare", bare_cmd, env, workdir, bare_port, "/healthz"),
        start_server("leadhub", hub_cmd, env, workdir, hub_port, "/readyz"),
    ]


def wait_ready(server: Server, timeout_s: float = 60.0) -> None:
    """Poll the server's health path until it answers 200; fail with its log when it dies or hangs."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        conn = http.client.HTTPConnection(HOST, server.port, timeout=2)
        try:
            conn.request("GET", server.ready_path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"{server.name} did not become ready on port {server.port}:\n{tail}")


def stop_server(server: Server) -> None:
    """SIGTERM (gunicorn shuts down gracefully), then SIGKILL to the whole process group."""
    if server.process.poll() is None:
        server.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    """Stop every server on the way out, whatever happened (Ctrl-C and SIGTERM included)."""
    try:
        for server in servers:
            wait_ready(server)
        yield servers
    finally:
        for server in servers:
            stop_server(server)


def processes() -> dict[int, tuple[int, float]]:
    """Every process on the machine: pid -> (parent pid, user + system CPU seconds), from /proc."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return table


def descendants(root: int, table: dict[int, tuple[int, float]]) -> set[int]:
    """``root`` and every process below it."""
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a server: its gunicorn master and workers (not the database server)."""
    table = processes()
    return sum(table[pid][1] for pid in descendants(root, table) if pid in table)


def connection_split(server: Server) -> str:
    """How the client's keep-alive connections spread over the server's workers, e.g. ``12+4``."""
    accepted: set[str] = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(name).read_text().splitlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == server.port and cols[3] == "01":  # ESTABLISHED
                    accepted.add(cols[9])
    table = processes()
    counts = []
    for pid in descendants(server.process.pid, table) - {server.process.pid}:
        with contextlib.suppress(OSError):
            links = [os.readlink(fd.path) for fd in os.scandir(f"/proc/{pid}/fd")]
            counts.append(sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in accepted))
    return "+".join(str(n) for n in sorted(counts, reverse=True))


def machine_cpu_seconds() -> float:
    """CPU seconds every core spent busy since boot (not idle, not waiting for I/O), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS


# ---------------------------------------------------------------- load generation


def signed_requests(prefix: str, count: int) -> list[Request]:
    """Sample submissions with unique ids, signed now (the signature tolerates 5 minutes)."""
    built: list[Request] = []
    for n in range(count):
        body = json.dumps(samples.submission(n, prefix=prefix)).encode()
        headers = {"Content-Type": "application/json", signature.HEADER: signature.sign(body, SIGNING_SECRET)}
        built.append((body, headers))
    return built


class Client:
    """One keep-alive connection, opened up front; reconnects after a transport error."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = self._open()

    def _open(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def post(self, req: Request) -> tuple[int, bytes]:
        """Status and body of one POST; status 0 when the transport failed."""
        try:
            self.conn.request("POST", PATH, req[0], req[1])
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            return 0, repr(exc).encode()

    def close(self) -> None:
        self.conn.close()


@dataclass
class Phase:
    """The outcome of one load phase against one server."""

    server: str
    name: str
    latencies: list[float]
    statuses: list[int]
    elapsed: float
    client_cpu: float
    server_cpu: float
    machine_cpu: float
    connections: str
    error_samples: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return sum(1 for status in self.statuses if 200 <= status < 300)

    @property
    def errors(self) -> int:
        return len(self.statuses) - self.ok

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def other_cpu(self) -> float:
        """Busy CPU outside server and client: database server, Redis, kernel, other jobs on the machine."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.client_cpu)

    def percentile_ms(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    def summary(self) -> dict[str, Any]:
        """The figures of this phase, JSON-ready."""
        return {
            "server": self.server, "phase": self.name, "requests": len(self.statuses), "ok": self.ok,
            "errors": dict(Counter(s for s in self.statuses if not 200 <= s < 300)),
            "elapsed_s": round(self.elapsed, 3), "leads_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile_ms(50), 2), "p99_ms": round(self.percentile_ms(99), 2),
            "max_ms": round(max(self.latencies, default=0.0) * 1000, 2),
            "connections_per_worker": self.connections,
            "server_cpu_ms_per_lead": round(1000 * self.server_cpu / max(1, len(self.statuses)), 3),
            "client_cpu_ms_per_lead": round(1000 * self.client_cpu / max(1, len(self.statuses)), 3),
            "other_cpu_ms_per_lead": round(1000 * self.other_cpu / max(1, len(self.statuses)), 3),
        }


def percentile(ordered: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def run_phase(server: Server, name: str, requests: list[Request], concurrency: int,
              send: Callable[[Client, int], tuple[int, bytes]], latencies: list[float]) -> Phase:
    """Drive ``send`` (which fills ``latencies``) for every request from ``concurrency`` threads."""
    statuses = [0] * len(requests)
    errors: dict[int, str] = {}
    indices = itertools.count()  # next() on a count is atomic under the GIL
    clients = [Client(server.port) for _ in range(concurrency)]
    start = threading.Barrier(concurrency + 1)

    def work(client: Client) -> None:
        start.wait()
        while (i := next(indices)) < len(requests):
            status, body = send(client, i)
            statuses[i] = status
            if not 200 <= status < 300:
                errors.setdefault(status, body[:300].decode(errors="replace"))

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    cpu0, srv0, all0 = time.process_time(), tree_cpu_seconds(server.process.pid), machine_cpu_seconds()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    cpu, srv = time.process_time() - cpu0, tree_cpu_seconds(server.process.pid) - srv0
    busy = machine_cpu_seconds() - all0
    split = connection_split(server)
    for client in clients:
        client.close()
    return Phase(server.name, name, latencies, statuses, elapsed, cpu, srv, busy, split, errors)


def closed_loop(server: Server, name: str, requests: list[Request], concurrency: int) -> Phase:
    """Each connection sends its next request as soon as the previous answer is in: max throughput."""
    latencies = [0.0] * len(requests)

    def send(client: Client, i: int) -> tuple[int, bytes]:
        t0 = time.perf_counter()
        answer = client.post(requests[i])
        latencies[i] = time.perf_counter() - t0
        return answer

    return run_phase(server, name, requests, concurrency, send, latencies)


def open_loop(server: Server, requests: list[Request], rate: float, concurrency: int) -> Phase:
    """Request ``i`` is due at ``start + i / rate``; its latency counts from then, not from when it left."""
    latencies = [0.0] * len(requests)
    begin = time.perf_counter() + 0.5  # leaves time to open the connections and start the threads

    def send(client: Client, i: int) -> tuple[int, bytes]:
        due = begin + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        answer = client.post(requests[i])
        latencies[i] = time.perf_counter() - due
        return answer

    phase = run_phase(server, f"rate {rate:g}/s", requests, concurrency, send, latencies)
    phase.elapsed = max((i / rate + latency for i, latency in enumerate(latencies)), default=0.0)
    return phase


# ---------------------------------------------------------------- reporting


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and date: the context every figure needs."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}", "date": date.today().isoformat()}


def print_table(phases: list[Phase]) -> None:
    """One line per server and phase; CPU per lead, "other" being the rest of the machine (database too)."""
    print(f"{'server':<8} {'phase':<11} {'leads/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
          f"{'conns':>6} | cpu ms/lead: {'server':>6} {'client':>6} {'other':>6}")
    for phase in phases:
        s = phase.summary()
        print(f"{s['server']:<8} {s['phase']:<11} {s['leads_per_s']:>8.1f} {s['p50_ms']:>7.2f} "
              f"{s['p99_ms']:>7.2f} {s['max_ms']:>7.1f} {phase.errors:>6} {phase.connections:>6} |"
              f"{'':14}{s['server_cpu_ms_per_lead']:>6.2f} {s['client_cpu_ms_per_lead']:>6.2f} "
              f"{s['other_cpu_ms_per_lead']:>6.2f}")
        for status, sample in phase.error_samples.items():
            print(f"    error {status or 'transport'}: {sample}")


def verdict(phases: list[Phase], raw_records: int, accepted: int) -> dict[str, Any]:
    """The goals of the issue against this run: median max-throughput rounds, p99 at the fixed rate."""
    def rounds(server: str) -> list[float]:
        return [p.throughput for p in phases if p.server == server and p.name.startswith("max")]

    bare, hub = statistics.median(rounds("bare")), statistics.median(rounds("leadhub"))
    rate = next(p for p in phases if p.server == "leadhub" and p.name.startswith("rate"))
    ratio = hub / bare if bare else 0.0
    p99 = rate.percentile_ms(99)
    return {
        "bare_leads_per_s": round(bare, 1), "leadhub_leads_per_s": round(hub, 1),
        "throughput_ratio": round(ratio, 3), "ratio_goal_met": ratio >= GOAL_RATIO,
        "rate": rate.name, "rate_p50_ms": round(rate.percentile_ms(50), 2), "rate_p99_ms": round(p99, 2),
        "p99_goal_met": p99 <= GOAL_P99_MS,
        "accepted_202": accepted, "raw_records": raw_records, "durable": accepted == raw_records,
    }


def print_verdict(result: dict[str, Any], queued: int) -> None:
    """The ratio, the p99 goal and the durability check, each with met / not met."""
    def met(flag: bool) -> str:
        return "met" if flag else "NOT met"

    print(f"\nmax throughput, median of rounds: bare {result['bare_leads_per_s']:.0f} leads/s, "
          f"leadhub {result['leadhub_leads_per_s']:.0f} leads/s")
    print(f"throughput leadhub / bare: {result['throughput_ratio']:.2f} "
          f"(goal >= {GOAL_RATIO:.2f}: {met(result['ratio_goal_met'])})")
    print(f"leadhub at {result['rate']}: p50 {result['rate_p50_ms']:.1f} ms, p99 {result['rate_p99_ms']:.1f} ms "
          f"(goal p99 <= {GOAL_P99_MS:.0f} ms: {met(result['p99_goal_met'])})")
    state = "ok" if result["durable"] else "MISMATCH"
    print(f"durability: {result['accepted_202']} answers 202, {result['raw_records']} raw records stored: "
          f"{state}; {queued} tasks waiting in the queue")


# ---------------------------------------------------------------- the run


def benchmark(args: argparse.Namespace, servers: list[Server], run_id: str) -> list[Phase]:
    """Warm-up; max-throughput rounds alternating bare and leadhub; then the fixed rate against each."""
    def load(server: Server, phase: str, count: int) -> list[Request]:
        return signed_requests(f"bench-{run_id}-{server.name}-{phase}", count)

    phases = [closed_loop(s, "warm-up", load(s, "warm", args.warmup), args.concurrency) for s in servers]
    for n in range(1, args.rounds + 1):
        phases += [closed_loop(s, f"max #{n}", load(s, f"max{n}", args.requests), args.concurrency)
                   for s in servers]
    phases += [open_loop(s, load(s, "rate", int(args.rate * args.duration)), args.rate, args.concurrency)
               for s in servers]
    return phases


def run(args: argparse.Namespace) -> int:
    """Set up the backend, start both servers, load them, check durability, report; clean up always."""
    run_id = time.strftime("%Y%m%d%H%M%S")
    info = machine()
    print(f"intake benchmark {info['date']}: {info['cores']} cores {info['cpu']}, Python {info['python']}")
    sqlite = f"sqlite (synchronous={args.sqlite_synchronous}) + embedded queue"
    storage = sqlite if args.backend == "sqlite" else "postgres + redis"
    print(f"backend {storage}; server {args.processes} processes x {args.threads} threads (gthread); "
          f"client {args.concurrency} connections: {args.rounds} x {args.requests} requests, "
          f"then {args.rate:g} leads/s for {args.duration:g} s\n")
    with tempfile.TemporaryDirectory(prefix="leadhub-bench-") as tmp:
        workdir = Path(tmp)
        settings = bench_settings(args, workdir, run_id)
        if args.backend == "postgres":
            recreate_pg_database(args.pg_admin_url)
        try:
            prepare(settings)
            with running(start_servers(args, settings, workdir)) as servers:
                phases = benchmark(args, servers, run_id)
            accepted = sum(p.ok for p in phases if p.server == "leadhub")
            raw_records = count_raw_records(settings)
            queued = queue_depth(settings, flush=args.backend == "postgres")
        finally:
            if args.backend == "postgres" and not args.keep:
                recreate_pg_database(args.pg_admin_url, drop_only=True)
    print_table(phases)
    result = verdict(phases, raw_records, accepted)
    print_verdict(result, queued)
    if args.json:
        report = {"machine": info, "args": {k: v for k, v in vars(args).items() if k != "json"},
                  "phases": [p.summary() for p in phases], "result": result, "queued": queued}
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if result["durable"] else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=4000, help="requests per max-throughput round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="max-throughput rounds per server, alternating; the median counts")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections (threads)")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per server")
    parser.add_argument("--processes", type=int, default=2, help="server processes (both servers)")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process (both servers)")
    parser.add_argument("--rate", type=float, default=200.0, help="leads/s in the fixed-rate phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the fixed-rate phase")
    parser.add_argument("--sqlite-synchronous", default=Settings.model_fields["sqlite_synchronous"].default,
                        type=str.upper, choices=["OFF", "NORMAL", "FULL", "EXTRA"],
                        help="PRAGMA synchronous for the SQLite backend (LEADHUB_SQLITE_SYNCHRONOUS)")
    parser.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help=f"PostgreSQL server to create the {PG_BENCH_DB} database on")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                        help="Redis queue for the postgres backend")
    parser.add_argument("--keep", action="store_true", help=f"keep the {PG_BENCH_DB} database afterwards")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.bare_server:
        serve_bare(args.bare_server, args.processes, args.threads)
        return 0
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
