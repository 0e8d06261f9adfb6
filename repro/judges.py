"""Judges that several claims share: a deficit made permanent, and "no lasting effect".

Each takes same-seed effects against matched controls (repro.protocols), never a comparison with
an unmatched baseline, and returns the claim's checks.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .stats import expect_equivalent, expect_increasing, expect_paired_gain, expect_positive
from .verdict import Check

# "No lasting effect" (Achille et al. 2019, Sect. 2), read as an equivalence margin of 2 points,
# a fifth of the paper's blur drop (~10 points at T=140, [repl]): the same-seed difference from
# the matched control must lie within +-2 points, both directions (TOST)
NO_LASTING_EFFECT = 2.0
NO_LASTING_EFFECT_REASON = (
    "'no lasting effect' (paper, text), read as an equivalence margin of {margin:g} points, a "
    "fifth of the paper's blur drop (~10 points at T=140 [repl]): the same-seed difference from "
    "the matched control (same epochs and rates, clean data) lies within +-{margin:g} in both "
    "directions (two one-sided t-tests, 95 %)")
# Blur is permanent where flip is not: at equal T, the same-seed gap flip - blur is at least a
# tenth of the paper's blur drop
BLUR_SPECIFIC = 1.0
BLUR_SPECIFIC_REASON = (
    "the damage must be blur's, not any deficit's: at the same T and schedule the {control} "
    "control must end at least {bound:g} point(s) above blur (a tenth of the paper's ~10-point "
    "blur drop), same seeds (one-sided paired t-test, 95 %); otherwise {control}, a deficit the "
    "paper calls recoverable, explains the drop")
TREND_REASON = ("the paper's curve falls monotonically with T: the damage against the matched "
                "control grows with T (rank correlation over all seeds)")


def no_lasting_effect(effect, *, name: str, margin: float = NO_LASTING_EFFECT,
                      explains: str = "") -> Check:
    """A deficit (or a control) that must leave no lasting effect: its same-seed effect against
    its matched control is equivalent to zero within the margin."""
    return expect_equivalent(effect, margin=margin, name=name, explains=explains,
                             reason=NO_LASTING_EFFECT_REASON.format(margin=margin))


def blur_specific(blur_damage, control_damage, *, bound: float = BLUR_SPECIFIC,
                  control: str = "vertical flip", short: str = "flip") -> Check:
    """Blur's damage beyond a recoverable deficit's (the vertical-flip control; for digits, the
    label permutation) at the same T and schedule, same seeds (each against the matched control;
    their difference is control - blur): a control check, so that a drop the control shows as
    well is "explained" by it."""
    c = expect_paired_gain(blur_damage, control_damage, at_least=bound,
                           name=f"blur-specific damage: {short} - blur (points)",
                           reason=BLUR_SPECIFIC_REASON.format(bound=bound, control=control))
    return replace(c, explains=control)


def permanent(remove_at, damage, *, min_drop: float, drop_reason: str) -> list[Check]:
    """A deficit made permanent: `damage[i, s]` (matched control minus deficit, points) at
    remove_at[i] is at least `min_drop` at the largest T, above zero at 95 %, and grows with T."""
    damage = np.asarray(damage, float)
    return [
        expect_positive(damage[-1], at_least=min_drop,
                        name=f"damage at T={remove_at[-1]} vs matched control (points)",
                        reason=drop_reason + "; one-sided t-test over seeds, 95 %"),
        expect_increasing(remove_at, damage, name="damage grows with T (Spearman rho)",
                          reason=TREND_REASON),
    ]
