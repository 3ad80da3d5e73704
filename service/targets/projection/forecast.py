"""The projection of one target to its deadline: what is known at ``as_of``, fit, simulate, check.

:func:`project_to_deadline` (amount targets, fen) and :func:`project_count_to_deadline` (count
targets) take the registrations and the window, keep what is known at ``as_of``, and either
report the final result (the window has closed), say why no projection can be made, or fit the
model (:mod:`.model`), simulate futures (:mod:`.simulation`), compare the simulated probability
with the count-mixture cross-check (:mod:`.cross_check`) and state it all (:mod:`.narration`).

Time: days, a day observed whole (a registration dated ``as_of`` is achieved); exposure T is
the number of window days up to ``as_of``, t the number after it. Run-rates are per month of
365.25 / 12 days: actual = achieved / (T / month), required = remaining / (t / month). Money:
integer fen in and out; simulated sums are floats internally. The expected total is exact,
achieved + E[λ]·t·E[X]; the 10th, 50th and 90th percentiles of the total are the simulated
draws' quantiles.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from service.targets.projection import cross_check, narration
from service.targets.projection.model import (
    DAYS_PER_MONTH,
    JEFFREYS,
    MODEL_NAME,
    Fit,
    FixedSize,
    KnownProcess,
    LognormalSizes,
    RatePrior,
    Unit,
    fit_process,
)
from service.targets.projection.simulation import DEFAULT_DRAWS, simulate_totals

Status = Literal["projected", "reached", "final", "unavailable"]


@dataclass(frozen=True)
class Projection:
    """Progress of one target and its projection to the deadline.

    ``unit`` is ``"fen"`` for amount targets (every amount field is integer fen) and
    ``"count"`` for count targets. ``probability`` is P(total at deadline ≥ target); for a
    closed window (``status == "final"``) it is 1.0 or 0.0; it is None when no projection can
    be made (``status == "unavailable"``; ``warnings`` say why). ``total_p10/p50/p90`` are
    quantiles of the projected total at the deadline. ``rate_per_month`` is the actual run-rate
    (achieved per month of exposure), ``required_rate_per_month`` the rate needed over the days
    left. ``model`` states the model, its fitted parameters, prior, assumptions and inputs.
    """

    unit: Unit
    status: Status
    achieved: int
    target: int
    remaining: int
    days_left: int
    probability: float | None
    expected_total: int | float | None
    total_p10: int | None
    total_p50: int | None
    total_p90: int | None
    rate_per_month: int | float | None
    required_rate_per_month: int | float | None
    model: dict[str, Any]
    warnings: tuple[dict[str, str], ...] = ()

    @property
    def share(self) -> float:
        """Share of the target achieved (may exceed 1)."""
        return self.achieved / self.target

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (plain ints, floats, strings, lists and dicts)."""
        out = asdict(self)
        out["share"] = self.share
        out["warnings"] = [dict(w) for w in self.warnings]
        out["model"] = copy.deepcopy(self.model)
        return out


# --------------------------------------------------------------------------------------------
# Public API


def project_to_deadline(
    events: Sequence[tuple[date, int]],
    window_start: date,
    as_of: date,
    deadline: date,
    target_fen: int,
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    rate_prior: RatePrior = JEFFREYS,
    size_prior: LognormalSizes | None = None,
    known: KnownProcess | None = None,
) -> Projection:
    """Project an amount target (fen) to its deadline with a compound Poisson model.

    Parameters
    ----------
    events : (registration date, amount in fen) pairs. Pairs outside
        ``[window_start, deadline]`` are ignored; pairs dated after ``as_of`` are ignored with a
        warning (they are not known at ``as_of``).
    window_start, deadline : the target's window, both days included.
    as_of : the day of the report, included. ``as_of ≥ deadline`` gives the final result.
    target_fen : the target figure in fen (> 0).
    seed, draws : Monte Carlo seed and number of simulated futures.
    rate_prior : Gamma prior on λ per day (default Jeffreys).
    size_prior : lognormal sizes to use when no amount has been observed yet.
    known : known λ and size distribution; skips fitting (no parameter uncertainty).
    """
    dates, amounts = _split_events(events)
    return _project(
        "fen",
        dates,
        amounts,
        window_start,
        as_of,
        deadline,
        target_fen,
        seed=seed,
        draws=draws,
        rate_prior=rate_prior,
        size_prior=size_prior,
        known=known,
    )


def project_count_to_deadline(
    event_dates: Sequence[date],
    window_start: date,
    as_of: date,
    deadline: date,
    target_count: int,
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    rate_prior: RatePrior = JEFFREYS,
    known_rate_per_day: float | None = None,
) -> Projection:
    """Project a count target (e.g. newly certified enterprises): Poisson arrivals of +1 events.

    The same model as :func:`project_to_deadline` with every size fixed at 1, so the probability
    has the exact negative binomial form P(N ≥ remaining), N ~ NB(a₀ + n, (b₀ + T)/(b₀ + T + t)).
    It fits flows (events dated inside the window). A stock that can also fall (high-value
    patents held, which lapse) is only approximated by it.
    """
    dates = list(event_dates)
    known = None if known_rate_per_day is None else KnownProcess(known_rate_per_day, FixedSize(1))
    return _project(
        "count",
        dates,
        [1] * len(dates),
        window_start,
        as_of,
        deadline,
        target_count,
        seed=seed,
        draws=draws,
        rate_prior=rate_prior,
        size_prior=None,
        known=known,
    )


# --------------------------------------------------------------------------------------------
# What is known at as_of


@dataclass(frozen=True)
class _Progress:
    """The target's figures at ``as_of``: window days [window_start, min(as_of, deadline)] observed.

    ``exposure_days`` is T (0 before the window opens), ``remaining_days`` is t (0 once closed).
    """

    unit: Unit
    target: int
    observed_amounts: list[int]
    exposure_days: int
    remaining_days: int
    days_left: int
    closed: bool
    inputs: dict[str, Any]
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def achieved(self) -> int:
        return sum(self.observed_amounts)

    @property
    def remaining(self) -> int:
        return max(self.target - self.achieved, 0)

    @property
    def rate_per_month(self) -> float | None:
        """Actual run-rate: achieved per month of exposure."""
        return (self.achieved / (self.exposure_days / DAYS_PER_MONTH)) if self.exposure_days else None

    @property
    def required_rate_per_month(self) -> float | None:
        """Run-rate needed over the days left (None when there are none and something remains)."""
        if self.remaining == 0:
            return 0.0
        return self.remaining / (self.remaining_days / DAYS_PER_MONTH) if self.remaining_days else None

    def result(
        self,
        status: Status,
        probability: float | None,
        expected: float | None,
        quantiles: tuple[float, float, float] | None,
        model: dict[str, Any],
    ) -> Projection:
        q = quantiles or (None, None, None)
        return Projection(
            unit=self.unit,
            status=status,
            achieved=self.achieved,
            target=self.target,
            remaining=self.remaining,
            days_left=self.days_left,
            probability=probability,
            expected_total=_in_unit(self.unit, expected),
            total_p10=_in_fen(q[0]),
            total_p50=_in_fen(q[1]),
            total_p90=_in_fen(q[2]),
            rate_per_month=_in_unit(self.unit, self.rate_per_month),
            required_rate_per_month=_in_unit(self.unit, self.required_rate_per_month),
            model=model,
            warnings=tuple(self.warnings),
        )


def _observe(
    unit: Unit, dates: list[date], amounts: list[int], window_start: date, as_of: date, deadline: date, target: int
) -> _Progress:
    """Keep the registrations inside the window and known at ``as_of``; count the days on each side."""
    in_window = [(d, a) for d, a in zip(dates, amounts, strict=True) if window_start <= d <= deadline]
    observed = [a for d, a in in_window if d <= as_of]
    not_yet_known = len(in_window) - len(observed)
    closed = as_of >= deadline
    exposure_days = 0 if as_of < window_start else (min(as_of, deadline) - window_start).days + 1
    last_known = max(as_of, window_start - timedelta(days=1))
    remaining_days = 0 if closed else (deadline - last_known).days
    inputs = {
        "events": len(observed),
        "exposure_days": exposure_days,
        "remaining_days": remaining_days,
        "window_start": window_start.isoformat(),
        "as_of": as_of.isoformat(),
        "deadline": deadline.isoformat(),
        "events_outside_window": len(dates) - len(in_window),
        "events_after_as_of": not_yet_known,
    }
    progress = _Progress(
        unit=unit,
        target=target,
        observed_amounts=observed,
        exposure_days=exposure_days,
        remaining_days=remaining_days,
        days_left=max((deadline - as_of).days, 0),
        closed=closed,
        inputs=inputs,
    )
    if not_yet_known and not closed:
        progress.warnings.append(narration.events_after_as_of_ignored(not_yet_known, as_of))
    return progress


# --------------------------------------------------------------------------------------------
# The projection


def _project(
    unit: Unit,
    dates: list[date],
    amounts: list[int],
    window_start: date,
    as_of: date,
    deadline: date,
    target: int,
    *,
    seed: int,
    draws: int,
    rate_prior: RatePrior,
    size_prior: LognormalSizes | None,
    known: KnownProcess | None,
) -> Projection:
    _check_inputs(amounts, window_start, deadline, target, draws)
    progress = _observe(unit, dates, amounts, window_start, as_of, deadline, int(target))
    if progress.closed:
        return _final(progress, deadline)
    fit = fit_process(unit, progress.observed_amounts, progress.exposure_days, rate_prior, size_prior, known)
    n = len(progress.observed_amounts)
    if fit.size_source == "empirical":
        progress.warnings.append(narration.few_events_empirical_sizes(n))
    if known is None and n == 0:
        progress.warnings.append(narration.rate_unknown())
    model: dict[str, Any] = {
        "name": MODEL_NAME,
        "arrivals": narration.describe_arrivals(known, rate_prior, n, progress.exposure_days, fit),
        "sizes": narration.describe_sizes(fit),
        "inputs": progress.inputs,
        "seed": seed,
        "draws": draws,
    }
    if fit.rate_improper or fit.sizes is None:
        progress.warnings.append(narration.rate_prior_improper() if fit.rate_improper else narration.size_unknown())
        model.update(method="none", assumptions=[])
        return progress.result("unavailable", None, None, None, model)
    return _simulate(progress, fit, model, seed, draws)


def _check_inputs(amounts: list[int], window_start: date, deadline: date, target: int, draws: int) -> None:
    if deadline < window_start:
        raise ValueError(f"deadline {deadline} is before the window start {window_start}")
    if int(target) <= 0:
        raise ValueError(f"target must be positive, got {target}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if any(a <= 0 for a in amounts):
        raise ValueError("every amount must be positive (fen)")


def _final(progress: _Progress, deadline: date) -> Projection:
    """The window has closed: the achieved figure is the result, probability 1 or 0."""
    achieved = progress.achieved
    model = {
        "name": MODEL_NAME,
        "method": "final",
        "inputs": progress.inputs,
        "assumptions": [narration.assumption_final(deadline)],
        "draws": None,
        "seed": None,
    }
    probability = 1.0 if achieved >= progress.target else 0.0
    return progress.result("final", probability, float(achieved), (achieved, achieved, achieved), model)


def _simulate(progress: _Progress, fit: Fit, model: dict[str, Any], seed: int, draws: int) -> Projection:
    """Monte Carlo futures from ``fit``, the exact expected total, and the count-mixture cross-check."""
    achieved, remaining, days = progress.achieved, progress.remaining, float(progress.remaining_days)
    totals = achieved + simulate_totals(fit, days, draws, np.random.default_rng(seed))
    mc_probability = float(np.mean(totals >= progress.target))
    mc_se = math.sqrt(mc_probability * (1 - mc_probability) / draws)
    mean_size = fit.mean_size()
    expected = achieved + fit.mean_rate * days * mean_size
    if not math.isfinite(mean_size):
        progress.warnings.append(narration.size_mean_undefined())
    p10, p50, p90 = (float(v) for v in np.quantile(totals, [0.1, 0.5, 0.9]))
    quantiles = (p10, p50, p90)

    model["method"] = "monte_carlo"
    model["mc_standard_error"] = mc_se
    known = fit.rate_known is not None
    model["assumptions"] = narration.assumptions(progress.unit, fit.size_source, known, draws, mc_se)
    if remaining > 0:
        check = cross_check.count_mixture_probability(fit, days, float(remaining))
    else:
        check = {"method": "none", "reason": "target already reached"}
    if "probability" in check:
        check["difference"] = mc_probability - check["probability"]
        check["tolerance"] = cross_check.tolerance(check["method"], mc_se, draws)
        check["agrees"] = abs(check["difference"]) <= check["tolerance"]
        if not check["agrees"]:
            progress.warnings.append(narration.cross_check_disagrees())
    check["mc_expected_total"] = float(totals.mean())
    model["cross_check"] = check

    if remaining == 0:
        return progress.result("reached", 1.0, expected, quantiles, model)
    return progress.result("projected", mc_probability, expected, quantiles, model)


def _split_events(events: Iterable[tuple[date, int]]) -> tuple[list[date], list[int]]:
    dates, amounts = [], []
    for day, amount in events:
        dates.append(day)
        amounts.append(int(amount))
    return dates, amounts


def _in_unit(unit: Unit, value: float | None) -> int | float | None:
    """Integer fen for amounts, counts to 4 decimals; None for a missing or infinite value."""
    if unit == "fen":
        return _in_fen(value)
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def _in_fen(value: float | None) -> int | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value)
