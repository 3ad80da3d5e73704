"""One-patent estimate latency: the real server (`ipfin serve`) on loopback, 10 concurrent clients.

A throwaway SQLite database (or a schema of --database-url's PostgreSQL) holds the demo county,
valued once so the estimate uses the county's stored reference (a SurvivalFit row), as in
production. Then --clients clients, each with its own keep-alive connection, send --requests
requests in all: first GET /health (the floor: the same server, HTTP stack and thread hop, no
work), then POST /api/v1/valuations/estimate with one full patent record. Prints p50 and p99 of
both, their ratios, throughput, and the load average. Aim: estimate p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def run_clients(url: str, method: str, path: str, body, clients: int, requests: int) -> tuple[list[float], float]:
    """Latencies (seconds) of `requests` requests sent by `clients` threads, and the wall time."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                response = http.request(method, path, json=body)
                took = time.perf_counter() - started
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:300]}")
                    return
                with lock:
                    latencies.append(took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{method} {path} failed: {failures[0]}")
    return latencies, wall


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL: a throwaway schema there")
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
        server = Server(base_env(url), work / "server.log")
        server.start()
        try:
            body = {"patents": [PATENT], "as_of": "2025-06-30"}
            run_clients(server.url, "POST", "/api/v1/valuations/estimate", body, args.clients, 50)  # warm-up
            health, health_wall = run_clients(server.url, "GET", "/health", None, args.clients, args.requests)
            load = os.getloadavg()
            estimate, estimate_wall = run_clients(
                server.url, "POST", "/api/v1/valuations/estimate", body, args.clients, args.requests
            )
        finally:
            server.stop()
            drop_schema()
    h50, h99 = percentile(health, 50) * 1000, percentile(health, 99) * 1000
    e50, e99 = percentile(estimate, 50) * 1000, percentile(estimate, 99) * 1000
    print(f"{args.clients} clients, {args.requests} requests each kind, {engine.dialect.name}")
    print(f"GET /health (floor)      p50 {h50:6.1f} ms   p99 {h99:6.1f} ms   {args.requests / health_wall:7.0f} req/s")
    print(
        f"POST one-patent estimate p50 {e50:6.1f} ms   p99 {e99:6.1f} ms   {args.requests / estimate_wall:7.0f} req/s"
        f"   ({e50 / h50:.1f}× / {e99 / h99:.1f}× the floor)"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in load)} (before the estimates)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
