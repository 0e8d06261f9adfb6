"""Achille, Rovere, Soatto 2019, Fig. 1 (left): a blur deficit early in training becomes permanent.

Blur for T epochs, then N clean epochs; the damage is the same-seed accuracy difference from the
matched control (T clean epochs at the same rates, then the same N), and it grows with T. The
vertical-flip control, a deficit the paper calls recoverable, runs at the largest T with every
seed: where flip does as much damage as blur, the drop is the schedule's or any deficit's, not
blur's, and the verdict says "explained by vertical flip". Judged under both protocols
(repro.protocols): the paper's annealed schedule, and a restart of the rate at removal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import line, mean_line, panel, panels
from repro.harness import claim
from repro.judges import blur_specific, permanent
from repro.protocols import DESCRIPTION, sweep
from repro.tables import effect_table

# Blur removed at 0/35/70/105/140 epochs, then 140 clean epochs: final test accuracy (%), from a
# public replication of the paper's Fig. 1 (its own setup: no momentum, an 8-convolution All-CNN):
# PROTOCOL.md, Sources and tags, [repl].
PAPER_CURVE = {"epochs": [0, 35, 70, 105, 140], "test_acc": [89.4, 86.1, 83.2, 81.2, 79.1]}

MIN_DROP_REASON = (
    "half the paper's drop: blur removed at epoch 140 costs about 10 points (89.4 -> 79.1 %, "
    "public replication); a permanent deficit must cost at least {min_drop:g} points at the "
    "largest T against its matched control")


@dataclass(frozen=True)
class BlurSweep:
    remove_at: tuple[int, ...]  # T > 0: blurred epochs before the deficit is removed
    clean_epochs: int  # N: clean epochs after removal
    min_drop: float  # accuracy points, damage at the largest T


SETTINGS = {
    # 1 smoke epoch = 10 paper epochs: T = 40/80/160, N = 160 paper epochs (PROTOCOL.md,
    # Measurements, "Blur removal"); the vertical-flip control at T = 160, every seed
    "smoke": BlurSweep(remove_at=(4, 8, 16), clean_epochs=16, min_drop=5.0),
    "paper": BlurSweep(remove_at=(40, 80, 120, 160), clean_epochs=160, min_drop=5.0),
}


# Measured at seed base 5000, apart from the claim's seeds, before the verdict run (PROTOCOL.md,
# Measurements, "Protocols at seed base 5000"); power from python -m repro.power report
XFAIL = {
    ("smoke", "published"): (
        "measured at seed base 5000: blur's damage at T=16 against the matched control is 8.82 "
        "points [7.62, 10.0], past the bound, but vertical flip does more: 13.15 points, so "
        "flip - blur is -4.33 [-6.40, -2.26] against the 1-point bound (power 0.00): the drop is "
        "the annealed schedule's, which leaves any deficit permanent at this scale"),
    ("smoke", "restart"): (
        "measured at seed base 5000: with the rate restarted at removal blur's damage at T=16 is "
        "3.77 points [3.64, 3.90] against the matched control, under the 5-point bound (power "
        "0.00), though it exceeds flip's by 1.23 [0.41, 2.04] (power 0.88): a blur-specific "
        "deficit remains, smaller than half the paper's drop"),
}


def judge(remove_at, damage, flip_damage, setting: BlurSweep):
    """damage[i, s]: matched control minus blur at remove_at[i] (points); flip_damage[s]:
    matched control minus vertical flip at the largest T, same seeds."""
    damage = np.asarray(damage, float)
    return permanent(remove_at, damage, min_drop=setting.min_drop,
                     drop_reason=MIN_DROP_REASON.format(min_drop=setting.min_drop)) + [
        blur_specific(damage[-1], flip_damage)]


@claim("achille2019/blur-permanent", paper="Achille, Rovere, Soatto 2019, Fig. 1 (left)",
       statement="A blur deficit in the first T epochs, then removed, permanently lowers the "
                 "final test accuracy against a matched control, more so the larger T, and more "
                 "than vertical flip does.",
       paper_value="drop of 10.3 points at T=140 [repl]", settings=SETTINGS, protocols=True,
       expected_failures=XFAIL)
def test_blur_deficit_becomes_permanent(harness, protocol):
    s = harness.setting
    t_max = s.remove_at[-1]
    runs = harness.train(sweep(protocol, {"blur": s.remove_at, "vflip": (t_max,)},
                               s.clean_epochs))
    damage, flip_damage = -runs.effect("blur"), -runs.effect("vflip")[0]
    harness.record(judge(s.remove_at, damage, flip_damage, s),
                   **show(harness, runs, damage, protocol))


def show(harness, runs, damage, protocol: str) -> dict:
    s, scale = harness.setting, harness.tier.paper_epochs_per_epoch
    base = harness.tier.base
    flip = -runs.effect("vflip")[0]
    acc = runs.final("test_acc", percent=True)
    switch = acc["clean"][-1] - acc["none"]
    notes = [f"Protocol {protocol}: {DESCRIPTION[protocol]}; lr {base['lr']} x "
             f"{base['lr_decay']:.4g} per epoch of this tier; N = {s.clean_epochs}.",
             f"At T={s.remove_at[-1]}: blur damage {damage[-1].mean():.2f}, vertical-flip damage "
             f"{flip.mean():.2f} points against the same matched control ({len(flip)} seeds).",
             f"The matched control at T={s.remove_at[-1]} ends {switch.mean():+.2f} points from "
             "the no-deficit run (the clean-switch control claim judges it): the paper's measure, "
             "the drop from T=0, carries this difference besides the deficit's; the verdict "
             "compares with the matched control."]
    table = effect_table(runs, extra=lambda _, t: {
        "T (paper epochs)": t * scale if isinstance(t, int) else 0})
    fig = panels(
        panel(f"damage vs deficit length ({protocol})", "T (epochs of this tier)",
              "matched control - deficit (points)", mean_line("blur", s.remove_at, damage),
              mean_line("vertical flip (control)", s.remove_at[-1:], flip[None], linestyle="none",
                        marker="s")),
        panel("against the paper (replication: drop from T=0)", "T (paper epochs)",
              "accuracy points", line("this run: damage vs matched control",
                                      [t * scale for t in s.remove_at], damage.mean(1)),
              line("paper [repl]: drop from T=0", PAPER_CURVE["epochs"],
                   [PAPER_CURVE["test_acc"][0] - a for a in PAPER_CURVE["test_acc"]],
                   linestyle="--")))
    return {"notes": notes, "tables": {"final accuracy by arm and T": table}, "figure": fig}
