"""Trademarks and other IP in pledge registrations: imported, reported as outcomes, listed and
exported; the pledge target counts every IP type (the plan's "专利、商标等知识产权质押融资额") with a
breakdown by type, and a trademark, like a patent, is in at most one active pledge."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import small_county as county
from bank_loop import publish
from test_whitelist_outcomes import AMOUNT, TODAY, achieved, granted, make_world, post_outcome

from service.db import transaction
from service.imports import ImportRejected, import_table, read_path


@pytest.fixture
def world(engine, tmp_path, make_key):
    return make_world(engine, tmp_path, make_key)


def breakdown(client, world, dimension="ip_type") -> dict[str, int]:
    body = client.get(
        f"/api/v1/targets/{world['target']}/progress", params={"as_of": TODAY.isoformat()}, headers=world["staff"]
    ).json()
    return {row["key"]: row["amount"] for row in body["breakdowns"].get(dimension, [])}


def test_a_trademark_pledge_counts_toward_the_target_by_type(client, engine, world):
    trademark_only = granted(registration_no="Y2026500000901", patents=[], trademarks=["31234567", " g1234567 "])
    response = post_outcome(client, world, trademark_only)
    assert response.status_code == 201, response.text
    registration = response.json()["registration"]
    assert registration["ip_type"] == "trademark" and registration["patents"] == []
    assert registration["items"] == [
        {"ip_type": "trademark", "number": "31234567"},
        {"ip_type": "trademark", "number": "G1234567"},
    ]
    (second,) = publish(engine, "CQRCB", enterprise_code=county.E2, amount_fen=AMOUNT)
    mixed = granted(registration_no="Y2026500000902", amount_fen=50_000_000, trademarks=["40000001"])
    assert post_outcome(client, world, mixed, key="k2", entry=second).status_code == 201
    assert achieved(client, world) == AMOUNT + 50_000_000
    assert breakdown(client, world) == {"trademark": AMOUNT, "patent": 50_000_000}
    # The trademark is now actively pledged: a third registration cannot pledge it again.
    (third,) = publish(engine, "CQRCB", enterprise_code=county.E2, amount_fen=AMOUNT)
    again = post_outcome(
        client, world, granted(registration_no="Y2026500000903", patents=[], trademarks=["31234567"]), "k3", entry=third
    )
    assert again.status_code == 422
    assert [(p["field"], p["code"]) for p in again.json()["details"]] == [("trademarks", "already_pledged")]
    bad = post_outcome(
        client, world, granted(registration_no="Y2026500000904", patents=[], trademarks=["TM-1"]), "k4", entry=third
    )
    assert bad.status_code == 422 and bad.json()["details"][0]["code"] == "invalid_number"


def test_staff_lists_and_exports_show_every_ip_type(client, engine, world, reviewer_headers):
    body = granted(registration_no="Y2026500000905", trademarks=["31234567"], other_ip=["BS.20265001.0"])
    assert post_outcome(client, world, body).status_code == 201
    listed = client.get("/api/v1/pledges", params={"active": "true"}, headers=reviewer_headers).json()["items"]
    mine = next(r for r in listed if r["registration_no"] == "Y2026500000905")
    assert (mine["ip_type"], mine["patents"], mine["trademarks"], mine["other_ip"]) == (
        "patent",
        [county.P2],
        ["31234567"],
        ["BS.20265001.0"],
    )
    export = client.get(
        f"/api/v1/targets/{world['target']}/export",
        params={"what": "registrations", "as_of": TODAY.isoformat()},
        headers=reviewer_headers,
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["registration_no"], r["ip_type"], r["pledged_ip"]) for r in rows] == [
        ("Y2026500000905", "patent", f"{county.P2};TM:31234567;IP:BS.20265001.0")
    ]


def _pledge_row(number, *, patents="", trademarks="", released=""):
    return {
        "registration_no": number,
        "registration_date": (TODAY - timedelta(days=5)).isoformat(),
        "enterprise_credit_code": county.E1,
        "bank_code": "CCB",
        "product_code": "",
        "amount_yuan": "400000",
        "loan_start": (TODAY - timedelta(days=4)).isoformat(),
        "loan_end": (TODAY + timedelta(days=360)).isoformat(),
        "patents": patents,
        "trademarks": trademarks,
        "released_date": released,
    }


def test_import_accepts_trademarks_and_refuses_a_second_active_pledge(client, engine, world, tmp_path):
    path = county.write_csv(
        tmp_path / "tm.csv",
        [
            _pledge_row("Y2026500000911", trademarks="50000001;50000002"),
            _pledge_row("Y2026500000912", trademarks="50000003", released=TODAY.isoformat()),
        ],
    )
    with transaction(engine) as session:
        report = import_table(session, "pledges", read_path(path))
    assert report.inserted == 2
    assert breakdown(client, world) == {"trademark": 80_000_000}  # both dated in the window, released or not
    malformed = county.write_csv(
        tmp_path / "malformed.csv",
        [
            _pledge_row("Y2026500000914", trademarks="50000009;50000009"),
            _pledge_row("Y2026500000915"),
            _pledge_row("Y2026500000916", trademarks="5000-0001"),
        ],
    )
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_table(session, "pledges", read_path(malformed))
    problems = {(e.row, e.column): e.message for e in rejected.value.errors}
    assert "listed twice" in problems[(2, "trademarks")]
    assert "at least one pledged patent or trademark" in problems[(3, "patents")]
    assert "malformed trademark" in problems[(4, "trademarks")]
    clash = county.write_csv(
        tmp_path / "clash.csv",
        [_pledge_row("Y2026500000913", trademarks="50000002"), _pledge_row("Y2026500000917", trademarks="60000001")],
    )
    with pytest.raises(ImportRejected) as rejected, transaction(engine) as session:
        import_table(session, "pledges", read_path(clash))
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "trademarks")]
    assert "already in active pledge Y2026500000911" in rejected.value.errors[0].message
    # Re-importing the same registrations updates them in place (their own trademarks do not clash).
    with transaction(engine) as session:
        assert import_table(session, "pledges", read_path(path)).updated == 2
    assert breakdown(client, world) == {"trademark": 80_000_000}
