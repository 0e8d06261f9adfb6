"""Does a blur critical period survive without learning-rate annealing?

The paper trains with an annealed rate; a replication must ask whether the permanence of a blur
deficit needs the annealing. Here every epoch runs at the constant initial rate: T blurred epochs,
then N clean ones, against the matched control (T + N clean epochs at the same constant rate, the
same seeds). A constant rate has no removal to restart at, so this claim has one protocol: its
own, a third schedule beside the two of repro.protocols.
"""
from __future__ import annotations

from repro.figures import arms_figure
from repro.harness import Arm, claim
from repro.protocols import PUBLISHED, deficit_run, matched_control
from repro.stats import expect_positive
from repro.tables import effect_table

SETTINGS = {"smoke": (8, 12), "paper": (80, 160)}  # (T, N) in epochs of the tier
MIN_DROP = 3.0
MIN_DROP_REASON = ("a blur critical period must cost at least half the paper's drop at this T "
                   "(blur removed at epoch 70: 89.4 -> 83.2 %, 6.2 points [repl]), against the "
                   "matched control; one-sided t-test over seeds, 95 %")
NOT_RUN = {
    "smoke": "measured at seed base 5000, apart from the claim's seeds, against the matched "
             "control (20 clean epochs at the same constant rate): blur for T=8 costs 2.55 "
             "points [1.22, 3.89] (p = 0.007), a real but smaller effect than the 3-point bound, "
             "which passes with 7 % power at 3 seeds (python -m repro.power report): the "
             "verdict is 'NOT replicated' at every seed base measured, and its 120 epochs (2.6 "
             "CPU minutes) go to the tier's budget for the two protocols of the deficit claims. "
             "The paper tier runs it",
}


def judge(damage):
    """damage[s]: matched control minus blur, final test accuracy (points)."""
    return [expect_positive(damage, at_least=MIN_DROP, name="damage after T blurred epochs vs "
                            "matched control (points)", reason=MIN_DROP_REASON)]


@claim("achille2019/blur-permanent-constant-lr", paper="Achille, Rovere, Soatto 2019 (schedule "
       "control)", statement="At a constant learning rate, a blur deficit still lowers the final "
                             "accuracy for good, against a matched control.",
       paper_value="not stated; the annealed drop is ~6 points at T=70 [repl]",
       settings=SETTINGS, not_run=NOT_RUN)
def test_blur_is_permanent_at_a_constant_rate(harness):
    t, n = harness.setting
    constant = dict(lr_schedule="constant")
    runs = harness.train({
        "control": matched_control(PUBLISHED, t, n, **constant),
        "blur": Arm(deficit_run(PUBLISHED, "blur", t, n, **constant), control="control")})
    damage = -runs.effect("blur")
    harness.record(judge(damage), tables={"final accuracy at a constant rate": effect_table(
                       runs, reference=None)},
                   figure=arms_figure({"matched control - blur": damage},
                                      title="constant rate: damage",
                                      ylabel="matched control - blur (points)"),
                   notes=[f"Constant rate {harness.tier.base['lr']} throughout; T={t}, N={n}."])
