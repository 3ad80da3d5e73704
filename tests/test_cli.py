"""The command line itself: a light parser, keys listed without their secret, import kinds checked."""

from __future__ import annotations

import subprocess
import sys

from service.cli import main

HEAVY = ("numpy", "scipy", "sqlalchemy", "sqlmodel", "litestar", "valuation", "matching", "tqdm")


def test_building_the_parser_imports_nothing_heavy():
    code = (
        "import sys; from service.cli import build_parser; build_parser(); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_keys_list_shows_every_key_but_never_its_secret(engine, database_url, monkeypatch, capsys):
    monkeypatch.setenv("IPFIN_DATABASE_URL", database_url)
    assert main(["keys", "create", "reviewer", "审核员 张三"]) == 0
    issued = capsys.readouterr().out.strip()
    prefix = issued.removeprefix("ipf_").split("_")[0]
    assert main(["keys", "create", "admin", "运维"]) == 0
    capsys.readouterr()
    assert main(["keys", "revoke", prefix]) == 0
    capsys.readouterr()
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    lines = {line.split()[0]: line for line in listing.splitlines()}
    assert prefix in lines and "reviewer" in lines[prefix] and "revoked" in lines[prefix]
    assert "审核员 张三" in lines[prefix]
    assert any("admin" in line and "active" in line for line in lines.values())
    assert issued not in listing


def test_an_unknown_import_kind_is_refused_before_touching_the_database(tmp_path, capsys):
    assert main(["import", "trademarks", str(tmp_path / "none.csv")]) == 2
    assert "unknown kind 'trademarks'" in capsys.readouterr().err


def test_a_taken_port_is_said_before_anything_else(tmp_path):
    import os
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        database = tmp_path / "never.sqlite3"
        env = os.environ | {
            "IPFIN_DATABASE_URL": f"sqlite:///{database}",
            "IPFIN_HOST": "127.0.0.1",
            "IPFIN_PORT": str(port),
        }
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and done.stdout == ""
    assert not database.exists()  # nothing was migrated or loaded
