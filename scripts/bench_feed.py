"""Bank feed throughput: the real server on loopback against a minimal Litestar app serving the same bytes.

For each database (SQLite, and PostgreSQL when --postgres-url or IPFIN_TEST_POSTGRES_URL is given):
a throwaway database with the demo county's banks, products and enterprises and --entries whitelist
entries for one bank; the real app served by uvicorn in its own process; a bank key; then
--clients concurrent clients in a separate process pull authenticated pages of --page entries,
following next_cursor and starting over at the end, for --requests requests in all. The baseline is
a minimal Litestar app, under the same uvicorn settings, answering every request with the bytes of
a real page (no auth, no database). Prints requests per second, p50 and p99 latency of both, and
the ratio real / baseline. Aim: ratio ≥ 0.5, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_import import scratch_database  # noqa: E402  (scripts/ is on the path: run as a script)

from service import migrate  # noqa: E402
from service.auth.keys import issue_key  # noqa: E402
from service.db import make_engine, transaction  # noqa: E402
from service.demo import build_demo  # noqa: E402
from service.imports import Table, import_batch  # noqa: E402
from service.models import (  # noqa: E402
    Bank,
    Enterprise,
    FeedCounter,
    MatchProposal,
    MatchRun,
    PledgeProduct,
    WhitelistEntry,
)
from service.models.types import utcnow  # noqa: E402

SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from service.app import create_app
from service.settings import Settings
# Rate limits off (0): 20 clients on one bank key would otherwise be 429 past 1200 requests a minute.
uvicorn.run(create_app(Settings(database_url={url!r}, rate_limit_per_key=0, rate_limit_anonymous=0)),
            host="127.0.0.1", port={port}, log_level="warning",
            access_log=False)
"""
BASELINE = """
import sys, uvicorn
from litestar import Litestar, Response, get
body = open({path!r}, "rb").read()

@get("/api/v1/whitelist", sync_to_thread=False)
def page() -> Response:
    return Response(body, media_type="application/json")

uvicorn.run(Litestar([page]), host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sample_content() -> dict:
    """An entry's content of the usual size: enterprise, credit loan, product and three patents."""
    patent = {
        "application_no": "201810200002.3",
        "title": "一种用于精密零件的激光焊接装置及其控制方法",
        "patent_type": "invention",
        "ipc": "B23K 26/00",
        "legal_status": "valid",
        "next_fee_due": "2027-03-05",
        "expiry_date": "2038-03-04",
        "industry": "equipment_manufacturing",
        "score": 71.4,
        "grade": "B",
        "value_p10_fen": 41_000_000,
        "value_p50_fen": 96_000_000,
        "value_p90_fen": 188_000_000,
        "high_value": True,
        "valued_as_of": "2026-11-01",
        "supports_fen": 12_300_000,
        "allocated_fen": 10_000_000,
    }
    return {
        "enterprise": {
            "name": "重庆云阳精工装备制造有限公司",
            "credit_code": "91500235MA5U000026",
            "industry_cluster": "equipment_manufacturing",
            "town": "青龙街道",
            "contact_person": "李四",
            "contact_phone": "13800000002",
            "employees": 260,
            "certifications": {"high_tech": "2020-10-01", "specialized": "2022-06-30"},
        },
        "credit_loans": [
            {
                "kind": "knowledge_value",
                "grade": "B",
                "limit_fen": 400_000_000,
                "drawn_fen": 150_000_000,
                "bank_code": "CQRCB",
                "start_date": "2025-03-01",
                "maturity_date": "2027-02-28",
            }
        ],
        "product": {
            "bank_code": "CQRCB",
            "bank_name": "重庆农村商业银行云阳支行",
            "code": "IPLOAN",
            "name": "知识产权质押贷",
            "pledge_rate": "0.3000",
            "interest_rate_min": "3.450",
            "interest_rate_max": "4.800",
        },
        "amount_fen": 30_000_000,
        "term_months": 24,
        "parallel_track": True,
        "patents": [
            patent,
            patent | {"application_no": "201510100001.8"},
            patent | {"application_no": "201920300003.5"},
        ],
    }


def prepare(url: str, entries: int) -> str:
    """Migrate, import the demo's reference data, publish `entries` entries for one bank; its key."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    dataset = build_demo()
    tables = []
    for kind in ("banks", "products", "enterprises"):
        rows = dataset.tables[kind]
        tables.append((kind, Table(list(rows[0]), [(n, row) for n, row in enumerate(rows, start=2)])))
    with transaction(engine) as session:
        import_batch(session, tables)
        bank = session.scalars(select(Bank).order_by(Bank.code)).first()
        product = session.scalars(select(PledgeProduct).where(PledgeProduct.bank_id == bank.id)).first()
        firms = session.scalars(select(Enterprise.id).order_by(Enterprise.id)).all()
        run = MatchRun(
            input_hash="bench", solver_status="bench", objective=0, n_enterprises=0, n_products=0, n_proposals=0
        )
        session.add(run)
        session.flush()
        content = sample_content()
        now = utcnow()
        for position in range(1, entries + 1):
            firm = firms[position % len(firms)]
            proposal = MatchProposal(
                run_id=run.id,
                enterprise_id=firm,
                product_id=product.id,
                bank_id=bank.id,
                amount_fen=product.min_amount_fen,
                fit=1.0,
                status="approved",
                explanation={},
            )
            if position % len(firms) == 0:  # one proposal per (run, enterprise)
                run = MatchRun(
                    input_hash="bench", solver_status="bench", objective=0, n_enterprises=0, n_products=0, n_proposals=0
                )
                session.add(run)
                session.flush()
                proposal.run_id = run.id
            session.add(proposal)
            session.flush()
            session.add(
                WhitelistEntry(
                    bank_id=bank.id,
                    proposal_id=proposal.id,
                    enterprise_id=firm,
                    product_id=product.id,
                    amount_fen=product.min_amount_fen,
                    content=content,
                    feed_position=position,
                    published_at=now,
                    expires_at=now + timedelta(days=90),
                )
            )
        session.add(FeedCounter(bank_id=bank.id, last_position=entries))
        key = issue_key(session, role="bank", name="bench", bank=bank)
    engine.dispose()
    return key


def start(code: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def _load(base: str, key: str, clients: int, requests: int, page: int, queue) -> None:
    """In its own process: `clients` concurrent pullers, `requests` requests in all; latencies (s)."""

    async def run() -> list[float]:
        latencies: list[float] = []
        left = [requests]
        headers = {"Authorization": f"Bearer {key}"}
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:

            async def client() -> None:
                cursor = None
                while left[0] > 0:
                    left[0] -= 1
                    params = {"limit": page} | ({"after": cursor} if cursor else {})
                    started = time.perf_counter()
                    response = await http.get("/api/v1/whitelist", params=params)
                    latencies.append(time.perf_counter() - started)
                    response.raise_for_status()
                    body = response.json()
                    cursor = body["next_cursor"] if body.get("has_more") else None

            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(clients)))
            latencies.append(time.perf_counter() - started)  # the last value is the wall time
        return latencies

    queue.put(asyncio.run(run()))


def measure(base: str, key: str, args) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    warm = context.Process(target=_load, args=(base, key, args.clients, args.clients * 5, args.page, queue))
    warm.start()
    queue.get()
    warm.join()
    worker = context.Process(target=_load, args=(base, key, args.clients, args.requests, args.page, queue))
    worker.start()
    latencies = queue.get()
    worker.join()
    wall = latencies.pop()
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


def bench(label: str, postgres_url: str | None, args) -> None:
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        url, drop = scratch_database(postgres_url, work)
        try:
            print(f"[{label}] preparing {args.entries} entries …", file=sys.stderr, flush=True)
            key = prepare(url, args.entries)
            port = free_port()
            server = start(SERVER.format(root=str(ROOT), url=url, port=port), port)
            try:
                base = f"http://127.0.0.1:{port}"
                sample = httpx.get(
                    f"{base}/api/v1/whitelist", params={"limit": args.page}, headers={"Authorization": f"Bearer {key}"}
                )
                sample.raise_for_status()
                (work / "page.json").write_bytes(sample.content)
                real = measure(base, key, args)
            finally:
                server.terminate()
                server.wait(timeout=10)
            port = free_port()
            baseline_server = start(BASELINE.format(path=str(work / "page.json"), port=port), port)
            try:
                baseline = measure(f"http://127.0.0.1:{port}", key, args)
            finally:
                baseline_server.terminate()
                baseline_server.wait(timeout=10)
        finally:
            drop()
    ratio = real["rps"] / baseline["rps"]
    print(
        f"{label:10s} feed   {real['rps']:8.0f} req/s  p50 {real['p50_ms']:6.1f} ms  p99 {real['p99_ms']:6.1f} ms\n"
        f"{label:10s} bytes  {baseline['rps']:8.0f} req/s  p50 {baseline['p50_ms']:6.1f} ms  "
        f"p99 {baseline['p99_ms']:6.1f} ms\n"
        f"{label:10s} ratio  {ratio:.2f} (aim ≥ 0.5); page of {args.page}: {len(sample.content):,} bytes",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--postgres-url", default=os.environ.get("IPFIN_TEST_POSTGRES_URL"))
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    bench("SQLite", None, args)
    if args.postgres_url and not args.sqlite_only:
        bench("PostgreSQL", args.postgres_url, args)
    elif not args.sqlite_only:
        print("PostgreSQL: skipped (give --postgres-url or set IPFIN_TEST_POSTGRES_URL)", flush=True)


if __name__ == "__main__":
    main()
