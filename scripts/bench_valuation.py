"""Benchmark the valuation engine (a script, not a test).

1. Simulates 100,000 patents (Pakes renewal process) and turns them into a Portfolio.
2. Engine, end to end: survival fit + score + rules + P10/P50/P90 with 1,000 Monte Carlo draws.
3. A straightforward per-patent Python loop of the same math (legal position, fee status,
   cohort citation percentile by bisection in pre-sorted cohorts, survival predictions with the
   same quadrature, the score, and the Monte Carlo over the same 1,000 common draws) on a
   sample; checks it agrees with the engine, and prints patents/second for both and the ratio.
   The loop is given the fitted model and the sorted cohorts for free (not timed).
4. Score only (no Monte Carlo) for 1,000,000 patents (the 100,000 tiled ten times).

Peak memory: tracemalloc (numpy reports its buffers to it) around the engine run, and the
process's maximum resident set size.

Usage: ``python scripts/bench_valuation.py [--n 100000] [--sample 500] [--draws 1000]``
"""

from __future__ import annotations

import argparse
import bisect
import math
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta

import numpy as np

from valuation import Portfolio, fit_survival, load_params, valuate
from valuation.engine import MODEL_VERSION
from valuation.fees import PATENT_TYPES
from valuation.income import draw_scenarios
from valuation.industry import royalty_ranges
from valuation.portfolio import AWARDS, PENDING, STAGES, VALID
from valuation.simulation import simulate_portfolio

AS_OF = date(2025, 6, 30)
GL_NODES, GL_WEIGHTS = (x.tolist() for x in np.polynomial.legendre.leggauss(16))


def log(message: str) -> None:
    print(message, flush=True)


# --- the per-patent loop ----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def tri_ppf(u: float, low: float, mode: float, high: float) -> float:
    span = high - low
    if span <= 0:
        return low
    if u < (mode - low) / span:
        return low + math.sqrt(u * span * (mode - low))
    return high - math.sqrt((1 - u) * span * (high - mode))


class Loop:
    """Everything the per-patent loop needs that is not per patent (built once, not timed)."""

    def __init__(self, portfolio: Portfolio, model, params, draws: int, seed: int):
        self.params, self.model = params, model
        cfg = params.scoring
        self.min_cohort = int(cfg["citations"]["min_cohort"])
        cites = np.nan_to_num(portfolio.forward_citations, nan=0.0)
        year = (
            np.where(np.isnat(portfolio.grant), portfolio.filing, portfolio.grant).astype("datetime64[Y]").astype(int)
            + 1970
        )
        self.cohorts: dict = {}
        for level, keys in enumerate(
            [
                zip(portfolio.ipc_subclass.tolist(), year.tolist()),
                zip(portfolio.ipc_section.tolist(), year.tolist()),
                ((None, y) for y in year.tolist()),
                ((None, None) for _ in year.tolist()),
            ]
        ):
            for key, c in zip(keys, cites.tolist()):
                self.cohorts.setdefault((level, key), []).append(c)
        for values in self.cohorts.values():
            values.sort()
        scenarios = draw_scenarios(draws, seed, params)
        self.share_u = scenarios.share_u.tolist()
        self.ratio = scenarios.ratio.tolist()
        self.group, ranges, _ = royalty_ranges(portfolio, params)
        self.ranges = ranges.tolist()
        self.fees = {k: params.fees["schedule"][k] for k in PATENT_TYPES}

    def fee(self, kind: str, year: int) -> float:
        return next((t["fee"] for t in self.fees[kind] if t["from"] <= year <= t["to"]), 0.0)

    def percentile(self, ipc_subclass: str, section: str, year: int, cites: float) -> float:
        keys = [(0, (ipc_subclass, year)), (1, (section, year)), (2, (None, year)), (3, (None, None))]
        for level, key in keys:
            if level < 2 and not ipc_subclass:
                continue
            values = self.cohorts[(level, key)]
            if len(values) >= self.min_cohort or level == 3:
                below = bisect.bisect_left(values, cites)
                equal = bisect.bisect_right(values, cites) - below
                return (below + equal / 2) / len(values)
        raise AssertionError

    def value(self, p: dict, group: int) -> tuple[float, float]:
        """Score and P50 of one patent (the engine's formulas, written out for one patent)."""
        params, model, cfg = self.params, self.model, self.params.scoring
        norm = cfg["normalisation"]
        kind = p["kind"]
        term = params.fees["term_years"][kind]
        if kind == "design" and p["filing"] < date(2021, 6, 1):
            term = params.fees["term_years"]["design_before_2021_06_01"]
        comp = int(p["comp"] or 0) if kind == "invention" else 0
        expiry = add_months(p["filing"], 12 * term) - timedelta(days=1) + timedelta(days=comp)
        granted = p["grant"] is not None
        past_grace = overdue = False
        if p["status"] == VALID and granted and p["paid"] is not None and p["paid"] + 1 <= term:
            due = add_months(p["filing"], 12 * int(p["paid"]))
            grace_end = add_months(due, 6)
            overdue = due < AS_OF <= grace_end
            past_grace = AS_OF > grace_end
        in_force = p["status"] == VALID and granted and AS_OF <= expiry and not past_grace
        alive = in_force or (p["status"] == PENDING and AS_OF <= expiry)
        remaining = ((expiry - AS_OF).days + 1) / 365.25 if alive else 0.0
        age = max((AS_OF - p["filing"]).days, 0) / 365.25
        year = (p["grant"] or p["filing"]).year
        pct = self.percentile(p["subclass"], p["section"], year, p["cites"] or 0.0)
        claims = p["claims"] or 0.0
        family = max(p["family"] or 1.0, 1.0)
        cov = {
            "citation_pct": pct,
            "log_claims": math.log1p(claims),
            "log_family": math.log(family),
            "granted_abroad": float(p["abroad"]),
            "commercialization": max(p["stage"], 0) / 3.0,
            "utility_model": float(kind == "utility_model"),
            "design": float(kind == "design"),
            "cluster_energy_electronics": float(p["cluster"] == "energy_electronics"),
            "cluster_equipment_manufacturing": float(p["cluster"] == "equipment_manufacturing"),
            "cluster_green_consumer": float(p["cluster"] == "green_consumer"),
        }
        eta = model.intercept + sum(b * cov[name] for name, b in model.coefficients.items())
        k, c = model.shape, math.exp(eta)

        def cond(s: float) -> float:
            return math.exp(-c * ((age + s) ** k - age**k))

        life = 0.0
        if alive:
            life = remaining / 2 * sum(w * cond(remaining / 2 * (x + 1)) for x, w in zip(GL_NODES, GL_WEIGHTS))
        # score
        stability = (
            1
            - 0.4 * p["invalidation"]
            - 0.4 * p["frozen"]
            - 0.2 * (not p["consent"])
            - 0.2 * overdue
            - norm["late_fee_penalty"] * (p["late"] or 0)
        )
        revenue = p["revenue"] if p["revenue"] is not None and p["revenue"] > 0 else None
        rev_x = 0.0
        if revenue:
            rev_x = min(
                max(
                    math.log10(revenue / norm["revenue_floor_yuan"])
                    / math.log10(norm["revenue_full_yuan"] / norm["revenue_floor_yuan"]),
                    0.0,
                ),
                1.0,
            )
        deals = (p["licenses"] or 0) + 0.5 * (p["transfers"] or 0) + 0.5 * (p["pledges"] or 0)
        status_x = 1.0 if in_force else (cfg["legal_status_values"]["pending"] if p["status"] == PENDING else 0.0)
        x = {
            "legal_status": status_x,
            "remaining_term": min(max(remaining / norm["remaining_term_full_years"], 0), 1),
            "claim_scope": min(max((p["independent"] or 0) / norm["independent_claims_full"], 0), 1),
            "family_coverage": (
                0.5 * min(max(math.log(family) / math.log(norm["family_size_full"]), 0), 1)
                + 0.25 * p["pct"]
                + 0.25 * p["abroad"]
            ),
            "legal_stability": min(max(stability, 0), 1),
            "citation_percentile": pct,
            "claims": min(math.log1p(claims) / math.log1p(norm["claims_full"]), 1),
            "patent_type": cfg["patent_type_values"][kind],
            "award": cfg["award_values"][AWARDS[p["award"]]] if p["award"] >= 0 else 0.0,
            "survival": min(life / norm["expected_life_full_years"], 1),
            "commercialization": cfg["commercialization_values"][STAGES[p["stage"]]] if p["stage"] >= 0 else 0.0,
            "revenue": rev_x,
            "transactions": 1 - math.exp(-deals / norm["transactions_scale"]),
        }
        score = 0.0
        for dimension, weights in cfg["weights"].items():
            for name, w in weights.items():
                xi = x[name] if (name == "legal_status" or alive) else 0.0
                score += 100 * cfg["dimension_weights"][dimension] * w * xi
        # money: the same Monte Carlo, draw by draw, year by year
        if revenue is None:
            return score, float("nan")
        horizon = math.ceil(remaining) if alive else 0
        coeff = []
        for t in range(1, horizon + 1):
            w = min(max(remaining - (t - 1), 0.0), 1.0)
            coeff.append(w * cond((t - 1) + w))
        low, mode, high = self.ranges[group]
        contribution = self.params.royalty["patent_contribution"]
        values = []
        for u, q in zip(self.share_u, self.ratio):
            acc, power = 0.0, 1.0
            for ct in coeff:
                power *= q
                acc += ct * power
            values.append(revenue * contribution * tri_ppf(u, low, mode, high) * acc)
        values.sort()
        pos = 0.5 * (len(values) - 1)
        lo = int(pos)
        return score, values[lo] + (values[min(lo + 1, len(values) - 1)] - values[lo]) * (pos - lo)


def rows_for_loop(portfolio: Portfolio, index: np.ndarray, params) -> list[dict]:
    from valuation.industry import industry_cluster

    cluster = industry_cluster(portfolio, params)

    def f(a, i):
        v = float(a[i])
        return None if math.isnan(v) else v

    rows = []
    for i in index.tolist():
        rows.append(
            {
                "kind": PATENT_TYPES[portfolio.kind[i]],
                "filing": portfolio.filing[i].astype(object),
                "grant": None if np.isnat(portfolio.grant[i]) else portfolio.grant[i].astype(object),
                "status": int(portfolio.status[i]),
                "paid": f(portfolio.fees_paid_through, i),
                "comp": None
                if np.isnan(portfolio.term_compensation_days[i])
                else float(portfolio.term_compensation_days[i]),
                "subclass": str(portfolio.ipc_subclass[i]),
                "section": str(portfolio.ipc_section[i]),
                "cites": None if np.isnan(portfolio.forward_citations[i]) else float(portfolio.forward_citations[i]),
                "claims": None if np.isnan(portfolio.claims[i]) else float(portfolio.claims[i]),
                "independent": None
                if np.isnan(portfolio.independent_claims[i])
                else float(portfolio.independent_claims[i]),
                "family": None if np.isnan(portfolio.family_size[i]) else float(portfolio.family_size[i]),
                "abroad": bool(portfolio.granted_abroad[i]),
                "pct": bool(portfolio.pct[i]),
                "stage": int(portfolio.commercialization[i]),
                "award": int(portfolio.award[i]),
                "cluster": str(cluster[i]),
                "invalidation": bool(portfolio.invalidation_pending[i]),
                "frozen": bool(portfolio.frozen[i]),
                "consent": bool(portfolio.co_owners_consent[i]),
                "late": None if np.isnan(portfolio.late_fee_payments[i]) else float(portfolio.late_fee_payments[i]),
                "revenue": None if np.isnan(portfolio.revenue[i]) else float(portfolio.revenue[i]),
                "licenses": f(portfolio.licenses, i),
                "transfers": f(portfolio.transfers, i),
                "pledges": f(portfolio.previous_pledges, i),
            }
        )
    return rows


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--million", type=int, default=1_000_000, help="patents for the score-only run (0 = skip)")
    args = parser.parse_args(argv)
    params = load_params()
    log(f"valuation benchmark — {MODEL_VERSION}, numpy {np.__version__}, as of {AS_OF}")

    t = time.perf_counter()
    sim = simulate_portfolio(args.n, AS_OF, seed=1)
    log(f"[1/5] simulated {args.n:,} patents (renewal process) in {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    portfolio = Portfolio.from_records(sim.records)
    t_records = time.perf_counter() - t
    log(f"[2/5] Portfolio.from_records: {t_records:.2f} s ({args.n / t_records:,.0f} records/s)")

    valuate(portfolio.take(np.arange(min(2000, args.n))), AS_OF, draws=args.draws)  # warm-up
    t = time.perf_counter()
    result = valuate(portfolio, AS_OF, params=params, draws=args.draws, seed=0)  # fits the survival model
    t_engine = time.perf_counter() - t
    model = result.survival
    engine_rate = args.n / t_engine
    t = time.perf_counter()
    fit_survival(portfolio, AS_OF, params=params)
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    valuate(portfolio, AS_OF, survival=model, params=params, draws=args.draws, seed=0)
    t_given = time.perf_counter() - t
    log(
        f"[3/5] engine end to end (survival fit + score + rules + interval, {args.draws:,} draws): "
        f"{t_engine:.2f} s → {engine_rate:,.0f} patents/s"
    )
    log(
        f"      of which the survival fit ({model.source}, n={model.n:,}, lapses={model.events:,}) ≈ {t_fit:.2f} s; "
        f"with a stored model: {t_given:.2f} s → {args.n / t_given:,.0f} patents/s"
    )
    t = time.perf_counter()
    rows = result.records()
    log(f"      records(): {time.perf_counter() - t:.2f} s for {len(rows):,} dicts")
    tracemalloc.start()
    valuate(portfolio, AS_OF, survival=model, params=params, draws=args.draws, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    log(f"      peak traced memory of valuate(): {peak / 2**20:,.0f} MiB")

    rng = np.random.default_rng(0)
    with_revenue = np.nonzero(np.isfinite(result.value_p50))[0]
    others = np.setdiff1d(np.arange(args.n), with_revenue)
    share = len(with_revenue) / args.n  # keep the portfolio's mix of patents with and without revenue
    k = int(round(args.sample * share))
    sample = np.concatenate(
        [rng.choice(with_revenue, k, replace=False), rng.choice(others, args.sample - k, replace=False)]
    )
    loop = Loop(portfolio, model, params, args.draws, seed=0)
    loop_rows = rows_for_loop(portfolio, sample, params)
    valued = int(np.sum(result.value_p50[sample] > 0))
    log(f"[4/5] per-patent Python loop on {args.sample} patents ({k} with revenue, {valued} of them alive) …")
    t = time.perf_counter()
    loop_out = [loop.value(row, int(loop.group[i])) for row, i in zip(loop_rows, sample.tolist())]
    t_loop = time.perf_counter() - t
    loop_rate = args.sample / t_loop
    scores = np.array([s for s, _ in loop_out])
    p50 = np.array([v for _, v in loop_out])
    score_err = np.max(np.abs(scores - result.score[sample]))
    finite = np.isfinite(p50)
    engine_p50 = result.value_p50[sample][finite]
    p50_err = np.max(np.abs(p50[finite] - engine_p50) / np.maximum(np.abs(engine_p50), 1.0)) if finite.any() else 0.0
    same_nan = np.array_equal(np.isnan(p50), np.isnan(result.value_p50[sample]))
    log(
        f"      loop: {t_loop:.2f} s → {loop_rate:,.1f} patents/s; agrees with the engine: "
        f"max |Δscore| {score_err:.2e}, max rel |ΔP50| {p50_err:.2e}, same no-value set {same_nan}"
    )
    log(
        f"      SPEEDUP engine / loop: {engine_rate / loop_rate:,.0f}× end to end "
        f"({args.n / t_given / loop_rate:,.0f}× with the same stored model the loop was given)"
    )

    # The same comparison restricted to patents that carry a money value (the Monte Carlo).
    valued_all = np.nonzero(result.value_p50 > 0)[0]
    sub = portfolio.take(valued_all)
    t = time.perf_counter()
    valuate(sub, AS_OF, survival=model, params=params, draws=args.draws, seed=0)
    sub_rate = len(sub) / (time.perf_counter() - t)
    valued_sample = [j for j, i in enumerate(sample.tolist()) if result.value_p50[i] > 0]
    t = time.perf_counter()
    for j in valued_sample:
        loop.value(loop_rows[j], int(loop.group[sample[j]]))
    sub_loop_rate = len(valued_sample) / (time.perf_counter() - t)
    log(
        f"      patents with a money value only ({len(sub):,}): engine {sub_rate:,.0f}/s, loop {sub_loop_rate:,.0f}/s "
        f"→ {sub_rate / sub_loop_rate:,.0f}×"
    )

    if args.million:
        reps = math.ceil(args.million / args.n)
        big = portfolio.take(np.tile(np.arange(args.n), reps)[: args.million])
        t = time.perf_counter()
        scored = valuate(big, AS_OF, survival=model, params=params, with_money=False)
        t_big = time.perf_counter() - t
        log(
            f"[5/5] score only (rules + survival + score, no Monte Carlo) for {len(big):,} patents: "
            f"{t_big:.2f} s → {len(big) / t_big:,.0f} patents/s"
        )
        grades, counts = np.unique(scored.grade, return_counts=True)
        log("      grades: " + ", ".join(f"{g} {c / len(big):.1%}" for g, c in zip(grades.tolist(), counts.tolist())))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"max resident set size of the process: {rss:,.0f} MiB")
    ok = score_err < 1e-6 and p50_err < 1e-9 and same_nan
    if not ok:
        log("ERROR: the per-patent loop and the engine disagree")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
