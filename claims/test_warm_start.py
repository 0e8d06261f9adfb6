"""Ash & Adams 2020: warm-starting hurts generalization; shrink-and-perturb repairs it.

Train on half the training set (stage 1), then on all of it (stage 2): warm-started networks end
with lower test accuracy than networks trained on all of it from scratch, at about the same
training accuracy. Shrinking the weights and adding noise before stage 2 (theta <- lambda * theta
+ sigma * a fresh initialisation) closes most of the gap.

At the paper tier, the authors' own protocol (their code, JordanAsh/warm_start run.py; PROTOCOL.md,
"Ash & Adams 2020"): their ResNet-18, plain SGD at a constant rate without weight decay or
augmentation, each stage trained until 99 % training accuracy with a fresh optimizer, and their
shrink-perturb defaults. At the smoke tier the claim runs in the setting where the net fits its
training set (claims/_fitting.py), with fixed stage lengths and the `restart` schedule (constant
in stage 1, stage 2 given the fresh run's own annealed schedule): on the tier's conv3, which
underfits, the warm start was simply more training and ended above the fresh run (PROTOCOL.md,
Measurements, "The fitting setting").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.config import Phase
from repro.figures import arms_figure
from repro.harness import Arm, claim
from repro.stats import expect_drop, expect_mean_at_most
from repro.tables import summary_table

from ._fitting import FITTING

GAP_REASON = (
    "warm-started networks generalize worse: CIFAR-10 ResNet-18, SGD, no augmentation, 56.2 % "
    "fresh against 51.7 % warm [text] (Table 1, as a third party transcribes it); at least "
    "half that 4.5-point gap, significant over seeds (one-sided Welch t-test, 95 %)"
)
TRAIN_REASON = (
    "the paper compares at equal training accuracy: warm and fresh must fit the full training "
    "set within 3 points of each other (mean over seeds), or the gap could be a fitting gap"
)
RECOVER_REASON = (
    "shrink-and-perturb closes most of the gap [text]: the warm-start gap left after it is at "
    "most half the gap without it, mean over seeds"
)


@dataclass(frozen=True)
class WarmStart:
    first_epochs: int  # stage 1, on half the training set (with a target: the most it may take)
    second_epochs: int  # stage 2 (and the fresh run), on all of it (likewise)
    shrink_perturb: tuple[float, float]  # (lambda, sigma)
    n_seeds: int
    overrides: dict  # RunSpec fields over the tier's base
    until_train_acc: float | None = None  # each stage ends at this training accuracy
    fresh_optimizer: bool = False  # stage 2 starts with a new optimizer
    min_gap: float = 2.25  # points
    max_train_gap: float = 3.0  # points
    max_gap_left: float = 0.5  # share of the gap


XFAIL = {
    "smoke": "measured in the first smoke run (fitting setting, 3 seeds, both arms at 100 % "
             "training accuracy): the warm start generalizes worse in the paper's direction, "
             "33.2 % against 34.8 % fresh, but by 1.58 points [-0.69, 3.85], under the bound of "
             "2.25 and not significant; shrink-and-perturb leaves 0.41 of that gap; the bounds "
             "were not changed",
}

SETTINGS = {
    # smoke: the fitting setting, 40 epochs per stage (stage 1 on 500 images)
    # expected failure: at seed base 3000 the gap check passes with probability 0.00
    # (PROTOCOL.md, Measurements, "Power at seed base 3000")
    "smoke": WarmStart(first_epochs=40, second_epochs=40, shrink_perturb=(0.3, 0.01), n_seeds=3,
                       overrides=dict(FITTING, lr_schedule="restart", augment=False)),
    # the authors' code: ResNet-18 at their widths 16-128, SGD lr 1e-3 without momentum, weight
    # decay or schedule, batch 128, no augmentation; each stage to 99 % training accuracy (at
    # most 500 epochs: a guard, theirs has none) with a new optimizer; shrink 0.4, perturb 0.1
    # with a fresh initialisation. Their test set is a third of CIFAR-10's training images and
    # they train on the other 33,333; here a class-balanced 33,330 of them, tested on CIFAR-10's
    # own test set. 5 seeds, as their Table 1 (five runs, as quoted): whether its parentheses
    # are sd or se was not found, so the count holds under both readings (python -m repro.power
    # drop --effect 4.5 --bound 2.25: power 0.99 at 3 seeds for sd 1.0, 0.88 at 5 for sd 2.2 =
    # 1.0 * sqrt(5), the se reading)
    "paper": WarmStart(first_epochs=500, second_epochs=500, shrink_perturb=(0.4, 0.1),
                       n_seeds=5, until_train_acc=0.99, fresh_optimizer=True,
                       overrides=dict(model="resnet18", width=(16, 32, 64, 128),
                                      train_size=33_330, lr=1e-3, lr_schedule="constant",
                                      momentum=0.0, weight_decay=0.0, augment=False)),
}


def arms(s: WarmStart) -> dict[str, list[Phase]]:
    stage = dict(until_train_acc=s.until_train_acc)
    half = Phase(s.first_epochs, train_fraction=0.5, **stage)
    second = dict(stage, fresh_optimizer=s.fresh_optimizer or None)
    return {"fresh": [Phase(s.second_epochs, **stage)],
            "warm": [half, Phase(s.second_epochs, **second)],
            "shrink-perturb": [half, Phase(s.second_epochs, shrink_perturb=s.shrink_perturb,
                                           **second)]}


def judge(test_acc: dict, train_acc: dict, s: WarmStart):
    """test_acc[arm], train_acc[arm]: final accuracies (%) per seed."""
    t = {k: np.asarray(v, float) for k, v in test_acc.items()}
    tr = {k: np.asarray(v, float) for k, v in train_acc.items()}
    gap = float((t["fresh"] - t["warm"]).mean())
    scale = gap if gap > 0 else float("nan")
    return [
        expect_drop(t["fresh"], t["warm"], at_least=s.min_gap, reason=GAP_REASON,
                    name="warm-start gap: fresh - warm test accuracy (points)"),
        expect_mean_at_most(np.abs(tr["fresh"] - tr["warm"]), at_most=s.max_train_gap,
                       reason=TRAIN_REASON, name="|fresh - warm| training accuracy (points)"),
        expect_mean_at_most((t["fresh"] - t["shrink-perturb"]) / scale, at_most=s.max_gap_left,
                       reason=RECOVER_REASON, name="gap left after shrink-perturb / gap"),
    ]


@claim("ash2020/warm-start-gap", paper="Ash & Adams 2020, Sec. 2 and 4",
       statement="Warm-starting from a network trained on half the data generalizes worse than "
                 "training from scratch at equal training accuracy; shrink-and-perturb closes "
                 "most of the gap.",
       paper_value="56.2 % fresh vs 51.7 % warm (ResNet-18, no augmentation) [text]",
       settings=SETTINGS, expected_failures=XFAIL)
def test_warm_starting_generalizes_worse(harness):
    s = harness.setting
    runs = harness.train({name: Arm(phases, seeds=s.n_seeds) for name, phases in arms(s).items()},
                         **s.overrides)
    test_acc = runs.final("test_acc", percent=True)
    train_acc = runs.final("train_acc", percent=True)
    table = [{**row, "final train acc %": float(np.mean(train_acc[row["arm"]]))}
             for row in summary_table(runs, test_acc, baseline="fresh")]
    harness.record(judge(test_acc, train_acc, s), tables={"warm start against fresh": table},
                   figure=arms_figure(test_acc, title="warm start against fresh",
                                      ylabel="final test accuracy (%)"),
                   notes=[stages(s), f"Shrink-perturb (lambda, sigma) = {s.shrink_perturb}."])


def stages(s: WarmStart) -> str:
    if s.until_train_acc is None:
        return (f"Stage 1: {s.first_epochs} epochs on half the training set at a constant rate; "
                f"stage 2: {s.second_epochs} epochs on all of it.")
    return (f"Each stage (half the training set, then all of it) trained until "
            f"{s.until_train_acc:.0%} training accuracy (at most {s.first_epochs} and "
            f"{s.second_epochs} epochs)" + (", stage 2 with a new optimizer." if s.fresh_optimizer
                                            else "."))
