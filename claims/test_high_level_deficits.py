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

import numpy as np

from claims import _plastic
from repro.harness import claim
from repro.stats import expect_at_most, expect_paired_gain, mean_sd

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
    "drop; measured on this CPU at 80 paper epochs: +4.3 +- 0.8 (DESIGN.md section 11)")
NOISE_REASON = ("noise (sensory deprivation) hurts less than blur [approx, paper Sect. 2]: "
                "same-seed gap noise - blur positive, one-sided paired t-test, 95 %")
# The paper's schedule, reported beside the verdict: the blur claim's sweep at its largest T.
PAPER_SCHEDULE_T = {"smoke": 16, "paper": 160}
PAPER_SCHEDULE_CLEAN = {"smoke": 16, "paper": 160}


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


@claim("achille2019/high-level-deficits-recoverable",
       paper="Achille, Rovere, Soatto 2019, Fig. 1, Sect. 2",
       statement="Vertical flip and label permutation leave no lasting deficit, noise hurts less "
                 "than blur; the damage specific to blur (flip - blur) is positive.",
       paper_value="flip, permutation: no lasting effect; blur: ~10 points at T=140 [repl]")
def test_high_level_deficits_are_recoverable(harness):
    harness.expect_failure_at(XFAIL)
    acc, table, notes = sweep(harness)
    harness.record(judge(acc), notes=notes,
                   tables={"final accuracy by schedule and deficit": table},
                   figure=figure(acc, harness.seeds))


@claim("achille2019/vflip-no-lasting-effect", paper="Achille, Rovere, Soatto 2019, Sect. 2",
       statement="'Deficits that do not affect low-level statistics, such as vertical flipping of "
                 "the images, have no lasting effect', while blur does (flip - blur > 0).",
       paper_value="no lasting effect [text]")
def test_vertical_flip_has_no_lasting_effect(harness):
    acc, table, notes = sweep(harness)
    harness.record(judge_vflip(acc), notes=notes + [
        "The vertical-flip part of the high-level-deficit claim on its own (same runs, same "
        "bounds): the paper states it in these words."],
        tables={"final accuracy by schedule and deficit": table},
        figure=figure(acc, harness.seeds))


def sweep(harness):
    """Final accuracies (%) of every branch, restarted and annealed; the report's table, notes."""
    s = _plastic.SETTINGS[harness.tier.name]
    seeds = harness.seeds
    plastic = {"none": [_plastic.baseline(harness, seed) for seed in seeds]}
    for d in DEFICITS + ("clean",):
        plastic[d] = [_plastic.branch(harness, d, seed) for seed in seeds]
    # the paper's schedule (exponential, never reset), for the report: T and N of the blur claim,
    # the flip with every seed (shared with the blur claim), the rest with the first seed
    t, n = PAPER_SCHEDULE_T[harness.tier.name], PAPER_SCHEDULE_CLEAN[harness.tier.name]
    annealed = {"none": [harness.spec([(n, None)], seed) for seed in seeds]}
    for d in ("blur", "vflip", "label_permutation"):  # noise is not part of the confound
        annealed[d] = [harness.spec([(t, d), (n, None)], seed)
                       for seed in (seeds if d == "blur" else seeds[:1])]
    groups = [(k, v) for k, v in plastic.items()] + [("paper " + k, v) for k, v in
                                                      annealed.items()]
    results = iter(harness.runs([spec for _, specs in groups for spec in specs]))
    acc = {k: np.array([next(results).final("test_acc") * 100 for _ in specs])
           for k, specs in groups}

    table = []
    for schedule, prefix, t_ in (("restarted at removal", "", s.deficit_epochs),
                                 ("paper (annealed, never reset)", "paper ", t)):
        base = acc[prefix + "none"]
        for d in [d for d in ("none",) + DEFICITS + ("clean",) if prefix + d in acc]:
            a = acc[prefix + d]
            m, sd = mean_sd(a)
            table.append({"schedule": schedule, "deficit": d, "T": 0 if d == "none" else t_,
                          "seeds": len(a), "final test acc %": float(m), "sd": float(sd),
                          "change vs no deficit (same seeds)": float((a - base[:len(a)]).mean())})
    notes = [
        "Verdict from the restarted schedule (constant rate during the deficit, the baseline's "
        f"annealed schedule restarted at removal); T = {s.deficit_epochs} epochs of this tier, "
        f"then N = {s.clean_epochs}. 'clean' is the matched control: T clean epochs at the same "
        "rates.",
        f"Paper's schedule reported beside it at T = {t}, N = {n} (blur with every seed, shared "
        "with the blur claim; vertical flip and label permutation, the deficits the schedule "
        "confound was seen on, with the first seed only, for the report, not the verdict).",
    ]
    return acc, table, notes


def figure(acc, seeds) -> dict:
    panels = []
    for title, prefix in (("schedule restarted at removal (verdict)", ""),
                          ("paper's annealed schedule (report)", "paper ")):
        names = [k for k in ("none",) + DEFICITS + ("clean",) if prefix + k in acc]
        lines = []
        for i, name in enumerate(names):
            a = acc[prefix + name] - acc[prefix + "none"][: len(acc[prefix + name])]
            m, sd = mean_sd(a) if len(a) > 1 else (a.mean(), 0.0)
            lines.append({"label": name, "x": [i], "y": [float(m)], "yerr": [float(sd)],
                          "linestyle": "none", "marker": "o"})
        panels.append({"title": title, "xlabel": "deficit", "ylabel":
                       "final accuracy change vs no deficit (points)", "lines": lines})
    return {"panels": panels}
