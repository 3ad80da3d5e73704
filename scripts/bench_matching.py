#!/usr/bin/env python
"""Benchmark of the matching library: exact assignment vs the greedy baseline, at county and province scale.

Scenarios (instances from the seeded generator :mod:`matching.synthetic`):

* ``county``   — 300 enterprises × 12 products, one region (the Yunyang case).
* ``province`` — 20,000 enterprises × 300 products in 40 regions, sparse eligibility: local banks
  lend to their existing customers, 30 province-wide products are open to all; local quotas are
  contested, the province-wide banks' quotas are sized for their demand (count quota ≈ 10 × half
  the enterprises per wide product — binding only through their amount quotas here and there).
* ``province-contested`` — the same province with the province-wide quotas contested too
  (tightness 0.5): one connected problem of ~70,000 variables, the hard case.

For each run it prints the phases' times (absolute, and as a ratio to the greedy baseline timed
in the same run), the wall time against the time limit (which is the whole run's: ``−limit`` > 0
means it overran), the run's CPU time (all threads, including a solver thread still stopping after
the run answered at its limit — waited for before the next run; less noisy than wall time on a
shared machine), solver status, MILP size after the exact reduction, the exact objective and the
greedy objective (ratio), how often greedy is strictly worse over the seeds, and quota
violations of both solutions (checked independently of the solver, in integer fen; must be 0).

    .venv/bin/python scripts/bench_matching.py                 # county ×10 seeds, province ×3
    .venv/bin/python scripts/bench_matching.py --contested     # also the hard province case
    .venv/bin/python scripts/bench_matching.py --quick         # county ×3, province ×1
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict

import numpy as np
from _bench import figure

from matching import assign_greedy, default_params, match, quota_violations
from matching.fit import fit_scores
from matching.pairs import evaluate_pairs, prepare, screen_candidates
from matching.synthetic import generate

SCENARIOS = {
    "county": dict(n_enterprises=300, n_products=12, quota_tightness=0.5),
    "province": dict(n_enterprises=20_000, n_products=300, quota_tightness=0.5, wide_quota_tightness=10.0),
    "province-contested": dict(n_enterprises=20_000, n_products=300, quota_tightness=0.5, wide_quota_tightness=0.5),
}


@contextlib.contextmanager
def quiet_stdout():
    """Capture the C-level standard output of a solve and report it on stderr, apart from the table.

    HiGHS 1.12 printed a stray debug line there; matching runs HiGHS (highspy) with its output off
    and nothing is printed on the county, province and contested province instances (captured on
    every seed), so any output here is news — shown, not hidden."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace").strip()
            if text:
                print(f"(the solver wrote to standard output: {text[:500]!r})", file=sys.stderr)


def proposal_violations(inst, result) -> int:
    """Quota and one-product-per-enterprise violations of the proposals, from the raw inputs."""
    n = 0
    ids = [p.enterprise_id for p in result.proposals]
    n += len(ids) - len(set(ids))
    by_product = defaultdict(list)
    for r in result.proposals:
        by_product[r.product_id].append(r.amount_fen)
    for prod in inst.products:
        amounts = by_product.get(prod.id, [])
        if prod.quota_count is not None and len(amounts) > prod.quota_count:
            n += 1
        if prod.quota_amount_fen is not None and sum(amounts) > prod.quota_amount_fen:
            n += 1
    return n


def greedy_violations(inst) -> int:
    """The greedy baseline's violations, recomputed on the eligible pairs."""
    params = default_params()
    prep = prepare(inst.enterprises, inst.products, inst.as_of, params)
    ev = evaluate_pairs(prep, *screen_candidates(prep))
    el = np.nonzero(ev.eligible)[0]
    pe, pp, amount = ev.pe[el], ev.pp[el], ev.amount[el]
    fit = fit_scores(prep, pe, pp, amount, ev.stated[el], ev.term[el], ev.wanted_term[el]).fit
    g = assign_greedy(
        pe,
        pp,
        fit,
        amount,
        prep.p_quota_count,
        prep.p_quota_amount,
        n_enterprises=prep.n_enterprises,
        n_products=prep.n_products,
    )
    return len(
        quota_violations(pe, pp, amount, g.chosen, prep.p_quota_count, prep.p_quota_amount, n_products=prep.n_products)
    )


def run(name: str, seeds: list[int], time_limit: float, presolve: bool | None) -> None:
    cfg = SCENARIOS[name]
    params = default_params()
    if presolve is not None:
        params = params.replace(solver_presolve=presolve)
    print(
        f"\n== {name}: {cfg['n_enterprises']:,} enterprises × {cfg['n_products']} products, "
        f"seeds {seeds}, run time limit {time_limit:g} s, presolve {'on' if params.solver_presolve else 'off'}, "
        f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    header = (
        f"{'seed':>4} {'pairs elig.':>11} {'vars':>7} {'status':>10} {'total s':>8} {'−limit':>7} "
        f"{'cpu s':>7} {'solve s':>8} "
        f"{'greedy s':>9} {'solve/greedy':>12} {'exact obj':>10} {'greedy obj':>10} {'ratio':>7} "
        f"{'gap':>8} {'viol.':>5}"
    )
    print(header)
    rows = []
    for seed in seeds:
        inst = generate(seed=seed, **cfg)
        cpu0 = time.process_time()
        with quiet_stdout():
            result = match(inst.enterprises, inst.products, inst.as_of, params=params, time_limit_s=time_limit)
            for thread in threading.enumerate():
                if thread.name == "matching-highs":  # answered for at the deadline, still stopping
                    thread.join()
        cpu = time.process_time() - cpu0
        s, t = result.solver, result.timings
        greedy_s = max(s["greedy_time_s"], 1e-9)
        viol = proposal_violations(inst, result) + greedy_violations(inst)
        ratio = result.objective / s["greedy_objective"] if s["greedy_objective"] else float("nan")
        rows.append(
            dict(
                seed=seed,
                total=t["total_s"],
                cpu=cpu,
                solve=t["solve_s"],
                greedy=greedy_s,
                obj=result.objective,
                gobj=s["greedy_objective"],
                ratio=ratio,
                status=s["status"],
                gap=s["mip_gap"] or 0.0,
                viol=viol,
                worse=s["greedy_objective"] < result.objective - 1e-9,
                timings=t,
                stats=result.stats,
            )
        )
        print(
            f"{seed:>4} {result.stats['eligible_pairs']:>11,} {s['n_variables']:>7,} {s['status']:>10} "
            f"{t['total_s']:>8.3f} {t['total_s'] - time_limit:>+7.2f} "
            f"{cpu:>7.2f} {t['solve_s']:>8.3f} {greedy_s:>9.4f} {t['solve_s'] / greedy_s:>11.0f}× "
            f"{result.objective:>10.3f} {s['greedy_objective']:>10.3f} {ratio:>7.4f} {s['mip_gap'] or 0:>8.1e} "
            f"{viol:>5}",
            flush=True,
        )

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    phases = defaultdict(list)
    for r in rows:
        for k, v in r["timings"].items():
            phases[k].append(v)
    greedy_med = med("greedy")
    print(
        "  phases (median s, × greedy): "
        + ", ".join(
            f"{k.removesuffix('_s')} {statistics.median(v):.3f} ({statistics.median(v) / greedy_med:.0f}×)"
            for k, v in phases.items()
        )
    )
    over = max(r["total"] - time_limit for r in rows)
    print(
        f"  wall vs the {time_limit:g} s limit (the whole run's): largest {over:+.3f} s "
        f"({sum(r['total'] > time_limit for r in rows)}/{len(rows)} runs over)"
    )
    print(
        f"  proven optimal: {sum(r['status'] == 'optimal' for r in rows)}/{len(rows)}; "
        f"greedy strictly worse: {sum(r['worse'] for r in rows)}/{len(rows)}; "
        f"exact/greedy objective ratio median {med('ratio'):.4f} (min {min(r['ratio'] for r in rows):.4f}, "
        f"max {max(r['ratio'] for r in rows):.4f}); quota violations {sum(r['viol'] for r in rows)}"
    )
    what = f"{name} matching, {len(rows)} seeds"
    figure(f"{what}: median wall (floor: greedy)", med("total"), "s", floor=greedy_med)
    figure(
        f"{what}: largest reported gap ({sum(r['status'] == 'optimal' for r in rows)} proven)",
        max(r["gap"] for r in rows),
        "",
    )
    print(
        f"  median total {med('total'):.3f} s (CPU {med('cpu'):.2f} s), solve {med('solve'):.3f} s; "
        f"assigned {statistics.median(r['stats']['assigned'] for r in rows):,.0f} of "
        f"{cfg['n_enterprises']:,}; "
        f"eligible pairs {statistics.median(r['stats']['eligible_pairs'] for r in rows):,.0f} "
        f"of {cfg['n_enterprises'] * cfg['n_products']:,}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer seeds")
    ap.add_argument("--contested", action="store_true", help="also run the contested province case")
    ap.add_argument(
        "--time-limit", type=float, default=60.0, help="time limit of each whole matching run, s (default 60)"
    )
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), action="append", help="run only these scenarios")
    ap.add_argument("--presolve", choices=["on", "off"], help="HiGHS presolve (default: params.toml's)")
    args = ap.parse_args(argv)
    county_seeds = list(range(3 if args.quick else 10))
    province_seeds = list(range(1 if args.quick else 3))
    chosen = args.scenario or (["county", "province"] + (["province-contested"] if args.contested else []))
    t0 = time.perf_counter()
    for name in chosen:
        presolve = None if args.presolve is None else args.presolve == "on"
        run(name, county_seeds if name == "county" else province_seeds, args.time_limit, presolve)
    print(
        f"\nbenchmark wall time {time.perf_counter() - t0:.1f} s "
        f"(numpy {np.__version__}; scipy {__import__('scipy').__version__}; "
        f"highspy {importlib.metadata.version('highspy')}; {os.cpu_count()} CPUs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
