"""The warm-start claim's verdict on synthetic accuracies."""
import pytest

from claims.test_warm_start import SETTINGS, judge
from repro.verdict import outcome_of

S = SETTINGS["smoke"]
TRAIN = {"fresh": [99, 99.5], "warm": [99.5, 99.8], "shrink-perturb": [99, 99.4]}


def test_the_papers_shape_passes():
    test = {"fresh": [56.2, 56.5], "warm": [51.7, 52.0], "shrink-perturb": [55.5, 56.0]}
    assert outcome_of(judge(test, TRAIN, S)) == "pass"


@pytest.mark.parametrize("test, train, why", [
    ({"fresh": [56, 56.5], "warm": [56.1, 56.4], "shrink-perturb": [56, 56]}, TRAIN, "no gap"),
    ({"fresh": [56.2, 56.5], "warm": [51.7, 52.0], "shrink-perturb": [52, 52.5]}, TRAIN,
     "shrink-perturb does not help"),
    ({"fresh": [56.2, 56.5], "warm": [51.7, 52.0], "shrink-perturb": [55.5, 56.0]},
     {"fresh": [99, 99.5], "warm": [90, 91], "shrink-perturb": [99, 99]}, "warm fits worse"),
    ({"fresh": [56.2, 50.5], "warm": [51.7, 56.0], "shrink-perturb": [55.5, 56.0]}, TRAIN,
     "gap lost in seed noise"),
])
def test_data_that_violate_the_claim_fail(test, train, why):
    assert outcome_of(judge(test, train, S)) == "fail", why
