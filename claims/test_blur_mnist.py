"""Achille, Rovere, Soatto 2019, Sect. 2: the blur deficit is permanent for a fully connected
network on MNIST too.

The paper repeats its blur experiment with a fully connected network (1024-2500-2000-1500-1000-
500-10, BatchNorm) on MNIST, its 28x28 digits zero-padded to 32x32: blur for T epochs, then N
clean epochs; the damage against the matched control (T clean epochs at the same rates, then
the same N) grows with T, if less than for the convolutional net on CIFAR-10. No augmentation.

The schedule's share of the drop: under the paper's annealed rate little is left at the largest
T (0.05 * 0.97^400 ~ 3e-7 at the paper tier's), so any deficit removed there may stay. The control
fit for digits is a label permutation at the largest T, every seed: one fixed permutation of the
ten classes, a deficit the paper calls recoverable that leaves the images untouched (a vertical
flip, the CIFAR-10 claims' control, makes a 6 into a 9 and so is no neutral deficit for digits).
Where the permutation does as much damage as blur, the verdict says "explained by the label
permutation control". Judged under both protocols (repro.protocols): under `restart` every
network gets the whole schedule after removal, so the drop can no longer be the schedule's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import line, mean_line, panel, panels
from repro.harness import claim
from repro.judges import blur_specific, permanent
from repro.protocols import DESCRIPTION, sweep
from repro.tables import effect_table

# Blur removed at 0/80/.../400 epochs: final test accuracy (%) of a public replication of the
# MNIST experiment (PROTOCOL.md, Sources and tags, [repl], results/mnist_deficit.csv).
PAPER_CURVE = {"epochs": [0, 80, 160, 240, 320, 400],
               "test_acc": [98.32, 98.20, 97.75, 96.15, 92.73, 88.93]}
DROP_REASON = (
    "half the replication's drop at the same deficit length in paper epochs (0.12/0.57/2.17/"
    "5.59/9.39 points at T=80/160/240/320/400, [repl]); the paper shows the effect for this "
    "net without a number: at least {min_drop:g} points at the largest T against the matched "
    "control"
)


@dataclass(frozen=True)
class MnistBlur:
    remove_at: tuple[int, ...]  # T > 0, epochs of this tier
    clean_epochs: int  # N
    min_drop: float  # points, T=0 minus the largest T: half the replication's there
    overrides: dict  # RunSpec fields over the tier's base


MNIST_FC = dict(dataset="mnist", model="fc", resolution=None, pad_to=32, augment=False)

SETTINGS = {
    # a net of a tenth of the paper's widths on 5k digits, 1 epoch = 10 paper epochs; the
    # largest T is 240 paper epochs, where the replication lost 2.17 points. Measured on seeds
    # 10-11 before the claim ran (PROTOCOL.md, Measurements, "MNIST"): 95.1/94.7/93.6/92.3 % at
    # T = 0/8/16/24, a 2.8-point drop, seed sd <= 0.3: 3 seeds have ample power for 1.09
    "smoke": MnistBlur(remove_at=(8, 16, 24), clean_epochs=16, min_drop=1.09,
                       overrides=dict(MNIST_FC, width=(250, 200, 150, 100, 50),
                                      train_size=5_000)),
    # the paper's net on all 60k digits, the replication's T grid; 160 clean epochs, as for
    # CIFAR-10 (the replication's clean epochs are not recorded: PROTOCOL.md)
    "paper": MnistBlur(remove_at=(80, 160, 240, 320, 400), clean_epochs=160, min_drop=4.70,
                       overrides=dict(MNIST_FC, train_size=None)),
}


XFAIL = {("smoke", "published"): (
    "measured at seed base 5000, apart from the claim's seeds: blur's damage at T=24 is 3.24 "
    "points [2.18, 4.29] against the matched control, past the 1.09 bound, but the label "
    "permutation does 81.77 (13.5 % test accuracy: with the annealed rate at 3.3e-05 at removal "
    "no deficit is undone), so permutation - blur is -78.5 [-88.4, -68.6] against the 1-point "
    "bound (power 0.00): the drop is the schedule's"),
    ("smoke", "restart"): (
    "measured at seed base 5000, apart from the claim's seeds: with the rate restarted at "
    "removal the blurred net ends level with or above its matched control, damage -0.36 points "
    "[-0.66, -0.06] at T=24 against the 1.09 bound (power 0.00), and no trend over T (rho "
    "-0.37); under the paper's schedule it is 3.24 [2.18, 4.29]")}


@claim("achille2019/blur-permanent-mnist", paper="Achille, Rovere, Soatto 2019, Sect. 2 (MNIST)",
       statement="A blur deficit in the first T epochs permanently lowers a fully connected "
                 "network's final test accuracy on MNIST against a matched control, more so the "
                 "larger T.",
       paper_value="drop of 2.17 points at T=240, 9.39 at T=400 [repl]", settings=SETTINGS,
       protocols=True, expected_failures=XFAIL)
def test_blur_deficit_is_permanent_on_mnist(harness, protocol):
    s = harness.setting
    t_max = s.remove_at[-1]
    runs = harness.train(sweep(protocol, {"blur": s.remove_at, CONTROL: (t_max,)},
                               s.clean_epochs, **s.overrides))
    damage, control_damage = -runs.effect("blur"), -runs.effect(CONTROL)[0]
    train = runs.final("train_acc", percent=True)
    scale = harness.tier.paper_epochs_per_epoch
    table = effect_table(runs, extra=lambda arm, t: {
        "T (paper epochs)": t * scale if isinstance(t, int) else 0,
        "final train acc %": float((train[arm] if runs[arm].single
                                    else train[arm][runs[arm].conditions.index(t)]).mean())})
    lr_left = harness.tier.base["lr"] * harness.tier.base["lr_decay"] ** t_max
    harness.record(judge(s, damage, control_damage),
                   tables={"final accuracy by arm and T": table},
                   notes=[f"Protocol {protocol}: {DESCRIPTION[protocol]}. Largest T = "
                          f"{t_max * scale} paper epochs; the annealed rate at removal there is "
                          f"{lr_left:.2g}.",
                          f"At T={t_max}: blur damage {damage[-1].mean():.2f}, label-"
                          f"permutation damage {control_damage.mean():.2f} points against the "
                          f"same matched control ({len(control_damage)} seeds)."],
                   figure=figure(s, damage, control_damage, scale))


CONTROL = "label_permutation"


def judge(s: MnistBlur, damage, control_damage):
    """damage[i, s]: matched control minus blur at s.remove_at[i]; control_damage[s]: matched
    control minus label permutation at the largest T, same seeds (points)."""
    return permanent(s.remove_at, damage, min_drop=s.min_drop,
                     drop_reason=DROP_REASON.format(min_drop=s.min_drop)) + [
        blur_specific(np.asarray(damage, float)[-1], control_damage,
                      control="label permutation", short="permutation")]


def figure(s: MnistBlur, damage, control_damage, scale: int) -> dict:
    paper = PAPER_CURVE["test_acc"]
    damage = np.asarray(damage)
    return panels(
        panel("damage vs deficit length", "T (epochs of this tier)",
              "matched control - deficit (points)", mean_line("blur", s.remove_at, damage),
              mean_line("label permutation (control)", s.remove_at[-1:],
                        np.asarray(control_damage)[None], linestyle="none", marker="s")),
        panel("against the replication (its drop from T=0)", "T (paper epochs)",
              "accuracy points",
              line("this run: damage vs matched control", [t * scale for t in s.remove_at],
                   damage.mean(1)),
              line("replication: drop from T=0", PAPER_CURVE["epochs"],
                   [paper[0] - a for a in paper], linestyle="--")))
