"""Will a target be reached by its deadline? A compound Poisson projection of target progress.

Pure numerics (numpy, scipy): no database, no web framework. The targets service turns rows into
``(registration date, amount in fen)`` pairs and calls :func:`project_to_deadline`, or
:func:`project_count_to_deadline` for count targets (certified enterprises), and
:func:`monthly_series` for the chart.

Model
-----
Registrations in the window form a compound Poisson process::

    total at deadline = achieved + S,    S = X_1 + … + X_N,
    N | λ ~ Poisson(λ·t),                t = days of the window after ``as_of``,
    λ | history ~ Gamma(a₀ + n, b₀ + T)  (shape, rate per day; Jeffreys' prior by default),
    X_i iid sizes, independent of N      (lognormal, resampled, a prior, or 1 for counts).

P(achieved + S ≥ target) is estimated by seeded, vectorised Monte Carlo and checked against the
mixture over counts Σ_n P(N = n)·P(S_n ≥ remaining), with P(N = n) exact (negative binomial)
and P(S_n ≥ r) by Fenton–Wilkinson (exact for fixed sizes). The expected total is exact:
achieved + E[λ]·t·E[X].

Modules
-------
:mod:`.model`        the model's inputs (priors, size models) and its fit; formulas, references
:mod:`.simulation`   the Monte Carlo futures (one ``numpy.random.Generator``, bounded memory)
:mod:`.cross_check`  the deterministic count-mixture check (Fenton 1960)
:mod:`.narration`    the warnings and assumptions in English and Chinese; the model as data
:mod:`.forecast`     what is known at ``as_of``, and the projection put together
:mod:`.series`       the monthly series for the chart (bookkeeping, no model)

References: Gelman et al., *Bayesian Data Analysis*, 3rd ed., §2.6; Fenton, *IRE Trans. Commun.
Syst.* 8(1):57–67, 1960.

Example
-------
>>> from datetime import date
>>> events = [(date(2024, 1, 10), 50_000_000), (date(2024, 3, 2), 80_000_000)]
>>> p = project_to_deadline(events, date(2024, 1, 1), date(2024, 6, 30), date(2024, 12, 31),
...                         400_000_000, draws=2000)
>>> p.status, p.achieved, p.remaining
('projected', 130000000, 270000000)
"""

from service.targets.projection.forecast import (
    Projection,
    Status,
    project_count_to_deadline,
    project_to_deadline,
)
from service.targets.projection.model import (
    DAYS_PER_MONTH,
    JEFFREYS,
    MIN_EVENTS_FOR_LOGNORMAL,
    MODEL_NAME,
    EmpiricalSizes,
    FixedSize,
    KnownProcess,
    LognormalSizes,
    RatePrior,
    SizeModel,
    Unit,
)
from service.targets.projection.series import monthly_series
from service.targets.projection.simulation import DEFAULT_DRAWS

__all__ = [
    "DAYS_PER_MONTH",
    "DEFAULT_DRAWS",
    "JEFFREYS",
    "MIN_EVENTS_FOR_LOGNORMAL",
    "MODEL_NAME",
    "EmpiricalSizes",
    "FixedSize",
    "KnownProcess",
    "LognormalSizes",
    "Projection",
    "RatePrior",
    "SizeModel",
    "Status",
    "Unit",
    "monthly_series",
    "project_count_to_deadline",
    "project_to_deadline",
]
