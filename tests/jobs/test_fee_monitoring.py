"""The fee-monitoring job on hand-computed cases (DESIGN.md §4: due on the filing anniversary,
29 February → 28 February, six months' grace, no late fee in the first month, then 5 % a month up
to 25 %, lapse after), read back the way staff and banks read them: through GET /api/v1/alerts."""

from __future__ import annotations

from datetime import date

import pytest
from collateral import build, moment
from sqlalchemy import update

from service.db import transaction
from service.jobs.scheduler import run_job
from service.models import Patent, PledgedPatent, PledgeRegistration
from service.settings import Settings

# (patent, today) → (stage, due date, fee in yuan, late fee in yuan), or None for no alert.
CASES = [
    # filed 2016-02-29, fee year 11 (¥4,000) due on the anniversary 2026-02-28, grace to 2026-08-28
    ("leap", date(2025, 12, 29), None),  # 61 days ahead: outside the 60-day window
    ("leap", date(2026, 1, 10), ("due", date(2026, 2, 28), 4000, 0)),  # 49 days ahead
    ("leap", date(2026, 2, 28), ("due", date(2026, 2, 28), 4000, 0)),  # due today: not yet late
    ("leap", date(2026, 3, 28), ("grace", date(2026, 2, 28), 4000, 0)),  # first month: no late fee
    ("leap", date(2026, 3, 29), ("grace", date(2026, 2, 28), 4000, 200)),  # second month: 5 %
    ("leap", date(2026, 8, 28), ("grace", date(2026, 2, 28), 4000, 1000)),  # last day: 25 %
    ("leap", date(2026, 8, 29), ("lapsed", date(2026, 2, 28), 4000, 0)),
    # filed 2019-12-31, fee year 7 (¥2,000) due 2025-12-31 across the year end, grace to 2026-06-30
    ("year_end", date(2026, 1, 31), ("grace", date(2025, 12, 31), 2000, 0)),
    ("year_end", date(2026, 2, 1), ("grace", date(2025, 12, 31), 2000, 100)),
    ("year_end", date(2026, 4, 30), ("grace", date(2025, 12, 31), 2000, 300)),  # fourth month: 15 %
    ("year_end", date(2026, 6, 30), ("grace", date(2025, 12, 31), 2000, 500)),
    ("year_end", date(2026, 7, 1), ("lapsed", date(2025, 12, 31), 2000, 0)),
    # filed 2020-01-10, fee year 7 due 2026-01-10: exactly 60 days ahead on 2025-11-11
    ("later", date(2025, 11, 10), None),
    ("later", date(2025, 11, 11), ("due", date(2026, 1, 10), 2000, 0)),
]


def monitor(engine, database_url, today: date, slot: str):
    run = run_job(engine, "fee-monitoring", settings=Settings(database_url=database_url), slot=slot, now=moment(today))
    assert run.status == "done", run.error
    return run


def alerts(client, headers, **params) -> list[dict]:
    response = client.get("/api/v1/alerts", headers=headers, params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(("which", "today", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_due_dates_grace_and_late_fees(engine, database_url, client, admin_headers, which, today, expected):
    ids = build(engine)
    monitor(engine, database_url, today, "s1")
    with transaction(engine) as session:
        number = session.get(Patent, ids[which]).application_no
    mine = [a for a in alerts(client, admin_headers) if a["application_no"] == number]
    if expected is None:
        assert mine == []
        return
    stage, due, fee, late = expected
    assert len(mine) == 1
    alert = mine[0]
    assert (alert["stage"], alert["due_date"], alert["fee_fen"], alert["late_fee_fen"]) == (
        stage,
        due.isoformat(),
        fee * 100,
        late * 100,
    )
    assert alert["bank_code"] == ("BANKB" if which == "later" else "BANKA")
    assert number in alert["message"] and f"{fee:,}元" in alert["message"]


def test_raised_once_moved_on_and_closed_when_paid(engine, database_url, client, admin_headers, make_key):
    ids = build(engine)
    first = monitor(engine, database_url, date(2026, 1, 10), "s1")
    # leap (due 2026-02-28), later (due today) and year_end (overdue since 2025-12-31)
    assert first.detail["raised"] == 3
    again = monitor(engine, database_url, date(2026, 1, 10), "s2")
    assert again.detail["raised"] == 0 and len(alerts(client, admin_headers)) == 3
    # A month on, the later patent is in its grace period: the same alert, moved on, not a new one.
    moved = monitor(engine, database_url, date(2026, 2, 11), "s3")
    assert moved.detail["escalated"] == 1
    stages = {a["application_no"][:4]: a["stage"] for a in alerts(client, admin_headers)}
    assert stages == {"2016": "due", "2019": "grace", "2020": "grace"}
    # The owner pays fee year 7 of the later patent: its alert closes as paid.
    with transaction(engine) as session:
        session.execute(update(Patent).where(Patent.id == ids["later"]).values(fees_paid_through_year=7))
    closed = monitor(engine, database_url, date(2026, 2, 12), "s4")
    assert closed.detail["closed"] == 1
    paid = alerts(client, admin_headers, status="closed")
    assert [a["close_reason"] for a in paid] == ["paid"] and paid[0]["application_no"].startswith("2020")
    # Bank B sees only its own alerts: none open now; bank A sees the leap patent's.
    bank_b = {"Authorization": f"Bearer {make_key('bank', 'BANKB')}"}
    bank_a = {"Authorization": f"Bearer {make_key('bank', 'BANKA')}"}
    assert alerts(client, bank_b) == [] and len(alerts(client, bank_b, status="all")) == 1
    assert {a["bank_code"] for a in alerts(client, bank_a, bank="BANKB")} == {"BANKA"}  # the filter cannot widen
    assert client.get("/api/v1/alerts").status_code == 401


def test_a_released_pledge_closes_its_alerts(engine, database_url, client, admin_headers):
    ids = build(engine)
    monitor(engine, database_url, date(2026, 1, 10), "s1")
    with transaction(engine) as session:
        session.execute(
            update(PledgedPatent).where(PledgedPatent.patent_id == ids["later"]).values(released_date=date(2026, 1, 11))
        )
        session.execute(
            update(PledgeRegistration)
            .where(PledgeRegistration.bank_id == ids["B"])
            .values(released_date=date(2026, 1, 11))
        )
    run = monitor(engine, database_url, date(2026, 1, 12), "s2")
    assert run.detail["closed"] == 1
    assert [a["close_reason"] for a in alerts(client, admin_headers, status="closed")] == ["released"]
