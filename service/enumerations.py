"""Domain enumerations, stored as their string codes (see docs/import-formats.md).

No database here: the importer's parsers and ``ipfin valuate`` use them without loading the
tables; ``service.models.enums`` gives them with the tables' CHECK constraint helper.
"""

from __future__ import annotations

from enum import StrEnum


class Cluster(StrEnum):
    green_consumer = "green_consumer"
    equipment_manufacturing = "equipment_manufacturing"
    energy_electronics = "energy_electronics"
    other = "other"


class Certification(StrEnum):
    high_tech = "high_tech"
    specialized = "specialized"
    ip_advantage = "ip_advantage"
    ip_standard = "ip_standard"


class CreditLoanKind(StrEnum):
    knowledge_value = "knowledge_value"
    commercial_value = "commercial_value"
    other = "other"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class PatentType(StrEnum):
    invention = "invention"
    utility_model = "utility_model"
    design = "design"


class LegalStatus(StrEnum):
    pending = "pending"
    valid = "valid"
    lapsed = "lapsed"
    expired = "expired"
    invalidated = "invalidated"


class Award(StrEnum):
    none = "none"
    china_patent_gold = "china_patent_gold"
    china_patent_silver = "china_patent_silver"
    china_patent_excellent = "china_patent_excellent"
    national_st = "national_st"


class Commercialization(StrEnum):
    none = "none"
    prototype = "prototype"
    pilot = "pilot"
    production = "production"


class ApiRole(StrEnum):
    admin = "admin"
    reviewer = "reviewer"
    bank = "bank"


class ProposalStatus(StrEnum):
    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"
    superseded = "superseded"  # a later run replaced it before anyone decided


class EntryStatus(StrEnum):
    published = "published"
    acknowledged = "acknowledged"
    granted = "granted"
    declined = "declined"
    expired = "expired"


class IpType(StrEnum):
    """What a pledge registration pledges: patents, trademarks (商标) or other IP (e.g. layout designs)."""

    patent = "patent"
    trademark = "trademark"
    other = "other"


class DeclineReason(StrEnum):
    """Why a bank declined a whitelist entry (the outcome's `reason_code`; docs in README)."""

    insufficient_collateral = "insufficient_collateral"  # 质押物价值不足
    credit_risk = "credit_risk"  # 企业信用风险
    ip_defect = "ip_defect"  # 知识产权权属或法律状态瑕疵
    no_financing_need = "no_financing_need"  # 企业无融资需求或放弃
    terms_not_agreed = "terms_not_agreed"  # 利率、期限等条款未达成一致
    quota_exhausted = "quota_exhausted"  # 产品额度已满
    other = "other"  # 其他 (text required)


class JobStatus(StrEnum):
    running = "running"
    done = "done"
    failed = "failed"


class AlertStage(StrEnum):
    """Where an unpaid annual fee stands (DESIGN.md §4): due soon, in the 6-month grace period
    (late fee owed), or past it (the patent has lapsed, backdated to the due date)."""

    due = "due"
    grace = "grace"
    lapsed = "lapsed"


class WebhookStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # retries exhausted; the pull feed still has everything


class TargetMetric(StrEnum):
    pledge_amount = "pledge_amount"
    high_value_patents = "high_value_patents"
    ip_advantage_enterprises = "ip_advantage_enterprises"
    ip_standard_enterprises = "ip_standard_enterprises"


class SubsidyStatus(StrEnum):
    proposed = "proposed"  # evaluated, awaiting staff review and payment
    paid = "paid"
