"""Arms: what a claim declares, expanded into runs over seeds and folded back, labelled."""
from dataclasses import dataclass

import numpy as np
import pytest

from repro.arms import Arm, Run, expand, fold
from repro.harness import Harness
from repro.tiers import SMOKE


@dataclass
class Fake:  # a finished run: its spec and one metric row
    spec: tuple
    metrics: list

    def final(self, name):
        return self.metrics[-1][name]


def seeds(n):
    return [100 + i for i in range(n)]


def test_an_arm_of_conditions_comes_back_as_condition_by_seed():
    arms = {"sweep": Arm({0: [(1, None)], 4: [(4, "blur"), (1, None)]}, by="T"),
            "control": Arm([(5, None)], seeds=1),
            "more": Arm([(5, None)], seeds=range(3, 5))}
    layout, specs = expand(arms, seeds, 3, lambda recipe, seed, over: (tuple(recipe), seed))
    assert len(specs) == 2 * 3 + 1 + 2
    results = fold(layout, [Fake(s, [{"acc": s[1] + len(s[0])}]) for s in specs])
    assert results["sweep"].final("acc").tolist() == [[101, 102, 103], [102, 103, 104]]
    assert results["sweep"].conditions == [0, 4] and results["sweep"].by == "T"
    assert results["control"].final("acc", percent=True).tolist() == [10100.0]
    assert results["more"].seeds == [103, 104]  # positions 3 and 4 of the seed sequence
    assert list(results) == ["sweep", "control", "more"]


def test_harness_specs_take_the_tiers_base_then_train_then_arm_then_run_overrides():
    h = Harness(SMOKE, None, 0, True, None)
    _, specs = expand({"a": Arm(Run([(2, None)], lr=0.2), overrides={"lr": 0.1,
                                                                            "momentum": 0.5})},
                           h.seeds_for, len(SMOKE.seeds),
                           lambda r, seed, over: h.spec(r, seed, **{"momentum": 0.0, **over}))
    assert {(s.lr, s.momentum, s.model) for s in specs} == {(0.2, 0.5, "conv3")}
    assert [s.seed for s in specs] == [0, 1, 2]


def test_series_collects_a_metric_where_it_was_measured():
    rows = [{"epoch": 1, "fisher": 1.0}, {"epoch": 2}, {"epoch": 3, "fisher": 3.0}]
    layout, specs = expand({"t": [(3, None)]}, seeds, 2, lambda r, seed, over: seed)
    results = fold(layout, [Fake(s, rows) for s in specs])
    assert np.array_equal(results["t"].series("fisher"), [[1.0, 3.0], [1.0, 3.0]])


def test_a_claim_without_a_setting_for_the_tier_says_so():
    from repro.recording import ClaimInfo

    h = Harness(SMOKE, None, 0, True, None)
    with pytest.raises(ValueError, match="no setting for tier 'smoke'"):
        h.begin(ClaimInfo("demo/x", "p", "s"), {"paper": 1}, {})
