"""Golatkar, Achille, Soatto 2019: regularization matters in the early transient of training.

A regularizer (weight decay; separately, data augmentation) on for all N epochs (always), for
none (never), only for the first t (removed after the transient), or only after t (applied late).
Their claim: removing it after the transient costs little against always; applying it only after
the transient gains little against never, as if it had never been applied. Both are measured as
shares of the full benefit, always minus never, which must itself be clear for the claim to say
anything. The two regularizers are two claims with the same judge and bounds.

The schedule (exponential decay, not reset) is the same in every arm; only the regularizer
differs. "always" is the same run in both claims. At the smoke tier the claims run in the setting
where the net fits its training set (claims/_fitting.py): on the tier's conv3, which underfits,
augmentation hurt and weight decay did nothing, so timing could not matter there (PROTOCOL.md,
Measurements, "The fitting setting").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from claims._fitting import FITTING
from repro.config import Phase
from repro.figures import arms_figure
from repro.harness import Arm, claim
from repro.stats import expect_drop, expect_mean_at_most
from repro.tables import summary_table

BENEFIT_REASON = (
    "the claim is about a regularizer that helps: always-on must beat never by at least 1 point, "
    "significant over seeds (one-sided Welch t-test, 95 %); Golatkar et al. show a few points on "
    "CIFAR-10 [approx]"
)
REMOVE_REASON = (
    "removing the regularizer after the transient 'barely changes' final accuracy [text]: the "
    "loss against always-on is at most a third of the full benefit (always - never), mean over "
    "seeds"
)
LATE_REASON = (
    "applying the regularizer only after the transient gives 'no benefit' [text]: the gain over "
    "never is at most a third of the full benefit, mean over seeds"
)
XFAIL = {
    "weight decay": {"smoke": (
        "measured in the first smoke run (fitting setting, 3 seeds): weight decay gives no "
        "benefit at this scale, always - never -1.00 points [-4.69, 2.68] (38.9 % against "
        "39.9 %), so its timing cannot matter; on the tier's conv3 it was +0.26 [-1.6, 2.1]; "
        "the bounds were not changed")},
    "data augmentation": {"smoke": (
        "measured in the first smoke run (fitting setting, 3 seeds): augmentation helps, +4.12 "
        "points [0.65, 7.60], but not only early: applied only from epoch 10 of 40 it gains 1.23 "
        "times the full benefit (39.9 % against 38.9 % always-on, 34.8 % never), and removed at "
        "epoch 10 it loses 0.47 of it (bound: a third each); the bounds were not changed")},
}
# the Phase setting that turns each regularizer off
OFF = {"weight decay": {"weight_decay": 0.0}, "data augmentation": {"augment": False}}


@dataclass(frozen=True)
class TimingSweep:
    epochs: int  # N
    switch_at: int  # t: the end of the early transient
    n_seeds: int
    overrides: dict  # RunSpec fields over the tier's base
    min_benefit: float = 1.0  # points
    max_share: float = 1 / 3


SETTINGS = {
    # the fitting setting (claims/_fitting.py), 40 epochs, t at a quarter (the paper's 40 of 160)
    # expected failures: at seed base 3000 their failing checks pass with probability
    # 0.00-0.02 (PROTOCOL.md, Measurements, "Power at seed base 3000")
    "smoke": TimingSweep(epochs=40, switch_at=10, n_seeds=3, overrides=FITTING),
    "paper": TimingSweep(epochs=160, switch_at=40, n_seeds=3, overrides={}),
}


def arms(s: TimingSweep, regularizer: str = "weight decay") -> dict[str, list[Phase]]:
    off, rest = OFF[regularizer], s.epochs - s.switch_at
    return {"always": [Phase(s.epochs)], "never": [Phase(s.epochs, **off)],
            "removed at t": [Phase(s.switch_at), Phase(rest, **off)],
            "applied from t": [Phase(s.switch_at, **off), Phase(rest)]}


def judge(acc: dict, s: TimingSweep):
    """acc[arm] = final test accuracies (%) per seed."""
    a = {k: np.asarray(v, float) for k, v in acc.items()}
    benefit = float((a["always"] - a["never"]).mean())
    scale = benefit if benefit > 0 else float("nan")
    return [
        expect_drop(a["always"], a["never"], at_least=s.min_benefit, reason=BENEFIT_REASON,
                    name="benefit: always - never (points)"),
        expect_mean_at_most((a["always"] - a["removed at t"]) / scale, at_most=s.max_share,
                       reason=REMOVE_REASON, name="cost of removal at t / benefit"),
        expect_mean_at_most((a["applied from t"] - a["never"]) / scale, at_most=s.max_share,
                       reason=LATE_REASON, name="gain of late application / benefit"),
    ]


@claim("golatkar2019/weight-decay-timing",
       paper="Golatkar, Achille, Soatto 2019, Sec. 3 (weight decay)",
       statement="Weight decay matters only early: removed after the early transient it costs "
                 "little; applied only after it, it gains little.",
       paper_value="removal after transient: little change; late application: no benefit [text]",
       settings=SETTINGS, expected_failures=XFAIL["weight decay"])
def test_weight_decay_matters_only_early(harness):
    check_timing(harness, "weight decay")


@claim("golatkar2019/augmentation-timing",
       paper="Golatkar, Achille, Soatto 2019, Sec. 3 (data augmentation)",
       statement="Data augmentation matters only early: removed after the early transient it "
                 "costs little; applied only after it, it gains little.",
       paper_value="removal after transient: little change; late application: no benefit [text]",
       settings=SETTINGS, expected_failures=XFAIL["data augmentation"])
def test_augmentation_matters_only_early(harness):
    check_timing(harness, "data augmentation")


def check_timing(harness, regularizer: str):
    s = harness.setting
    runs = harness.train({name: Arm(phases, seeds=s.n_seeds)
                          for name, phases in arms(s, regularizer).items()}, **s.overrides)
    acc = runs.final("test_acc", percent=True)
    when_on = (f"weight decay {harness.tier.base['weight_decay']}" if regularizer == "weight decay"
               else "random crop and flip")
    harness.record(judge(acc, s), tables={f"final accuracy by {regularizer} timing":
                                          summary_table(runs, acc, baseline="always")},
                   figure=arms_figure(acc, title=f"{regularizer} timing",
                                      ylabel="final test accuracy (%)"),
                   notes=[f"N={s.epochs} epochs, t={s.switch_at}; {when_on} when on; "
                          f"settings over the tier's: {s.overrides or 'none'}."])
