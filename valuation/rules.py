"""Deterministic rules: legal position, pledge eligibility, risk flags and CNIPA high-value flags.

Every verdict is a boolean array per rule code, so the engine stays vectorised; ``messages``
gives the Chinese text each code is reported with (``engine.Valuations.records`` fills in the
values).

**Pledge eligibility** covers each CNIPA refusal condition of DESIGN.md §4 that the patent data
can show (国家知识产权局《专利权质押登记办法》): not granted; lapsed, invalidated or expired;
unpaid annual fee (overdue inside the grace period, or past it, which is a lapse not yet in the
register); fee record unknown (cannot show the fees are paid); frozen by a court; co-owners not
consenting; already in an active registered pledge; loan term running past the expiry date; plus
the finance service center's floor on the remaining term (``eligibility.min_remaining_term_years``,
default 3 years). Two conditions of the 2021 办法 (国家知识产权局公告第461号, the list of 不予登记
情形, items (十) and (十一)) refuse registration *unless the parties, told of the situation, declare
that they agree to proceed*: a pending invalidation request (``invalidation_pending``) and a
utility model for which the same applicant filed an invention for the same creation on the same
day (一案双申, ``dual_filing``). They are reported as non-blocking reasons that require the
parties' informed consent, not as refusals. Rules that changed are dated in
``params/eligibility.toml`` and apply as on the valuation date (:func:`eligibility_rules`): before
2021-11-15 a pending invalidation request refused the pledge outright (2010 办法). *Not checked here*: that the
pledgor is the registered owner — the service knows who pledges and compares it with
``owner_credit_code``; and disputed ownership, which is not in the import data.

**High-value flags** (CNIPA statistical definition; configuration in ``params/high_value.toml``):
a patent is *high value* when it is a valid, in-force invention patent and at least one of
``strategic_emerging`` (the whole 2021 concordance of strategic emerging industries to IPC,
``strategic.py``; keyword-gated rows match on the title, or on the IPC alone when there is no
title, reported as such), ``granted_abroad``, ``maintained_10y`` (more than the configured years
since filing or grant), ``high_pledge_amount`` (largest registered pledge amount ≥ threshold),
``award`` holds. Flags are reported for invention patents only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from valuation.fees import INVENTION, UTILITY_MODEL, FeeStatus, add_months, expiry_dates, fee_status, term_years
from valuation.params import Params
from valuation.portfolio import AWARDS, EXPIRED, INVALIDATED, LAPSED, PENDING, VALID, Portfolio
from valuation.strategic import StrategicMatch, match_strategic
from valuation.unknowns import filled

YEAR = 365.25

# code → (Chinese message template, blocks the pledge?)
ELIGIBILITY_RULES: dict[str, tuple[str, bool]] = {
    "not_granted": ("专利尚未授权（审查中），只有已授权的专利权可以办理质押登记", True),
    "lapsed": ("专利权已终止（终止日{lapse_date}），不能质押", True),
    "invalidated": ("专利权已被宣告无效，不能质押", True),
    "expired": ("专利权保护期已于{expiry_date}届满，不能质押", True),
    "fee_grace_expired": (
        "第{fee_year}年年费应于{due_date}缴纳，滞纳期已于{grace_end}届满仍未缴纳，专利权自{due_date}起终止",
        True,
    ),
    "fee_unpaid": (
        "第{fee_year}年年费{fee}元已于{due_date}到期未缴（滞纳期至{grace_end}），"
        "补缴年费及滞纳金{late_fee}元之前不能质押",
        True,
    ),
    "fees_unknown": ("年费缴纳记录缺失，核实年费已缴清之前不能质押", True),
    "frozen": ("专利权已被法院冻结（财产保全），不能质押", True),
    "co_owners_no_consent": ("专利权共有人未同意出质", True),
    "already_pledged": ("专利权已处于有效质押中，不能重复质押", True),
    "invalidation_pending": (
        "专利权已被启动无效宣告程序：须告知质押双方，双方声明同意继续办理后方可登记（《专利权质押登记办法》不予登记情形第（十一）项除外规定）",
        False,
    ),
    "dual_filing": (
        "同一申请人已就同样的发明创造于同日申请发明专利（一案双申）：须告知质押双方，双方声明同意继续办理后方可登记"
        "（《专利权质押登记办法》不予登记情形第（十）项除外规定）",
        False,
    ),
    "loan_beyond_expiry": ("贷款到期日{loan_end}晚于专利权届满日{expiry_date}", True),
    "remaining_term_short": ("剩余保护期{remaining_term_years}年，低于最低要求{min_years}年", True),
    "no_revenue": ("无产品收入数据：只给出评分，不给出收益法价值及建议贷款额", False),
}

RISK_FLAGS: dict[str, str] = {
    "fee_grace_expired": "年费滞纳期已过仍未缴纳（第{fee_year}年年费，应缴日{due_date}），专利权已终止",
    "fee_overdue": "第{fee_year}年年费{fee}元已于{due_date}到期未缴，处于滞纳期（至{grace_end}），"
    "现在缴纳需另付滞纳金{late_fee}元（{late_fee_percent}%）",
    "fee_due_soon": "第{fee_year}年年费{fee}元将于{due_date}到期",
    "invalidation_pending": "存在尚未审结的无效宣告请求",
    "frozen": "专利权已被法院冻结",
    "expiring_within_loan_term": "专利权将于{expiry_date}届满，早于贷款到期日{loan_end}",
}

# Wording when a dated rule blocks at the valuation date where current law only asks for consent.
_BLOCKING_WORDING = {
    "invalidation_pending": (
        "专利权已被启动无效宣告程序，估值日适用的《专利权质押登记办法》（2010年）规定不予登记，不能质押"
    ),
}


def eligibility_rules(params: Params) -> dict[str, tuple[str, bool]]:
    """:data:`ELIGIBILITY_RULES` as in force on the parameters' valuation date (``params.at``):
    code → (Chinese message template, blocks the pledge?)."""
    rules = dict(ELIGIBILITY_RULES)
    if bool(params.eligibility["invalidation_pending_blocks"]):
        rules["invalidation_pending"] = (_BLOCKING_WORDING["invalidation_pending"], True)
    return rules


HIGH_VALUE_FLAGS = ("strategic_emerging", "granted_abroad", "maintained_10y", "high_pledge_amount", "award")


@dataclass(frozen=True)
class LegalPosition:
    """Where each patent stands at the valuation date.

    ``in_force``: registered valid, within its term and not past a fee grace period.
    ``alive``: in force, or pending (an application that may still become a patent).
    ``remaining_years``: (expiry − as_of + 1 day)/365.25 for alive patents, 0 otherwise.
    """

    as_of: np.datetime64
    expiry: np.ndarray
    age_years: np.ndarray
    remaining_years: np.ndarray
    fees: FeeStatus
    in_force: np.ndarray
    alive: np.ndarray
    loan_end: np.ndarray  # datetime64[D] per patent: when the loan it would secure ends


def legal_position(
    portfolio: Portfolio, as_of: date, params: Params, loan_term_months: int, loan_ends: np.ndarray | None = None
) -> LegalPosition:
    """``loan_ends``: each patent's own loan end (e.g. the pledge it secures); otherwise every patent
    is judged for a loan of ``loan_term_months`` from ``as_of``."""
    as_of64 = np.datetime64(as_of, "D")
    params = params.at(as_of64)
    term = term_years(portfolio.kind, portfolio.filing, params)
    expiry = expiry_dates(
        portfolio.kind, portfolio.filing, portfolio.term_compensation_days, params, grant=portfolio.grant, term=term
    )
    granted = ~np.isnat(portfolio.grant)
    fees = fee_status(
        portfolio.kind,
        portfolio.filing,
        portfolio.fees_paid_through,
        granted & (portfolio.status == VALID),
        as_of64,
        params,
        term,
    )
    within_term = as_of64 <= expiry
    in_force = (portfolio.status == VALID) & granted & within_term & ~fees.past_grace
    alive = in_force | ((portfolio.status == PENDING) & within_term)
    remaining = np.where(alive, (expiry - as_of64).astype(np.float64) + 1.0, 0.0) / YEAR
    age = np.maximum((as_of64 - portfolio.filing).astype(np.float64), 0.0) / YEAR
    if loan_ends is None:
        loan_end = np.full(len(portfolio), add_months(np.array([as_of64]), int(loan_term_months))[0])
    else:
        loan_end = np.asarray(loan_ends, dtype="datetime64[D]")
    return LegalPosition(
        as_of=as_of64,
        expiry=expiry,
        age_years=age,
        remaining_years=remaining,
        fees=fees,
        in_force=in_force,
        alive=alive,
        loan_end=loan_end,
    )


def eligibility(
    portfolio: Portfolio, position: LegalPosition, params: Params, has_revenue: np.ndarray
) -> dict[str, np.ndarray]:
    """Boolean array per rule code of :data:`ELIGIBILITY_RULES`: True where the rule fires."""
    config = params.at(position.as_of).eligibility
    status = portfolio.status
    granted = ~np.isnat(portfolio.grant)
    registered_valid = (status == VALID) & granted
    fees = position.fees
    unknown_fee = registered_valid & np.isnan(portfolio.fees_paid_through) & bool(config["block_unknown_fee_status"])
    expired = (status == EXPIRED) | (registered_valid & (position.as_of > position.expiry))
    checks_term = position.in_force
    return {
        "not_granted": (status == PENDING) | ((status == VALID) & ~granted),
        "lapsed": status == LAPSED,
        "invalidated": status == INVALIDATED,
        "expired": expired,
        "fee_grace_expired": fees.past_grace & ~expired,
        "fee_unpaid": fees.overdue,
        "fees_unknown": unknown_fee & ~expired,
        "frozen": portfolio.frozen,
        "co_owners_no_consent": ~portfolio.co_owners_consent,
        "already_pledged": portfolio.pledged,
        "invalidation_pending": portfolio.invalidation_pending,
        "dual_filing": portfolio.dual_filing & (portfolio.kind == UTILITY_MODEL),
        "loan_beyond_expiry": checks_term & (position.loan_end > position.expiry),
        "remaining_term_short": checks_term & (position.remaining_years < float(config["min_remaining_term_years"])),
        "no_revenue": ~has_revenue,
    }


def risk_flags(portfolio: Portfolio, position: LegalPosition, params: Params) -> dict[str, np.ndarray]:
    """Boolean array per code of :data:`RISK_FLAGS` (for patents registered valid)."""
    fees = position.fees
    valid = (portfolio.status == VALID) & ~np.isnat(portfolio.grant)
    soon = np.timedelta64(int(params.at(position.as_of).eligibility["fee_due_soon_days"]), "D")
    return {
        "fee_grace_expired": valid & fees.past_grace,
        "fee_overdue": valid & fees.overdue,
        "fee_due_soon": position.in_force & ~fees.overdue & fees.applies & (fees.next_due <= position.as_of + soon),
        "invalidation_pending": valid & portfolio.invalidation_pending,
        "frozen": valid & portfolio.frozen,
        "expiring_within_loan_term": position.in_force & (position.expiry < position.loan_end),
    }


def strategic_emerging(portfolio: Portfolio) -> StrategicMatch:
    """Match against the whole 2021 strategic-emerging-industry concordance (``strategic.py``)."""
    return match_strategic(portfolio.ipc, portfolio.title, portfolio.ipc_codes["group"])


def high_value_flags(
    portfolio: Portfolio, position: LegalPosition, params: Params, strategic: StrategicMatch | None = None
) -> tuple[np.ndarray, np.ndarray, StrategicMatch]:
    """(n, 5) flag matrix in the order of :data:`HIGH_VALUE_FLAGS`, the high-value verdict, and
    the strategic-emerging-industry match (industry, IPC-only) behind flag 1. ``strategic``: the
    match already computed for these patents (it depends on IPC and title only, not on the date)."""
    config = params.high_value
    invention = portfolio.kind == INVENTION
    start = portfolio.filing if config["maintained_from"] == "filing" else portfolio.grant
    held_years = np.where(np.isnat(start), 0.0, (position.as_of - start).astype(np.float64) / YEAR)
    maintained = position.in_force & (held_years > float(config["maintained_years"]))
    award_codes = [AWARDS.index(a) for a in config["awards"]]
    strategic = strategic if strategic is not None else strategic_emerging(portfolio)
    flags = (
        np.column_stack(
            [
                strategic.hit,
                portfolio.granted_abroad,
                maintained,
                filled(portfolio.max_pledge_amount, -1.0) >= float(config["high_pledge_amount_yuan"]),
                np.isin(portfolio.award, award_codes),
            ]
        )
        & invention[:, None]
    )
    return flags, position.in_force & invention & flags.any(axis=1), strategic


__all__ = [
    "ELIGIBILITY_RULES",
    "HIGH_VALUE_FLAGS",
    "RISK_FLAGS",
    "LegalPosition",
    "eligibility",
    "eligibility_rules",
    "high_value_flags",
    "legal_position",
    "risk_flags",
    "strategic_emerging",
]
