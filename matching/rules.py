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
  the pair fails ``COLLATERAL_INSUFFICIENT`` *and* every patent rule that excluded at least one
  patent (or ``NO_PATENTS``), so the reader sees what kept the collateral short. When the usable
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
    Rule("AMOUNT_BELOW_MIN", 0, "融资需求低于产品最低额度"),
    Rule("AMOUNT_ABOVE_MAX", 1, "融资需求高于产品最高额度"),
    Rule("CLUSTER_NOT_ELIGIBLE", 2, "产业集群不在产品适用范围内"),
    Rule("MISSING_CERTIFICATIONS", 3, "缺少产品要求的资质"),
    Rule("NOT_EXISTING_CUSTOMER", 4, "产品仅面向本行存量客户"),
    Rule("QUOTA_COUNT_EXHAUSTED", 5, "产品本期笔数额度已用完"),
    Rule("QUOTA_AMOUNT_INSUFFICIENT", 6, "产品本期剩余额度不足"),
    Rule("NO_PATENTS", 7, "企业名下无专利"),
    Rule("PATENT_NOT_ELIGIBLE", 8, "专利未通过质押资格审查", True),
    Rule("PATENT_ALREADY_PLEDGED", 9, "专利已在质押中", True),
    Rule("PATENT_WITHOUT_VALUE", 10, "专利无收益法估值", True),
    Rule("PATENT_GRADE_BELOW_MINIMUM", 11, "专利等级低于产品要求", True),
    Rule("PATENT_SCORE_BELOW_MINIMUM", 12, "专利评分低于产品要求", True),
    Rule("REMAINING_TERM_BELOW_MINIMUM", 13, "专利剩余保护期低于产品要求", True),
    Rule("LOAN_TERM_BEYOND_PATENT_EXPIRY", 14, "贷款到期日晚于专利到期日", True),
    Rule("COLLATERAL_INSUFFICIENT", 15, "质押物价值不足以支撑贷款金额"),
)

RULE_BY_CODE = {r.code: r for r in RULES}
PATENT_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.patent_level)


def bit(code: str) -> int:
    """The mask bit of a rule code."""
    return 1 << RULE_BY_CODE[code].bit
