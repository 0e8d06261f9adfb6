"""The blur claims' verdicts on synthetic damage (matched control minus blur, points): they pass
only data that show the claim, and a drop that the vertical-flip control shows as well is
"explained", not replicated."""
import importlib

import numpy as np
import pytest

from claims.test_blur_deficit import SETTINGS, judge
from repro.verdict import explained_by, outcome_of

T = SETTINGS["smoke"].remove_at
FLIP = np.array([0.5, -0.3, 0.2])  # flip at the largest T: no lasting damage


def verdict(damage, flip=FLIP):
    return outcome_of(judge(T, np.asarray(damage, float), np.asarray(flip, float),
                            SETTINGS["smoke"]))


def test_the_claimed_shape_passes():
    assert verdict([[4, 5, 3], [7, 8, 6], [10, 11, 9]]) == "pass"


@pytest.mark.parametrize("damage, why", [
    ([[10, 11, 9], [7, 8, 6], [4, 5, 3]], "damage shrinks with T"),
    ([[0, 0.2, -0.1]] * 3, "no effect at all"),
    ([[1, 2, 1.5], [2, 3, 2.5], [3, 4, 3.5]], "a damage below the bound"),
    ([[4, -5, 9], [7, -8, 16], [10, -11, 25]], "a damage lost in seed noise"),
    ([[10, 11, 9], [4, 5, 3], [7, 8, 6]], "no consistent trend"),
])
def test_data_that_violate_the_claim_fail(damage, why):
    assert verdict(damage) == "fail", why


def test_a_drop_the_flip_control_shows_as_well_is_explained_by_it():
    damage = [[4, 5, 3], [7, 8, 6], [10, 11, 9]]
    checks = judge(T, np.asarray(damage, float), np.array([10.5, 10.8, 9.4]), SETTINGS["smoke"])
    assert outcome_of(checks) == "explained"
    assert explained_by(checks) == ["vertical flip"]
    # and flip doing more damage than blur explains it all the more
    assert verdict(damage, flip=[14, 13, 12]) == "explained"


@pytest.mark.parametrize("claim", ["test_blur_mnist", "test_blur_resnet"])
def test_the_mnist_and_resnet_claims_fail_data_that_violate_them(claim):
    from repro.judges import permanent

    s = importlib.import_module(f"claims.{claim}").SETTINGS["paper"]
    k = len(s.remove_at)
    grows = np.array([[0.1, -0.2, 0.3]]) + np.linspace(s.min_drop / 2, 2 * s.min_drop, k)[:, None]

    def judge_it(damage):
        return outcome_of(permanent(s.remove_at, damage, min_drop=s.min_drop, drop_reason=""))

    assert judge_it(grows) == "pass"
    for damage in (grows[::-1], np.zeros((k, 3)) + [0.1, -0.2, 0.3],
                   np.array([[0.1, -0.2, 0.3]]) + np.linspace(0, s.min_drop / 2, k)[:, None]):
        assert judge_it(damage) == "fail"


def test_the_mnist_claim_is_explained_when_the_label_permutation_does_as_much_damage():
    from claims.test_blur_mnist import SETTINGS as MNIST
    from claims.test_blur_mnist import judge as mnist_judge

    s = MNIST["smoke"]
    grows = np.array([[0.1, -0.2, 0.3]]) + np.linspace(1, 3, len(s.remove_at))[:, None]
    assert outcome_of(mnist_judge(s, grows, [0.2, -0.1, 0.0])) == "pass"
    checks = mnist_judge(s, grows, [40.0, 55.0, 38.0])  # the permutation never recovers
    assert outcome_of(checks) == "explained"
    assert explained_by(checks) == ["label permutation"]
    assert outcome_of(mnist_judge(s, grows[::-1], [0.2, -0.1, 0.0])) == "fail"
