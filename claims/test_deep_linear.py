"""Kleinman, Achille, Soatto 2024, Sec. 4: critical periods in deep linear matrix completion.

A 100x100 rank-5 target; the first T gradient steps see 1000 of its entries (an information
deficit), then 30,000 steps see 1500. Depth 1 has no critical period: its error does not depend
on T. Depth 3 has a strong one: short first phases are harmless, long ones harm recovery of the
unseen entries. Deeper networks have stronger critical periods. The authors' released curves are
one run each (their seed 1); the depth-3 bounds come from 12 seeds apart from the claim's.

Each (depth, seed) is one direct run (repro.direct): a sweep over T that trains its first phase
once and branches at each T, stored like any run, so the three claims share the sweeps and a
second session computes none. "Deeper is stronger" needs only the errors at T=0 and the largest
T, and more depth-3 seeds than the curves: those extra seeds are swept over the two ends only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.arms import ArmResult
from repro.deep_linear import MatrixCompletion, SwitchSweep
from repro.figures import arms_panel, line, mean_line, panel, panels
from repro.harness import Arm, claim
from repro.stats import (
    expect_decreasing,
    expect_drop,
    expect_mean_at_most,
    expect_paired_gain,
    mean_sd,
)

# The authors' released test errors (seed 1; [auth], PROTOCOL.md names the source).
AUTHORS = {1: {0: 0.852, 5000: 0.852, 10000: 0.852, 20000: 0.852, 100000: 0.852},
           3: {0: 0.075, 5000: 0.043, 10000: 0.415, 20000: 0.868, 100000: 0.975}}

FLAT_REASON = (
    "the authors' depth-1 error is 0.852 at every T: a shallow network has no critical period. "
    "0.01 (1 % of the target's unit mean square, 1/90 of the authors' depth-3 effect) bounds the "
    "largest spread over T in any seed"
)
HARMLESS_REASON = (
    "short first phases are harmless (the authors' seed: -0.032 at T=5k against +0.90 at 100k): "
    "the mean change of the error from T=0 to T=5k at most a quarter of the mean rise to the "
    "largest T, over every depth-3 seed. Relative, not the 0.05 of the first statement: the "
    "error at T=0 itself varies by 0.08 over seeds, so over 12 seeds apart from the claim's an "
    "absolute 0.05 passed 5 seeds only 76 % of the time; this bound 99.9 %"
)
HARM_REASON = (
    "a strong critical period: long first phases harm. The error's rise from T=0 to the largest "
    "T, paired over seeds (one-sided t, 95 %), at least 0.15, three times the harm the first "
    "statement of this claim let a short phase have. Not half the authors' +0.90: that is one "
    "seed's run, and over 12 seeds apart from the claim's the rise ranged from 0.07 to 1.26 "
    "(mean 0.59, sd 0.31; PROTOCOL.md, Measurements): 5 seeds pass this bound 99 % of the time"
)
TREND_REASON = "the authors' depth-3 error rises with T: rank correlation over all seeds"
DEPTH_REASON = (
    "deeper networks have stronger critical periods (authors: depth 1 none, depth 3 strong; "
    "their depth-2 run is released as a binary file we did not read, so no depth-2 value is "
    "used): the rise from T=0 to the largest T grows with depth, rank correlation over "
    "(depth, seed)"
)
DEPTH3_OVER_2_REASON = (
    "no depth-2 magnitude is used, so only the order is bounded: depth 3's rise exceeds depth "
    "2's, significant over seeds (one-sided Welch t-test, 95 %)"
)


@dataclass(frozen=True)
class CompletionSweep:
    switch_at: tuple[int, ...]  # T: steps on the first 1000 entries before the switch
    depths: tuple[int, ...]
    n_seeds: int  # the first n of the tier's seeds draw the curves over every T
    # Seeds per depth (aligned with `depths`) for "deeper is stronger", which needs the errors at
    # T=0 and the largest T only; seeds past `n_seeds` are swept over those two T.
    comparison_seeds: tuple[int, ...]
    curve_depths: tuple[int, ...]  # depths swept over every T (the others over the two ends)
    flat_at_most: float = 0.01
    harmless_t: int = 5000
    harmless_share: float = 0.25  # of the rise to the largest T
    harm_at_least: float = 0.15

    def __post_init__(self):
        if len(self.comparison_seeds) != len(self.depths):
            raise ValueError("comparison_seeds needs one count per depth")
        if any(n < self.n_seeds for d, n in zip(self.depths, self.comparison_seeds)
               if d in self.curve_depths):
            raise ValueError("a depth with curves compares at least the curves' seeds")


SETTINGS = {
    # the authors' setting at the T their errors are listed for, 2 seeds for the curves (time);
    # 6 at depth 3, whose rise varies most over seeds: its paired rise check had 99 % power at 5
    # seeds over 12 seeds apart from the claim's, but 77 % at seed base 3000 (6 seeds: 80 %;
    # PROTOCOL.md, Measurements, "Power at seed base 3000")
    "smoke": CompletionSweep(switch_at=(0, 5000, 10000, 20000, 100000), depths=(1, 2, 3),
                             n_seeds=2, comparison_seeds=(2, 2, 6), curve_depths=(1, 3)),
    # the authors' whole T_critical_list; the same seed noise as smoke, so 6 depth-3 seeds
    "paper": CompletionSweep(switch_at=(0, 1000, 5000, 10000, 20000, 40000, 60000, 80000,
                                        100000), depths=(1, 2, 3), n_seeds=3,
                             comparison_seeds=(3, 3, 6), curve_depths=(1, 2, 3)),
}


def sweep(s: CompletionSweep, depth: int, ends_only: bool = False) -> SwitchSweep:
    """Every T, or (ends_only) T=0, the short phase's T and the largest."""
    ts = (s.switch_at[0], s.harmless_t, s.switch_at[-1]) if ends_only else s.switch_at
    return SwitchSweep(MatrixCompletion(depth=depth), ts)


def curve_arms(s: CompletionSweep, depths) -> dict[str, Arm]:
    """Every T, the first `n_seeds` seeds: the curves."""
    return {f"depth {d}": Arm(sweep(s, d), seeds=s.n_seeds) for d in depths}


def comparison_arms(s: CompletionSweep) -> dict[str, Arm]:
    """Each depth's comparison seeds: the curves' sweeps where a depth has curves (shared with
    those claims), the two ends of T for the seeds past them."""
    arms = {}
    for d, n in zip(s.depths, s.comparison_seeds):
        curves = d in s.curve_depths
        arms[f"depth {d}"] = Arm(sweep(s, d, not curves), seeds=s.n_seeds if curves else n)
        if curves and n > s.n_seeds:
            arms[f"depth {d}, more seeds"] = Arm(sweep(s, d, True), seeds=range(s.n_seeds, n))
    return arms


def errors(arm: ArmResult, switch_at) -> np.ndarray:
    """Final test error [T, seed]."""
    return np.array([arm.map(lambda r, t=t: r.metrics["final"][str(t)]) for t in switch_at])


def judge_depth1(err, s: CompletionSweep):
    """err[T, seed] at depth 1."""
    spread = np.ptp(np.asarray(err, float), axis=0)
    return [expect_mean_at_most([spread.max()], at_most=s.flat_at_most, reason=FLAT_REASON,
                           name="depth 1: largest spread of the error over T (any seed)")]


def judge_depth3(switch_at, err, rise, harm, s: CompletionSweep):
    """err[T, seed] at depth 3 over the curves' seeds; rise[seed] and harm[seed]: the error at
    the largest T and at the short phase's T, minus the error at T=0, over every depth-3 seed."""
    err = np.asarray(err, float)
    rise, harm = np.asarray(rise, float), np.asarray(harm, float)
    share = float(harm.mean() / rise.mean()) if rise.mean() > 0 else float("inf")
    return [
        expect_paired_gain(rise, np.zeros(len(rise)), at_least=s.harm_at_least,
                           reason=HARM_REASON,
                           name=f"depth 3: error rise T=0 -> T={switch_at[-1]} (paired)"),
        expect_mean_at_most([share], at_most=s.harmless_share, reason=HARMLESS_REASON,
                            name=f"depth 3: change T=0 -> T={s.harmless_t} / rise"),
        expect_decreasing(switch_at, -err, reason=TREND_REASON,
                          name="depth 3: error rises with T (Spearman rho of -error)"),
    ]


def judge_depths(depths, rise):
    """rise[i]: the seeds' error at the largest T minus error at T=0 at depths[i] (the depths may
    have different numbers of seeds)."""
    rise = [np.asarray(r, float) for r in rise]
    return [
        expect_decreasing(depths, [-r for r in rise], reason=DEPTH_REASON,
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
        lines.append(mean_line(f"depth {d} (ours)", switch_at, err))
        if d in AUTHORS:
            ts = sorted(AUTHORS[d])
            lines.append(line(f"depth {d} (authors)", ts, [AUTHORS[d][t] for t in ts],
                              linestyle="--", marker="x"))
    return panels(panel("final test error vs length of the first phase",
                        "T (steps on 1000 entries)", "test MSE after 30k steps on 1500", *lines))


def seed_notes(seeds, switch_at, err) -> list[str]:
    err = np.asarray(err, float)
    return ["Per seed: " + "; ".join(
        f"seed {seed}: " + ", ".join(f"T={t}: {err[i, j]:.3f}" for i, t in enumerate(switch_at))
        for j, seed in enumerate(seeds))]


@claim("kleinman2024/depth1-no-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="A depth-1 linear network fitted to 1000 entries for T steps, then to 1500, "
                 "ends with the same test error whatever T: no critical period.",
       paper_value="0.852 at every T [auth]", settings=SETTINGS)
def test_depth1_has_no_critical_period(harness):
    s = harness.setting
    runs = harness.train(curve_arms(s, (1,)))
    err = {1: errors(runs["depth 1"], s.switch_at)}
    harness.record(judge_depth1(err[1], s), tables={"final test error by T": table(
        s.switch_at, err)}, figure=figure(s.switch_at, err),
        notes=seed_notes(runs["depth 1"].seeds, s.switch_at, err[1]))


@claim("kleinman2024/depth3-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="A depth-3 linear network has a strong critical period: a short first phase on "
                 "1000 entries is harmless, a long one harms recovery after the switch to 1500.",
       paper_value="0.075/0.043/0.415/0.868/0.975 at T=0/5k/10k/20k/100k, one seed [auth]",
       settings=SETTINGS)
def test_depth3_has_a_strong_critical_period(harness):
    s = harness.setting
    runs = harness.train({k: arm for k, arm in comparison_arms(s).items() if "depth 3" in k})
    err = {3: errors(runs["depth 3"], s.switch_at)}
    harness.record(judge_depth3(s.switch_at, err[3], rises(runs, s, 3),
                                rises(runs, s, 3, s.harmless_t), s),
                   tables={"final test error by T": table(s.switch_at, err)},
                   figure=figure(s.switch_at, err),
                   notes=[AUTHORS_NOTE, *seed_notes(runs["depth 3"].seeds, s.switch_at, err[3])])


AUTHORS_NOTE = (
    "The authors' curve is one run, their seed 1 (their script has no seed option); run "
    "anywhere, one seed is one draw of a rise that varies from seed to seed as much as the "
    "effect itself (PROTOCOL.md, Measurements).")


def rises(runs, s: CompletionSweep, depth: int, to: int | None = None) -> np.ndarray:
    """Error at T=`to` (default: the largest T) minus error at T=0, every seed of `depth` in
    `runs`."""
    ends = (s.switch_at[0], s.switch_at[-1] if to is None else to)
    return np.concatenate([np.diff(errors(arm, ends), axis=0)[0] for arm in runs.values()
                           if arm.spec().recipe.config.depth == depth])


@claim("kleinman2024/deeper-stronger-critical-period",
       paper="Kleinman, Achille, Soatto 2024, Fig. 4 (matrix completion)",
       statement="The deeper the linear network, the stronger its critical period.",
       paper_value="depth 1: none; depth 3: +0.90 [auth]", settings=SETTINGS)
def test_deeper_networks_have_stronger_critical_periods(harness):
    s = harness.setting
    runs = harness.train(comparison_arms(s))
    ends = (s.switch_at[0], s.switch_at[-1])
    rise = {d: rises(runs, s, d) for d in s.depths}
    err = {d: errors(runs[f"depth {d}"], s.switch_at) for d in s.curve_depths}
    fig = figure(s.switch_at, err)
    fig["panels"].append(arms_panel({f"depth {d}": r for d, r in rise.items()},
                                    title=f"critical-period strength: rise T=0 -> T={ends[1]}",
                                    ylabel="test MSE rise"))
    harness.record(judge_depths(s.depths, list(rise.values())), figure=fig,
                   tables={"final test error by T": table(s.switch_at, err),
                           "critical-period strength by depth": strength_table(rise, ends[1])},
                   notes=["Rise per seed: " + "; ".join(
                       f"depth {d}: " + ", ".join(f"{r:+.3f}" for r in rs)
                       for d, rs in rise.items())])


def strength_table(rise: dict[int, np.ndarray], last: int) -> list[dict]:
    return [{"depth": d, "seeds": len(r), f"rise T=0 -> T={last} (mean)": float(r.mean()),
             "sd": float(mean_sd(r)[1])} for d, r in rise.items()]
