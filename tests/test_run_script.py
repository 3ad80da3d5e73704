"""`./scripts/run` starts the service with the demo county on a fresh database and answers HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from net import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_run_script_serves_demo_county(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "IPFIN_PORT": str(port),
        "IPFIN_HOST": "127.0.0.1",
        "IPFIN_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "no /health within two minutes:\n" + (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        page = httpx.get(f"{base}/api/v1/enterprises", timeout=10).json()
        assert page["total"] >= 200 and page["items"][0]["credit_code"]
        printed = (tmp_path / "run.log").read_text()
        assert f"{base}/schema" in printed and f"{base}/api/v1/" in printed
        # Each demo bank's real key is printed, and it opens that bank's whitelist feed.
        key = next(line.split()[2] for line in printed.splitlines() if line.strip().startswith("bank CQRCB"))
        feed = httpx.get(f"{base}/api/v1/whitelist", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert feed.status_code == 200 and {e["bank_code"] for e in feed.json()["items"]} <= {"CQRCB"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
