"""The regularization-timing claim's verdict on synthetic accuracies."""
import pytest

from claims.test_regularization_timing import SETTINGS, arms, judge
from repro.verdict import outcome_of

S = SETTINGS["smoke"]


def acc(always, never, removed, applied):
    return {"always": always, "never": never, "removed at t": removed, "applied from t": applied}


def test_the_papers_shape_passes():
    assert outcome_of(judge(acc([60, 61], [56, 57], [59.8, 60.5], [56.5, 57.2]), S)) == "pass"


@pytest.mark.parametrize("a, why", [
    (acc([60, 61], [60, 61], [60, 61], [60, 61]), "weight decay does nothing"),
    (acc([60, 61], [56, 57], [57, 58], [56.5, 57.2]), "removal costs most of the benefit"),
    (acc([60, 61], [56, 57], [59.8, 60.5], [59, 60]), "late application gains most of it"),
    (acc([56, 57], [60, 61], [59.8, 60.5], [56.5, 57.2]), "weight decay hurts"),
])
def test_data_that_violate_the_claim_fail(a, why):
    assert outcome_of(judge(a, S)) == "fail", why


def test_each_regularizer_is_switched_off_by_its_own_setting():
    for regularizer, off in (("weight decay", {"weight_decay": 0.0}),
                             ("data augmentation", {"augment": False})):
        a = arms(S, regularizer)
        assert a["always"][0].settings() == {}
        assert a["never"][0].settings() == off
        assert [p.settings() for p in a["removed at t"]] == [{}, off]
        assert [p.settings() for p in a["applied from t"]] == [off, {}]
        assert all(sum(p.epochs for p in phases) == S.epochs for phases in a.values())
