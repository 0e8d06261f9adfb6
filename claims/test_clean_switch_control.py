"""Control for every deficit claim: switching from clean data to clean data costs nothing.

The deficit claims compare a network trained T epochs under a deficit with one trained without.
Under the schedule that keeps plasticity (claims/_plastic.py) the deficit phase runs at a constant
rate and the annealed schedule restarts at removal; a branch whose "deficit" is clean data tests
that this switch itself (and the extra epochs it brings) does no harm, so any damage a deficit
branch shows comes from the deficit.
"""
from __future__ import annotations

import numpy as np

from claims import _plastic
from claims.test_high_level_deficits import EQUIVALENCE, EQUIVALENCE_REASON
from repro.figures import arms_figure
from repro.harness import claim
from repro.stats import expect_at_most
from repro.tables import summary_table


def judge(none, clean_switch):
    return [expect_at_most(np.asarray(none) - np.asarray(clean_switch), at_most=EQUIVALENCE,
                           name="clean switch: final drop vs no deficit (points)",
                           reason=EQUIVALENCE_REASON)]


@claim("achille2019/clean-switch-control", paper="Achille, Rovere, Soatto 2019 (control)",
       statement="A 'deficit' of clean data, switched off at the removal epoch, leaves no drop "
                 "against the no-deficit baseline.",
       paper_value="no effect (a control)", settings=_plastic.SETTINGS)
def test_clean_switch_costs_nothing(harness):
    s = harness.setting
    runs = harness.train({"no deficit": _plastic.baseline(s),
                          "clean switch": _plastic.branch(s, "clean")})
    acc = runs.final("test_acc", percent=True)
    harness.record(judge(acc["no deficit"], acc["clean switch"]),
                   tables={"final accuracy": summary_table(runs, acc, baseline="no deficit")},
                   figure=arms_figure(acc, title="clean-to-clean switch",
                                      ylabel="final test accuracy (%)"),
                   notes=[f"Clean switch: {s.deficit_epochs} clean epochs at the constant initial "
                          f"rate, then the baseline's {s.clean_epochs}-epoch annealed schedule "
                          "restarted."])
