"""Helpers of ``bench/delivery.py``: the two stand-in servers (vendor receiver, HubSpot fake), subprocess
handling, and CPU / load accounting from ``/proc``. Not a public module."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, request

HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")
REPO = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the vendor receiver


def receiver_app() -> Flask:
    """A fast vendor endpoint: reads the body, answers 200, counts arrivals by ``webhook-id`` (no verification)."""
    app = Flask("bench_receiver")
    lock = threading.Lock()
    state: dict[str, Any] = {"total": 0, "ids": set(), "first": None, "last": None}

    @app.post("/hook")
    def hook() -> Any:
        request.get_data()
        msg_id = request.headers.get("webhook-id", "")
        now = time.time()
        with lock:
            state["total"] += 1
            state["ids"].add(msg_id)
            state["first"] = state["first"] or now
            state["last"] = now
        return "ok", 200

    @app.get("/_stats")
    def stats() -> Any:
        with lock:
            return jsonify({"total": state["total"], "unique": len(state["ids"]), "first": state["first"],
                            "last": state["last"]})

    @app.post("/_reset")
    def reset() -> Any:
        with lock:
            state.update(total=0, ids=set(), first=None, last=None)
        return jsonify({"ok": True})

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app


# ---------------------------------------------------------------- the HubSpot fake, instrumented


def fake_app(interval_max: int) -> Flask:
    """:class:`HubSpotFake` as is, plus ``/_bench/*``: when each contact was created (wall clock, by email),
    statuses and server time per API path, and a reset of the contacts between phases."""
    from connectors.sinks.hubspot.fake import HubSpotFake
    from connectors.sinks.hubspot.properties import PERSON_ID

    fake = HubSpotFake(interval_max=interval_max)
    arrivals: dict[str, float] = {}  # email -> when its contact was created
    writes: dict[str, list[float]] = {}  # leadhub person id -> every create or update carrying it
    stats: dict[str, Any] = {"statuses": Counter(), "calls": Counter(), "inputs": 0, "server_s": 0.0}
    lock = threading.Lock()
    create, change = fake.portal.create, fake.portal.update

    def recording_create(properties: dict[str, Any], now: float) -> dict[str, Any]:
        contact = create(properties, now)
        email = str(contact["properties"].get("email") or "").lower()
        if email:
            arrivals.setdefault(email, time.time())
        if properties.get(PERSON_ID):
            writes.setdefault(str(properties[PERSON_ID]), []).append(time.time())
        return contact

    def recording_update(contact_id: str, properties: dict[str, Any], now: float) -> dict[str, Any]:
        contact = change(contact_id, properties, now)
        person = properties.get(PERSON_ID) or contact["properties"].get(PERSON_ID)
        if person:
            writes.setdefault(str(person), []).append(time.time())
        return contact

    fake.portal.create = recording_create  # type: ignore[method-assign]
    fake.portal.update = recording_update  # type: ignore[method-assign]
    app = fake.app()

    @app.before_request
    def started() -> None:
        g.bench_t0 = time.perf_counter()

    @app.after_request
    def finished(response: Any) -> Any:
        if not request.path.startswith("/_bench"):
            body = request.get_json(silent=True) or {}
            with lock:
                stats["statuses"][response.status_code] += 1
                stats["calls"][request.path.rsplit("/contacts", 1)[-1] or "/"] += 1
                stats["inputs"] += len(body.get("inputs") or []) if isinstance(body, dict) else 0
                stats["server_s"] += time.perf_counter() - g.bench_t0
        return response

    @app.get("/_bench/stats")
    def bench_stats() -> Any:
        with lock:
            return jsonify({"statuses": {str(k): v for k, v in stats["statuses"].items()},
                            "calls": dict(stats["calls"]), "inputs": stats["inputs"],
                            "server_s": stats["server_s"], "contacts": len(fake.portal.contacts),
                            "arrivals": len(arrivals)})

    @app.get("/_bench/arrivals")
    def bench_arrivals() -> Any:
        with fake._lock:
            return jsonify(dict(arrivals))

    @app.get("/_bench/writes")
    def bench_writes() -> Any:
        with fake._lock:
            return jsonify({k: list(v) for k, v in writes.items()})

    @app.post("/_bench/reset")
    def bench_reset() -> Any:
        with fake._lock, lock:
            fake.portal.contacts.clear()
            fake.requests.clear()
            arrivals.clear()
            writes.clear()
            stats.update(statuses=Counter(), calls=Counter(), inputs=0, server_s=0.0)
        return jsonify({"ok": True})

    @app.get("/_bench/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app


def serve(factory: Any, port: int, threads: int) -> None:
    """One gunicorn process (state lives in memory), gthread, the options ``leadhub serve`` uses."""
    from sync.serve import WebServer, options

    WebServer(factory, options(HOST, port, 1, threads)).run()


# ---------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int | None = None
    ready_path: str | None = None
    cpu_marks: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start(name: str, command: list[str], env: dict[str, str], workdir: Path, port: int | None = None,
          ready_path: str | None = None) -> Proc:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Proc(name, process, log, port, ready_path)


def wait_http(proc: Proc, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.process.poll() is None:
        conn = http.client.HTTPConnection(HOST, proc.port or 0, timeout=2)
        try:
            conn.request("GET", proc.ready_path or "/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not become ready:\n{proc.log.read_text(errors='replace')[-3000:]}")


def wait_log(proc: Proc, text: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.process.poll() is None:
        if text in proc.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not start:\n{proc.log.read_text(errors='replace')[-3000:]}")


def stop(proc: Proc) -> None:
    """SIGTERM to the process (gunicorn and Huey stop gracefully), then SIGKILL to its process group."""
    if proc.process.poll() is None:
        proc.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.process.pid, signal.SIGKILL)
    proc.process.wait()


# ---------------------------------------------------------------- CPU and load


def _table() -> dict[int, tuple[int, float]]:
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


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and everything below it (gunicorn master + workers)."""
    table = _table()
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _) in table.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(table[pid][1] for pid in tree if pid in table)


def self_cpu() -> float:
    times = os.times()
    return times.user + times.system


def machine_busy() -> float:
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICKS


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class CpuMeter:
    """CPU seconds per role between ``start()`` and ``stop()``: the named processes, this client, the machine."""

    def __init__(self, procs: dict[str, list[Proc]]) -> None:
        self.procs = procs
        self.begin: dict[str, float] = {}
        self.result: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        out = {role: sum(tree_cpu(p.process.pid) for p in procs if p.process.poll() is None)
               for role, procs in self.procs.items()}
        out["bench client"] = self_cpu()
        out["machine"] = machine_busy()
        return out

    def start(self) -> CpuMeter:
        self.begin = self._sample()
        return self

    def stop(self) -> dict[str, float]:
        end = self._sample()
        self.result = {k: round(end[k] - self.begin.get(k, 0.0), 2) for k in end}
        known = sum(v for k, v in self.result.items() if k != "machine")
        self.result["other (db, redis, other jobs)"] = round(max(0.0, self.result["machine"] - known), 2)
        return self.result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
