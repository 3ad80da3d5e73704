"""What a projection says about itself: warnings, assumptions and the model's description.

Every sentence a reader sees comes in English and Chinese (``{"en", "zh"}``; warnings also
carry a stable ``code`` a client can switch on). Nothing here computes a probability: these
functions only put into words what :mod:`.model`, :mod:`.simulation` and :mod:`.cross_check`
did, and describe the fitted parameters as plain data for the response's ``model`` field.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from scipy import special

from service.targets.projection.model import (
    DAYS_PER_MONTH,
    MIN_EVENTS_FOR_LOGNORMAL,
    Fit,
    KnownProcess,
    RatePrior,
    SizeSource,
    Unit,
)

Sentence = dict[str, str]  # {"en": ..., "zh": ...}
WarningText = dict[str, str]  # {"code": ..., "en": ..., "zh": ...}


def _warning(code: str, en: str, zh: str) -> WarningText:
    return {"code": code, "en": en, "zh": zh}


# --------------------------------------------------------------------------------------------
# Warnings


def events_after_as_of_ignored(count: int, as_of: date) -> WarningText:
    return _warning(
        "events_after_as_of_ignored",
        f"{count} registration(s) dated after {as_of} were ignored.",
        f"已忽略{count}笔登记日期晚于{as_of}的记录。",
    )


def few_events_empirical_sizes(n: int) -> WarningText:
    return _warning(
        "few_events_empirical_sizes",
        f"Only {n} registration(s) so far: future amounts are resampled from them, which "
        "understates how much amounts vary.",
        f"目前仅{n}笔登记：未来金额从已有金额中重抽样，会低估金额的波动。",
    )


def rate_unknown() -> WarningText:
    return _warning(
        "rate_unknown",
        "Nothing recorded in the window yet: the rate is unknown and the projection rests on the prior alone.",
        "窗口内尚无记录：速率未知，预测仅依据先验。",
    )


def rate_prior_improper() -> WarningText:
    return _warning(
        "rate_prior_improper",
        "The window has not started and the rate prior is improper (rate_days = 0, as "
        "Jeffreys' is): no projection. Supply a proper rate prior.",
        "窗口尚未开始且速率先验为非正常先验（rate_days = 0，如Jeffreys先验）：无法预测，"
        "请提供正常（proper）的速率先验。",
    )


def size_unknown() -> WarningText:
    return _warning(
        "size_unknown",
        "No amount observed yet and no size prior given: no projection.",
        "尚无金额数据且未提供金额先验：无法预测。",
    )


def size_mean_undefined() -> WarningText:
    return _warning(
        "size_mean_undefined",
        "Amounts vary so much relative to their number that the expected total is undefined.",
        "金额离散程度相对样本量过大，期望总额无定义。",
    )


def cross_check_disagrees() -> WarningText:
    return _warning(
        "cross_check_disagrees",
        "The simulation and the count-mixture cross-check disagree beyond their tolerance.",
        "模拟结果与计数混合交叉核对结果的差异超出容差。",
    )


# --------------------------------------------------------------------------------------------
# Assumptions


def assumption_final(deadline: date) -> Sentence:
    return {
        "en": f"The window closed on {deadline}; this is the final result, not a projection.",
        "zh": f"窗口已于{deadline}结束；此为最终结果，不是预测。",
    }


_POISSON = {
    "en": "Registrations arrive independently at a constant average rate over the window "
    "(a homogeneous Poisson process); seasonal peaks such as year-end are not modelled.",
    "zh": "登记在窗口内以恒定平均速率独立发生（齐次泊松过程），不考虑年末冲量等季节性高峰。",
}
_RATE_GIVEN = {
    "en": "The rate and the size distribution are given, not estimated.",
    "zh": "速率和金额分布为给定值，并非估计。",
}
_RATE_ESTIMATED = {
    "en": "The rate is estimated from this window's registrations so far; its uncertainty "
    "is carried by a Gamma posterior (Jeffreys prior unless another is stated), so "
    "the number of future registrations is negative binomial.",
    "zh": "速率由本窗口迄今的登记估计；其不确定性由伽马后验传递（除另有说明外为Jeffreys先验），"
    "故未来登记数服从负二项分布。",
}
_COUNT_ADDS_ONE = {
    "en": "Each event adds exactly one; nothing counted is taken away.",
    "zh": "每个事件计数加一；已计入的不会减少。",
}
_SIZES = {
    "fitted_mle": (
        "follow a lognormal distribution fitted to the amounts so far (maximum likelihood on log "
        "amounts, with the estimates' own uncertainty)",
        "服从由已有金额拟合的对数正态分布（对数金额的极大似然估计，并计入估计本身的不确定性）",
    ),
    "empirical": (
        f"are drawn from the amounts so far (fewer than {MIN_EVENTS_FOR_LOGNORMAL} registrations)",
        f"从已有金额中抽取（登记不足{MIN_EVENTS_FOR_LOGNORMAL}笔）",
    ),
    "prior": (
        "follow the stated prior lognormal distribution (no amount observed yet)",
        "服从给定的先验对数正态分布（尚无金额数据）",
    ),
    "known": ("follow the given distribution", "服从给定分布"),
}
_NOT_WITHDRAWN = {
    "en": "Registrations already counted are not withdrawn or revised.",
    "zh": "已计入的登记不会撤销或更改。",
}


def assumptions(unit: Unit, size_source: SizeSource, known: bool, draws: int, mc_se: float) -> list[Sentence]:
    """The assumptions of a simulated projection, in the order a reader needs them."""
    items = [dict(_POISSON), dict(_RATE_GIVEN if known else _RATE_ESTIMATED)]
    if unit == "count":
        items.append(dict(_COUNT_ADDS_ONE))
    else:
        sizes_en, sizes_zh = _SIZES[size_source]
        items.append(
            {
                "en": f"Amounts are independent of each other and of timing, and {sizes_en}.",
                "zh": f"各笔金额相互独立、与发生时间无关，且{sizes_zh}。",
            }
        )
        items.append(dict(_NOT_WITHDRAWN))
    items.append(
        {
            "en": f"The probability is estimated from {draws} seeded simulations (standard error ±{mc_se:.4f}).",
            "zh": f"概率由{draws}次带种子的模拟估计（标准误±{mc_se:.4f}）。",
        }
    )
    return items


# --------------------------------------------------------------------------------------------
# The model, described as data


def describe_arrivals(known: KnownProcess | None, prior: RatePrior, n: int, exposure: int, fit: Fit) -> dict[str, Any]:
    """λ: its MLE n/T, and the given rate or the Gamma posterior (mean, 10th and 90th percentiles)."""
    mle = n / exposure if exposure else None
    base: dict[str, Any] = {
        "process": "homogeneous_poisson",
        "rate_per_day_mle": mle,
        "rate_per_month_mle": None if mle is None else mle * DAYS_PER_MONTH,
    }
    if known is not None:
        base.update(
            source="known",
            rate_per_day=known.rate_per_day,
            rate_per_month=known.rate_per_day * DAYS_PER_MONTH,
            prior=None,
            posterior=None,
        )
        return base
    base.update(source="fitted", prior=prior.describe())
    shape, rate_days = fit.rate_shape, fit.rate_days
    if rate_days <= 0:
        base.update(rate_per_day=None, rate_per_month=None, posterior=None)
        return base
    base.update(
        rate_per_day=shape / rate_days,
        rate_per_month=shape / rate_days * DAYS_PER_MONTH,
        posterior={
            "family": "gamma",
            "shape": shape,
            "rate_days": float(rate_days),
            "rate_per_month_p10": _gamma_quantile(shape, rate_days, 0.1) * DAYS_PER_MONTH,
            "rate_per_month_p90": _gamma_quantile(shape, rate_days, 0.9) * DAYS_PER_MONTH,
        },
        predictive_counts="negative_binomial",
    )
    return base


def _gamma_quantile(shape: float, rate: float, q: float) -> float:
    return float(special.gammaincinv(shape, q)) / rate


def describe_sizes(fit: Fit) -> dict[str, Any]:
    """The size model, where it came from, and how its parameters' uncertainty is carried."""
    if fit.sizes is None:
        return {"distribution": None, "source": fit.size_source}
    out = {**fit.sizes.describe(), "source": fit.size_source}
    if fit.size_n is not None:
        out.update(
            fit="maximum_likelihood_on_log_amounts",
            n=fit.size_n,
            sigma_log_unbiased=math.sqrt(fit.size_s2 or 0.0),
            parameter_uncertainty="parametric_bootstrap: mu ~ N(mu_hat, s²/n), sigma² ~ s²·chi²(n−1)/(n−1)",
        )
    elif fit.size_source in ("known", "prior", "empirical"):
        out["parameter_uncertainty"] = "none"
    return out
