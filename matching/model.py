"""Inputs of the matching library: enterprises, their credit loans and patents, pledge products.

These are plain frozen dataclasses that the service builds from its rows (and tests build by hand).
They carry no behaviour beyond validation of what would otherwise silently corrupt a result:

* money is integer fen (分) — a float amount is rejected, not rounded;
* a pledge rate (质押率) is a fraction in (0, 1];
* interest rates are annual percentages (``3.45`` means 3.45 %);
* sets given as ``set``/``list``/``tuple`` are frozen to ``frozenset``, sequences to ``tuple``.

Codes are the lower-case English codes of ``docs/import-formats.md`` (industry clusters,
certifications ``high_tech`` / ``specialized`` / ``ip_advantage`` / ``ip_standard``, credit-loan
kinds ``knowledge_value`` / ``commercial_value`` / ``other``, grades ``A`` … ``E``). Clusters and
certifications are not restricted to that list here, so a county with other codes works unchanged.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from datetime import date
from typing import Literal, overload

__all__ = ["CREDIT_LOAN_KINDS", "CreditLoan", "Enterprise", "Patent", "Product"]

CREDIT_LOAN_KINDS = frozenset({"knowledge_value", "commercial_value", "other"})


@overload
def _fen(value: object, name: str, *, optional: Literal[False] = False) -> int: ...
@overload
def _fen(value: object, name: str, *, optional: bool) -> int | None: ...
def _fen(value: object, name: str, *, optional: bool = False) -> int | None:
    """Validate an amount in integer fen (≥ 0). ``bool`` and floats are refused."""
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name} is required (integer fen)")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer amount in fen, got {value!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def _set(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if isinstance(value, str):  # a lone code, not an iterable of characters
        value = (value,)
    object.__setattr__(obj, name, frozenset(value))


def _tuple(obj: object, name: str) -> None:
    object.__setattr__(obj, name, tuple(getattr(obj, name)))


@dataclass(frozen=True, slots=True)
class CreditLoan:
    """A credit loan the enterprise holds (知识价值信用贷款 / 商业价值信用贷款 / other).

    ``grade`` is the A–E grade of the knowledge-value or commercial-value scheme (None for
    ``other``); ``bank_code`` the lending bank. A loan is *current* on a date d when
    ``start_date <= d <= maturity_date``.
    """

    kind: str
    bank_code: str
    limit_fen: int
    start_date: date
    maturity_date: date
    grade: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CREDIT_LOAN_KINDS:
            raise ValueError(f"credit-loan kind must be one of {sorted(CREDIT_LOAN_KINDS)}, got {self.kind!r}")
        _fen(self.limit_fen, "limit_fen")
        if self.maturity_date <= self.start_date:
            raise ValueError("credit-loan maturity_date must be after start_date")

    def is_current(self, on: date) -> bool:
        return self.start_date <= on <= self.maturity_date


@dataclass(frozen=True, slots=True)
class Patent:
    """A patent as the valuation library reports it.

    * ``eligible`` — the valuation's pledge-eligibility verdict (valid, fees paid, clear ownership,
      no freeze or pending invalidation …); ``reasons`` its reason codes/messages when not eligible.
    * ``value_p10_fen`` — the conservative (P10) money value in fen; ``None`` when the valuation
      could give no income value (no revenue data). Such a patent supports no loan amount.
    * ``expiry_date`` — end of the patent term (including any term compensation).
    * ``remaining_term_years`` — remaining term counted from the valuation date.
    * ``already_pledged`` — the patent is in an active registered pledge.
    """

    application_no: str
    eligible: bool
    expiry_date: date
    remaining_term_years: float
    value_p10_fen: int | None = None
    grade: str | None = None
    score: float | None = None
    already_pledged: bool = False
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _fen(self.value_p10_fen, "value_p10_fen", optional=True)
        _tuple(self, "reasons")


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise that may borrow against its patents.

    ``need_amount_fen`` / ``need_term_months`` are its stated financing need; either may be None
    (then the amount is what its collateral supports and the term the parameter default).
    """

    credit_code: str
    cluster: str
    certifications: frozenset[str] = frozenset()
    credit_loans: tuple[CreditLoan, ...] = ()
    patents: tuple[Patent, ...] = ()
    need_amount_fen: int | None = None
    need_term_months: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        _set(self, "certifications")
        _tuple(self, "credit_loans")
        _tuple(self, "patents")
        _fen(self.need_amount_fen, "need_amount_fen", optional=True)
        if self.need_amount_fen == 0:
            raise ValueError("need_amount_fen must be positive when given")
        if self.need_term_months is not None and (
            isinstance(self.need_term_months, bool)
            or not isinstance(self.need_term_months, numbers.Integral)
            or self.need_term_months <= 0
        ):
            raise ValueError(f"need_term_months must be a positive integer, got {self.need_term_months!r}")


@dataclass(frozen=True, slots=True)
class Product:
    """A bank's patent-pledge loan product (知识产权质押贷款产品).

    ``id`` is the service's identifier for the product (e.g. ``"CQRCB/IPL01"`` or a database id
    as text); it names the product in every result. Quotas are what is *left* for the period:
    the service subtracts what was already granted. ``None`` means unlimited; ``0`` means used up.
    ``eligible_clusters`` empty means every cluster. ``min_patent_grade`` uses the grade order of
    the parameters (A best).
    """

    id: str
    bank_code: str
    min_amount_fen: int
    max_amount_fen: int
    pledge_rate: float
    interest_rate_min: float
    interest_rate_max: float
    term_min_months: int
    term_max_months: int
    eligible_clusters: frozenset[str] = frozenset()
    required_certifications: frozenset[str] = frozenset()
    min_patent_grade: str | None = None
    min_patent_score: float | None = None
    min_remaining_term_years: float | None = None
    quota_count: int | None = None
    quota_amount_fen: int | None = None
    requires_existing_customer: bool = False
    code: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        _set(self, "eligible_clusters")
        _set(self, "required_certifications")
        lo = _fen(self.min_amount_fen, "min_amount_fen")
        hi = _fen(self.max_amount_fen, "max_amount_fen")
        if hi <= 0 or lo > hi:
            raise ValueError(f"product {self.id}: need 0 <= min_amount_fen <= max_amount_fen and max > 0")
        if not (0.0 < float(self.pledge_rate) <= 1.0):
            raise ValueError(f"product {self.id}: pledge_rate must be a fraction in (0, 1], got {self.pledge_rate}")
        if not (0.0 <= self.interest_rate_min <= self.interest_rate_max):
            raise ValueError(f"product {self.id}: need 0 <= interest_rate_min <= interest_rate_max (percent)")
        if not (0 < self.term_min_months <= self.term_max_months):
            raise ValueError(f"product {self.id}: need 0 < term_min_months <= term_max_months")
        if self.quota_count is not None and self.quota_count < 0:
            raise ValueError(f"product {self.id}: quota_count must not be negative")
        _fen(self.quota_amount_fen, "quota_amount_fen", optional=True)
