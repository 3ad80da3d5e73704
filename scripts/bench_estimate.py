"""One-patent estimate latency: the real server (`ipfin serve`) on loopback, 10 concurrent clients.

A throwaway SQLite database (or a schema of --database-url's PostgreSQL) holds the demo county,
valued once so the estimate uses the county's stored reference (a SurvivalFit row), as in
production. Then --clients clients, each with its own keep-alive connection, send --requests
requests in all: first GET /health (the floor: the same server, HTTP stack and thread hop, no
work), then POST /api/v1/valuations/estimate with one full patent record. Prints p50 and p99 of
both, their ratios, throughput, the server's CPU time per request (its processes' user + system
time from /proc: what the noise of a shared machine hardly moves), and the load average. Aim:
estimate p99 < 50 ms. --workers N serves with `ipfin serve --workers N` (both kinds, same
layout); --varied sends a different record each request (invention, utility model, pending,
lapsed, no revenue, other fields and titles) instead of the same one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _bench import figure  # noqa: E402
from _live import Server, base_env  # noqa: E402
from bench_import import scratch_database  # noqa: E402

from service import migrate  # noqa: E402
from service.db import make_engine  # noqa: E402
from service.seed import load_demo  # noqa: E402
from service.valuations.cli import revalue  # noqa: E402

PATENT = {
    "application_no": "201910000000.4",
    "title": "一种光伏逆变器的控制方法",
    "patent_type": "invention",
    "ipc": "H02M 7/48",
    "filing_date": "2019-01-30",
    "grant_date": "2021-11-05",
    "legal_status": "valid",
    "fees_paid_through_year": 7,
    "forward_citations": 3,
    "backward_citations": 5,
    "claims": 8,
    "independent_claims": 2,
    "family_size": 2,
    "commercialization": "pilot",
    "annual_revenue_yuan": "1200000",
}
# --varied: kinds of patents an estimate meets (each with its own number, IPC and title).
VARIANTS = [
    PATENT,
    PATENT
    | {
        "application_no": "202020000001.7",
        "title": "一种果汁压榨装置",
        "patent_type": "utility_model",
        "ipc": "A23N 1/00",
        "filing_date": "2020-04-02",
        "grant_date": "2020-11-20",
        "fees_paid_through_year": 5,
        "annual_revenue_yuan": "800000",
    },
    PATENT
    | {
        "application_no": "202310000002.X",
        "title": "基于深度学习的图像识别方法",
        "ipc": "G06V 10/82",
        "filing_date": "2023-03-15",
        "grant_date": None,
        "legal_status": "pending",
        "fees_paid_through_year": None,
        "commercialization": "prototype",
    },
    PATENT
    | {
        "application_no": "201510000003.X",
        "title": "一种锂离子电池正极材料",
        "ipc": "H01M 4/525",
        "filing_date": "2015-06-01",
        "grant_date": "2018-02-09",
        "legal_status": "lapsed",
        "lapse_date": "2023-06-01",
        "fees_paid_through_year": 8,
    },
    PATENT
    | {
        "application_no": "201810000004.8",
        "title": "一种数控机床主轴",
        "ipc": "B23Q 5/10",
        "filing_date": "2018-09-12",
        "grant_date": "2021-03-30",
        "fees_paid_through_year": 8,
        "annual_revenue_yuan": None,
        "commercialization": "production",
        "licenses": 1,
    },
]


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (the server's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15 of stat)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run_clients(url: str, method: str, path: str, bodies, clients: int, requests: int) -> tuple[list[float], float]:
    """Latencies (seconds) of `requests` requests sent by `clients` threads, and the wall time;
    request i sends ``bodies[i % len(bodies)]``.

    Each client is a bare keep-alive ``http.client`` connection sending bodies encoded once: the
    clients share this 2-core machine with the server, and a full HTTP client library spent about
    1.3 ms of CPU a request here (as much as a third of the server's), which the server then
    waited for."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    encoded = [None if body is None else json.dumps(body).encode() for body in bodies]
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                    body = encoded[remaining[0] % len(encoded)]
                started = time.perf_counter()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                took = time.perf_counter() - started
                if response.status != 200:
                    failures.append(f"{response.status} {text[:300].decode(errors='replace')}")
                    return
                with lock:
                    latencies.append(took)
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{method} {path} failed: {failures[0]}")
    if len(latencies) != requests:
        raise SystemExit(f"{method} {path}: {requests - len(latencies)} request(s) got no answer")
    return latencies, wall


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL: a throwaway schema there")
    parser.add_argument("--workers", type=int, default=1, help="ipfin serve --workers N (default 1)")
    parser.add_argument("--varied", action="store_true", help="a different kind of record each request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        url, drop_schema = scratch_database(args.database_url, work)
        engine = make_engine(url)
        migrate.upgrade(engine)
        print("loading and valuing the demo county …", file=sys.stderr, flush=True)
        load_demo(engine, scale=1.0, seed=None, with_whitelist=False)
        revalue(engine, date(2025, 6, 30), "bench")
        engine.dispose()
        server = Server(base_env(url), work / "server.log", ("--workers", str(args.workers)))
        server.start()
        try:
            bodies = [{"patents": [p], "as_of": "2025-06-30"} for p in (VARIANTS if args.varied else [PATENT])]
            run_clients(server.url, "POST", "/api/v1/valuations/estimate", bodies, args.clients, 50)  # warm-up
            run_clients(server.url, "GET", "/health", [None], args.clients, 50)
            cpu = server_cpu_seconds(server.process.pid)
            health, health_wall = run_clients(server.url, "GET", "/health", [None], args.clients, args.requests)
            health_cpu = server_cpu_seconds(server.process.pid) - cpu
            load = os.getloadavg()
            cpu = server_cpu_seconds(server.process.pid)
            estimate, estimate_wall = run_clients(
                server.url, "POST", "/api/v1/valuations/estimate", bodies, args.clients, args.requests
            )
            estimate_cpu = server_cpu_seconds(server.process.pid) - cpu
        finally:
            server.stop()
            drop_schema()
    h50, h99 = percentile(health, 50) * 1000, percentile(health, 99) * 1000
    e50, e99 = percentile(estimate, 50) * 1000, percentile(estimate, 99) * 1000
    hc, ec = health_cpu / args.requests * 1000, estimate_cpu / args.requests * 1000
    kind = "varied records" if args.varied else "the same record"
    print(
        f"{args.clients} clients, {args.requests} requests each kind, {engine.dialect.name}, "
        f"{args.workers} worker(s), {kind}"
    )
    print(
        f"GET /health (floor)      p50 {h50:6.1f} ms   p99 {h99:6.1f} ms   {args.requests / health_wall:7.0f} req/s"
        f"   server CPU {hc:5.2f} ms/request"
    )
    print(
        f"POST one-patent estimate p50 {e50:6.1f} ms   p99 {e99:6.1f} ms   {args.requests / estimate_wall:7.0f} req/s"
        f"   server CPU {ec:5.2f} ms/request   ({e50 / h50:.1f}× / {e99 / h99:.1f}× / {ec / hc:.1f}× the floor)"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in load)} (before the estimates)")
    what = f"one-patent estimate, {args.clients} clients"
    figure(f"{what}: p50 (floor: GET /health)", e50, "ms", floor=h50)
    figure(f"{what}: p99 (floor: GET /health)", e99, "ms", floor=h99, aim=50.0)
    figure(f"{what}: server CPU per request (floor: /health)", ec, "ms", floor=hc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
