"""A small, hand-checkable county as import files (valid check characters computed, not copied)."""

from __future__ import annotations

import csv
from pathlib import Path

from service.identifiers import application_check_char, credit_check_char


def credit_code(serial: int) -> str:
    body = f"91500235MA5U{serial:05d}"
    return body + credit_check_char(body)


def application_no(year: int, kind: int, serial: int) -> str:
    digits = f"{year}{kind}{serial:07d}"
    return f"{digits}.{application_check_char(digits)}"


E1, E2, E3 = credit_code(1), credit_code(2), credit_code(3)
P1, P2, P3, P4 = (
    application_no(2015, 1, 100001),
    application_no(2018, 1, 200002),
    application_no(2019, 2, 300003),
    application_no(2021, 1, 400004),
)

BANKS = [
    {"code": "CQRCB", "name": "重庆农村商业银行云阳支行", "contact_person": "王经理", "contact_phone": "023-55100001"},
    {"code": "CCB", "name": "中国建设银行云阳支行", "contact_person": "李经理", "contact_phone": "023-55100002"},
]
PRODUCTS = [
    {
        "bank_code": "CQRCB",
        "code": "IPLOAN",
        "name": "知识产权质押贷",
        "min_amount_yuan": "300000",
        "max_amount_yuan": "5000000",
        "pledge_rate": "0.30",
        "interest_rate_min": "3.45",
        "interest_rate_max": "4.80",
        "term_min_months": "6",
        "term_max_months": "36",
        "eligible_clusters": "equipment_manufacturing;energy_electronics",
        "required_certifications": "",
        "min_patent_grade": "C",
        "min_remaining_term_years": "3",
        "quota_count": "10",
        "quota_amount_yuan": "20000000",
        "quota_period_start": "2026-01-01",
        "quota_period_end": "2026-12-31",
        "requires_existing_customer": "false",
        "active": "true",
    },
    {
        "bank_code": "CCB",
        "code": "SCIE",
        "name": "科技e贷",
        "min_amount_yuan": "500000",
        "max_amount_yuan": "10000000",
        "pledge_rate": "0.25",
        "interest_rate_min": "3.20",
        "interest_rate_max": "4.20",
        "term_min_months": "12",
        "term_max_months": "36",
        "eligible_clusters": "",
        "required_certifications": "high_tech",
        "min_patent_grade": "",
        "min_remaining_term_years": "",
        "quota_count": "",
        "quota_amount_yuan": "",
        "quota_period_start": "",
        "quota_period_end": "",
        "requires_existing_customer": "",
        "active": "",
    },
]
ENTERPRISES = [
    {
        "credit_code": E1,
        "name": "重庆云阳绿源食品科技有限公司",
        "industry_cluster": "green_consumer",
        "town": "双江街道",
        "contact_person": "张三",
        "contact_phone": "13800000001",
        "employees": "120",
        "high_tech_date": "2021-11-15",
        "specialized_date": "",
        "ip_advantage_date": "2023-05-10",
        "ip_standard_date": "",
        "need_amount_yuan": "2000000",
        "need_term_months": "24",
    },
    {
        "credit_code": E2,
        "name": "重庆云阳精工装备制造有限公司",
        "industry_cluster": "equipment_manufacturing",
        "town": "青龙街道",
        "contact_person": "李四",
        "contact_phone": "13800000002",
        "employees": "260",
        "high_tech_date": "2020-10-01",
        "specialized_date": "2022-06-30",
        "ip_advantage_date": "",
        "ip_standard_date": "2024-12-31",
        "need_amount_yuan": "",
        "need_term_months": "",
    },
    {
        "credit_code": E3,
        "name": "重庆云阳新能电子有限公司",
        "industry_cluster": "energy_electronics",
        "town": "人和街道",
        "contact_person": "",
        "contact_phone": "",
        "employees": "45",
        "high_tech_date": "",
        "specialized_date": "",
        "ip_advantage_date": "",
        "ip_standard_date": "2022-09-22",
        "need_amount_yuan": "",
        "need_term_months": "",
    },
]
CREDIT_LOANS = [
    {
        "enterprise_credit_code": E2,
        "bank_code": "CQRCB",
        "kind": "knowledge_value",
        "grade": "B",
        "limit_yuan": "4000000",
        "drawn_yuan": "1500000",
        "start_date": "2025-03-01",
        "maturity_date": "2027-02-28",
    },
    {
        "enterprise_credit_code": E1,
        "bank_code": "CCB",
        "kind": "commercial_value",
        "grade": "C",
        "limit_yuan": "3000000",
        "drawn_yuan": "0",
        "start_date": "2026-01-15",
        "maturity_date": "2027-01-14",
    },
]


def _patent(number, kind, owner, **overrides):
    row = {
        "application_no": number,
        "title": "一种示例装置",
        "patent_type": kind,
        "ipc": "H01M 10/052",
        "filing_date": "2015-04-01",
        "grant_date": "2017-06-01",
        "legal_status": "valid",
        "lapse_date": "",
        "owner_credit_code": owner,
        "co_owners_consent": "true",
        "fees_paid_through_year": "12",
        "late_fee_payments": "0",
        "forward_citations": "5",
        "backward_citations": "8",
        "claims": "10",
        "independent_claims": "2",
        "family_size": "1",
        "granted_abroad": "false",
        "pct": "false",
        "licenses": "0",
        "transfers": "0",
        "previous_pledges": "0",
        "award": "none",
        "commercialization": "production",
        "annual_revenue_yuan": "1500000",
        "term_compensation_days": "0",
        "invalidation_pending": "false",
        "frozen": "false",
    }
    row.update(overrides)
    return row


PATENTS = [
    _patent(P1, "invention", E2),
    _patent(
        P2,
        "invention",
        E2,
        filing_date="2018-03-05",
        grant_date="2020-09-01",
        fees_paid_through_year="9",
        ipc="B23K 26/00",
    ),
    _patent(
        P3,
        "utility_model",
        E3,
        filing_date="2019-07-07",
        grant_date="2020-01-10",
        fees_paid_through_year="8",
        ipc="H02J 7/00",
        commercialization="pilot",
        annual_revenue_yuan="",
    ),
    _patent(
        P4,
        "invention",
        E1,
        filing_date="2021-01-20",
        grant_date="",
        legal_status="pending",
        fees_paid_through_year="",
        ipc="A23L 2/02",
        commercialization="none",
        annual_revenue_yuan="",
    ),
]
PLEDGES = [
    {
        "registration_no": "Y2023500000123",
        "registration_date": "2023-06-15",
        "enterprise_credit_code": E2,
        "bank_code": "CQRCB",
        "product_code": "IPLOAN",
        "amount_yuan": "1200000",
        "loan_start": "2023-06-20",
        "loan_end": "2024-06-19",
        "patents": f"{P1};{P2}",
        "released_date": "2024-06-30",
    },
    {
        "registration_no": "Y2025500000456",
        "registration_date": "2025-03-10",
        "enterprise_credit_code": E2,
        "bank_code": "CQRCB",
        "product_code": "",
        "amount_yuan": "800000",
        "loan_start": "2025-03-12",
        "loan_end": "2026-03-11",
        "patents": P1,
        "released_date": "",
    },
]

COUNTY = {
    "banks": BANKS,
    "products": PRODUCTS,
    "enterprises": ENTERPRISES,
    "credit-loans": CREDIT_LOANS,
    "patents": PATENTS,
    "pledges": PLEDGES,
}


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_county(directory: Path) -> dict[str, Path]:
    return {kind: write_csv(directory / f"{kind}.csv", rows) for kind, rows in COUNTY.items()}


def load_county(engine, directory: Path) -> dict[str, Path]:
    """Write the county's files and import them, in dependency order, through the importer."""
    from service.db import transaction
    from service.imports import LOAD_ORDER, import_table, read_path

    files = write_county(directory)
    with transaction(engine) as session:
        for kind in LOAD_ORDER:
            import_table(session, kind, read_path(files[kind]))
    return files
