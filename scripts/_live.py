"""Shared by scripts/fuzz and scripts/reliability: the project's .venv, a throwaway database (a
SQLite file, or a PostgreSQL cluster of its own made with initdb/pg_ctl in a temporary directory,
never the machine's server), the demo county in it, API keys, and the real server (`ipfin serve`)
on loopback as a subprocess. Standard library only, so it runs before the .venv exists."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
IPFIN = ROOT / ".venv" / "bin" / "ipfin"


def reexec_in_venv() -> None:
    """Run this script again with the project's .venv (made or updated first, with test extras)."""
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():
        return
    subprocess.run(["bash", "-c", "source scripts/_venv.sh && ensure_venv test"], cwd=ROOT, check=True)
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ipfin(env: dict[str, str], *args: str) -> str:
    """Run an `ipfin` command against the database in `env`; its standard output."""
    done = subprocess.run([str(IPFIN), *args], env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"ipfin {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def issue_key(env: dict[str, str], role: str, name: str, bank: str | None = None) -> str:
    output = ipfin(env, "keys", "create", role, name, *(["--bank", bank] if bank else []))
    return next(word for word in output.split() if word.startswith("ipf_"))


class ThrowawayPostgres:
    """A PostgreSQL cluster of this run only: initdb in a temporary directory, its own port on
    127.0.0.1, a socket directory of its own; stopped and deleted at the end. As root the
    cluster runs as the `postgres` system user (initdb refuses root)."""

    def __init__(self, workdir: Path):
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not candidates:
            raise SystemExit(
                "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
            )
        self.bin = Path(candidates[-1]).parent
        self.dir = workdir / "pgdata"
        self.sockets = workdir / "pgsock"
        self.log = workdir / "postgres.log"
        self.port = free_port()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-1000:]}")

    def create(self) -> None:
        for path in (self.dir, self.sockets):
            path.mkdir(parents=True)
        if self.user:
            owner = pwd.getpwnam(self.user)
            for path in (self.dir.parent, self.dir, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("immediate")  # fails when already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """`ipfin serve` on 127.0.0.1 as a subprocess; rate limits off (the clients are the load)."""

    def __init__(self, env: dict[str, str], log: Path, serve_args: tuple[str, ...] = ()):
        self.serve_args = serve_args  # e.g. ("--workers", "2")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env | {
            "IPFIN_HOST": "127.0.0.1",
            "IPFIN_PORT": str(self.port),
            "IPFIN_RATE_LIMIT_PER_KEY": "0",
            "IPFIN_RATE_LIMIT_ANONYMOUS": "0",
        }
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(IPFIN), "serve", *self.serve_args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ipfin serve exited with {self.process.returncode}; see {self.log}")
            if self.healthy():
                return
            time.sleep(0.2)
        raise RuntimeError(f"ipfin serve did not answer /health within {timeout} s; see {self.log}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def base_env(database_url: str) -> dict[str, str]:
    """The environment of every ipfin command of a run: its database and a secret of its own."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("IPFIN_")}
    return keep | {"IPFIN_DATABASE_URL": database_url, "IPFIN_SECRET_KEY": os.urandom(16).hex()}
