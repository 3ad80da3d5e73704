"""``valuate``: the whole valuation of a portfolio in one vectorised pass.

Steps (each in its module, each documented there):

1. legal position — expiry, remaining term, annual-fee status (``rules``, ``fees``);
2. forward-citation percentiles against the reference's field rates (``citations``);
3. the reference's maintenance survival model (``survival``): per patent P(alive in 1/3/5 years |
   alive now), the yearly survival curve and the expected remaining economic life;
4. score, sub-scores, grade, contributions (``scoring``; the economic part uses the central income
   value where revenue is known);
5. pledge eligibility, risk flags, high-value flags (``rules``);
6. money value P10/P50/P90 by relief from royalty, a predictive Monte Carlo (``income``);
   ``max_loan = pledge_rate × P10`` for eligible patents, 0 for ineligible ones, None
   (reason ``no_revenue``) where there is no revenue to value.

The reference (``reference``) is named, never the batch: the same record gives the same result
alone or with others. ``Valuations`` keeps the arrays; ``Valuations.records()`` turns them into one
dict per patent (money in yuan as ``Decimal`` to 0.01 in ``*_yuan`` keys — the library's one money
unit —, dates as ``datetime.date``, explanations in Chinese, see ``explain``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from math import isfinite
from typing import Any, cast

import numpy as np

from valuation import explain
from valuation.citations import citation_percentiles
from valuation.fees import INVENTION, PATENT_TYPES, FeeStatus, annual_fee
from valuation.income import central_value, draw_scenarios, value_quantiles, yearly_grid
from valuation.industry import industry_cluster, royalty_ranges
from valuation.params import Params, load_params
from valuation.portfolio import PENDING, Portfolio
from valuation.reference import Reference, shipped_reference
from valuation.result import FIELDS, MONEY_FIELDS, Contribution, Reason, RiskFlag, ValuationRecord
from valuation.rules import (
    HIGH_VALUE_FLAGS,
    RISK_FLAGS,
    LegalPosition,
    eligibility,
    eligibility_rules,
    high_value_flags,
    legal_position,
    risk_flags,
)
from valuation.scoring import Scores, score_portfolio
from valuation.survival import FeeTiers, SurvivalModel, covariate_columns

MODEL_VERSION = "ipfin-val-2.0"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Valuations:
    """Per-patent results as arrays (index i = i-th patent of the portfolio given)."""

    portfolio: Portfolio
    as_of: date
    loan_term_months: int
    params: Params
    reference: Reference
    model_version: str
    position: LegalPosition
    scores: Scores
    citation_pct: np.ndarray
    industry_cluster: np.ndarray
    p_alive_1y: np.ndarray
    p_alive_3y: np.ndarray
    p_alive_5y: np.ndarray
    expected_life_years: np.ndarray
    income_value: np.ndarray  # central value (yuan) behind the score's economic indicator
    value_p10: np.ndarray
    value_p50: np.ndarray
    value_p90: np.ndarray
    max_loan: np.ndarray  # NaN where no income value
    rule_codes: tuple[str, ...]
    rule_hits: np.ndarray  # (n, rules) bool
    risk_codes: tuple[str, ...]
    risk_hits: np.ndarray  # (n, flags) bool
    high_value_flag_matrix: np.ndarray  # (n, 5) bool
    high_value: np.ndarray
    strategic_industry: np.ndarray  # object: the strategic emerging industry matched, None
    strategic_ipc_only: np.ndarray  # bool: that match rests on the IPC alone (keyword rule, no title)
    eligible: np.ndarray

    def __len__(self) -> int:
        return len(self.portfolio)

    @property
    def survival(self) -> SurvivalModel:
        return self.reference.survival

    @property
    def application_no(self) -> np.ndarray:
        return self.portfolio.application_no

    @property
    def score(self) -> np.ndarray:
        return self.scores.score

    @property
    def legal_score(self) -> np.ndarray:
        return self.scores.legal

    @property
    def technical_score(self) -> np.ndarray:
        return self.scores.technical

    @property
    def economic_score(self) -> np.ndarray:
        return self.scores.economic

    @property
    def grade(self) -> np.ndarray:
        return self.scores.grade

    @property
    def remaining_term_years(self) -> np.ndarray:
        return self.position.remaining_years

    @property
    def expiry_date(self) -> np.ndarray:
        return self.position.expiry

    @property
    def next_fee_due(self) -> np.ndarray:
        return self.position.fees.next_due

    def records(self, indices: Sequence[int] | None = None, *, explanation: bool = True) -> list[ValuationRecord]:
        """One JSON-ready dict per patent (money ``Decimal`` yuan in ``*_yuan`` keys, ``date``
        dates, Chinese sentences; everything else plain), or only for the patents at ``indices``
        (in that order). ``explanation=False`` leaves each ``explanation`` list empty, for writers
        that do not show it: its 13 sentences a patent are most of the work."""
        columns = self.columns(indices, explanation=explanation)
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]  # type: ignore[misc]

    def columns(
        self, indices: Sequence[int] | np.ndarray | None = None, *, explanation: bool = True
    ) -> dict[str, list[Any]]:
        """``records()`` column by column: per field of ``ValuationRecord`` (in its order), the
        values of the patents at ``indices`` (default: all, in order) as a list — what a writer
        of many patents formats a column at a time (``ipfin valuate``'s CSV).

        Arrays are converted to Python objects once per column (``tolist``); only the message
        values of patents that have reasons or risk flags are built, and each distinct
        high-value note once.
        """
        index = np.arange(len(self)) if indices is None else np.asarray(indices, dtype=np.intp).reshape(-1)
        n = index.size
        p, s, pos, fees = self.portfolio, self.scores, self.position, self.position.fees

        def pick(x: np.ndarray) -> np.ndarray:
            return x[index]

        amounts = (self.value_p10, self.value_p50, self.value_p90, self.max_loan)
        money = {name: _money_list(pick(x)) for name, x in zip(MONEY_FIELDS, amounts, strict=True)}
        has_value = np.isfinite(pick(self.value_p50)).tolist()
        eligible = pick(self.eligible).tolist()
        high_value = pick(self.high_value).tolist()
        industry = pick(self.strategic_industry).tolist()
        flag_lists = _index_lists(pick(self.high_value_flag_matrix), HIGH_VALUE_FLAGS)
        reasons, risks = self._findings(index)
        notes: dict[tuple[Any, ...], str] = {}
        in_force = pick(self.position.in_force).tolist()
        invention = (pick(p.kind) == INVENTION).tolist()
        ipc_only = pick(self.strategic_ipc_only).tolist()
        high_value_notes = []
        for i in range(n):
            key = (tuple(flag_lists[i]), high_value[i], in_force[i], invention[i], industry[i], ipc_only[i])
            note = notes.get(key)
            if note is None:
                note = notes[key] = explain.high_value_note(flag_lists[i], *key[1:], self.params)
            high_value_notes.append(note)
        pledge_rate = float(self.params.income["pledge_rate"])
        p10, p50, p90, max_loan = (money[name] for name in MONEY_FIELDS)
        columns: dict[str, list[Any]] = {
            "application_no": [str(a) for a in pick(p.application_no)],
            "score": _rounded(pick(s.score), 2),
            "legal_score": _rounded(pick(s.legal), 2),
            "technical_score": _rounded(pick(s.technical), 2),
            "economic_score": _rounded(pick(s.economic), 2),
            "grade": pick(s.grade).tolist(),
            "eligible": eligible,
            "reasons": reasons,
            "high_value": high_value,
            "high_value_flags": flag_lists,
            "high_value_note": high_value_notes,
            "strategic_industry": industry,
            "risk_flags": risks,
            "p_alive_1y": _rounded(pick(self.p_alive_1y), 4),
            "p_alive_3y": _rounded(pick(self.p_alive_3y), 4),
            "p_alive_5y": _rounded(pick(self.p_alive_5y), 4),
            "expected_life_years": _rounded(pick(self.expected_life_years), 2),
            "value_p10_yuan": p10,
            "value_p50_yuan": p50,
            "value_p90_yuan": p90,
            "max_loan_yuan": [m if v else None for m, v in zip(max_loan, has_value, strict=True)],
            "money_unit": ["yuan"] * n,
            "value_note": list(map(explain.value_note, p10, p50, p90)),
            "max_loan_basis": [
                explain.max_loan_basis(pledge_rate, a, m, e) for a, m, e in zip(p10, max_loan, eligible, strict=True)
            ],
            "explanation": self._explanations(index) if explanation else [[] for _ in range(n)],
            "model_version": [self.model_version] * n,
            "reference": [self.reference.name] * n,
            "remaining_term_years": _rounded(pick(pos.remaining_years), 2),
            "next_fee_due": _date_list(pick(fees.next_due)),
            "expiry_date": _date_list(pick(pos.expiry)),
            "industry_cluster": pick(self.industry_cluster).tolist(),
            "citation_percentile": _rounded(pick(self.citation_pct), 4),
            "survival_source": [self.reference.survival.source] * n,
        }
        assert list(columns) == list(FIELDS)
        return columns

    def _findings(self, index: np.ndarray) -> tuple[list[list[Reason]], list[list[RiskFlag]]]:
        """Per patent at ``index``: the eligibility rules that fired and the risk flags, each with
        its message and the values it quotes."""
        rules_in_force = eligibility_rules(self.params)
        hits = (self.rule_hits[index], self.risk_hits[index])
        rows = np.nonzero(hits[0].any(axis=1) | hits[1].any(axis=1))[0]
        message = self._message_columns(index[rows])
        rule_keys = [_template_keys(rules_in_force[c][0], message) for c in self.rule_codes]
        risk_keys = [_template_keys(RISK_FLAGS[c], message) for c in self.risk_codes]
        reason_idx = _index_lists(hits[0][rows], range(len(self.rule_codes)))
        risk_idx = _index_lists(hits[1][rows], range(len(self.risk_codes)))
        reasons: list[list[Reason]] = [[] for _ in range(index.size)]
        risks: list[list[RiskFlag]] = [[] for _ in range(index.size)]
        for k, i in enumerate(rows.tolist()):
            for j in reason_idx[k]:
                code = self.rule_codes[j]
                template, blocking = rules_in_force[code]
                used = {key: message[key][k] for key in rule_keys[j]}
                reasons[i].append(
                    {
                        "code": code,
                        "message": template.format(**_display(used)) if used else template,
                        "values": used,
                        "blocking": blocking,
                    }
                )
            for j in risk_idx[k]:
                code = self.risk_codes[j]
                used = {key: message[key][k] for key in risk_keys[j]}
                risks[i].append(
                    {
                        "code": code,
                        "message": RISK_FLAGS[code].format(**_display(used)) if used else RISK_FLAGS[code],
                        "values": used,
                    }
                )
        return reasons, risks

    def _explanations(self, index: np.ndarray) -> list[list[Contribution]]:
        """Per patent at ``index``: each indicator's value, points and sentence, largest first
        (built an indicator at a time, then ordered per patent)."""
        s = self.scores
        contributions = s.contributions[index]
        order = np.argsort(-np.abs(contributions), axis=1, kind="stable").tolist()
        points = np.round(contributions, 2).T.tolist()
        values = self._explanation_values(index)
        full_points = np.round(s.full_points, 2).tolist()
        entries = []
        for j, (dimension, name) in enumerate(s.indicators):
            texts = explain.indicator_sentences(name, values[j], points[j], full_points[j])
            entries.append(
                [
                    {"indicator": name, "dimension": dimension, "value": v, "contribution": c, "text": t}
                    for v, c, t in zip(values[j], points[j], texts, strict=True)
                ]
            )
        return [[entries[j][i] for j in row] for i, row in enumerate(order)]

    def _message_columns(self, index: np.ndarray) -> dict[str, list[Any]]:
        """Values that reasons and risk flags quote, of the patents at ``index``, as Python lists."""
        p, pos, fees = self.portfolio, self.position, self.position.fees
        n = index.size
        return {
            "lapse_date": _date_list(p.lapse[index]),
            "expiry_date": _date_list(pos.expiry[index]),
            "fee_year": fees.next_fee_year[index].astype(np.int64).tolist(),
            "due_date": _date_list(fees.next_due[index]),
            "grace_end": _date_list(fees.grace_end[index]),
            "fee": _money_list(fees.next_fee[index]),
            "late_fee": _money_list(fees.late_fee[index]),
            "late_fee_percent": _rounded(100 * fees.late_fee_rate[index], 1),
            "loan_end": _date_list(pos.loan_end[index]),
            "loan_term_months": [int(self.loan_term_months)] * n,
            "remaining_term_years": _rounded(pos.remaining_years[index], 2),
            "min_years": [float(self.params.eligibility["min_remaining_term_years"])] * n,
        }

    def _explanation_values(self, index: np.ndarray) -> list[list[Any]]:
        """Per indicator in the order of ``scores.indicators``, the raw value of each patent at ``index``."""
        p, s = self.portfolio.take(index), self.scores
        statuses = np.array(explain.STATUS_CODES, dtype=object)[p.status]
        columns = {
            "legal_status": np.where(self.position.in_force[index], "in_force", statuses).tolist(),
            "remaining_term": _rounded(self.position.remaining_years[index], 2),
            "claim_scope": _count_list(p.independent_claims),
            "family_coverage": _count_list(p.family_size),
            "legal_stability": _rounded(s.normalised[index, _col(s, "legal_stability")], 3),
            "citation_percentile": _rounded(self.citation_pct[index], 4),
            "claims": _count_list(p.claims),
            "patent_type": np.array(PATENT_TYPES, dtype=object)[p.kind].tolist(),
            "award": np.array((*explain.AWARD_CODES, None), dtype=object)[p.award].tolist(),
            "survival": _rounded(self.expected_life_years[index], 2),
            "commercialization": np.array((*explain.STAGE_CODES, None), dtype=object)[p.commercialization].tolist(),
            "income_value": _money_list(self.income_value[index]),
            "transactions": np.nansum(np.column_stack([p.licenses, p.transfers, p.previous_pledges]), axis=1)
            .astype(np.int64)
            .tolist(),
        }
        return [columns[name] for _, name in s.indicators]


def _rounded(x: np.ndarray, digits: int) -> list[float | None]:
    return [v if isfinite(v) else None for v in np.round(np.asarray(x, dtype=np.float64), digits).tolist()]


def _count_list(x: np.ndarray) -> list[int | None]:
    return [None if v != v else int(v) for v in x.tolist()]


def _money_list(x: np.ndarray) -> list[Decimal | None]:
    """Yuan amounts as ``Decimal`` to 0.01: the shortest decimal of each float (``repr``) rounded
    half up (None where not finite). The cents come from float arithmetic where it provably
    agrees — 100·x lies farther from a half cent than its error bound (x's own rounding, scaled,
    plus that of the product) — and from ``Decimal`` for the rest (ties, negatives, huge values).
    A few amounts (an estimate's) all go the ``Decimal`` way: numpy's set-up would cost more."""
    x = np.asarray(x, dtype=np.float64)
    if x.size <= _FEW_AMOUNTS:
        return [_decimal_cents(v) for v in x.tolist()]
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and ±inf go the Decimal way
        magnitude = np.abs(x)
        scaled = x * 100
        whole = np.floor(scaled)
        fraction = scaled - whole  # exact: both within a factor 2 or whole == 0
        bound = 100 * np.spacing(magnitude) + np.spacing(np.abs(scaled))
        fast = np.isfinite(x) & ~np.signbit(x) & (magnitude < 2.0**40) & (np.abs(fraction - 0.5) > 2 * bound)
    cents = np.where(fast, whole + (fraction > 0.5), 0).astype(np.int64).tolist()
    return [
        Decimal(c).scaleb(-2) if f else _decimal_cents(v)
        for v, f, c in zip(x.tolist(), fast.tolist(), cents, strict=True)
    ]


_FEW_AMOUNTS = 16


def _decimal_cents(v: float) -> Decimal | None:
    """``v`` yuan as ``Decimal`` to 0.01, half up from its shortest decimal; None if not finite."""
    return Decimal(repr(v)).quantize(_CENT, rounding=ROUND_HALF_UP) if isfinite(v) else None


def _date_list(x: np.ndarray) -> list[date | None]:
    return [None if d is None else d for d in x.astype("datetime64[D]").astype(object).tolist()]


def _index_lists(matrix: np.ndarray, labels: Any) -> list[list[Any]]:
    labels = list(labels)
    rows, cols = np.nonzero(matrix)
    out: list[list[Any]] = [[] for _ in range(matrix.shape[0])]
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        out[r].append(labels[c])
    return out


def _col(scores: Scores, name: str) -> int:
    return [n for _, n in scores.indicators].index(name)


def _template_keys(template: str, values: dict[str, Any]) -> tuple[str, ...]:
    return _keys_in(template, tuple(values))


@lru_cache(maxsize=256)
def _keys_in(template: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The ``keys`` that ``template`` quotes (``{key}``), in their order (a few templates, asked
    on every call)."""
    return tuple(k for k in keys if "{" + k + "}" in template)


def _display(values: dict[str, Any]) -> dict[str, Any]:
    return {k: ("—" if v is None else (f"{v:,.2f}" if isinstance(v, Decimal) else v)) for k, v in values.items()}


def valuate(
    portfolio: Portfolio,
    as_of: date,
    *,
    reference: Reference | None = None,
    params: Params | None = None,
    loan_term_months: int | None = None,
    loan_ends: np.ndarray | None = None,
    draws: int | None = None,
    seed: int | np.random.Generator = 0,
    with_money: bool = True,
) -> Valuations:
    """Value every patent of ``portfolio`` as of ``as_of`` (see the module docstring).

    ``reference``: what patents are compared with (``reference.build_reference`` on a large
    portfolio, or ``Reference.from_dict`` of a stored one); the shipped reference when None —
    never the portfolio itself, so a patent's result does not depend on the others.
    ``params`` (default: the shipped ones) are resolved at ``as_of``: dated figures — the fee
    schedule, pledge-registration rules — as in force that day (``Params.at``).
    ``loan_term_months`` defaults to ``eligibility.default_loan_term_months`` (12); ``loan_ends``
    (datetime64 per patent) replaces it by each patent's own loan end (a registered pledge's); ``draws`` to
    ``income.draws`` (1,000); ``seed`` seeds the Monte Carlo (same seed, same results, independent of
    input order and company). ``with_money=False`` skips the Monte Carlo (values NaN).
    """
    params = (params or load_params()).at(as_of)  # the rules and figures in force on as_of
    reference = reference or shipped_reference(params)
    loan_term_months = int(
        loan_term_months if loan_term_months is not None else params.eligibility["default_loan_term_months"]
    )
    draws = int(draws if draws is not None else params.income["draws"])
    if len(portfolio) > _CHUNK_ROWS:
        # Row blocks, valued separately and joined: each patent's result depends on its own row only,
        # and a block's working arrays are small enough to be reused from the heap rather than mapped
        # afresh (first-touch page faults cost more than the arithmetic at 10^6 rows).
        joined = _RowJoin(len(portfolio))

        def block(first: int) -> None:
            joined.add(
                first,
                valuate(
                    _rows(portfolio, slice(first, first + _CHUNK_ROWS)),
                    as_of,
                    reference=reference,
                    params=params,
                    loan_term_months=loan_term_months,
                    loan_ends=None if loan_ends is None else np.asarray(loan_ends)[first : first + _CHUNK_ROWS],
                    draws=draws,
                    seed=seed,
                    with_money=with_money,
                ),
            )

        starts = range(0, len(portfolio), _CHUNK_ROWS)
        # Score only: blocks on the machine's cores (numpy releases the GIL in its loops; blocks
        # write disjoint rows). With money the Monte Carlo runs its own chunks on them.
        workers = 1 if with_money else min(os.cpu_count() or 1, len(starts))
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(block, starts))
        else:
            for first in starts:
                block(first)
        return replace(joined.result(), portfolio=portfolio)
    position = legal_position(portfolio, as_of, params, loan_term_months, loan_ends)
    citation_pct = citation_percentiles(portfolio, as_of, reference.citations)
    cluster = industry_cluster(portfolio, params)
    age, remaining, alive = position.age_years, position.remaining_years, position.alive

    # Survival for the patents alive now (0 for the others): the hazard of those rows only.
    living = np.nonzero(alive)[0]
    tiers = FeeTiers.of(portfolio.kind[living], params)
    alive_hazard = reference.survival.hazard(
        covariate_columns(portfolio, citation_pct, params, cluster, tiers, rows=living), tiers
    )
    horizons = np.array([1.0, 3.0, 5.0])
    p_alive = np.zeros((horizons.size, len(portfolio)))  # P(alive in 1, 3, 5 years); rows contiguous
    p_alive[:, living] = alive_hazard.conditional_survival(
        age[living], np.broadcast_to(horizons, (living.size, horizons.size))
    ).T
    p_alive = np.where(remaining[None, :] >= horizons[:, None], p_alive, 0.0)
    expected_life = np.zeros(len(portfolio))
    expected_life[living] = alive_hazard.expected_remaining_life(age[living], remaining[living])
    revenue = np.where(np.isfinite(portfolio.revenue) & (portfolio.revenue > 0), portfolio.revenue, np.nan)
    group, ranges, _ = royalty_ranges(portfolio.ipc_codes, params)
    # The yearly grid only for patents with revenue (memory: rows × 21 years).
    valued = np.nonzero(np.isfinite(revenue) & alive)[0]
    weights, _ = yearly_grid(remaining[valued])
    survival = alive_hazard.yearly_survival(age[valued], weights > 0, np.searchsorted(living, valued))
    income_value = np.full(len(portfolio), np.nan)
    income_value[valued] = central_value(
        revenue[valued],
        survival,
        weights,
        ranges[group[valued], 1] * float(params.royalty["patent_contribution"]),
        params,
    )
    income_value[np.isfinite(revenue) & ~alive] = 0.0
    scores = score_portfolio(portfolio, position, citation_pct, expected_life, income_value, params)

    quantiles = np.full((len(portfolio), 3), np.nan)
    quantiles[np.isfinite(revenue) & ~alive] = 0.0
    if with_money and valued.size:
        # Fee of the fee year running at the start of each year t (fee year k covers ages [k−1, k)).
        fee_year = np.floor(age[valued, None] + np.arange(weights.shape[1])[None, :]).astype(np.int64) + 1
        fees = np.where(weights > 0, annual_fee(portfolio.kind[valued, None], fee_year, params), 0.0)
        grant_p = np.array([params.income["grant_probability"][k] for k in PATENT_TYPES])[portfolio.kind[valued]]
        grant_p = np.where(portfolio.status[valued] == PENDING, grant_p, 1.0)
        scenarios = draw_scenarios(draws, seed, params)
        quantiles[valued] = value_quantiles(
            revenue[valued], survival, weights, fees, grant_p, group[valued], ranges, scenarios, params
        )

    rules = eligibility(portfolio, position, params, has_revenue=np.isfinite(revenue))
    rule_codes = tuple(rules)
    rule_hits = np.column_stack([rules[c] for c in rule_codes])
    rules_in_force = eligibility_rules(params)
    blocking = np.array([rules_in_force[c][1] for c in rule_codes])
    eligible = ~(rule_hits & blocking[None, :]).any(axis=1)
    risks = risk_flags(portfolio, position, params)
    risk_codes = tuple(risks)
    flags, high_value, strategic = high_value_flags(portfolio, position, params)
    pledge_rate = float(params.income["pledge_rate"])
    max_loan = np.where(eligible, pledge_rate * quantiles[:, 0], 0.0)
    max_loan = np.where(np.isfinite(quantiles[:, 0]), max_loan, np.nan)
    version = f"{MODEL_VERSION}/{reference.survival.version}/p{params.digest[:8]}"
    return Valuations(
        portfolio=portfolio,
        as_of=as_of,
        loan_term_months=loan_term_months,
        params=params,
        reference=reference,
        model_version=version,
        position=position,
        scores=scores,
        citation_pct=citation_pct,
        industry_cluster=cluster,
        p_alive_1y=p_alive[0],
        p_alive_3y=p_alive[1],
        p_alive_5y=p_alive[2],
        expected_life_years=expected_life,
        income_value=income_value,
        value_p10=quantiles[:, 0],
        value_p50=quantiles[:, 1],
        value_p90=quantiles[:, 2],
        max_loan=max_loan,
        rule_codes=rule_codes,
        rule_hits=rule_hits,
        risk_codes=risk_codes,
        risk_hits=np.column_stack([risks[c] for c in risk_codes]),
        high_value_flag_matrix=flags,
        high_value=high_value,
        strategic_industry=strategic.industry,
        strategic_ipc_only=strategic.ipc_only,
        eligible=eligible,
    )


# Patents valued in one block (see ``valuate``): large enough that numpy's per-call overhead is small.
_CHUNK_ROWS = 65_536


def _rows(portfolio: Portfolio, rows: slice) -> Portfolio:
    """A block of consecutive patents as views of the columns (no copy), with the parent's IPC codes."""
    block = Portfolio(**{f.name: getattr(portfolio, f.name)[rows] for f in fields(portfolio)})
    codes = portfolio.__dict__.get("ipc_codes")
    if codes is not None:
        block.__dict__["ipc_codes"] = {level: (unique, inverse[rows]) for level, (unique, inverse) in codes.items()}
    return block


class _RowJoin:
    """Block results copied into whole-portfolio arrays as each block finishes, so that a block's
    own arrays go back to the heap for the next one. Per-patent arrays (and tuples of them, and the
    nested position, fee status and scores) are joined row-wise; everything else (dates, names,
    codes, a score's points per indicator) is the first block's."""

    def __init__(self, rows: int):
        self.rows = rows
        self.whole: Any = None
        self.lock = threading.Lock()

    def add(self, first: int, part: Valuations) -> None:
        with self.lock:
            if self.whole is None:
                self.whole = self._allocate(part)
        self._copy(self.whole, part, slice(first, first + len(part)))  # disjoint rows: no lock

    def result(self) -> Valuations:
        return cast(Valuations, self.whole)

    def _allocate(self, part: Any) -> Any:
        def empty(a: np.ndarray) -> np.ndarray:
            return np.empty((self.rows, *a.shape[1:]), dtype=a.dtype)

        values: dict[str, Any] = {}
        for name, value in _row_fields(part):
            if isinstance(value, np.ndarray):
                values[name] = empty(value)
            elif isinstance(value, tuple):
                values[name] = tuple(empty(column) for column in value)
            else:
                values[name] = self._allocate(value)
        return replace(part, **values)

    def _copy(self, whole: Any, part: Any, rows: slice) -> None:
        for name, value in _row_fields(part):
            target = getattr(whole, name)
            if isinstance(value, np.ndarray):
                target[rows] = value
            elif isinstance(value, tuple):
                for into, column in zip(target, value, strict=True):
                    into[rows] = column
            else:
                self._copy(target, value, rows)


def _row_fields(result: Any) -> list[tuple[str, Any]]:
    """The per-patent fields of a result: arrays, tuples of arrays, nested per-patent results."""
    out = []
    for f in fields(result):
        value = getattr(result, f.name)
        if f.name in ("full_points", "portfolio"):
            continue
        if (
            (isinstance(value, np.ndarray) and value.ndim >= 1)
            or (isinstance(value, tuple) and value and isinstance(value[0], np.ndarray))
            or isinstance(value, LegalPosition | FeeStatus | Scores)
        ):
            out.append((f.name, value))
    return out


__all__ = ["MODEL_VERSION", "Valuations", "valuate"]
