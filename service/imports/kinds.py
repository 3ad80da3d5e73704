"""The import files' columns and per-row rules (docs/import-formats.md is their user manual)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from service.enumerations import (
    Award,
    Certification,
    Cluster,
    Commercialization,
    CreditLoanKind,
    LegalStatus,
    PatentType,
)
from service.identifiers import application_type
from service.imports import cells
from service.vocabulary import label


@dataclass(frozen=True)
class Column:
    name: str
    parse: cells.Parser
    required: bool = False  # must be in the header and non-empty
    default: object = None
    field: str | None = None  # the parsed record's key when it differs from the header (units)

    @property
    def key(self) -> str:
        return self.field or self.name


Problems = list[tuple[str, str]]  # (column, message)


@dataclass(frozen=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    check: Callable[[dict], Problems] = field(default=lambda row: [])

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


def _ordered(row: dict, earlier: str, later: str, *, strict: bool = True) -> Problems:
    a, b = row.get(earlier), row.get(later)
    if a is None or b is None or (b > a if strict else b >= a):
        return []
    if isinstance(a, date):
        zh = "晚于" if strict else "不早于"
        en = "after" if strict else "on or after"
        return [(later, f"{later} {b} 应{zh} {earlier} {a} / {later} {b} must be {en} {earlier} {a}")]
    zh, en = ("大于", "above") if strict else ("不小于", "at least")
    return [(later, f"{later} 应{zh} {earlier} / {later} must be {en} {earlier}")]


def _check_product(row: dict) -> Problems:
    problems = _ordered(row, "min_amount_yuan", "max_amount_yuan", strict=False)
    problems += _ordered(row, "interest_rate_min", "interest_rate_max", strict=False)
    problems += _ordered(row, "term_min_months", "term_max_months", strict=False)
    if (row["quota_period_start"] is None) != (row["quota_period_end"] is None):
        problems.append(
            (
                "quota_period_end",
                "额度期起止日期须同时填写或同时不填 / give both quota_period_start and quota_period_end, or neither",
            )
        )
    problems += _ordered(row, "quota_period_start", "quota_period_end", strict=False)
    return problems


def _check_credit_loan(row: dict) -> Problems:
    problems = _ordered(row, "start_date", "maturity_date")
    if row["kind"] != CreditLoanKind.other and row["grade"] is None:
        problems.append(
            (
                "grade",
                f"{label(row['kind'], 'credit_loan_kind')}须填信用等级 A–E / "
                f"a {row['kind']} credit loan needs a grade A–E",
            )
        )
    if row["drawn_yuan"] > row["limit_yuan"]:
        problems.append(("drawn_yuan", "已用额度超过授信额度 / drawn amount exceeds the credit limit"))
    return problems


def _check_patent(row: dict) -> Problems:
    problems = []
    implied = application_type(row["application_no"])
    if implied is not None and implied != row["patent_type"]:
        problems.append(
            (
                "patent_type",
                f"申请号 {row['application_no']} 是{label(implied, 'patent_type')}的申请号，不是"
                f"{label(row['patent_type'], 'patent_type')} / "
                f"application number {row['application_no']} is a {implied} number, not {row['patent_type']}",
            )
        )
    problems += _ordered(row, "filing_date", "grant_date")
    problems += _ordered(row, "grant_date", "lapse_date")
    status = row["legal_status"]
    if status in ("valid", "lapsed", "expired") and row["grant_date"] is None:
        problems.append(
            (
                "grant_date",
                f"法律状态为{label(status, 'legal_status')}的专利须填授权公告日 / "
                f"a {status} patent needs its grant date",
            )
        )
    # A lapsed patent without its lapse date is accepted: register extracts often lack it, and the
    # valuation dates the lapse at the first unpaid fee's due date anyway (valuation/survival.py).
    if status == "pending" and row["grant_date"] is not None:
        problems.append(("legal_status", "审查中的申请没有授权公告日 / a pending application has no grant date"))
    claims, independent = row["claims"], row["independent_claims"]
    if claims is not None and independent is not None and independent > claims:
        problems.append(("independent_claims", "独立权利要求多于权利要求总数 / more independent claims than claims"))
    return problems


def _check_pledge(row: dict) -> Problems:
    problems = _ordered(row, "loan_start", "loan_end")
    if row["amount_yuan"] == 0:
        problems.append(("amount_yuan", "质押登记金额应大于 0 / a registered pledge amount must be above 0"))
    if not row["patents"] and not row["trademarks"]:
        problems.append(("patents", "至少填写一件质押专利或商标 / name at least one pledged patent or trademark"))
    problems += _ordered(row, "registration_date", "released_date", strict=False)
    return problems


def _application_list(raw: str) -> list[str]:
    numbers = [cells.application_no(part.strip()) for part in re.split("[;；]", raw) if part.strip()]
    if len(set(numbers)) != len(numbers):
        raise ValueError("同一专利列了两次 / a patent is listed twice")
    return numbers


def _trademark_list(raw: str) -> list[str]:
    """`;`-separated trademark registration numbers (注册号): digits, or G… for Madrid registrations."""
    numbers = []
    for part in re.split("[;；]", raw):
        number = part.strip().upper().replace(" ", "")
        if not number:
            continue
        if not re.fullmatch(r"[A-Z]{0,2}[0-9]{1,12}", number):
            raise ValueError(
                f"商标注册号格式不正确 / malformed trademark registration number {cells.shown(part.strip())}"
            )
        numbers.append(number)
    if len(set(numbers)) != len(numbers):
        raise ValueError("同一商标列了两次 / a trademark is listed twice")
    return numbers


_YUAN = cells.yuan_to_fen  # the *_yuan columns hold fen once parsed

KINDS: dict[str, Kind] = {
    "banks": Kind(
        "banks",
        (
            Column("code", cells.code, required=True),
            Column("name", cells.text(200), required=True),
            Column("contact_person", cells.text(100)),
            Column("contact_phone", cells.text(50)),
        ),
        key=("code",),
    ),
    "products": Kind(
        "products",
        (
            Column("bank_code", cells.code, required=True),
            Column("code", cells.code, required=True),
            Column("name", cells.text(200), required=True),
            Column("min_amount_yuan", _YUAN, required=True),
            Column("max_amount_yuan", _YUAN, required=True),
            Column("pledge_rate", cells.decimal(Decimal(0), Decimal(1), low_open=True), required=True),
            Column("interest_rate_min", cells.decimal(Decimal(0), Decimal(100)), required=True),
            Column("interest_rate_max", cells.decimal(Decimal(0), Decimal(100)), required=True),
            Column("term_min_months", cells.integer(1, 600), required=True),
            Column("term_max_months", cells.integer(1, 600), required=True),
            Column("eligible_clusters", cells.list_of(Cluster), default=[]),
            Column("required_certifications", cells.list_of(Certification), default=[]),
            Column("min_patent_grade", cells.grade),
            Column("min_remaining_term_years", cells.decimal(Decimal(0), Decimal(30))),
            Column("quota_count", cells.integer(0)),
            Column("quota_amount_yuan", _YUAN),
            Column("quota_period_start", cells.term_end_date),
            Column("quota_period_end", cells.term_end_date),
            Column("requires_existing_customer", cells.boolean, default=False),
            Column("active", cells.boolean, default=True),
        ),
        key=("bank_code", "code"),
        check=_check_product,
    ),
    "enterprises": Kind(
        "enterprises",
        (
            Column("credit_code", cells.credit_code, required=True),
            Column("name", cells.text(200), required=True),
            Column("industry_cluster", cells.one_of(Cluster), required=True),
            Column("town", cells.text(50)),
            Column("contact_person", cells.text(100)),
            Column("contact_phone", cells.text(50)),
            Column("employees", cells.integer(0)),
            Column("high_tech_date", cells.iso_date),
            Column("specialized_date", cells.iso_date),
            Column("ip_advantage_date", cells.iso_date),
            Column("ip_standard_date", cells.iso_date),
            Column("need_amount_yuan", _YUAN),
            Column("need_term_months", cells.integer(1, 600)),
        ),
        key=("credit_code",),
    ),
    "credit-loans": Kind(
        "credit-loans",
        (
            Column("enterprise_credit_code", cells.credit_code, required=True),
            Column("bank_code", cells.code, required=True),
            Column("kind", cells.one_of(CreditLoanKind), required=True),
            Column("grade", cells.grade),
            Column("limit_yuan", _YUAN, required=True),
            Column("drawn_yuan", _YUAN, default=0),
            Column("start_date", cells.iso_date, required=True),
            Column("maturity_date", cells.term_end_date, required=True),
        ),
        key=("enterprise_credit_code", "bank_code", "kind", "start_date"),
        check=_check_credit_loan,
    ),
    "patents": Kind(
        "patents",
        (
            Column("application_no", cells.application_no, required=True),
            Column("title", cells.text(300)),
            Column("patent_type", cells.one_of(PatentType), required=True),
            Column("ipc", cells.text(32)),
            Column("filing_date", cells.iso_date, required=True),
            Column("grant_date", cells.iso_date),
            Column("legal_status", cells.one_of(LegalStatus), required=True),
            Column("lapse_date", cells.iso_date),
            Column("owner_credit_code", cells.credit_code),
            Column("co_owners_consent", cells.boolean, default=True),
            Column("fees_paid_through_year", cells.integer(0, 20)),
            Column("late_fee_payments", cells.integer(0)),
            Column("forward_citations", cells.integer(0)),
            Column("backward_citations", cells.integer(0)),
            Column("claims", cells.integer(0)),
            Column("independent_claims", cells.integer(0)),
            Column("family_size", cells.integer(1)),
            Column("granted_abroad", cells.boolean),
            Column("pct", cells.boolean),
            Column("licenses", cells.integer(0)),
            Column("transfers", cells.integer(0)),
            Column("previous_pledges", cells.integer(0)),
            Column("award", cells.one_of(Award)),
            Column("commercialization", cells.one_of(Commercialization)),
            Column("annual_revenue_yuan", _YUAN, field="annual_revenue_fen"),
            Column("term_compensation_days", cells.integer(0, 5 * 366)),
            Column("invalidation_pending", cells.boolean, default=False),
            Column("frozen", cells.boolean, default=False),
            Column("dual_filing", cells.boolean, default=False),
        ),
        key=("application_no",),
        check=_check_patent,
    ),
    "pledges": Kind(
        "pledges",
        (
            Column("registration_no", cells.text(40), required=True),
            Column("registration_date", cells.iso_date, required=True),
            Column("enterprise_credit_code", cells.credit_code, required=True),
            Column("bank_code", cells.code, required=True),
            Column("product_code", cells.code),
            Column("amount_yuan", _YUAN, required=True),
            Column("loan_start", cells.iso_date, required=True),
            Column("loan_end", cells.term_end_date, required=True),
            Column("patents", _application_list, default=[]),
            Column("trademarks", _trademark_list, default=[]),
            Column("released_date", cells.iso_date),
        ),
        key=("registration_no",),
        check=_check_pledge,
    ),
}

# Referenced kinds come first, so one batch can hold a whole county.
LOAD_ORDER = ("banks", "products", "enterprises", "credit-loans", "patents", "pledges")
