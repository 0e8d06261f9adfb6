"""Does a blur critical period survive without learning-rate annealing?

The paper trains with an annealed rate; a replication must ask whether the permanence of a blur
deficit needs the annealing. Here every epoch runs at the constant initial rate: T blurred epochs,
then N clean ones, against N clean epochs alone (the same seeds).
"""
from __future__ import annotations

import numpy as np

from repro.figures import arms_figure
from repro.harness import claim
from repro.stats import expect_drop, mean_sd

SETTINGS = {"smoke": (8, 12), "paper": (80, 160)}  # (T, N) in epochs of the tier
MIN_DROP = 3.0
MIN_DROP_REASON = ("a blur critical period must cost at least half the paper's drop at this T "
                   "(blur removed at epoch 70: 89.4 -> 83.2 %, 6.2 points [repl]); one-sided "
                   "Welch t-test over seeds, 95 %")
XFAIL = {
    "smoke": "measured on this CPU (DESIGN.md section 11): at a constant rate the small net shows "
             "no blur effect at all (54.7 +- 1.8 % at T=0, 54.6 +- 1.3 % at T=20 small epochs)",
}


def judge(none, blur):
    return [expect_drop(none, blur, at_least=MIN_DROP, name="drop after T blurred epochs "
                        "(points)", reason=MIN_DROP_REASON)]


@claim("achille2019/blur-permanent-constant-lr", paper="Achille, Rovere, Soatto 2019 (schedule "
       "control)", statement="At a constant learning rate, a blur deficit still lowers the final "
                             "accuracy for good.",
       paper_value="not stated; the annealed drop is ~6 points at T=70 [repl]")
def test_blur_is_permanent_at_a_constant_rate(harness):
    harness.expect_failure_at(XFAIL)
    t, n = SETTINGS[harness.tier.name]
    seeds = harness.seeds
    specs = ([harness.spec([(n, None)], seed, lr_schedule="constant") for seed in seeds]
             + [harness.spec([(t, "blur"), (n, None)], seed, lr_schedule="constant")
                for seed in seeds])
    acc = np.array([r.final("test_acc") * 100 for r in harness.runs(specs)])
    none, blur = acc[: len(seeds)], acc[len(seeds):]
    rows = [{"run": name, "final test acc %": float(mean_sd(a)[0]), "sd": float(mean_sd(a)[1])}
            for name, a in (("no deficit", none), (f"blur for T={t}", blur))]
    harness.record(judge(none, blur), tables={"final accuracy at a constant rate": rows},
                   figure=arms_figure({"no deficit": none, f"blur T={t}": blur},
                                      title="constant rate: final accuracy",
                                      ylabel="final test accuracy (%)"),
                   notes=[f"Constant rate {harness.tier.base['lr']} throughout; T={t}, N={n}."])
