"""Turn evaluated pairs (arrays) into :class:`~matching.results.PairResult` records with Chinese messages.

Only pairs someone looks at are explained (one enterprise's products, proposals, a requested
pair), so this module may loop in Python over a pair's handful of patents.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any

from .fit import FitScores
from .model import CreditLoan, Enterprise, Patent, Product
from .pairs import PairEval, Prepared, add_months
from .params import Params
from .results import ExcludedPatent, Failure, PairResult, PledgedPatent
from .rules import PATENT_RULES, RULE_BY_CODE, RULES

__all__ = ["explain_pair", "yuan"]

_BP = 10_000


def yuan(fen: int) -> str:
    """Integer fen as yuan text, exactly: 125000050 → '1,250,000.50元'."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}元"


def _rate_text(rate_bp: int) -> str:
    return f"{rate_bp / 100:g}%"


def _labels(mapping: Mapping[str, str], codes: Collection[str]) -> str:
    return "、".join(mapping.get(c, c) for c in sorted(codes))


def _loan_dict(loan: CreditLoan, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "kind": loan.kind,
        "kind_label": labels.get(loan.kind, loan.kind),
        "grade": loan.grade,
        "limit_fen": loan.limit_fen,
        "bank_code": loan.bank_code,
        "start_date": loan.start_date,
        "maturity_date": loan.maturity_date,
    }


def explain_pair(
    prep: Prepared,
    ev: PairEval,
    k: int,
    fits: FitScores | None = None,
    fit_index: int | None = None,
    rank: int | None = None,
) -> PairResult:
    """The full record of pair k of ``ev`` (which must have been evaluated with ``detail=True``)."""
    params = prep.params
    rows = ev.rows
    assert rows is not None, "evaluate_pairs(..., detail=True) is needed to explain a pair"
    ent = prep.enterprises[int(ev.pe[k])]
    prod = prep.products[int(ev.pp[k])]
    r0, rn = int(rows.start[k]), int(rows.count[k])
    patents = [prep.t_obj[i] for i in rows.patent[r0 : r0 + rn].tolist()]
    codes_by_row = [[r.code for r in PATENT_RULES if rows.excluded[r.code][r0 + j]] for j in range(rn)]
    term = int(ev.term[k])
    loan_end = add_months(prep.as_of, term)
    rate_bp = int(prep.p_rate_bp[ev.pp[k]])
    stated = bool(ev.stated[k])
    required = int(ev.required[k])
    capacity = int(ev.capacity[k])
    failed = int(ev.failed[k])
    eligible = bool(ev.eligible[k])
    amount = int(ev.amount[k]) if eligible else None

    def excluded_by(code: str) -> list[tuple[Patent, int]]:
        return [(t, j) for j, t in enumerate(patents) if code in codes_by_row[j]]

    failures = []
    for rule in RULES:
        if not failed & (1 << rule.bit):
            continue
        failures.append(
            _failure(
                rule.code,
                prep,
                ent,
                prod,
                excluded_by,
                stated=stated,
                required=required,
                capacity=capacity,
                rate_bp=rate_bp,
                term=term,
                loan_end=loan_end,
                n_usable=int(rows.usable[r0 : r0 + rn].sum()),
            )
        )

    pledged = []
    if amount is not None:  # eligible
        running = 0
        for j, t in enumerate(patents):
            if not rows.selected[r0 + j]:
                continue
            before, running = running, running + t.value_p10_fen
            cap_before, cap_after = rate_bp * before // _BP, rate_bp * running // _BP
            pledged.append(
                PledgedPatent(
                    application_no=t.application_no,
                    value_p10_fen=t.value_p10_fen,
                    supports_fen=cap_after - cap_before,
                    allocated_fen=min(amount, cap_after) - min(amount, cap_before),
                    grade=t.grade,
                    score=t.score,
                    expiry_date=t.expiry_date,
                    remaining_term_years=t.remaining_term_years,
                )
            )
    excluded = tuple(
        ExcludedPatent(t.application_no, tuple(codes_by_row[j])) for j, t in enumerate(patents) if codes_by_row[j]
    )

    bank = prod.bank_code
    pt_loans = tuple(
        _loan_dict(loan, params.credit_loan_kind_labels)
        for loan in ent.credit_loans
        if loan.bank_code == bank
        and loan.kind in params.parallel_track_loan_kinds
        and (not params.parallel_track_requires_current_loan or loan.is_current(prep.as_of))
    )
    fit = components = None
    if eligible and fits is not None and fit_index is not None:
        i = fit_index
        fit = float(fits.fit[i])
        components = {
            "coverage": float(fits.coverage[i]),
            "price": float(fits.price[i]),
            "term": float(fits.term[i]),
            "parallel_track": 1.0 if fits.parallel_track[i] else 0.0,
        }
    return PairResult(
        enterprise_id=ent.credit_code,
        product_id=prod.id,
        bank_code=bank,
        eligible=eligible,
        failures=tuple(failures),
        amount_fen=amount,
        amount_basis="stated_need" if stated else "collateral_capacity",
        required_amount_fen=required,
        capacity_fen=capacity,
        pledge_rate=rate_bp / _BP,
        term_months=term,
        wanted_term_months=int(ev.wanted_term[k]),
        loan_end_date=loan_end,
        patents=tuple(pledged),
        excluded_patents=excluded,
        earliest_expiry_date=min((p.expiry_date for p in pledged), default=None),
        fit=fit,
        fit_components=components,
        parallel_track=bool(pt_loans),
        parallel_track_loans=pt_loans,
        rank=rank,
    )


def _failure(
    code: str,
    prep: Prepared,
    ent: Enterprise,
    prod: Product,
    excluded_by: Callable[[str], list[tuple[Patent, int]]],
    *,
    stated: bool,
    required: int,
    capacity: int,
    rate_bp: int,
    term: int,
    loan_end: date,
    n_usable: int,
) -> Failure:
    """The record of one failed rule: its code, the Chinese message and the values involved."""
    if RULE_BY_CODE[code].patent_level:
        return _patent_failure(code, excluded_by(code), prod, term=term, loan_end=loan_end)
    if code == "collateral_insufficient":
        return _collateral_failure(
            code, prod, stated=stated, required=required, capacity=capacity, rate_bp=rate_bp, n_usable=n_usable
        )
    return _pair_failure(code, prep.params, ent, prod, required=required)


def _pair_failure(code: str, params: Params, ent: Enterprise, prod: Product, *, required: int) -> Failure:
    """A failed pair rule (decided by the enterprise and the product alone)."""
    need = ent.need_amount_fen
    if code == "amount_below_min":
        assert need is not None, "the amount-range rules apply only to a stated need"
        return Failure(
            code,
            f"融资需求{yuan(need)}低于产品最低额度{yuan(prod.min_amount_fen)}",
            {"need_amount_fen": need, "min_amount_fen": prod.min_amount_fen},
        )
    if code == "amount_above_max":
        assert need is not None, "the amount-range rules apply only to a stated need"
        return Failure(
            code,
            f"融资需求{yuan(need)}高于产品最高额度{yuan(prod.max_amount_fen)}",
            {"need_amount_fen": need, "max_amount_fen": prod.max_amount_fen},
        )
    if code == "cluster_not_eligible":
        labels = params.cluster_labels
        return Failure(
            code,
            f"企业所属产业集群“{labels.get(ent.cluster, ent.cluster)}”不在产品适用范围"
            f"（{_labels(labels, prod.eligible_clusters)}）内",
            {"cluster": ent.cluster, "eligible_clusters": sorted(prod.eligible_clusters)},
        )
    if code == "missing_certifications":
        missing = sorted(prod.required_certifications - ent.certifications)
        return Failure(
            code,
            f"缺少产品要求的资质：{_labels(params.certification_labels, missing)}",
            {"missing": missing, "required": sorted(prod.required_certifications)},
        )
    if code == "not_existing_customer":
        current = "在贷的" if params.existing_customer_requires_current_loan else ""
        return Failure(
            code,
            f"该产品仅面向{prod.bank_code}的存量客户，企业在该行没有{current}信用贷款",
            {"bank_code": prod.bank_code},
        )
    if code == "quota_count_exhausted":
        return Failure(code, "产品本期笔数额度已用完", {"quota_count": prod.quota_count})
    if code == "quota_amount_insufficient":
        assert prod.quota_amount_fen is not None, "an unlimited amount quota is never insufficient"
        return Failure(
            code,
            f"产品本期剩余额度{yuan(prod.quota_amount_fen)}低于所需金额{yuan(required)}",
            {"quota_amount_fen": prod.quota_amount_fen, "required_amount_fen": required},
        )
    if code == "no_patents":
        return Failure(code, "企业名下没有专利，无可质押的知识产权", {})
    raise KeyError(code)


def _collateral_failure(
    code: str, prod: Product, *, stated: bool, required: int, capacity: int, rate_bp: int, n_usable: int
) -> Failure:
    """collateral_insufficient: the usable patents' capacity against the amount it must support."""
    if stated:
        what = "融资需求"
    elif required == prod.min_amount_fen:
        what = "产品最低额度"
    else:
        what = "最低提案金额"
    return Failure(
        code,
        f"可用于该产品的{n_usable}件专利按质押率{_rate_text(rate_bp)}计算的质押能力"
        f"（质押率×P10合计）为{yuan(capacity)}，低于{what}{yuan(required)}",
        {
            "capacity_fen": capacity,
            "required_amount_fen": required,
            "pledge_rate": rate_bp / _BP,
            "usable_patents": n_usable,
            "amount_basis": "stated_need" if stated else "product_minimum",
        },
    )


def _patent_failure(code: str, hits: list[tuple[Patent, int]], prod: Product, *, term: int, loan_end: date) -> Failure:
    """A patent rule that excluded ``hits`` (patent, row) from the collateral."""
    apps = [t.application_no for t, _ in hits]
    n = len(hits)
    listed = "、".join(apps[:5]) + ("等" if n > 5 else "")
    if code == "patent_not_eligible":
        detail = "；".join(f"{t.application_no}（{'，'.join(t.reasons) or '未说明原因'}）" for t, _ in hits[:5])
        return Failure(
            code,
            f"{n}件专利未通过质押资格审查：{detail}",
            {"patents": [{"application_no": t.application_no, "reasons": list(t.reasons)} for t, _ in hits]},
        )
    if code == "patent_already_pledged":
        return Failure(code, f"{n}件专利已在质押中，不能重复质押：{listed}", {"patents": apps})
    if code == "patent_without_value":
        return Failure(
            code, f"{n}件专利没有收益法估值（无收入数据，无P10价值），不能支撑贷款金额：{listed}", {"patents": apps}
        )
    if code == "patent_grade_below_minimum":
        detail = "、".join(f"{t.application_no}（{t.grade or '无'}级）" for t, _ in hits[:5])
        return Failure(
            code,
            f"{n}件专利等级低于产品要求的{prod.min_patent_grade}级：{detail}",
            {
                "min_patent_grade": prod.min_patent_grade,
                "patents": [{"application_no": t.application_no, "grade": t.grade} for t, _ in hits],
            },
        )
    if code == "patent_score_below_minimum":
        detail = "、".join(
            f"{t.application_no}（{'无' if t.score is None else f'{t.score:g}'}分）" for t, _ in hits[:5]
        )
        return Failure(
            code,
            f"{n}件专利评分低于产品要求的{prod.min_patent_score:g}分：{detail}",
            {
                "min_patent_score": prod.min_patent_score,
                "patents": [{"application_no": t.application_no, "score": t.score} for t, _ in hits],
            },
        )
    if code == "remaining_term_below_minimum":
        detail = "、".join(f"{t.application_no}（{t.remaining_term_years:.1f}年）" for t, _ in hits[:5])
        return Failure(
            code,
            f"{n}件专利剩余保护期低于产品要求的{prod.min_remaining_term_years:g}年：{detail}",
            {
                "min_remaining_term_years": prod.min_remaining_term_years,
                "patents": [
                    {"application_no": t.application_no, "remaining_term_years": t.remaining_term_years}
                    for t, _ in hits
                ],
            },
        )
    if code == "loan_term_beyond_patent_expiry":
        earliest = min(t.expiry_date for t, _ in hits)
        detail = "、".join(f"{t.application_no}（{t.expiry_date.isoformat()}）" for t, _ in hits[:5])
        return Failure(
            code,
            f"贷款期限{term}个月，到期日{loan_end.isoformat()}晚于{n}件专利的到期日：{detail}；"
            f"质押登记的贷款期限不得超过专利有效期",
            {
                "term_months": term,
                "loan_end_date": loan_end,
                "earliest_expiry_date": earliest,
                "patents": [{"application_no": t.application_no, "expiry_date": t.expiry_date} for t, _ in hits],
            },
        )
    raise KeyError(code)
