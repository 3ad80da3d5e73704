"""The service's enumerations are the libraries' vocabularies: a code stored by the service is one the
valuation and matching libraries understand, and the reverse (no translation table anywhere)."""

from __future__ import annotations

from matching.model import CREDIT_LOAN_KINDS
from matching.params import load_params as load_matching_params
from service.models.enums import Award, Cluster, Commercialization, CreditLoanKind, Grade, LegalStatus, PatentType
from valuation import load_params
from valuation.fees import PATENT_TYPES
from valuation.industry import CLUSTERS
from valuation.portfolio import AWARDS, STAGES, STATUSES


def values(enum) -> set[str]:
    return {member.value for member in enum}


def test_patent_vocabularies_are_the_valuation_librarys():
    assert values(PatentType) == set(PATENT_TYPES)
    assert values(LegalStatus) == set(STATUSES)
    assert values(Award) == set(AWARDS)
    assert values(Commercialization) == set(STAGES)
    assert values(Cluster) == set(CLUSTERS)
    assert values(Grade) == set(load_params().scoring["grades"])


def test_credit_loan_kinds_and_grades_are_the_matching_librarys():
    assert values(CreditLoanKind) == set(CREDIT_LOAN_KINDS)
    assert list(load_matching_params().grade_order) == [g.value for g in Grade]
