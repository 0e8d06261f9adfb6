"""Achille, Rovere, Soatto 2019, Fig. 1 and Sect. 2: high-level deficits are recoverable.

"Deficits that do not affect low-level statistics, such as vertical flipping of the images, have no
lasting effect"; label permutation leaves none either, and noise (sensory deprivation) hurts less
than blur. The learning-rate schedule is the known confound: under the paper's annealed schedule
a long deficit leaves almost no rate after removal, and then any deficit looks permanent. The
verdict therefore uses the schedule that keeps plasticity (claims/_plastic.py: constant rate during
the deficit, the baseline's own annealed schedule restarted at removal); the paper's schedule is
run beside it and reported. PROTOCOL.md says why.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from claims import _plastic
from repro.figures import mean_line, panel, panels
from repro.harness import Arm, claim
from repro.stats import expect_at_most, expect_paired_gain
from repro.tables import summary_table

DEFICITS = ("blur", "vflip", "label_permutation", "noise")
EQUIVALENCE = 2.0  # accuracy points
EQUIVALENCE_REASON = (
    "'no lasting effect' (paper, text), read as an equivalence margin of 2 points, a fifth of the "
    "paper's blur drop (~10 points): the final accuracy may lie at most 2 points below the "
    "no-deficit baseline (upper 95 % bound of the same-seed difference)")
BLUR_SPECIFIC = 1.0
BLUR_SPECIFIC_REASON = (
    "blur is permanent where flip is not, so at equal T the same-seed gap flip - blur must be "
    "positive (one-sided paired t-test, 95 %) and at least 1 point, a tenth of the paper's blur "
    "drop; measured on the development CPU at 80 paper epochs: +4.3 +- 0.8 (PROTOCOL.md, "
    "Measurements)")
NOISE_REASON = ("noise (sensory deprivation) hurts less than blur [approx, paper Sect. 2]: "
                "same-seed gap noise - blur positive, one-sided paired t-test, 95 %")


@dataclass(frozen=True)
class HighLevel:
    plastic: _plastic.Plastic  # the verdict's schedule: T, N
    paper_t: int  # the paper's schedule, reported beside it: the blur claim's largest T
    paper_n: int  # and its N


SETTINGS = {tier: HighLevel(_plastic.SETTINGS[tier], t, t) for tier, t in (("smoke", 16),
                                                                           ("paper", 160))}
XFAIL = {
    "smoke": "measured in the first smoke run (3 seeds, T=4, restarted schedule): vertical flip "
             "passes (flip - blur +2.32 [2.11, 2.54], flip 1.7 points above no deficit), but label "
             "permutation, 0.58 points below no deficit on average, varies too much over seeds "
             "(upper 95 % bound 2.6 > 2) and noise ends 1.08 points BELOW blur (noise hurts more "
             "than blur at this scale); on one thread per run (the same seeds, other rounding): "
             "flip - blur +1.62 [0.08, 3.16], permutation 0.53 below (upper bound 2.9), noise "
             "- blur -1.19; the bounds were not changed",
}


def judge_vflip(acc: dict[str, np.ndarray]):
    """The paper's text claim: vertical flip has no lasting effect, unlike blur."""
    return [
        expect_paired_gain(acc["vflip"], acc["blur"], at_least=BLUR_SPECIFIC,
                           name="blur-specific damage: flip - blur (points)",
                           reason=BLUR_SPECIFIC_REASON),
        expect_at_most(acc["none"] - acc["vflip"], at_most=EQUIVALENCE,
                       name="vertical flip: final drop vs no deficit (points)",
                       reason=EQUIVALENCE_REASON),
    ]


def judge(acc: dict[str, np.ndarray]):
    """Checks on final accuracies (%) per seed: acc['none'] (no deficit) and acc[deficit]."""
    base = acc["none"]
    return judge_vflip(acc) + [
        expect_at_most(base - acc["label_permutation"], at_most=EQUIVALENCE,
                       name="label permutation: final drop vs no deficit (points)",
                       reason=EQUIVALENCE_REASON),
        expect_paired_gain(acc["noise"], acc["blur"], at_least=0.0,
                           name="noise hurts less than blur: noise - blur (points)",
                           reason=NOISE_REASON),
    ]


def arms(s: HighLevel) -> dict:
    """The restarted schedule (the verdict) for every deficit and the clean control; the
    paper's annealed one (the report) for blur with every seed (shared with the blur claim), and
    for vertical flip and label permutation, the deficits the schedule confound was seen on,
    with the first seed."""
    restarted = {"none": _plastic.baseline(s.plastic)}
    restarted |= {d: _plastic.branch(s.plastic, d) for d in (*DEFICITS, "clean")}
    annealed: dict = {"paper none": [(s.paper_n, None)],
                      "paper blur": [(s.paper_t, "blur"), (s.paper_n, None)]}
    annealed |= {f"paper {d}": Arm([(s.paper_t, d), (s.paper_n, None)], seeds=1)
                 for d in ("vflip", "label_permutation")}
    return restarted | annealed


@claim("achille2019/high-level-deficits-recoverable",
       paper="Achille, Rovere, Soatto 2019, Fig. 1, Sect. 2",
       statement="Vertical flip and label permutation leave no lasting deficit, noise hurts less "
                 "than blur; the damage specific to blur (flip - blur) is positive.",
       paper_value="flip, permutation: no lasting effect; blur: ~10 points at T=140 [repl]",
       settings=SETTINGS, expected_failures=XFAIL)
def test_high_level_deficits_are_recoverable(harness):
    runs = harness.train(arms(harness.setting))
    acc = runs.final("test_acc", percent=True)
    harness.record(judge(acc), notes=notes(harness.setting), tables=tables(runs, acc),
                   figure=figure(acc))


@claim("achille2019/vflip-no-lasting-effect", paper="Achille, Rovere, Soatto 2019, Sect. 2",
       statement="'Deficits that do not affect low-level statistics, such as vertical flipping of "
                 "the images, have no lasting effect', while blur does (flip - blur > 0).",
       paper_value="no lasting effect [text]", settings=SETTINGS)
def test_vertical_flip_has_no_lasting_effect(harness):
    runs = harness.train(arms(harness.setting))
    acc = runs.final("test_acc", percent=True)
    harness.record(judge_vflip(acc), notes=notes(harness.setting) + [
        "The vertical-flip part of the high-level-deficit claim on its own (same runs, same "
        "bounds): the paper states it in these words."], tables=tables(runs, acc),
        figure=figure(acc))


def tables(runs, acc) -> dict:
    paper = {k: v for k, v in acc.items() if k.startswith("paper ")}
    restarted = {k: v for k, v in acc.items() if k not in paper}
    change = "change vs no deficit (same seeds)"
    return {"final accuracy by schedule and deficit":
            summary_table(runs, restarted, baseline="none", change=change,
                          extra=lambda *_: {"schedule": "restarted at removal"})
            + summary_table(runs, paper, baseline="paper none", change=change,
                            extra=lambda *_: {"schedule": "paper (annealed, never reset)"})}


def notes(s: HighLevel) -> list[str]:
    return [
        "Verdict from the restarted schedule (constant rate during the deficit, the baseline's "
        f"annealed schedule restarted at removal); T = {s.plastic.deficit_epochs} epochs of this "
        f"tier, then N = {s.plastic.clean_epochs}. 'clean' is the matched control: T clean "
        "epochs at the same rates.",
        f"Paper's schedule reported beside it at T = {s.paper_t}, N = {s.paper_n} (blur with "
        "every seed, shared with the blur claim; vertical flip and label permutation, the "
        "deficits the schedule confound was seen on, with the first seed only, for the report, "
        "not the verdict).",
    ]


def figure(acc) -> dict:
    out = []
    for title, prefix in (("schedule restarted at removal (verdict)", ""),
                          ("paper's annealed schedule (report)", "paper ")):
        names = [k for k in ("none", *DEFICITS, "clean") if prefix + k in acc]
        base = acc[prefix + "none"]
        out.append(panel(title, "deficit", "final accuracy change vs no deficit (points)", *(
            mean_line(name, [i], (acc[prefix + name] - base[: len(acc[prefix + name])])[None],
                      linestyle="none", marker="o") for i, name in enumerate(names))))
    return panels(*out)
