"""Achille, Rovere, Soatto 2019, Fig. 3: sensitivity to a short deficit window over its onset.

A blur window of fixed length starts at several onsets, then N clean epochs; its damage is the
same-seed accuracy difference to the matched control (the same epochs and rates, clean data
instead of blur). Judged under both protocols (repro.protocols): under the paper's annealed
schedule a late window falls where the rate is small; under `restart` the rate restarts at the
window's end, so a late window is not harmless merely because the rate has decayed by then. The
paper's curve is bell-shaped and peaks in the early, rapid-learning phase; late windows cost
nothing. Two claims share the runs: the damage peaks early (and is significant there), and late
windows are harmless (an equivalence). Whether the curve rises before its peak (a strict bell) is
reported, not judged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import line, mean_line, panel, panels
from repro.harness import claim
from repro.judges import no_lasting_effect
from repro.protocols import DESCRIPTION, window
from repro.stats import expect_positive, mean_sd
from repro.verdict import Check

# [repl] window at onset 0 costs ~4 points, at onset 20 ~0.4, later ~0 (PROTOCOL.md, Sources)
PAPER_CURVE = {"onset": [0, 20, 40], "damage": [4.0, 0.4, 0.0]}
MIN_PEAK_DAMAGE = 1.0
PEAK_REASON = ("the window at its most sensitive onset must do damage: at least 1 point (a "
               "quarter of the paper's ~4 points at onset 0) and above zero at 95 % (one-sided "
               "paired t-test against the matched control)")
EARLY_REASON = ("the most sensitive onset lies in the early phase: in the first half of the "
                "onsets tested (the paper's peak is at the earliest onsets)")
# late windows cost nothing (paper: ~0 from onset 40): the damage at the latest onset lies within
# +-1 point of the matched control, both ways, a quarter of the paper's early damage
LATE_MARGIN = 1.0
LATE_NOT_RUN = {("smoke", "published"): (
    "too little power at this tier, found by the seed bases: the window at onset 8 costs "
    "0.61 points against its matched control at seed base 5000 (seed sd 0.06: the equivalence "
    f"within +-{LATE_MARGIN:g} passed there, power 1.00 from that sd) and 0.75 [-0.46, 1.96] "
    "at seed base 0 (sd 0.49: not shown equivalent). Both bases together (mean 0.68, sd 0.35) "
    "give the check 29 % power at 3 seeds and 80 % only from 10 (python -m repro.power "
    "equivalence), so its verdict hangs on the seed base; it was run at base 0 before this was "
    "known, and is withheld, not turned into a pass. The late window does cost something here, "
    "about 0.7 points, a sixth of the early window's 4.3-5.2. The paper tier runs it"),
    ("smoke", "restart"): (
    "too little power under restart at this tier: at seed base 5000, apart from the claim's "
    "seeds, the window at onset 8 ends {damage} points [-1.38, 0.51] against its matched "
    "control, inside the +-{margin:g} margin on average but with a seed sd of 0.38: the "
    "equivalence test passes with 52 % power at 3 seeds and needs 5 for 80 % (python -m "
    "repro.power report), 2 seeds more of both window arms under both protocols, beyond the "
    "tier's budget; a verdict that flips with the seed base says nothing. The runs are trained "
    "for the peak claim all the same, and the paper tier runs it").format(
        damage="-0.43", margin=LATE_MARGIN)}


@dataclass(frozen=True)
class Window:
    deficit_epochs: int  # the window's length
    clean_epochs: int  # N: clean epochs after the window
    onsets: tuple[int, ...]


SETTINGS = {
    # 1 smoke epoch = 10 paper epochs: a 40-epoch window at onsets 0/40/80, then the blur claim's
    # N; the window at onset 0 is the blur claim's T = 4 run, and every control a prefix of its
    # matched control (no extra training)
    "smoke": Window(deficit_epochs=4, clean_epochs=16, onsets=(0, 4, 8)),
    # "a short 40-epoch deficit" (the paper's caption, as a third party quotes it); its onsets
    # were not found: a public replication's finest grid, 0/20/40/60/80 (Bartek,
    # results/cifar10_sensitivity_granularity.csv), and 120 for a window well past the early
    # phase (our choice); the blur claim's 160 clean epochs after the window
    "paper": Window(deficit_epochs=40, clean_epochs=160, onsets=(0, 20, 40, 60, 80, 120)),
}


def damage_by_onset(harness, protocol: str):
    """damage[onset, seed]: matched control minus window, final test accuracy (points)."""
    s = harness.setting
    runs = harness.train(window(protocol, "blur", s.deficit_epochs, s.clean_epochs, s.onsets))
    return -runs.effect("window")


def judge_peak(onsets, damage):
    damage = np.asarray(damage, float)
    peak = int(np.argmax(damage.mean(1)))
    early = onsets[peak] <= (onsets[0] + onsets[-1]) / 2
    return [
        Check("onset of the largest mean damage", float(onsets[peak]),
              f"<= {(onsets[0] + onsets[-1]) / 2:g} (first half of the onsets)", bool(early),
              EARLY_REASON, n=damage.shape[1]),
        expect_positive(damage[peak], at_least=MIN_PEAK_DAMAGE,
                        name="damage at that onset (points)", reason=PEAK_REASON),
    ]


def judge_late(damage):
    return [no_lasting_effect(-np.asarray(damage, float)[-1], margin=LATE_MARGIN,
                              name="window at the latest onset vs matched control (points)")]


def report(harness, damage, protocol: str) -> dict:
    s, scale = harness.setting, harness.tier.paper_epochs_per_epoch
    m, sd = mean_sd(damage)
    rows = [{"onset": t, "onset (paper epochs)": t * scale, "damage (points)": float(a),
             "sd": float(b), "seeds with damage > 0": int((damage[i] > 0).sum())}
            for i, (t, a, b) in enumerate(zip(s.onsets, m, sd))]
    peak = int(np.argmax(m))
    rises = bool(peak > 0 and m[peak] > m[0])
    notes = [f"Protocol {protocol}: {DESCRIPTION[protocol]}. Window of {s.deficit_epochs} "
             f"blurred epochs, then {s.clean_epochs} clean epochs; damage = matched control - "
             "window, same seed.",
             f"Peak onset {s.onsets[peak]}; strict bell (the curve rises before its peak): "
             f"{'yes' if rises else 'no'}."]
    fig = panels(
        panel("damage of a blur window vs its onset", "onset (epochs of this tier)",
              "accuracy damage (points)", mean_line("this run", s.onsets, damage)),
        panel("against the paper (replication)", "onset (paper epochs)",
              "accuracy damage (points)", line("this run", [t * scale for t in s.onsets], m),
              line("paper [repl]", PAPER_CURVE["onset"], PAPER_CURVE["damage"],
                   linestyle="--")))
    return {"tables": {"damage by onset": rows}, "notes": notes, "figure": fig}


STATEMENT = "Achille, Rovere, Soatto 2019, Fig. 3"


@claim("achille2019/window-damage-peaks-early", paper=STATEMENT,
       statement="A short blur window does the most damage when it starts early in training, "
                 "and that damage is real.",
       paper_value="~4 points at onset 0 [repl]", settings=SETTINGS, protocols=True)
def test_window_damage_peaks_early(harness, protocol):
    damage = damage_by_onset(harness, protocol)
    harness.record(judge_peak(harness.setting.onsets, damage), **report(harness, damage, protocol))


@claim("achille2019/late-window-harmless", paper=STATEMENT,
       statement="A short blur window that starts late in training leaves no lasting damage.",
       paper_value="~0 points from onset 40 [repl]", settings=SETTINGS, protocols=True,
       not_run=LATE_NOT_RUN)
def test_late_window_is_harmless(harness, protocol):
    damage = damage_by_onset(harness, protocol)
    harness.record(judge_late(damage), **report(harness, damage, protocol))
