"""Citation percentiles: the Gamma–Poisson posterior against independent computations, recovery of
a known Gamma shape from simulated counts, youth neutrality and batch independence."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from valuation import Portfolio
from valuation.citations import CitationReference, build_citation_reference, citation_percentiles, exposure_years

AS_OF = date(2025, 6, 30)


def records(make_record, grants, cites, ipc="H01M 10/052"):
    return [
        make_record(application_no=f"P{i}", grant_date=g, forward_citations=c, ipc=ipc)
        for i, (g, c) in enumerate(zip(grants, cites, strict=True))
    ]


def test_percentile_is_the_gamma_cdf_of_the_posterior_mean(make_record):
    # Independent computation: posterior Gamma(a + c, a + r·e) has mean (a + c)/(a + r·e).
    reference = CitationReference(rates={"*": 0.2, "H": 0.5, "H01M": 0.8}, shape=1.5)
    grants = [date(2015, 1, 1), date(2020, 6, 30), date(2024, 12, 31)]
    portfolio = Portfolio.from_records(records(make_record, grants, [4, 0, 2]))
    got = citation_percentiles(portfolio, AS_OF, reference)
    exposure = np.array([(AS_OF - g).days / 365.25 for g in grants])
    posterior_mean = stats.gamma(1.5 + np.array([4, 0, 2]), scale=1 / (1.5 + 0.8 * exposure)).mean()
    np.testing.assert_allclose(got, stats.gamma(1.5, scale=1 / 1.5).cdf(posterior_mean), rtol=1e-12)


def test_field_rate_falls_back_from_subclass_to_section_to_all(make_record):
    reference = CitationReference(rates={"*": 0.2, "H": 0.5, "H01M": 0.8}, shape=1.0)
    portfolio = Portfolio.from_records(
        [
            make_record(application_no="a", ipc="H01M 4/36"),
            make_record(application_no="b", ipc="H02J 7/00"),
            make_record(application_no="c", ipc="A23L 2/38"),
            make_record(application_no="d", ipc=None),
        ]
    )
    assert reference.field_rate(portfolio).tolist() == [0.8, 0.5, 0.2, 0.2]


def test_uncited_young_patent_is_neither_punished_nor_rewarded(make_record):
    reference = CitationReference(rates={"*": 0.5}, shape=1.2)
    just_granted = citation_percentiles(
        Portfolio.from_records(records(make_record, [AS_OF - timedelta(days=20)], [0])), AS_OF, reference
    )[0]
    middle = stats.gamma(1.2, scale=1 / 1.2).cdf(1.0)  # a patent exactly at its field's rate
    assert just_granted == pytest.approx(middle, abs=0.02)
    old_uncited = citation_percentiles(
        Portfolio.from_records(records(make_record, [date(2008, 1, 1)], [0])), AS_OF, reference
    )[0]
    assert old_uncited < 0.1


def test_more_citations_never_lower_and_result_is_batch_independent(make_record):
    reference = CitationReference(rates={"*": 0.4}, shape=1.0)
    grants = [date(2012, 3, 1) + timedelta(days=200 * i) for i in range(20)]
    base = records(make_record, grants, [i % 5 for i in range(20)])
    alone = [citation_percentiles(Portfolio.from_records([r]), AS_OF, reference)[0] for r in base]
    together = citation_percentiles(Portfolio.from_records(base), AS_OF, reference)
    np.testing.assert_allclose(together, alone, rtol=0, atol=0)
    more = citation_percentiles(
        Portfolio.from_records([dict(r, forward_citations=r["forward_citations"] + 1) for r in base]), AS_OF, reference
    )
    assert np.all(more > together)


def test_reference_recovers_known_rates_and_shape(make_record):
    # Simulate the model: θ ~ Gamma(a, a), c ~ Poisson(θ r e); the fitted a and r must be close.
    rng = np.random.default_rng(4)
    n, a, rate = 6000, 0.8, 0.6
    grants = [AS_OF - timedelta(days=int(d)) for d in rng.integers(30, 15 * 365, n)]
    exposure = np.array([(AS_OF - g).days / 365.25 for g in grants])
    cites = rng.poisson(rng.gamma(a, 1 / a, n) * rate * exposure)
    portfolio = Portfolio.from_records(records(make_record, grants, cites.tolist()))
    np.testing.assert_allclose(exposure_years(portfolio, AS_OF), exposure)
    reference = build_citation_reference(portfolio, AS_OF, _params(min_exposure=1e9))
    assert set(reference.rates) == {"*"}  # no field reaches the exposure floor
    assert reference.rates["*"] == pytest.approx(rate, rel=0.05)
    assert reference.shape == pytest.approx(a, rel=0.1)


def _params(min_exposure: float):
    from valuation import load_params

    return load_params().with_overrides({"scoring": {"citations": {"min_exposure_years": min_exposure}}})
