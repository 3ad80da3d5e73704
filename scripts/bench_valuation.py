"""Benchmark the valuation engine (a script, not a test).

1. Simulates 100,000 patents (Pakes renewal process) and turns them into a Portfolio.
2. Builds the portfolio's reference (citation field rates + maintenance survival fit), timed alone.
3. Engine, end to end against that reference: legal position, citation percentiles, survival,
   score, rules and the P10/P50/P90 path Monte Carlo (1,024 Sobol' draws); patents/second, and
   peak traced memory of ``valuate()`` (tracemalloc; numpy reports its buffers to it).
4. Baseline: a straightforward per-patent loop of the same model on a sample of patents with
   revenue — legal position, citation percentile, stepped-Weibull survival curve, fees, score in
   plain Python, and the Monte Carlo per patent in numpy over the draws, year by year — with the
   same reference and the same ``Scenarios`` (given to the loop for free, not timed). Prints the
   engine's speed-up over it (engine run on all patents with revenue, as the loop's sample) and
   the largest differences of score and P10/P50/P90 (same arithmetic: expected ~1e-12).
5. Score only (``with_money=False``) for 1,000,000 patents (the portfolio tiled) against the same
   per-patent loop without its Monte Carlo, on a sample of all patents, and against the floor of
   one argsort of 1,000,000 floats; engine and floor each the best of ``--repeats`` runs. For
   scale, the CPU time of one step of the model alone (the citation percentiles) against the
   argsort's.

Usage: ``scripts/bench valuation [--n 100000] [--draws 1024] [--quick]``
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta

import numpy as np
from _bench import figure
from scipy import special

from valuation import Portfolio, load_params, valuate
from valuation.citations import citation_percentiles
from valuation.engine import MODEL_VERSION
from valuation.fees import PATENT_TYPES
from valuation.income import MAX_YEARS, draw_scenarios
from valuation.industry import industry_cluster, royalty_ranges
from valuation.portfolio import AWARDS, PENDING, STAGES, VALID
from valuation.reference import Reference, build_reference
from valuation.simulation import simulate_portfolio

AS_OF = date(2025, 6, 30)
YEAR = 365.25
GL_NODES, GL_WEIGHTS = (x.tolist() for x in np.polynomial.legendre.leggauss(8))
TOLERANCE = 1e-9  # max relative |Δ| of P10/P50/P90 (and absolute |Δ| of the score) accepted


def log(message: str) -> None:
    print(message, flush=True)


def best(run, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls of ``run`` (seconds)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return min(times)


# --- the per-patent loop ----------------------------------------------------------------------


def tier_piece(lo: float, hi: float, w: float, c: float, k: float) -> float:
    """∫_lo^hi exp(c − w t^k) dt: 8-node Gauss–Legendre where the curve is smooth on the piece's
    scale, else the incomplete-gamma closed form (near age 0, or a fall of more than e^-4)."""
    if lo < hi - lo or w * (hi**k - lo**k) > 4.0:
        a = 1.0 / k
        x_lo, x_hi = w * lo**k, w * hi**k
        if x_lo < a:
            difference = special.gammainc(a, x_hi) - special.gammainc(a, x_lo)
        else:
            difference = special.gammaincc(a, x_lo) - special.gammaincc(a, x_hi)
        return math.exp(c + math.lgamma(a) - math.log(k) - a * math.log(w)) * float(difference)
    half, mid = (hi - lo) / 2.0, (hi + lo) / 2.0
    return half * sum(g * math.exp(c - w * (mid + half * x) ** k) for x, g in zip(GL_NODES, GL_WEIGHTS, strict=True))


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


class Loop:
    """Everything the per-patent loop needs that is not per patent (built once, not timed): the
    parameters, the reference (citation rates, survival model), the fee tiers and the scenarios."""

    def __init__(self, params, reference: Reference, draws: int, seed: int):
        self.params = params
        self.cfg = params.scoring
        self.norm = params.scoring["normalisation"]
        self.rates = reference.citations.rates
        self.a = reference.citations.shape
        model = reference.survival
        self.k = model.shape
        self.intercept = -model.shape * math.log(model.scale_years)
        self.coefficients = [(name, b) for name, b in model.coefficients.items() if b != 0.0]
        self.contribution = float(params.royalty["patent_contribution"])
        income = params.income
        self.q = (1.0 + float(income["trend"]["mode"])) / (1.0 + float(income["discount_rate"]["mode"]))
        self.grant_probability = {k: float(v) for k, v in income["grant_probability"].items()}
        self.grace_months = int(params.fees["grace"]["months"])
        # fee by type and fee year (0 outside the schedule), and the fee tiers as age intervals
        self.fee = {}
        self.tiers = {}
        for kind in PATENT_TYPES:
            fee = [0.0] * (MAX_YEARS + 2)
            for tier in params.fees["schedule"][kind]:
                for year in range(tier["from"], tier["to"] + 1):
                    fee[year] = float(tier["fee"])
            self.fee[kind] = fee
            paid = [f for f in fee[1:] if f > 0]
            starts = [0.0] + [float(y) for y in range(1, len(paid)) if paid[y] != paid[y - 1]]
            ends = [*starts[1:], math.inf]
            self.tiers[kind] = [(s, e, paid[int(s)]) for s, e in zip(starts, ends, strict=True)]
        scenarios = draw_scenarios(draws, seed, params)
        self.share_u = scenarios.share_u
        self.path = scenarios.revenue_path
        self.lapse_u = scenarios.lapse_u
        self.grant_u = scenarios.grant_u
        t = np.arange(1, self.path.shape[1] + 1, dtype=np.float64)
        self.discount = np.power(1.0 + scenarios.discount[:, None], -(t[None, :] - 0.5))

    def term(self, p: dict) -> int:
        """Legal term by the law in force on the filing date (a dated value)."""
        return int(self.params.fees["term_years"][p["kind"]].at(p["filing"]))

    def value(self, p: dict, with_money: bool = True) -> tuple[float, tuple[float, float, float] | None]:  # noqa: C901 -- the baseline: the whole model for one patent, on purpose
        """Score and (P10, P50, P90) of one patent (None without revenue or ``with_money``)."""
        cfg, norm, kind = self.cfg, self.norm, p["kind"]
        # legal position and fee status
        term = self.term(p)
        compensation = self.params.fees["term_compensation"]  # by grant date; pending: the latest rule
        counts = compensation.at(p["grant"]) if p["grant"] is not None else compensation.values[-1]
        comp = int(p["comp"] or 0) if kind == "invention" and counts else 0
        expiry = add_months(p["filing"], 12 * term) - timedelta(days=1) + timedelta(days=comp)
        granted = p["grant"] is not None
        paid = -1 if p["paid"] is None else int(p["paid"])
        overdue = past_grace = False
        if granted and p["status"] == VALID and paid >= 0 and paid + 1 <= term:
            due = add_months(p["filing"], 12 * max(paid, 0))
            grace_end = add_months(due, self.grace_months)
            overdue = due < AS_OF <= grace_end
            past_grace = grace_end < AS_OF
        in_force = p["status"] == VALID and granted and expiry >= AS_OF and not past_grace
        alive = in_force or (p["status"] == PENDING and expiry >= AS_OF)
        remaining = ((expiry - AS_OF).days + 1.0) / YEAR if alive else 0.0
        age = max((AS_OF - p["filing"]).days, 0) / YEAR
        # citation percentile: Gamma–Poisson shrunk rate relative to the field
        start = p["grant"] if granted else add_months(p["filing"].replace(day=1), 18)
        exposure = max((AS_OF - start).days, 0) / YEAR
        rate = self.rates.get(p["subclass"], self.rates.get(p["section"], self.rates["*"]))
        a = self.a
        theta = ((p["cites"] or 0.0) + a) / (rate * exposure + a)
        pct = float(special.gammainc(a, theta / (1.0 / a)))
        # survival covariates and the linear predictor per fee tier
        revenue = p["revenue"] if p["revenue"] is not None and p["revenue"] > 0 else None
        royalty_mode = revenue * p["range"][1] * self.contribution if revenue else None
        claims = p["claims"] or 0.0
        family = max(1.0 if p["family"] is None else p["family"], 1.0)
        fixed = {
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
            "revenue_known": float(royalty_mode is not None),
        }
        tiers = []
        for s, e, fee in self.tiers[kind]:
            cov = dict(fixed)
            cov["log_fee"] = math.log(fee)
            cov["renewal_margin"] = min(max(math.log(royalty_mode / fee), -8.0), 8.0) if royalty_mode else 0.0
            eta = self.intercept
            for name, b in self.coefficients:
                eta = eta + b * cov[name]
            tiers.append((s, e, math.exp(eta)))
        k = self.k

        def survival(s: float) -> float:  # P(alive at age + s | alive at age)
            lo0, hi0, total = max(age, 0.0), max(age + s, 0.0), 0.0
            for start, end, scale in tiers:
                lo, hi = min(max(lo0, start), end), min(max(hi0, start), end)
                if hi > lo:
                    total += scale * (hi**k - lo**k)
            return math.exp(-total)

        # expected remaining life: the integral of the survival curve over each fee tier's piece of
        # [age, age + remaining], where the curve is smooth (exact, see ``tier_piece``)
        life = 0.0
        if remaining > 0:
            # H(0, age), and H(0, start of the tier) in ``before``
            at_age = sum(scale * (min(max(age, s), e) ** k - s**k) for s, e, scale in tiers if age > s)
            before = 0.0
            for start, end, scale in tiers:
                lo, hi = max(age, start), min(age + remaining, end)
                if hi > lo:
                    life += tier_piece(lo, hi, scale, at_age - before + scale * start**k, k)
                if math.isfinite(end):
                    before += scale * (end**k - start**k)
        # the yearly grid: share of year t inside the term, survival at its start, fee then due
        horizon = math.ceil(remaining) if alive else 0
        weights = [min(max(remaining - t, 0.0), 1.0) for t in range(horizon)]
        surv = [survival(float(t)) for t in range(horizon)] if revenue else []
        income_value = 0.0
        if revenue and alive:
            annuity = sum(w * s * self.q ** (t + 0.5) for t, (w, s) in enumerate(zip(weights, surv, strict=True)))
            income_value = revenue * (p["range"][1] * self.contribution) * annuity
        # score
        stability = (
            1.0
            - 0.4 * p["invalidation"]
            - 0.4 * p["frozen"]
            - 0.2 * (not p["consent"])
            - 0.2 * overdue
            - float(norm["late_fee_penalty"]) * (p["late"] or 0.0)
        )
        floor, full = float(norm["income_value_floor_yuan"]), float(norm["income_value_full_yuan"])
        deals = (p["licenses"] or 0.0) + 0.5 * (p["transfers"] or 0.0) + 0.5 * (p["pledges"] or 0.0)
        status_values = cfg["legal_status_values"]
        status_x = status_values["valid"] if in_force else (status_values["pending"] if p["status"] == PENDING else 0.0)
        x = {
            "legal_status": status_x,
            "remaining_term": min(max(remaining / float(norm["remaining_term_full_years"]), 0.0), 1.0),
            "claim_scope": min(max((p["independent"] or 0.0) / float(norm["independent_claims_full"]), 0.0), 1.0),
            "family_coverage": (
                0.5 * min(max(math.log(family) / math.log(float(norm["family_size_full"])), 0.0), 1.0)
                + 0.25 * p["pct"]
                + 0.25 * p["abroad"]
            ),
            "legal_stability": min(max(stability, 0.0), 1.0),
            "citation_percentile": min(max(pct, 0.0), 1.0),
            "claims": min(max(math.log1p(claims) / math.log1p(float(norm["claims_full"])), 0.0), 1.0),
            "patent_type": cfg["patent_type_values"][kind],
            "award": cfg["award_values"][AWARDS[p["award"]]] if p["award"] >= 0 else 0.0,
            "survival": min(max(life / float(norm["expected_life_full_years"]), 0.0), 1.0),
            "commercialization": cfg["commercialization_values"][STAGES[p["stage"]]] if p["stage"] >= 0 else 0.0,
            "income_value": min(
                max(math.log10(max(income_value, 1e-300) / floor) / math.log10(full / floor), 0.0), 1.0
            ),
            "transactions": 1.0 - math.exp(-deals / float(norm["transactions_scale"])),
        }
        score = 0.0
        for dimension, dimension_weights in cfg["weights"].items():
            for name, w in dimension_weights.items():
                xi = x[name] if (name == "legal_status" or alive) else 0.0
                score += xi * (100.0 * float(cfg["dimension_weights"][dimension]) * float(w))
        if not (with_money and revenue):
            return score, None
        if not alive:
            return score, (0.0, 0.0, 0.0)
        # money: the path Monte Carlo over the common draws, year by year (numpy over the draws)
        fees = [self.fee[kind][min(math.floor(age + t) + 1, MAX_YEARS + 1)] for t in range(horizon)]
        low, mode, high = p["range"]
        span = high - low
        if span > 0:
            u = self.share_u
            left = low + np.sqrt(u * span * (mode - low))
            right = high - np.sqrt((1.0 - u) * span * (high - mode))
            share = np.where(u < (mode - low) / span, left, right)
        else:
            share = np.full(self.share_u.shape, float(low))
        base = revenue * (self.contribution * share)
        living = np.ones(base.shape, dtype=bool)
        value = np.zeros(base.shape)
        for t in range(horizon):
            royalty = base * self.path[:, t]
            living &= (surv[t] > self.lapse_u) & (royalty >= fees[t])
            value += np.where(living, (royalty - fees[t]) * (weights[t] * self.discount[:, t]), 0.0)
        grant_p = self.grant_probability[kind] if p["status"] == PENDING else 1.0
        value *= self.grant_u < grant_p
        value.sort()
        out = []
        for q in (0.10, 0.50, 0.90):
            pos = q * (value.size - 1)
            lo = math.floor(pos)
            frac = pos - lo
            out.append(float(value[lo] * (1.0 - frac) + value[min(lo + 1, value.size - 1)] * frac))
        return score, (out[0], out[1], out[2])


def rows_for_loop(portfolio: Portfolio, index: np.ndarray, params) -> list[dict]:
    """The sample's records as plain Python values (not timed)."""
    cluster = industry_cluster(portfolio, params)
    group, ranges, _ = royalty_ranges(portfolio.ipc_codes, params)
    subclass_u, subclass_i = portfolio.ipc_codes["subclass"]
    section_u, section_i = portfolio.ipc_codes["section"]

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
                "comp": f(portfolio.term_compensation_days, i),
                "subclass": str(subclass_u[subclass_i[i]]),
                "section": str(section_u[section_i[i]]),
                "cites": f(portfolio.forward_citations, i),
                "claims": f(portfolio.claims, i),
                "independent": f(portfolio.independent_claims, i),
                "family": f(portfolio.family_size, i),
                "abroad": bool(portfolio.granted_abroad[i]),
                "pct": bool(portfolio.pct[i]),
                "stage": int(portfolio.commercialization[i]),
                "award": int(portfolio.award[i]),
                "cluster": str(cluster[i]),
                "range": tuple(float(v) for v in ranges[group[i]]),
                "invalidation": bool(portfolio.invalidation_pending[i]),
                "frozen": bool(portfolio.frozen[i]),
                "consent": bool(portfolio.co_owners_consent[i]),
                "late": f(portfolio.late_fee_payments, i),
                "revenue": f(portfolio.revenue, i),
                "licenses": f(portfolio.licenses, i),
                "transfers": f(portfolio.transfers, i),
                "pledges": f(portfolio.previous_pledges, i),
            }
        )
    return rows


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="patents to simulate (default 100,000; quick 20,000)")
    parser.add_argument("--draws", type=int, default=None, help="Monte Carlo draws, a power of two ≥ 1024")
    parser.add_argument("--sample", type=int, default=None, help="patents with revenue in the loop (default 300)")
    parser.add_argument("--money", type=int, default=None, help="patents with revenue the engine is timed on (8,192)")
    parser.add_argument("--repeats", type=int, default=None, help="timings of the comparison, best of (3; quick 2)")
    parser.add_argument("--score-sample", type=int, default=None, help="patents in the score-only loop (2,000)")
    parser.add_argument("--million", type=int, default=None, help="patents for the score-only run (0 = skip)")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    args = parser.parse_args(argv)
    quick = args.quick
    n = args.n or (20_000 if quick else 100_000)
    sample_n = args.sample or (200 if quick else 300)
    money_n = args.money or (4_096 if quick else 8_192)
    repeats = args.repeats or (2 if quick else 3)
    score_n = args.score_sample or (500 if quick else 2_000)
    million = args.million if args.million is not None else (200_000 if quick else 1_000_000)
    params = load_params().at(AS_OF)
    draws = int(args.draws or params.income["draws"])
    if draws < 1024 or draws & (draws - 1):
        parser.error("--draws must be a power of two ≥ 1024")
    log(f"valuation benchmark — {MODEL_VERSION}, numpy {np.__version__}, as of {AS_OF}, {draws:,} draws")

    t = time.perf_counter()
    sim = simulate_portfolio(n, AS_OF, seed=1)
    portfolio = Portfolio.from_records(sim.records)
    log(f"[1/5] simulated {n:,} patents and built the Portfolio in {time.perf_counter() - t:.2f} s")

    t = time.perf_counter()
    reference = build_reference(portfolio, AS_OF, params)
    t_ref = time.perf_counter() - t
    model = reference.survival
    log(
        f"[2/5] build_reference: {t_ref:.2f} s ({reference.name}; survival {model.source}, "
        f"n={model.n:,}, lapses={model.events:,})"
    )

    valuate(portfolio.take(np.arange(min(2000, n))), AS_OF, reference=reference, params=params, draws=draws)
    t = time.perf_counter()
    result = valuate(portfolio, AS_OF, reference=reference, params=params, draws=draws, seed=0)
    t_engine = time.perf_counter() - t
    with_revenue = np.nonzero(np.isfinite(result.value_p50))[0]
    valued = int(np.sum(result.value_p50 > 0))
    log(
        f"[3/5] engine valuate() with money: {t_engine:.2f} s → {n / t_engine:,.0f} patents/s "
        f"({len(with_revenue):,} with revenue, {valued:,} of them with a value > 0); "
        f"with build_reference {n / (t_engine + t_ref):,.0f} patents/s"
    )
    t = time.perf_counter()
    records = result.records()
    log(f"      records(): {time.perf_counter() - t:.2f} s for {len(records):,} dicts")
    del records
    tracemalloc.start()
    valuate(portfolio, AS_OF, reference=reference, params=params, draws=draws, seed=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    log(f"      peak traced memory of valuate(): {peak / 2**20:,.0f} MiB")

    # Engine and loop on the same population, patents with revenue (the ones the Monte Carlo runs
    # on); each timed best of ``repeats`` to damp the noise of a shared machine.
    rng = np.random.default_rng(0)
    money_rows = np.sort(rng.choice(with_revenue, min(money_n, len(with_revenue)), replace=False))
    sub = portfolio.take(money_rows)
    one_thread = params.with_overrides({"income": {"threads": 1}})
    sub_rate = len(sub) / best(lambda: valuate(sub, AS_OF, reference=reference, params=params, draws=draws), repeats)
    sub_rate_1 = len(sub) / best(
        lambda: valuate(sub, AS_OF, reference=reference, params=one_thread, draws=draws), repeats
    )
    sample = np.sort(rng.choice(with_revenue, min(sample_n, len(with_revenue)), replace=False))
    loop = Loop(params, reference, draws, seed=0)
    rows = rows_for_loop(portfolio, sample, params)
    log(f"[4/5] per-patent loop on {len(sample)} patents with revenue …")
    out: list = []

    def money_loop() -> None:
        out[:] = [loop.value(row) for row in rows]

    loop_rate = len(sample) / best(money_loop, repeats)
    scores = np.array([s for s, _ in out])
    money = np.array([v for _, v in out])
    engine_money = np.column_stack([result.value_p10, result.value_p50, result.value_p90])[sample]
    money_err = np.max(np.abs(money - engine_money) / np.maximum(np.abs(engine_money), 1.0), axis=0)
    score_err = float(np.max(np.abs(scores - result.score[sample])))
    log(
        f"      engine on {len(sub):,} patents with revenue: {sub_rate:,.0f}/s "
        f"({sub_rate_1:,.0f}/s on one thread); loop {loop_rate:,.0f}/s (best of {repeats})"
    )
    log(
        f"      SPEEDUP engine / loop: {sub_rate / loop_rate:,.1f}× ({sub_rate_1 / loop_rate:,.1f}× on one thread); "
        f"max rel |Δ| P10 {money_err[0]:.1e}, P50 {money_err[1]:.1e}, P90 {money_err[2]:.1e}, "
        f"max |Δscore| {score_err:.1e}"
    )

    ok = bool(np.all(money_err <= TOLERANCE)) and score_err <= TOLERANCE
    score_sample = np.sort(rng.choice(n, min(score_n, n), replace=False))
    score_rows = rows_for_loop(portfolio, score_sample, params)
    loop_scores = np.zeros(len(score_rows))

    def score_loop() -> None:
        loop_scores[:] = [loop.value(row, with_money=False)[0] for row in score_rows]

    score_loop_rate = len(score_sample) / best(score_loop, repeats)
    score_only_err = float(np.max(np.abs(loop_scores - result.score[score_sample])))
    ok &= score_only_err <= TOLERANCE
    if million:
        big = portfolio.take(np.tile(np.arange(n), math.ceil(million / n))[:million])
        keys = np.random.default_rng(0).random(million)
        # Both timed alike: the best of ``repeats`` runs, wall and CPU (the first call of the engine
        # also pays for first-touch pages of its working arrays: printed beside).
        walls, cpus = [], []
        for _ in range(repeats):
            cpu = time.process_time()
            t = time.perf_counter()
            scored = valuate(big, AS_OF, reference=reference, params=params, with_money=False)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - cpu)
        t_big, cpu_big = min(walls), min(cpus)
        floor_walls, floor_cpus = [], []
        for _ in range(repeats):  # the floor: one argsort of as many floats
            cpu = time.process_time()
            t = time.perf_counter()
            np.argsort(keys)
            floor_walls.append(time.perf_counter() - t)
            floor_cpus.append(time.process_time() - cpu)
        t_floor, cpu_floor = min(floor_walls), min(floor_cpus)
        same = float(np.max(np.abs(scored.score - result.score[np.arange(million) % n])))
        ok &= same <= TOLERANCE
        log(
            f"[5/5] score only for {million:,} patents: {t_big:.2f} s (best of {repeats}; first call "
            f"{walls[0]:.2f} s) → {million / t_big:,.0f} patents/s; "
            f"score loop on {len(score_sample):,} patents {score_loop_rate:,.0f}/s → "
            f"SPEEDUP {million / t_big / score_loop_rate:,.0f}×"
        )
        log(
            f"      SCORE-ONLY {million:,} vs one {million:,}-element argsort: {t_big / t_floor:,.1f}× wall "
            f"({t_big:.2f} s vs {t_floor:.3f} s), {cpu_big / max(cpu_floor, 1e-9):,.1f}× CPU time "
            f"({cpu_big:.2f} s vs {cpu_floor:.3f} s; CPU time is steadier on a shared machine)"
        )
        figure(f"score only, {million:,} patents (floor: one argsort)", t_big, "s", floor=t_floor, aim=3 * t_floor)
        # One step of the model alone, for scale: the citation percentile is a gamma CDF per patent
        # (scipy.special.gammainc). The aim allows 3× the argsort's wall on two cores, about 6× its CPU.
        step_cpus = []
        for _ in range(repeats):
            cpu = time.process_time()
            citation_percentiles(big, AS_OF, reference.citations)
            step_cpus.append(time.process_time() - cpu)
        log(
            f"      one step alone, the citation percentiles of {million:,} patents: {min(step_cpus):.3f} s CPU, "
            f"{min(step_cpus) / max(cpu_floor, 1e-9):,.1f}× the argsort's CPU time"
        )
        figure(
            f"score only: its citation-percentile step alone, {million:,} patents, CPU (floor: one argsort's CPU)",
            min(step_cpus),
            "s",
            floor=cpu_floor,
        )
        log(
            f"      max |Δscore| loop vs engine {score_only_err:.1e}; tiled batch vs the {n:,} run {same:.1e}; "
            f"vs the engine's own with-money run: {(million / t_big) / (n / t_engine):,.1f}× the patents/s"
        )
        grades, counts = np.unique(scored.grade, return_counts=True)
        log(
            "      grades: "
            + ", ".join(f"{g} {c / million:.1%}" for g, c in zip(grades.tolist(), counts.tolist(), strict=True))
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"max resident set size of the process: {rss:,.0f} MiB")
    if not ok:
        log(f"ERROR: the per-patent loop and the engine disagree (tolerance {TOLERANCE:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
