"""Achille, Rovere, Soatto 2019, Sect. 2: deeper networks show a more pronounced critical period.

The abstract: "The extent of the impairment depends on the onset and length of the deficit
window ... and on the size of the neural network"; the body's "more pronounced for deeper nets"
is as PROTOCOL.md, Part 1, records it (the body was not read here). "More pronounced" is a
statement about a profile: the blur sweep (T blurred epochs, then N clean)
on networks of the same family at three depths, the damage against each network's matched control
(T clean epochs at the same rates, then the same N) per seed and T. Each network's profile is
summarised by its area: the mean damage over the T grid, trapezoidal in T. The deepest net's area
must exceed the shallowest's, and the area must grow with depth across all three. Judged under
both protocols (repro.protocols).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.figures import mean_line, panel, panels
from repro.harness import Arm, claim
from repro.protocols import DESCRIPTION, deficit_run, matched_control
from repro.stats import expect_increasing, expect_paired_gain
from repro.tables import effect_table


@dataclass(frozen=True)
class Depths:
    remove_at: tuple[int, ...]  # T > 0, the blur claim's grid
    clean_epochs: int  # N
    nets: tuple[tuple[str, dict], ...]  # (label, RunSpec overrides), shallowest first
    n_seeds: int


SETTINGS = {
    # conv3 with 1, 2 and 3 conv layers, the blur claim's T grid (not run: NOT_RUN below)
    "smoke": Depths((4, 8, 16), 16, (("1 conv layer", {"width": (16,)}),
                                      ("2 conv layers", {"width": (16, 32)}),
                                      ("3 conv layers", {})), 5),
    # All-CNN with 1, 2 and 3 convolutions before each strided one (6, 8 and 10 before the
    # classifier; depth 2 is the paper's, so its runs are the blur claim's) over the blur claim's
    # T grid: our choice, the paper's other networks were not found (PROTOCOL.md)
    "paper": Depths((40, 80, 120, 160), 160, (("All-CNN depth 1", {"depth": 1}),
                                              ("All-CNN depth 2", {}),
                                              ("All-CNN depth 3", {"depth": 3})), 3),
}
MIN_GAIN = 1.0
AREA_REASON = ("'more pronounced' (paper, text) over the whole profile: the deepest net's mean "
               "damage over the T grid (trapezoidal in T) must exceed the shallowest's, same "
               "seeds (one-sided paired t-test, 95 %), by at least 1 point, a tenth of the "
               "paper's blur drop")
ORDER_REASON = ("the profile's area grows with depth across every depth swept, not only between "
                "the extremes: Spearman's rank correlation of (depth, area) over all seeds")


def area(remove_at, damage) -> np.ndarray:
    """damage[i, s] at remove_at[i] -> per seed the mean over T by the trapezoid rule."""
    t = np.asarray(remove_at, float)
    d = np.asarray(damage, float)
    if len(t) == 1:
        return d[0]
    return ((d[1:] + d[:-1]) / 2 * np.diff(t)[:, None]).sum(0) / (t[-1] - t[0])


def judge(remove_at, damage):
    """damage[net, T, seed]: matched control minus blur, nets shallowest first (points)."""
    areas = np.array([area(remove_at, d) for d in np.asarray(damage, float)])  # [net, seed]
    return [
        expect_paired_gain(areas[-1], areas[0], at_least=MIN_GAIN, reason=AREA_REASON,
                           name="deepest - shallowest: mean damage over T (points)"),
        expect_increasing(list(range(len(areas))), areas, reason=ORDER_REASON,
                          name="area grows with depth (Spearman rho)"),
    ]


NOT_RUN = {"smoke": (
    "too little power at this tier: at one T (8) and two depths the deeper net's extra drop "
    "was about the bound itself, +1.44 points [0.67, 2.20] at 5 seeds and +1.07 [-0.35, 2.50] "
    "(p = 0.052) at a seed base never used before (issue 15), against a 1-point bound; from "
    "those 10 seeds (mean +1.25, sd of the paired differences 0.92) the check passes with 80 % "
    "power only from 9 seeds, and from the 5 apart from the claim's (+1.07, sd 1.15) not within "
    "30 (python -m repro.power paired --effect 1.07 --sd 1.15 --bound 1.0 --most 30). The "
    "profile at the 9 seeds the one-point check needs (3 nets x 3 T, blur and matched control, "
    "both protocols) would train about 4,600 epochs, more than the rest of the tier together "
    "and past its 30-minute budget. The paper tier runs it")}


@claim("achille2019/deeper-more-sensitive", paper="Achille, Rovere, Soatto 2019, Sect. 2",
       statement="Under the same blur deficit a deeper network loses more final accuracy "
                 "against its matched control, over the whole profile of deficit lengths.",
       paper_value="the impairment 'depends on ... the size of the neural network' "
                   "(abstract) [text]", settings=SETTINGS,
       not_run=NOT_RUN, protocols=True)
def test_deeper_networks_suffer_more(harness, protocol):
    s = harness.setting
    n = s.clean_epochs
    runs = harness.train({
        f"control {net}": Arm({t: matched_control(protocol, t, n, **over) for t in s.remove_at},
                              seeds=s.n_seeds, by="T")
        for net, over in s.nets} | {
        f"blur {net}": Arm({t: deficit_run(protocol, "blur", t, n, **over) for t in s.remove_at},
                           seeds=s.n_seeds, by="T", control=f"control {net}")
        for net, over in s.nets})
    damage = np.array([-runs.effect(f"blur {net}") for net, _ in s.nets])  # [net, T, seed]
    areas = {net: area(s.remove_at, d) for (net, _), d in zip(s.nets, damage)}
    harness.record(
        judge(s.remove_at, damage),
        tables={"final accuracy by depth and T": effect_table(runs, reference=None),
                "profile area by depth": [{"net": net, "mean damage over T (points)":
                                           float(a.mean()), "sd over seeds": float(a.std(ddof=1))}
                                          for net, a in areas.items()]},
        figure=panels(panel(f"blur damage profile by depth ({protocol})", "T (epochs of this "
                            "tier)", "matched control - blur (points)",
                            *(mean_line(net, s.remove_at, d)
                              for (net, _), d in zip(s.nets, damage)))),
        notes=[f"Protocol {protocol}: {DESCRIPTION[protocol]}; T in {list(s.remove_at)}, "
               f"N={n} epochs of this tier."])
