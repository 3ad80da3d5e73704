"""Domain enumerations, stored as their string codes (see docs/import-formats.md), and the CHECK
constraint keeping a column within one. The enumerations live in ``service.enumerations``."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint

from service.enumerations import (
    AlertStage,
    ApiRole,
    Award,
    Certification,
    Cluster,
    Commercialization,
    CreditLoanKind,
    DeclineReason,
    EntryStatus,
    Grade,
    IpType,
    JobStatus,
    LegalStatus,
    PatentType,
    ProposalStatus,
    SubsidyStatus,
    TargetMetric,
    WebhookStatus,
)

__all__ = [
    "AlertStage",
    "ApiRole",
    "Award",
    "Certification",
    "Cluster",
    "Commercialization",
    "CreditLoanKind",
    "DeclineReason",
    "EntryStatus",
    "Grade",
    "IpType",
    "JobStatus",
    "LegalStatus",
    "PatentType",
    "ProposalStatus",
    "SubsidyStatus",
    "TargetMetric",
    "WebhookStatus",
    "one_of",
]


def one_of(column: str, enum: type[StrEnum], *, nullable: bool = False) -> CheckConstraint:
    """A CHECK constraint keeping a string column within an enumeration's codes."""
    codes = ", ".join(f"'{member.value}'" for member in enum)
    condition = f"{column} IN ({codes})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"{column}_valid")
