"""Maintenance survival model: Weibull proportional hazards with covariates, censoring and truncation.

Owners stop paying annual fees when a patent is no longer worth its fee (renewal models, Pakes
1986), so the age at which a patent lapses carries information about its value. We model the
age *t* in years since filing at which a patent lapses with a Weibull proportional-hazards model
(Kalbfleisch & Prentice 2002, §2.2)::

    h(t | x) = k t^(k−1) exp(b₀ + xβ)          hazard
    H(t | x) = t^k exp(b₀ + xβ)                  cumulative hazard
    S(t | x) = exp(−H(t | x))                    survival;  λ = exp(−b₀/k) is the baseline scale

so ``S(t|x) = exp(−(t/λ)^k · exp(xβ))``; a coefficient β_j is a log hazard ratio
(negative = keeps the patent alive longer).

Data (``survival_data``): a patent is observed only once it is granted (annual fees start at
grant), so each granted patent enters at its grant age *a* (**left truncation**) and leaves at

* its lapse age (**event**) if lapsed — lapses are backdated to the fee due date;
* the due date of its first unpaid fee if the register says valid but the grace period has
  run out (the lapse is certain, only not yet recorded) (**event**);
* its age at the valuation date if valid (**right-censored**), or the end of its legal term if
  expired (censored: it survived as long as it could).

Pending, invalidated and ungranted records do not enter the fit. The log-likelihood with left
truncation is ``Σ dᵢ log h(tᵢ) − H(tᵢ) + H(aᵢ)`` (dᵢ = 1 for an event); we maximise it, minus an
optional ridge penalty ``ridge/2 · Σβ'²`` on the coefficients of standardised covariates, with
L-BFGS-B and the analytic gradient (scipy.optimize.minimize). Standard errors come from the
inverse of a finite-difference Hessian of the analytic gradient.

Prediction for a patent alive at age *a* with remaining legal term R years:
``P(alive at a + s | alive at a) = exp(−e^η ((a+s)^k − a^k))`` for s ≤ R, 0 beyond the term;
expected remaining economic life ``E = ∫₀^R P(alive at a + s | alive at a) ds``
(Gauss–Legendre quadrature, 16 nodes; the integrand is smooth, and the tests hold it to
1e-6 of the incomplete-gamma closed form).

``fit_survival`` refits on the portfolio when it has at least ``survival.min_events`` lapses and
``survival.min_patents`` patents at risk, and otherwise returns the shipped defaults
(``params/survival.toml``); ``SurvivalModel.source`` says which.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from scipy import optimize

from valuation.citations import citation_percentiles
from valuation.fees import DESIGN, UTILITY_MODEL, expiry_dates, fee_status
from valuation.industry import industry_cluster
from valuation.params import Params, load_params
from valuation.portfolio import EXPIRED, LAPSED, VALID, Portfolio

YEAR = 365.25
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


@dataclass(frozen=True)
class SurvivalModel:
    """Fitted or default Weibull PH parameters (see module docstring for the formulas).

    ``shape`` = k, ``scale_years`` = λ at x = 0, ``coefficients`` = β by covariate name
    (covariates not listed count 0). ``source`` is "fitted" or "default"; ``n`` / ``events`` are
    the patents and lapses the fit used (0 for defaults).
    """

    shape: float
    scale_years: float
    coefficients: dict[str, float]
    source: str
    version: str
    n: int = 0
    events: int = 0
    as_of: date | None = None
    log_likelihood: float | None = None
    standard_errors: dict[str, float] = field(default_factory=dict)
    converged: bool = True

    @property
    def covariates(self) -> list[str]:
        return list(self.coefficients)

    @property
    def intercept(self) -> float:
        """b₀ = −k log λ."""
        return -self.shape * np.log(self.scale_years)

    def linear_predictor(self, covariates: dict[str, np.ndarray], n: int) -> np.ndarray:
        """η = b₀ + xβ for each patent."""
        eta = np.full(n, self.intercept)
        for name, beta in self.coefficients.items():
            if beta != 0.0:
                eta = eta + beta * covariates[name]
        return eta

    def survival(self, age: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """S(t | x) at ``age`` years since filing."""
        return np.exp(-np.power(np.maximum(age, 0.0), self.shape) * np.exp(eta))

    def conditional_survival(self, age: np.ndarray, horizon: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """P(alive at age + horizon | alive at age) = exp(−e^η((a+s)^k − a^k)) (no legal-term cap)."""
        a = np.maximum(age, 0.0)
        k = self.shape
        return np.exp(-np.exp(eta) * (np.power(a + horizon, k) - np.power(a, k)))

    def expected_remaining_life(self, age: np.ndarray, remaining: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """∫₀^R P(alive at a+s | alive at a) ds, R = remaining legal term (years), by Gauss–Legendre.

        Evaluated only where R > 0 (0 elsewhere).
        """
        remaining = np.maximum(np.asarray(remaining, dtype=np.float64), 0.0)
        result = np.zeros(remaining.shape)
        rows = np.nonzero(remaining > 0)[0]
        if rows.size == 0:
            return result
        r = remaining[rows][:, None]
        a = np.maximum(np.asarray(age, dtype=np.float64)[rows], 0.0)[:, None]
        s = (r / 2.0) * (_GL_NODES[None, :] + 1.0)
        a_k = np.power(a, self.shape)
        values = np.exp(-np.exp(np.asarray(eta)[rows])[:, None] * (np.power(a + s, self.shape) - a_k))
        result[rows] = (remaining[rows] / 2.0) * (values @ _GL_WEIGHTS)
        return result

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe parameters (for the service's survival_fits table)."""
        return {
            "model": "weibull_ph",
            "shape": float(self.shape),
            "scale_years": float(self.scale_years),
            "coefficients": {k: float(v) for k, v in self.coefficients.items()},
            "standard_errors": {k: float(v) for k, v in self.standard_errors.items()},
            "source": self.source,
            "version": self.version,
            "n": int(self.n),
            "events": int(self.events),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "log_likelihood": None if self.log_likelihood is None else float(self.log_likelihood),
            "converged": bool(self.converged),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SurvivalModel:
        if data.get("model", "weibull_ph") != "weibull_ph":
            raise ValueError(f"unsupported survival model {data.get('model')!r}")
        return cls(
            shape=float(data["shape"]),
            scale_years=float(data["scale_years"]),
            coefficients={k: float(v) for k, v in data["coefficients"].items()},
            source=str(data["source"]),
            version=str(data["version"]),
            n=int(data.get("n", 0)),
            events=int(data.get("events", 0)),
            as_of=date.fromisoformat(data["as_of"]) if data.get("as_of") else None,
            log_likelihood=data.get("log_likelihood"),
            standard_errors={k: float(v) for k, v in data.get("standard_errors", {}).items()},
            converged=bool(data.get("converged", True)),
        )


def default_model(params: Params | None = None) -> SurvivalModel:
    """The shipped default parameters of ``params/survival.toml``."""
    params = params or load_params()
    default = params.survival["default"]
    names = params.survival["covariates"]
    return SurvivalModel(
        shape=float(default["shape"]),
        scale_years=float(default["scale_years"]),
        coefficients={name: float(default["coefficients"][name]) for name in names},
        source="default",
        version=str(default["version"]),
    )


def covariate_columns(
    portfolio: Portfolio, citation_pct: np.ndarray, params: Params, cluster: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """The model's covariates (fixed transformations; unknown counts as the conservative value).

    citation_pct: cohort percentile (0..1); log_claims: log(1 + claims), unknown → 0 claims;
    log_family: log(family size), unknown → 1; granted_abroad: 0/1, unknown → 0;
    commercialization: stage/3, unknown → none; utility_model, design: type indicators;
    cluster_*: county industry cluster derived from the IPC (other = baseline).
    """
    if cluster is None:
        cluster = industry_cluster(portfolio, params)
    return {
        "citation_pct": citation_pct,
        "log_claims": np.log1p(np.nan_to_num(portfolio.claims, nan=0.0)),
        "log_family": np.log(np.maximum(np.nan_to_num(portfolio.family_size, nan=1.0), 1.0)),
        "granted_abroad": portfolio.granted_abroad.astype(np.float64),
        "commercialization": np.maximum(portfolio.commercialization, 0).astype(np.float64) / 3.0,
        "utility_model": (portfolio.kind == UTILITY_MODEL).astype(np.float64),
        "design": (portfolio.kind == DESIGN).astype(np.float64),
        "cluster_energy_electronics": (cluster == "energy_electronics").astype(np.float64),
        "cluster_equipment_manufacturing": (cluster == "equipment_manufacturing").astype(np.float64),
        "cluster_green_consumer": (cluster == "green_consumer").astype(np.float64),
    }


@dataclass(frozen=True)
class SurvivalData:
    """Rows that enter the fit: entry (grant age), exit age, event flag, and the row index."""

    index: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    event: np.ndarray


def survival_data(portfolio: Portfolio, as_of: date, params: Params) -> SurvivalData:
    """Left-truncated, right-censored maintenance data at ``as_of`` (see module docstring)."""
    as_of64 = np.datetime64(as_of, "D")
    filing = portfolio.filing
    granted = ~np.isnat(portfolio.grant) & (portfolio.grant <= as_of64)
    expiry = expiry_dates(portfolio.kind, filing, portfolio.term_compensation_days, params)
    status = portfolio.status
    fees = fee_status(portfolio.kind, filing, portfolio.fees_paid_through, granted & (status == VALID), as_of64, params)

    def age(when: np.ndarray) -> np.ndarray:
        return (when - filing).astype(np.float64) / YEAR

    lapsed_known = (status == LAPSED) & ~np.isnat(portfolio.lapse) & (portfolio.lapse <= as_of64)
    lapsed_later = (status == LAPSED) & ~np.isnat(portfolio.lapse) & (portfolio.lapse > as_of64)
    exit_date = np.where(lapsed_known, portfolio.lapse, as_of64)
    exit_date = np.where(status == VALID, np.minimum(as_of64, expiry + np.timedelta64(1, "D")), exit_date)
    exit_date = np.where(fees.past_grace, fees.next_due, exit_date)
    exit_date = np.where(status == EXPIRED, expiry + np.timedelta64(1, "D"), exit_date)
    event = lapsed_known | fees.past_grace
    use = granted & (((status == VALID) | (status == EXPIRED)) | lapsed_known | lapsed_later)
    entry_age = age(np.where(granted, portfolio.grant, filing))
    exit_age = age(exit_date)
    use &= exit_age > entry_age + 1e-6
    index = np.nonzero(use)[0]
    return SurvivalData(
        index=index, entry=entry_age[index], exit=exit_age[index], event=event[index].astype(np.float64)
    )


def _negative_loglik(
    theta: np.ndarray,
    X: np.ndarray,
    entry: np.ndarray,
    exit: np.ndarray,
    event: np.ndarray,
    log_exit: np.ndarray,
    log_entry: np.ndarray,
    ridge: float,
) -> tuple[float, np.ndarray]:
    """−ℓ(θ)/n + penalty and its gradient; θ = (log k, b₀, β) on standardised covariates."""
    n = exit.shape[0]
    log_k, b0, beta = theta[0], theta[1], theta[2:]
    k = np.exp(log_k)
    # einsum, not BLAS: these products are small, and waking BLAS worker threads for them costs
    # more than the arithmetic (notably on two-core machines).
    eta = b0 + np.einsum("ij,j->i", X, beta) if beta.size else np.full(n, b0)
    e_eta = np.exp(eta)
    h_exit = np.exp(k * log_exit) * e_eta
    h_entry = np.where(entry > 0, np.exp(k * log_entry) * e_eta, 0.0)
    loglik = np.sum(event * (log_k + (k - 1.0) * log_exit + eta) - h_exit + h_entry)
    d_eta = event - h_exit + h_entry
    d_k = np.sum(event * log_exit - h_exit * log_exit + h_entry * log_entry)
    grad = np.empty_like(theta)
    grad[0] = event.sum() + k * d_k
    grad[1] = d_eta.sum()
    if beta.size:
        grad[2:] = np.einsum("ij,i->j", X, d_eta)
    value = -loglik / n + 0.5 * ridge * float(beta @ beta) / n
    gradient = -grad / n
    gradient[2:] += ridge * beta / n
    return value, gradient


def fit_weibull_ph(
    entry: np.ndarray, exit: np.ndarray, event: np.ndarray, X: np.ndarray | None = None, *, ridge: float = 0.0
) -> dict[str, Any]:
    """Maximum-likelihood Weibull PH fit with left truncation (entry) and right censoring.

    Parameters
    ----------
    entry, exit : ages in years (0 ≤ entry < exit); entry = 0 means no truncation.
    event : 1 where the exit is a lapse, 0 where censored.
    X : (n, p) covariates on their natural scale (standardised internally; a constant column
        gets coefficient 0).
    ridge : penalty ``ridge/2 · Σβ'²`` on standardised coefficients (0 = plain MLE).

    Returns ``shape`` k, ``scale_years`` λ, ``intercept`` b₀, ``coefficients`` β (natural
    scale), ``standard_errors`` (of log k, b₀ and β, from the observed information),
    ``log_likelihood``, ``converged``.
    """
    entry = np.asarray(entry, dtype=np.float64)
    exit = np.asarray(exit, dtype=np.float64)
    event = np.asarray(event, dtype=np.float64)
    n = exit.shape[0]
    X = np.zeros((n, 0)) if X is None else np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0) if n else np.zeros(X.shape[1])
    sd = X.std(axis=0) if n else np.ones(X.shape[1])
    active = sd > 1e-12
    Z = (X[:, active] - mean[active]) / sd[active]
    log_exit = np.log(exit)
    log_entry = np.log(np.where(entry > 0, entry, 1.0))
    events = max(event.sum(), 1.0)
    exposure = max(np.sum(exit - entry), 1e-9)
    theta0 = np.zeros(2 + Z.shape[1])
    theta0[0] = np.log(1.5)
    theta0[1] = np.log(events / np.sum(exit**1.5 - entry**1.5)) if exposure > 0 else 0.0
    args = (Z, entry, exit, event, log_exit, log_entry, ridge)
    result = optimize.minimize(
        _negative_loglik,
        theta0,
        args=args,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-14},
    )
    theta = result.x
    # Observed information by central differences of the analytic gradient (unpenalised, ×n).
    hessian = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        step = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        hessian[:, j] = (_negative_loglik(up, *args[:-1], 0.0)[1] - _negative_loglik(down, *args[:-1], 0.0)[1]) / (
            2 * step
        )
    hessian = 0.5 * (hessian + hessian.T) * n
    try:
        cov_std = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        cov_std = np.full_like(hessian, np.nan)
    k = float(np.exp(theta[0]))
    beta = np.zeros(X.shape[1])
    beta[active] = theta[2:] / sd[active]
    b0 = float(theta[1] - np.sum(theta[2:] * mean[active] / sd[active]))
    # Delta method to the natural scale: b₀ = b₀' − Σ β'ⱼ mⱼ/sⱼ, βⱼ = β'ⱼ/sⱼ.
    jac = np.zeros((2 + X.shape[1], theta.size))
    jac[0, 0] = 1.0
    jac[1, 1] = 1.0
    jac[1, 2:] = -mean[active] / sd[active]
    jac[2 + np.nonzero(active)[0], 2 + np.arange(active.sum())] = 1.0 / sd[active]
    cov = np.einsum("ij,jk,lk->il", jac, cov_std, jac)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    loglik = -_negative_loglik(theta, *args[:-1], 0.0)[0] * n
    return {
        "shape": k,
        "scale_years": float(np.exp(-b0 / k)),
        "intercept": b0,
        "coefficients": beta,
        "standard_errors": {"log_shape": float(se[0]), "intercept": float(se[1]), "coefficients": se[2:]},
        "covariance": cov,
        "log_likelihood": float(loglik),
        "converged": bool(result.success),
    }


def fit_survival(
    portfolio: Portfolio, as_of: date, *, params: Params | None = None, citation_pct: np.ndarray | None = None
) -> SurvivalModel:
    """Fit the maintenance model on ``portfolio`` as of ``as_of``, or return the shipped defaults.

    Refits when the data have at least ``survival.min_events`` lapses and
    ``survival.min_patents`` patents; otherwise (or if the optimiser fails) returns
    :func:`default_model` — check ``.source``.
    """
    params = params or load_params()
    config = params.survival
    data = survival_data(portfolio, as_of, params)
    n, events = int(data.index.size), int(data.event.sum())
    if events < int(config["min_events"]) or n < int(config["min_patents"]):
        return default_model(params)
    if citation_pct is None:
        citation_pct, _ = citation_percentiles(portfolio, int(params.scoring["citations"]["min_cohort"]))
    names = list(config["covariates"])
    columns = covariate_columns(portfolio, citation_pct, params)
    X = np.column_stack([columns[name][data.index] for name in names]) if names else None
    fit = fit_weibull_ph(data.entry, data.exit, data.event, X, ridge=float(config["ridge"]))
    if not fit["converged"] or not np.isfinite(fit["log_likelihood"]):
        return default_model(params)
    coefficients = {name: float(b) for name, b in zip(names, fit["coefficients"], strict=True)}
    se = {"log_shape": fit["standard_errors"]["log_shape"], "intercept": fit["standard_errors"]["intercept"]}
    se.update({name: float(s) for name, s in zip(names, fit["standard_errors"]["coefficients"], strict=True)})
    digest = hashlib.sha256(
        json.dumps([fit["shape"], fit["scale_years"], coefficients, n, events], sort_keys=True).encode()
    ).hexdigest()[:8]
    return SurvivalModel(
        shape=fit["shape"],
        scale_years=fit["scale_years"],
        coefficients=coefficients,
        source="fitted",
        version=f"wph-f-{digest}",
        n=n,
        events=events,
        as_of=as_of,
        log_likelihood=fit["log_likelihood"],
        standard_errors=se,
        converged=fit["converged"],
    )


__all__ = [
    "SurvivalData",
    "SurvivalModel",
    "covariate_columns",
    "default_model",
    "fit_survival",
    "fit_weibull_ph",
    "survival_data",
]
