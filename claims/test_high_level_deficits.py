"""Achille, Rovere, Soatto 2019, Fig. 1 and Sect. 2: high-level deficits are recoverable.

"Deficits that do not affect low-level statistics, such as vertical flipping of the images, have no
lasting effect"; label permutation leaves none either, and noise (sensory deprivation) hurts less
than blur. Each deficit runs for T epochs, then N clean ones, at the blur claim's largest T, and
is judged against its matched control (T clean epochs at the same rates, then the same N): the
runs the blur claim trains. Judged under both protocols (repro.protocols). A third claim on the
same runs asks whether the no-deficit run could stand in for the matched control.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import arms_figure
from repro.harness import claim
from repro.judges import blur_specific, no_lasting_effect
from repro.protocols import DESCRIPTION, sweep
from repro.stats import expect_paired_gain
from repro.tables import effect_table

DEFICITS = ("blur", "vflip", "label_permutation", "noise")
NOISE_REASON = ("noise (sensory deprivation) hurts less than blur [figure, paper Fig. 1]: "
                "same-seed gap noise - blur positive, one-sided paired t-test, 95 %")


@dataclass(frozen=True)
class HighLevel:
    deficit_epochs: int  # T: the blur claim's largest
    clean_epochs: int  # N


SETTINGS = {"smoke": HighLevel(16, 16), "paper": HighLevel(160, 160)}
# Measured at seed base 5000, apart from the claim's seeds, before the verdict run (PROTOCOL.md,
# Measurements, "Protocols at seed base 5000"); power from python -m repro.power report
PUBLISHED_MISS = ("under the paper's schedule every deficit at T=16 is permanent against the "
                  "matched control: vertical flip -13.15 points [-14.0, -12.2], label "
                  "permutation -20.66 [-24.3, -17.1], noise 16.65 points worse than blur "
                  "(power of each check 0.00): after a 160-paper-epoch deficit the annealed rate "
                  "leaves the net almost no rate to recover with")
RESTART_MISS = ("with the rate restarted at removal vertical flip ends -2.54 points [-3.45, "
                "-1.64] and label permutation -3.50 [-5.54, -1.47] below the matched control, "
                "outside the 2-point margin (power 0.00), and noise - blur is -1.24 [-3.78, "
                "1.29]; flip - blur is +1.23 [0.41, 2.04] (power 0.88)")
XFAIL = {("smoke", "published"): "measured at seed base 5000: " + PUBLISHED_MISS,
         ("smoke", "restart"): "measured at seed base 5000: " + RESTART_MISS}
CLEAN_SWITCH_XFAIL = {("smoke", "restart"): (
    "measured at seed base 5000: the restarted matched control (16 clean epochs, then the "
    "16-epoch schedule from its start) ends 4.31 points [3.39, 5.22] above the no-deficit run "
    "(16 epochs), outside the 2-point margin (power 0.00): the extra epochs and the second "
    "schedule train it further, so under `restart` the no-deficit run is no stand-in for the "
    "matched control; under `published` they agree (+0.36 [-0.16, 0.89], power 1.00)")}


def judge_vflip(damage: dict[str, np.ndarray]):
    """The paper's text claim: vertical flip has no lasting effect, unlike blur. damage[d][s]:
    matched control minus deficit d (points)."""
    return [
        no_lasting_effect(-damage["vflip"], name="vertical flip vs matched control (points)"),
        blur_specific(damage["blur"], damage["vflip"]),
    ]


def judge(damage: dict[str, np.ndarray]):
    return judge_vflip(damage) + [
        no_lasting_effect(-damage["label_permutation"],
                          name="label permutation vs matched control (points)"),
        expect_paired_gain(damage["blur"], damage["noise"], at_least=0.0,
                           name="noise hurts less than blur: noise - blur (points)",
                           reason=NOISE_REASON),
    ]


def judge_control(control_minus_none):
    """The matched control against the no-deficit run: equal within the margin both ways, or
    the no-deficit run is no stand-in for it (the paper's comparison with T = 0 relies on it)."""
    return [no_lasting_effect(control_minus_none, name="matched control vs no-deficit run "
                                                       "(points)")]


def train(harness, protocol: str, deficits=DEFICITS):
    """The deficits' runs at T, their matched control and the no-deficit run (the runs the
    claim's judge reads and no others, so that its record holds just those)."""
    s = harness.setting
    runs = harness.train(sweep(protocol, dict.fromkeys(deficits, (s.deficit_epochs,)),
                               s.clean_epochs, controls_at=(s.deficit_epochs,)))
    damage = {d: -runs.effect(d)[0] for d in deficits}
    return runs, damage


def show(harness, runs, protocol: str) -> dict:
    s = harness.setting
    effects = {d: runs.effect(d)[0] for d in DEFICITS if d in runs}
    if not effects:  # the clean switch: the matched control against the no-deficit run
        acc = runs.final("test_acc", percent=True)
        effects = {"matched control - no-deficit run": acc["clean"][0] - acc["none"]}
    return {"notes": [f"Protocol {protocol}: {DESCRIPTION[protocol]}. T = {s.deficit_epochs}, "
                      f"N = {s.clean_epochs} epochs of this tier. Every deficit is compared with "
                      "the matched control 'clean' (T clean epochs at the same rates); the "
                      "no-deficit run 'none' (N epochs) is a reference."],
            "tables": {"final accuracy by deficit": effect_table(runs)},
            "figure": arms_figure(effects, title=f"deficit at T={s.deficit_epochs} ({protocol})",
                                  ylabel="difference (points)")}


@claim("achille2019/high-level-deficits-recoverable",
       paper="Achille, Rovere, Soatto 2019, Fig. 1, Sect. 2",
       statement="Vertical flip and label permutation leave no lasting deficit against a matched "
                 "control, noise hurts less than blur, and blur does more damage than flip.",
       paper_value="flip, permutation: no lasting effect; blur: ~10 points at T=140 [repl]",
       settings=SETTINGS, protocols=True, expected_failures=XFAIL)
def test_high_level_deficits_are_recoverable(harness, protocol):
    runs, damage = train(harness, protocol)
    harness.record(judge(damage), **show(harness, runs, protocol))


@claim("achille2019/vflip-no-lasting-effect", paper="Achille, Rovere, Soatto 2019, Sect. 2",
       statement="'Deficits that do not affect low-level statistics, such as vertical flipping of "
                 "the images, have no lasting effect', while blur does (flip - blur > 0).",
       paper_value="no lasting effect [text]", settings=SETTINGS, protocols=True,
       expected_failures=XFAIL)
def test_vertical_flip_has_no_lasting_effect(harness, protocol):
    runs, damage = train(harness, protocol, deficits=("blur", "vflip"))
    harness.record(judge_vflip(damage), **show(harness, runs, protocol))


@claim("achille2019/clean-switch-control", paper="Achille, Rovere, Soatto 2019 (control)",
       statement="The matched control (T clean epochs, then the protocol's N) ends where the "
                 "no-deficit run (N epochs) ends, within the margin in both directions: only "
                 "then is the paper's comparison with T = 0 a comparison of deficits.",
       paper_value="no effect (a control)", settings=SETTINGS, protocols=True,
       expected_failures=CLEAN_SWITCH_XFAIL)
def test_clean_switch_costs_nothing(harness, protocol):
    runs, _ = train(harness, protocol, deficits=())
    acc = runs.final("test_acc", percent=True)
    harness.record(judge_control(acc["clean"][0] - acc["none"]), **show(harness, runs, protocol))
