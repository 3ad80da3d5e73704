"""Forward citations as a percentile that depends on the patent alone, not on its batch or its age.

Raw counts are not comparable across fields (electronics cites more than food processing) or
ages (an old patent has had more time to be cited). We compare each patent with its field's
citation *rate* over the time it has been exposed to citation, and shrink what little a young
patent shows toward its field's average (empirical Bayes, Gamma–Poisson; Clayton & Kaldor 1987)::

    cᵢ ~ Poisson(θᵢ · r_f · eᵢ),   θᵢ ~ Gamma(a, rate a)  (mean 1: the patent's rate relative to its field)
    θ̂ᵢ = (cᵢ + a) / (r_f · eᵢ + a)                         posterior mean of θᵢ
    percentile = F_Gamma(a, a)(θ̂ᵢ)

* ``eᵢ`` exposure in years: since grant, or for an application since its publication (filing +
  18 months), never negative;
* ``r_f`` citations per patent-year of exposure in the patent's field: its IPC subclass when the
  reference holds at least ``scoring.citations.min_exposure_years`` patent-years of it, else its
  IPC section, else all fields;
* ``a`` the Gamma shape, fitted by maximum likelihood of the negative-binomial marginal
  (``build_citation_reference``).

An uncited patent granted last month has θ̂ ≈ 1 and sits near the middle (neither punished nor
rewarded for youth); an uncited patent after fifteen years has θ̂ ≪ 1. The percentile never
decreases when the patent's own count rises, and it uses only the patent's own fields, the
valuation date and the *reference* (field rates and shape) — a stored portfolio's or the shipped
one in ``params/reference.toml`` — never the other rows of the batch. Unknown counts are taken as 0
(no evidence of impact earns none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from scipy import optimize, special

from valuation.params import Params
from valuation.portfolio import Portfolio
from valuation.unknowns import filled

YEAR = 365.25
PUBLICATION_MONTHS = 18  # 专利法第34条: an invention application is published 18 months after filing


@dataclass(frozen=True)
class CitationReference:
    """Citations per patent-year by field (IPC subclass "H01M", section "H", all "*") and the
    Gamma shape ``a`` of patents' rates relative to their field."""

    rates: dict[str, float]
    shape: float

    @classmethod
    def shipped(cls, params: Params) -> CitationReference:
        return cls.from_dict(params.reference["citations"])

    def to_dict(self) -> dict[str, Any]:
        return {"rates": {k: float(v) for k, v in sorted(self.rates.items())}, "shape": float(self.shape)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CitationReference:
        return cls(rates={str(k): float(v) for k, v in data["rates"].items()}, shape=float(data["shape"]))

    def field_rate(self, portfolio: Portfolio) -> np.ndarray:
        """Each patent's field rate: subclass, else section, else all fields."""
        overall = self.rates["*"]
        rate = np.full(len(portfolio), overall)
        for level in ("section", "subclass"):  # coarse first, finer levels overwrite
            unique, inverse = portfolio.ipc_codes[level]
            found = np.array([self.rates.get(str(u), np.nan) for u in unique], dtype=np.float64)
            hit = found[inverse] if found.size else np.full(len(portfolio), np.nan)
            rate = np.where(np.isfinite(hit), hit, rate)
        return rate


def exposure_years(portfolio: Portfolio, as_of: date) -> np.ndarray:
    """Years the patent has been citable: since grant, or since publication for an application."""
    as_of64 = np.datetime64(as_of, "D")
    start = portfolio.grant.copy()
    pending = np.nonzero(np.isnat(start))[0]  # month arithmetic only for the applications
    start[pending] = (portfolio.filing[pending].astype("datetime64[M]") + PUBLICATION_MONTHS).astype("datetime64[D]")
    return np.maximum((as_of64 - start).astype(np.float64), 0.0) / YEAR


def citation_percentiles(portfolio: Portfolio, as_of: date, reference: CitationReference) -> np.ndarray:
    """Percentile (0..1) of each patent's shrunk relative citation rate (module docstring)."""
    if len(portfolio) == 0:
        return np.zeros(0)
    cites = filled(portfolio.forward_citations, 0.0)
    a = reference.shape
    expected = reference.field_rate(portfolio) * exposure_years(portfolio, as_of)
    theta = (cites + a) / (expected + a)
    return special.gammainc(a, theta / (1.0 / a))  # the Gamma(a, scale 1/a) CDF, without scipy.stats' checks


def _nb_shape(cites: np.ndarray, mean: np.ndarray) -> float:
    """ML estimate of the negative-binomial shape a for counts with known means (Gamma–Poisson)."""

    def negative_loglik(log_a: float) -> float:
        a = np.exp(log_a)
        return -float(
            np.sum(
                special.gammaln(cites + a)
                - special.gammaln(a)
                + a * np.log(a / (a + mean))
                + cites * np.log(np.where(mean > 0, mean, 1.0) / (a + mean))
            )
        )

    result = optimize.minimize_scalar(negative_loglik, bounds=(np.log(0.05), np.log(50.0)), method="bounded")
    return float(np.exp(result.x))


def build_citation_reference(portfolio: Portfolio, as_of: date, params: Params) -> CitationReference:
    """Field rates (fields with at least ``min_exposure_years`` patent-years) and the shape, from
    ``portfolio`` as of ``as_of`` (patents with known counts and some exposure)."""
    min_exposure = float(params.scoring["citations"]["min_exposure_years"])
    exposure = exposure_years(portfolio, as_of)
    use = np.isfinite(portfolio.forward_citations) & (exposure > 0)
    cites = portfolio.forward_citations[use]
    exposure = exposure[use]
    rates: dict[str, float] = {"*": float(cites.sum() / exposure.sum()) if exposure.sum() > 0 else 0.0}
    for level in ("section", "subclass"):
        unique, inverse = portfolio.ipc_codes[level]
        inverse = inverse[use]
        total_cites = np.bincount(inverse, weights=cites, minlength=unique.size)
        total_exposure = np.bincount(inverse, weights=exposure, minlength=unique.size)
        for name, c, e in zip(unique.tolist(), total_cites.tolist(), total_exposure.tolist(), strict=True):
            if name and e >= min_exposure:
                rates[name] = c / e
    partial = CitationReference(rates=rates, shape=1.0)
    mean = partial.field_rate(_rows(portfolio, use)) * exposure
    shape = _nb_shape(cites, mean) if cites.size else float(params.reference["citations"]["shape"])
    return CitationReference(rates=rates, shape=shape)


def _rows(portfolio: Portfolio, mask: np.ndarray) -> Portfolio:
    return portfolio.take(np.nonzero(mask)[0])


__all__ = ["CitationReference", "build_citation_reference", "citation_percentiles", "exposure_years"]
