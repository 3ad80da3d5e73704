"""Pledge registrations and the at-risk alerts on pledged patents, against hand-worked fee dates."""

from __future__ import annotations

import pytest
import small_county as county


@pytest.fixture
def loaded(engine, tmp_path):
    county.load_county(engine, tmp_path)


def test_registrations_list_is_staff_only_and_filters(client, loaded, reviewer_headers):
    assert client.get("/api/v1/pledges").status_code == 401
    active = client.get("/api/v1/pledges", params={"active": "true"}, headers=reviewer_headers).json()
    assert [r["registration_no"] for r in active["items"]] == ["Y2025500000456"]
    assert active["items"][0]["patents"] == [county.P1]
    released = client.get("/api/v1/pledges", params={"active": "false"}, headers=reviewer_headers).json()
    assert released["items"][0]["patents"] == sorted([county.P1, county.P2])


def test_pledged_patent_with_an_overdue_fee_is_an_alert(client, loaded, reviewer_headers):
    # P1: filed 2015-04-01, fees paid through year 12. Year 13 starts (and its ¥6,000 fee is due)
    # on 2027-04-01; on 2027-05-15 it is in the grace period's second month: late fee 5% = ¥300.
    alerts = client.get("/api/v1/pledges/at-risk", params={"as_of": "2027-05-15"}, headers=reviewer_headers).json()[
        "items"
    ]
    assert [a["application_no"] for a in alerts] == [county.P1]  # P2's pledge was released
    flags = {f["code"]: f for f in alerts[0]["risk_flags"]}
    assert flags["fee_overdue"]["values"]["due_date"] == "2027-04-01"
    assert flags["fee_overdue"]["values"]["late_fee"] == "300.00"
    assert alerts[0]["registration_no"] == "Y2025500000456" and alerts[0]["bank_code"] == "CQRCB"


def test_no_alert_while_fees_are_paid_and_a_warning_before_the_due_date(client, loaded, reviewer_headers):
    quiet = client.get("/api/v1/pledges/at-risk", params={"as_of": "2026-06-01"}, headers=reviewer_headers).json()
    assert quiet == {"items": [], "total": 0, "limit": 50, "offset": 0}
    soon = client.get("/api/v1/pledges/at-risk", params={"as_of": "2027-03-01"}, headers=reviewer_headers).json()[
        "items"
    ]
    assert [f["code"] for f in soon[0]["risk_flags"]] == ["fee_due_soon"]
