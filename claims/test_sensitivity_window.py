"""Achille, Rovere, Soatto 2019, Fig. 3: sensitivity to a short deficit window over its onset.

A blur window of fixed length starts at several onsets; its damage is the same-seed accuracy
difference to the matched control (the same onset and rates, clean data instead of blur; see
claims/_plastic.py), so that a late window is not harmless merely because the learning rate has
decayed by then. The paper's curve is bell-shaped and peaks in the early, rapid-learning phase;
late windows cost nothing. Two claims share the runs: the damage peaks early (and is significant
there), and late windows are harmless. Whether the curve rises before its peak (a strict bell)
is reported as a figure, not judged.
"""
from __future__ import annotations

import numpy as np

from claims import _plastic
from repro.figures import line, mean_line, panel, panels
from repro.harness import Arm, claim
from repro.stats import expect_at_most, expect_paired_gain, mean_sd
from repro.verdict import Check

# [repl] window at onset 0 costs ~4 points, at onset 20 ~0.4, later ~0 (PROTOCOL.md, Sources)
PAPER_CURVE = {"onset": [0, 20, 40], "damage": [4.0, 0.4, 0.0]}
MIN_PEAK_DAMAGE = 1.0
PEAK_REASON = ("the window at its most sensitive onset must do damage: at least 1 point (a "
               "quarter of the paper's ~4 points at onset 0) and above zero at 95 % (one-sided "
               "paired t-test against the matched control)")
EARLY_REASON = ("the most sensitive onset lies in the early phase: in the first half of the "
                "onsets tested (the paper's peak is at the earliest onsets)")
LATE_MARGIN = 1.0
LATE_REASON = ("late windows cost nothing (paper: ~0 from onset 40): the damage at the latest "
               "onset may be at most 1 point (upper 95 % bound), a quarter of the early damage")
LATE_XFAIL = {
    "smoke": "measured on the development CPU with matched controls, at 8 paper epochs per "
             "epoch (PROTOCOL.md, Measurements): the blur window costs something at every onset, "
             "mean damage 3.1 at onset 0, 2.4 at onset 4 and still 2.1 at onset 8 (64 paper "
             "epochs), never near zero; at this scale the net keeps learning low-level features "
             "throughout its short training",
}


def damage_by_onset(harness):
    """damage[onset, seed]: matched control minus window, final test accuracy (points)."""
    s = harness.setting
    runs = harness.train({
        "window": Arm({t: _plastic.branch(s, "blur", onset=t) for t in s.onsets}, by="onset"),
        "control": Arm({t: _plastic.branch(s, "clean", onset=t) for t in s.onsets}, by="onset"),
    })
    acc = runs.final("test_acc", percent=True)
    return acc["control"] - acc["window"]


def judge_peak(onsets, damage):
    damage = np.asarray(damage, float)
    peak = int(np.argmax(damage.mean(1)))
    early = onsets[peak] <= (onsets[0] + onsets[-1]) / 2
    return [
        Check("onset of the largest mean damage", float(onsets[peak]),
              f"<= {(onsets[0] + onsets[-1]) / 2:g} (first half of the onsets)", bool(early),
              EARLY_REASON, n=damage.shape[1]),
        expect_paired_gain(damage[peak], np.zeros(damage.shape[1]), at_least=MIN_PEAK_DAMAGE,
                           name="damage at that onset (points)", reason=PEAK_REASON),
    ]


def judge_late(damage):
    return [expect_at_most(np.asarray(damage, float)[-1], at_most=LATE_MARGIN,
                           name="damage at the latest onset (points)", reason=LATE_REASON)]


def report(harness, damage) -> dict:
    s, scale = harness.setting, harness.tier.paper_epochs_per_epoch
    m, sd = mean_sd(damage)
    rows = [{"onset": t, "onset (paper epochs)": t * scale, "damage (points)": float(a),
             "sd": float(b), "seeds with damage > 0": int((damage[i] > 0).sum())}
            for i, (t, a, b) in enumerate(zip(s.onsets, m, sd))]
    peak = int(np.argmax(m))
    rises = bool(peak > 0 and m[peak] > m[0])
    notes = [f"Window of {s.deficit_epochs} blurred epochs, then {s.clean_epochs} annealed clean "
             "epochs restarted at removal; damage = matched control - window, same seed.",
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
       paper_value="~4 points at onset 0 [repl]", settings=_plastic.SETTINGS)
def test_window_damage_peaks_early(harness):
    damage = damage_by_onset(harness)
    harness.record(judge_peak(harness.setting.onsets, damage), **report(harness, damage))


@claim("achille2019/late-window-harmless", paper=STATEMENT,
       statement="A short blur window that starts late in training leaves no lasting damage.",
       paper_value="~0 points from onset 40 [repl]", settings=_plastic.SETTINGS,
       expected_failures=LATE_XFAIL)
def test_late_window_is_harmless(harness):
    damage = damage_by_onset(harness)
    harness.record(judge_late(damage), **report(harness, damage))
