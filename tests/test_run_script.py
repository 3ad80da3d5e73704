"""`./scripts/run` starts the service with the demo county on a fresh database and answers HTTP;
the demo's keys are random, printed on the first start only, and listed (by prefix) afterwards."""

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


def _start(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    return subprocess.Popen(
        [str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _wait_for_health(process: subprocess.Popen, base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "no /health within two minutes:\n" + log_path.read_text()
        time.sleep(0.5)


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


@pytest.mark.slow
def test_run_script_serves_demo_county_and_prints_its_random_keys_once(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "IPFIN_PORT": str(port),
        "IPFIN_HOST": "127.0.0.1",
        "IPFIN_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    base = f"http://127.0.0.1:{port}"
    first_log = tmp_path / "first.log"
    process = _start(env, first_log)
    try:
        _wait_for_health(process, base, first_log)
        page = httpx.get(f"{base}/api/v1/enterprises", timeout=10).json()
        assert page["total"] >= 200 and page["items"][0]["credit_code"]
        printed = first_log.read_text()
        assert f"{base}/schema" in printed and f"{base}/api/v1/" in printed
        lines = [line.split() for line in printed.splitlines()]
        admin = next(words[1] for words in lines if words[:1] == ["admin"])
        bank = next(words[2] for words in lines if words[:2] == ["bank", "CQRCB"])
        # Each demo bank's real key is printed, and it opens that bank's whitelist feed.
        feed = httpx.get(f"{base}/api/v1/whitelist", headers={"Authorization": f"Bearer {bank}"}, timeout=10)
        assert feed.status_code == 200 and {e["bank_code"] for e in feed.json()["items"]} <= {"CQRCB"}
        audit = httpx.get(f"{base}/api/v1/audit-events", headers={"Authorization": f"Bearer {admin}"}, timeout=10)
        assert audit.status_code == 200
    finally:
        _stop(process)
    # Random per database: not the README's (which shows none), not a fixed pattern.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert admin not in readme and bank not in readme and "ipf_demo" not in readme
    assert admin.startswith("ipf_") and len(admin) >= 40 and "demo" not in admin
    # `ipfin keys list` shows them by prefix, never the key itself.
    listed = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ipfin"), "keys", "list"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert admin.split("_")[1] in listed and "demo admin" in listed and "demo CQRCB" in listed
    assert admin not in listed and bank not in listed
    # A second start loads nothing and prints no key; the first keys still work.
    second_log = tmp_path / "second.log"
    process = _start(env, second_log)
    try:
        _wait_for_health(process, base, second_log)
        again = second_log.read_text()
        assert "ipf_" not in again and "loading the demo" not in again
        feed = httpx.get(f"{base}/api/v1/whitelist", headers={"Authorization": f"Bearer {bank}"}, timeout=10)
        assert feed.status_code == 200
    finally:
        _stop(process)


def test_serve_without_demo_leaves_an_empty_database_empty(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "IPFIN_PORT": str(port),
        "IPFIN_HOST": "127.0.0.1",
        "IPFIN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "ipfin"), "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(process, base, log_path)
        assert httpx.get(f"{base}/api/v1/enterprises", timeout=10).json()["total"] == 0
        assert httpx.get(f"{base}/api/v1/banks", timeout=10).json()["total"] == 0
    finally:
        _stop(process)
    printed = log_path.read_text()
    assert "loading the demo" not in printed and "ipf_" not in printed
