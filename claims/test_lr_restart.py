"""Pawlak 2025, "On the Occurrence of Critical Learning Periods in Neural Networks" (arXiv
2510.09687), Fig. 1a: "restarting learning rate after deficit epochs almost closes the gap".

The blur sweep of Achille et al. under both protocols (repro.protocols): the gap is the damage of
blur against its matched control, averaged over the sweep's T, per seed. Under `published` the
rate anneals and is never reset; under `restart` the same deficit prefix is followed by the
no-deficit schedule from its first epoch, and so is its matched control. The claim: the gap under
`restart` is a small share of the gap under `published`. Every run is one the blur claim trains.
Pawlak's own setting (ResNet-18 on CIFAR-10 with CIFAR-C corruptions, a cyclic schedule) is not
this one: PROTOCOL.md says what is known of it and what is our choice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import mean_line, panel, panels
from repro.harness import claim
from repro.protocols import PROTOCOLS, RESTART, sweep
from repro.stats import expect_positive, expect_share_at_most
from repro.tables import effect_table

GAP_REASON = ("there must be a gap to close: under the paper's schedule blur's damage against "
              "its matched control, averaged over T, is at least {bound:g} point(s) (one-sided "
              "t-test over seeds, 95 %)")
SHARE_REASON = ("'almost closes the gap' (Pawlak 2025, Fig. 1a caption), read as 'closes most of "
                "it': the gap left under restart is at most {bound:g} of the gap under the paper's "
                "schedule, tested as {bound:g} x published - restart > 0 (one-sided paired "
                "t-test over seeds, 95 %)")


@dataclass(frozen=True)
class Restart:
    remove_at: tuple[int, ...]  # T > 0: the blur claim's sweep
    clean_epochs: int  # N
    min_gap: float  # points: the published gap the restart must close
    max_share: float  # the share of it left under restart


SETTINGS = {
    # the blur claim's sweeps at each tier, so no run is trained for this claim
    "smoke": Restart(remove_at=(4, 8, 16), clean_epochs=16, min_gap=1.0, max_share=0.5),
    "paper": Restart(remove_at=(40, 80, 120, 160), clean_epochs=160, min_gap=1.0, max_share=0.5),
}


def judge(gap: dict[str, np.ndarray], s: Restart):
    """gap[protocol][seed]: blur's damage against its matched control, mean over T (points)."""
    return [
        expect_positive(gap["published"], at_least=s.min_gap,
                        name="gap under published: mean damage over T (points)",
                        reason=GAP_REASON.format(bound=s.min_gap)),
        expect_share_at_most(gap[RESTART], gap["published"], at_most=s.max_share,
                             name="gap under restart / gap under published",
                             reason=SHARE_REASON.format(bound=s.max_share)),
    ]


NOT_RUN = {"smoke": (
    "the share sits on its bound at this tier, found by the seed bases: the restart leaves "
    "0.46 of the published gap at seed base 5000 (published gap 6.68 points, restart 3.10; "
    "passed, p = 0.003) and 0.55 at seed base 0 (7.74 and 4.22; failed, p = 0.73). Over both "
    "bases the share is about 0.5, the bound itself, so no seed count gives the check power: "
    "its verdict is a coin toss on the seeds. It was run at base 0 before this was known, and "
    "is withheld, not turned into a pass. What the runs say: at this scale a restart at "
    "removal closes about half the gap, not 'almost' all of it; the blur claim reports the "
    "damage under both protocols. The paper tier runs it")}


@claim("pawlak2025/restart-closes-gap", paper="Pawlak 2025 (arXiv 2510.09687), Fig. 1a",
       statement="Restarting the learning rate when the blur deficit is removed closes most of "
                 "the gap the deficit leaves under the paper's annealed schedule.",
       paper_value="almost closes the gap [text]", settings=SETTINGS, not_run=NOT_RUN)
def test_restart_closes_most_of_the_gap(harness):
    s = harness.setting
    runs = harness.train({name: arm for p in PROTOCOLS for name, arm in
                          sweep(p, {"blur": s.remove_at}, s.clean_epochs, prefix=f"{p} ").items()})
    damage = {p: -runs.effect(f"{p} blur") for p in PROTOCOLS}  # [T, seed]
    gap = {p: d.mean(0) for p, d in damage.items()}
    table = effect_table(runs, reference="published none")
    harness.record(judge(gap, s), tables={"final accuracy by arm and T": table},
                   notes=[f"Gap per seed: blur's damage against its matched control, mean over "
                          f"T = {', '.join(map(str, s.remove_at))}; published "
                          f"{gap['published'].mean():.2f}, restart {gap[RESTART].mean():.2f} "
                          "points."],
                   figure=panels(panel("blur damage vs T, by protocol", "T (epochs of this tier)",
                                       "matched control - blur (points)",
                                       *(mean_line(p, s.remove_at, d) for p, d in damage.items()))))
