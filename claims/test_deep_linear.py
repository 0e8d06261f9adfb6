"""Kleinman, Achille, Soatto 2024, Sec. 4: critical periods in deep linear matrix completion.

A 100x100 rank-5 target; the first T gradient steps see 1000 of its entries (an information
deficit), then 30,000 steps see 1500. Depth 1 has no critical period: its error does not depend
on T. Depth 3 has a strong one: short first phases are harmless, long ones ruin recovery of the
unseen entries. Deeper networks have stronger critical periods.

These runs are cheap, deterministic functions of (config, seed) computed here, not through the
engine and the run store (`harness.direct`); a full-batch step is an epoch. A sweep over T trains
its first phase once per depth and seed and branches at each T; the three claims share the sweeps
within a session (a dry run's plan counts them once per claim).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from repro.deep_linear import MatrixCompletion, describe, sweep_steps, switch_sweep
from repro.harness import claim
from repro.stats import expect_decreasing, expect_drop, expect_mean_at_most, mean_sd

# The authors' released test errors (seed 1; DESIGN.md section 10, [auth]).
AUTHORS = {1: {0: 0.852, 5000: 0.852, 10000: 0.852, 20000: 0.852, 100000: 0.852},
           3: {0: 0.075, 5000: 0.043, 10000: 0.415, 20000: 0.868, 100000: 0.975}}

FLAT_REASON = (
    "the authors' depth-1 error is 0.852 at every T: a shallow network has no critical period. "
    "0.01 (1 % of the target's unit mean square, 1/90 of the authors' depth-3 effect) bounds the "
    "largest spread over T in any seed"
)
HARMLESS_REASON = (
    "short first phases are harmless: the authors' depth-3 error at T=5k is 0.043 against 0.075 "
    "at T=0 (-0.032). 0.05 allows a harm 1/18 of the authors' long-phase harm (+0.90)"
)
RUIN_REASON = (
    "long first phases ruin recovery: the authors' depth-3 error rises from 0.075 (T=0) to 0.975 "
    "(T=100k), +0.90; a strong critical period must give at least half that rise, significant "
    "over seeds (one-sided Welch t-test, 95 %)"
)
TREND_REASON = "the authors' depth-3 error rises with T: rank correlation over all seeds"
DEPTH_REASON = (
    "deeper networks have stronger critical periods (authors: depth 1 none, depth 3 strong; no "
    "depth-2 value given): the rise from T=0 to the largest T grows with depth, rank correlation "
    "over (depth, seed)"
)
DEPTH3_OVER_2_REASON = (
    "the paper gives no depth-2 magnitude, so only the order is bounded: depth 3's rise exceeds "
    "depth 2's, significant over seeds (one-sided Welch t-test, 95 %)"
)


DEPTH3_XFAIL = {"smoke": (
    "not replicated at the authors' strength on this CPU (smoke, 2 seeds, float32): depth-3 "
    "test error 0.050/0.088/0.113/0.192/0.305 at T=0/5k/10k/20k/100k (seed 0: 0.077/0.087/"
    "0.143/0.271/0.355, seed 1: 0.023/0.089/0.083/0.113/0.254; authors 0.075/0.043/0.415/0.868/"
    "0.975): the error rises with T (rho -0.89) but by +0.25, below the bound of +0.45 (half "
    "the authors' +0.90)")}


@dataclass(frozen=True)
class CompletionSweep:
    switch_at: tuple[int, ...]  # T: steps on the first 1000 entries before the switch
    depths: tuple[int, ...]
    n_seeds: int  # the first n of the tier's seeds
    flat_at_most: float = 0.01
    harmless_t: int = 5000
    harmless_at_most: float = 0.05
    ruin_at_least: float = 0.45


SETTINGS = {
    # The authors' setting in full; smoke keeps the T values DESIGN.md lists the authors' values
    # for and 2 seeds, to stay within 5 minutes on 2 cores (measured: about 2 minutes per seed
    # for depths 1-3, 81 s of it depth 3). Seed noise measured on this CPU is in the notes.
    # "Deeper is stronger" is at the edge of seed noise here: its depth-3-over-depth-2 check
    # holds for seeds 0-1 but not for 1000-1001 (+0.24, [-2.6, 3.0]); 3 seeds did not settle it
    # (1000-1002: +0.24, rises 0.58/0.12/0.35 at depth 3; paired p = 0.09) and took 5.2 minutes.
    "smoke": CompletionSweep(switch_at=(0, 5000, 10000, 20000, 100000), depths=(1, 2, 3),
                             n_seeds=2),
    "paper": CompletionSweep(switch_at=(0, 1000, 5000, 10000, 20000, 40000, 60000, 80000,
                                        100000), depths=(1, 2, 3), n_seeds=3),
}


@functools.cache
def sweep(cfg: MatrixCompletion, switch_at: tuple[int, ...], seed: int) -> dict:
    return switch_sweep(cfg, switch_at, seed)


def errors(harness, s: CompletionSweep, depths) -> dict[int, np.ndarray]:
    """Final test errors [T, seed] per depth; plans the runs (and stops there in a dry run)."""
    seeds = harness.seeds[: s.n_seeds]
    rows = [{"run": f"matrix completion depth {d} seed {seed} T={t}",
             "epochs": t + MatrixCompletion().second_steps}
            for d in depths for seed in seeds for t in s.switch_at]
    shared = len(depths) * len(seeds) * sweep_steps(MatrixCompletion(), s.switch_at)
    harness.direct(rows, shared=shared)
    out, records = {}, []
    for d in depths:
        cfg = MatrixCompletion(depth=d)
        res = [sweep(cfg, s.switch_at, seed) for seed in seeds]
        out[d] = np.array([[r["final"][t] for r in res] for t in s.switch_at])
        records += [{"label": f"matrix completion depth {d} seed {seed}", "config": describe(cfg),
                     "seed": seed, "switch_at": list(s.switch_at),
                     "epochs_trained": sweep_steps(cfg, s.switch_at),
                     "metrics": {"final_test_mse": {str(t): v for t, v in r["final"].items()},
                                 "test_mse_trace": {str(t): v for t, v in r["trace"].items()},
                                 "first_phase_trace": r["prefix"]}}
                    for seed, r in zip(seeds, res)]
    harness.add_direct_runs(records)
    return out


def judge_depth1(err, s: CompletionSweep):
    """err[T, seed] at depth 1."""
    spread = np.ptp(np.asarray(err, float), axis=0)
    return [expect_mean_at_most([spread.max()], at_most=s.flat_at_most, reason=FLAT_REASON,
                           name="depth 1: largest spread of the error over T (any seed)")]


def judge_depth3(switch_at, err, s: CompletionSweep):
    """err[T, seed] at depth 3."""
    err = np.asarray(err, float)
    i = list(switch_at).index(s.harmless_t)
    return [
        expect_drop(err[-1], err[0], at_least=s.ruin_at_least, reason=RUIN_REASON,
                    name=f"depth 3: error rise T=0 -> T={switch_at[-1]}"),
        expect_mean_at_most(err[i] - err[0], at_most=s.harmless_at_most, reason=HARMLESS_REASON,
                       name=f"depth 3: error change T=0 -> T={s.harmless_t}"),
        expect_decreasing(switch_at, -err, reason=TREND_REASON,
                          name="depth 3: error rises with T (Spearman rho of -error)"),
    ]


def judge_depths(depths, rise):
    """rise[depth, seed]: error at the largest T minus error at T=0."""
    rise = np.asarray(rise, float)
    return [
        expect_decreasing(depths, -rise, reason=DEPTH_REASON,
                          name="rise grows with depth (Spearman rho of -rise)"),
        expect_drop(rise[-1], rise[-2], at_least=0.0, reason=DEPTH3_OVER_2_REASON,
                    name=f"rise at depth {depths[-1]} minus depth {depths[-2]}"),
    ]


def table(switch_at, err_by_depth) -> list[dict]:
    rows = []
    for i, t in enumerate(switch_at):
        row = {"T": t}
        for d, err in err_by_depth.items():
            m, sd = mean_sd(err[i])
            row[f"depth {d} (ours)"] = m
            row[f"depth {d} sd"] = sd
            if d in AUTHORS:
                row[f"depth {d} (authors)"] = AUTHORS[d].get(t, float("nan"))
        rows.append(row)
    return rows


def figure(switch_at, err_by_depth) -> dict:
    lines = []
    for d, err in err_by_depth.items():
        m, sd = mean_sd(err)
        lines.append({"label": f"depth {d} (ours)", "x": list(switch_at), "y": m.tolist(),
                      "yerr": sd.tolist()})
        if d in AUTHORS:
            ts = sorted(AUTHORS[d])
            lines.append({"label": f"depth {d} (authors)", "x": ts,
                          "y": [AUTHORS[d][t] for t in ts], "linestyle": "--", "marker": "x"})
    return {"panels": [{"title": "final test error vs length of the first phase",
                        "xlabel": "T (steps on 1000 entries)",
                        "ylabel": "test MSE after 30k steps on 1500", "lines": lines}]}


def seed_notes(seeds, switch_at, err) -> list[str]:
    err = np.asarray(err, float)
    return ["Per seed: " + "; ".join(
        f"seed {seed}: " + ", ".join(f"T={t}: {err[i, j]:.3f}" for i, t in enumerate(switch_at))
        for j, seed in enumerate(seeds))]


@claim("kleinman2024/depth1-no-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="A depth-1 linear network fitted to 1000 entries for T steps, then to 1500, "
                 "ends with the same test error whatever T: no critical period.",
       paper_value="0.852 at every T [auth]")
def test_depth1_has_no_critical_period(harness):
    s = SETTINGS[harness.tier.name]
    err = errors(harness, s, (1,))
    harness.record(judge_depth1(err[1], s), tables={"final test error by T": table(
        s.switch_at, err)}, figure=figure(s.switch_at, err),
        notes=seed_notes(harness.seeds[: s.n_seeds], s.switch_at, err[1]))


@claim("kleinman2024/depth3-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="A depth-3 linear network has a strong critical period: a short first phase on "
                 "1000 entries is harmless, a long one ruins recovery after the switch to 1500.",
       paper_value="0.075/0.043/0.415/0.868/0.975 at T=0/5k/10k/20k/100k [auth]")
def test_depth3_has_a_strong_critical_period(harness):
    harness.expect_failure_at(DEPTH3_XFAIL)
    s = SETTINGS[harness.tier.name]
    err = errors(harness, s, (3,))
    harness.record(judge_depth3(s.switch_at, err[3], s),
                   tables={"final test error by T": table(s.switch_at, err)},
                   figure=figure(s.switch_at, err),
                   notes=seed_notes(harness.seeds[: s.n_seeds], s.switch_at, err[3]))


@claim("kleinman2024/deeper-stronger-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="The deeper the linear network, the stronger its critical period.",
       paper_value="depth 1: none; depth 3: +0.90 [auth]")
def test_deeper_networks_have_stronger_critical_periods(harness):
    s = SETTINGS[harness.tier.name]
    err = errors(harness, s, s.depths)
    rise = np.array([err[d][-1] - err[d][0] for d in s.depths])
    rows = [{"depth": d, "rise T=0 -> T=max (mean)": float(r.mean()), "sd": float(mean_sd(r)[1])}
            for d, r in zip(s.depths, rise)]
    harness.record(judge_depths(s.depths, rise),
                   tables={"final test error by T": table(s.switch_at, err),
                           "critical-period strength by depth": rows},
                   figure=figure(s.switch_at, err))
