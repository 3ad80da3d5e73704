"""The eligibility rules of a (enterprise, product) pair: codes, bit positions, Chinese titles.

A pair's failed rules are held as a bit mask (one ``uint32`` per pair) while the library works on
arrays, and turned into :class:`matching.results.Failure` records (code + Chinese message + the
values involved) only for the pairs somebody looks at.

Two kinds of rules:

* **Pair rules** — decided by the enterprise and the product alone: amount range, industry
  cluster, certifications, existing customer, remaining quota.
* **Collateral rules** — decided by the patents. Each patent of the enterprise is either *usable*
  as collateral for the product or excluded by one or more patent rules (not pledge-eligible,
  already pledged, no P10 value, grade / score / remaining term below the product's minimum,
  expiring before the loan would end). When the usable patents cannot support the required amount,
  the pair fails ``collateral_insufficient`` *and* every patent rule that excluded at least one
  patent (or ``no_patents``), so the reader sees what kept the collateral short. When the usable
  patents suffice, exclusions are only reported per patent (``excluded_patents``), not as failures.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PATENT_RULES", "RULES", "RULE_BY_CODE", "Rule", "bit"]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    bit: int
    title: str  # Chinese short title
    patent_level: bool = False  # also names a reason a single patent is excluded


RULES: tuple[Rule, ...] = (
    Rule("amount_below_min", 0, "融资需求低于产品最低额度"),
    Rule("amount_above_max", 1, "融资需求高于产品最高额度"),
    Rule("cluster_not_eligible", 2, "产业集群不在产品适用范围内"),
    Rule("missing_certifications", 3, "缺少产品要求的资质"),
    Rule("not_existing_customer", 4, "产品仅面向本行存量客户"),
    Rule("quota_count_exhausted", 5, "产品本期笔数额度已用完"),
    Rule("quota_amount_insufficient", 6, "产品本期剩余额度不足"),
    Rule("no_patents", 7, "企业名下无专利"),
    Rule("patent_not_eligible", 8, "专利未通过质押资格审查", True),
    Rule("patent_already_pledged", 9, "专利已在质押中", True),
    Rule("patent_without_value", 10, "专利无收益法估值", True),
    Rule("patent_grade_below_minimum", 11, "专利等级低于产品要求", True),
    Rule("patent_score_below_minimum", 12, "专利评分低于产品要求", True),
    Rule("remaining_term_below_minimum", 13, "专利剩余保护期低于产品要求", True),
    Rule("loan_term_beyond_patent_expiry", 14, "贷款到期日晚于专利到期日", True),
    Rule("collateral_insufficient", 15, "质押物价值不足以支撑贷款金额"),
)

RULE_BY_CODE = {r.code: r for r in RULES}
PATENT_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.patent_level)


def bit(code: str) -> int:
    """The mask bit of a rule code."""
    return 1 << RULE_BY_CODE[code].bit
