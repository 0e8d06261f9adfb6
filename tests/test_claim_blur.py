"""The blur claim's verdict on synthetic accuracies: it passes only data that show the claim."""
import numpy as np
import pytest

from claims.test_blur_deficit import SETTINGS, judge
from repro.verdict import outcome_of

T = SETTINGS["smoke"].remove_at


def verdict(acc):
    return outcome_of(judge(T, np.asarray(acc, float), SETTINGS["smoke"]))


def test_the_measured_shape_passes():
    assert verdict([[56, 55, 57], [51, 52, 50], [48, 49, 47], [46, 45, 47]]) == "pass"


@pytest.mark.parametrize("acc, why", [
    ([[46, 45, 47], [48, 49, 47], [51, 52, 50], [56, 55, 57]], "accuracy rises with T"),
    ([[56, 55, 57]] * 4, "no effect at all"),
    ([[56, 55, 57], [55, 54, 56], [54, 53, 55], [53, 52, 54]], "a drop below the bound"),
    ([[60, 45, 63], [55, 40, 60], [50, 58, 41], [58, 42, 47]], "a drop lost in seed noise"),
    ([[56, 55, 57], [46, 45, 47], [56, 55, 57], [48, 49, 47]], "no consistent trend"),
])
def test_data_that_violate_the_claim_fail(acc, why):
    assert verdict(acc) == "fail", why


@pytest.mark.parametrize("claim", ["test_blur_mnist", "test_blur_resnet"])
def test_the_mnist_and_resnet_claims_fail_data_that_violate_them(claim):
    import importlib

    module = importlib.import_module(f"claims.{claim}")
    s = module.SETTINGS["smoke"]
    k = len(s.remove_at)
    falls = np.array([[95.0, 95.2, 94.8]]) - np.linspace(0, 2 * s.min_drop, k)[:, None]
    assert outcome_of(module.judge(s.remove_at, falls, s)) == "pass"
    for acc in (falls[::-1], np.full((k, 3), 95.0),
                np.array([[95.0, 95.2, 94.8]]) - np.linspace(0, s.min_drop / 2, k)[:, None]):
        assert outcome_of(module.judge(s.remove_at, acc, s)) == "fail"
