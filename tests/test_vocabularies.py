"""The service's enumerations are the libraries' vocabularies: a code stored by the service is one the
valuation and matching libraries understand, and the reverse (no translation table anywhere); and
each enumeration has one table of Chinese names (service/vocabulary.py)."""

from __future__ import annotations

from enum import StrEnum

from matching.model import CREDIT_LOAN_KINDS
from matching.params import load_params as load_matching_params
from service import vocabulary
from service.imports import KINDS
from service.imports.headers import chinese_names
from service.models import enums
from service.models.enums import Award, Cluster, Commercialization, CreditLoanKind, Grade, LegalStatus, PatentType
from valuation import load_params
from valuation.explain import PATENT_TYPE_NAMES
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


def test_every_stored_enumeration_has_one_chinese_table_naming_each_code_once():
    """service/vocabulary.py names every code of every StrEnum the service stores, each name once
    (the importer reads a name back to its code)."""
    stored = [e for e in vars(enums).values() if isinstance(e, type) and issubclass(e, StrEnum) and e is not StrEnum]
    assert set(stored) == set(vocabulary.BY_ENUM)
    for enum in stored:
        names = vocabulary.BY_ENUM[enum]
        assert set(names) == values(enum), enum
        assert len(set(names.values())) == len(names), enum
        assert all(name and name not in values(enum) for name in names.values()), enum
    # The library tables are the tables: no copy to drift.
    assert dict(load_matching_params().cluster_labels) == vocabulary.CLUSTER
    assert vocabulary.PATENT_TYPE == PATENT_TYPE_NAMES


def test_every_import_column_has_one_chinese_header():
    for kind, spec in KINDS.items():
        names = chinese_names(kind)
        assert set(names) == {column.name for column in spec.columns}, kind
        assert len(set(names.values())) == len(names), kind
