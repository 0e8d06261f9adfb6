"""The regularization-timing claim's verdict on synthetic accuracies over its sweep of t."""
import numpy as np
import pytest

from claims.test_regularization_timing import SETTINGS, arms, judge, transient_end
from repro.verdict import outcome_of

S = SETTINGS["smoke"]  # t = 5, 10, 20, 30 of 40


def acc(always, never, removed, applied):
    """removed / applied: one accuracy per t (the same for both seeds, plus seed noise)."""
    noise = np.array([0.0, 0.4])
    return {"always": np.array(always, float), "never": np.array(never, float),
            "removed at t": np.array(removed, float)[:, None] + noise,
            "applied from t": np.array(applied, float)[:, None] + noise}


# always 60/61, never 56/57: a 4-point benefit; removal costs little from t = 10 on, late
# application gains little from t = 10 on (the paper's shape, the transient ending at t = 10)
PAPERS = acc([60, 61], [56, 57], [57.0, 59.8, 60.2, 60.4], [59.5, 57.0, 56.5, 56.2])


def test_the_papers_shape_passes():
    assert outcome_of(judge(PAPERS, S)) == "pass"
    assert transient_end(S.switch_at, (np.array([60, 61]) - PAPERS["removed at t"]) / 4,
                         1 / 3) == 10


@pytest.mark.parametrize("a, why", [
    (acc([60, 61], [60, 61], [60] * 4, [60] * 4), "the regularizer does nothing"),
    (acc([56, 57], [60, 61], [59.8] * 4, [56.5] * 4), "the regularizer hurts"),
    (acc([60, 61], [56, 57], [57.0, 57.2, 57.5, 58.0], [56.5] * 4),
     "removal costs most of the benefit at every t: no transient ends in the sweep"),
    (acc([60, 61], [56, 57], [57.0, 57.2, 57.5, 60.3], [56.5, 56.4, 56.3, 56.2]),
     "the transient ends only at t = 30 of 40: not initial"),
    (acc([60, 61], [56, 57], [57.0, 59.8, 60.2, 60.4], [59.5, 59.0, 58.0, 56.2]),
     "late application from the transient's end gains most of the benefit"),
    (acc([60, 61], [56, 57], [57.0, 59.8, 60.2, 60.4], [59.5, 57.0, 59.0, 56.2]),
     "late application from a t after the transient's end gains most of it"),
])
def test_data_that_violate_the_claim_fail(a, why):
    assert outcome_of(judge(a, S)) == "fail", why


def test_each_regularizer_is_switched_off_by_its_own_setting():
    for regularizer, off in (("weight decay", {"weight_decay": 0.0}),
                             ("data augmentation", {"augment": False})):
        a = arms(S, regularizer)
        assert a["always"].recipes[0].settings() == {}
        assert a["never"].recipes[0].settings() == off
        for t in S.switch_at:
            assert [p.settings() for p in a["removed at t"].recipes[t]] == [{}, off]
            assert [p.settings() for p in a["applied from t"].recipes[t]] == [off, {}]
            assert a["removed at t"].recipes[t][0].epochs == t
        for arm in a.values():
            for phases in arm.conditions().values():
                assert sum(p.epochs for p in phases) == S.epochs


def test_the_paper_tier_sweeps_at_least_four_epochs_of_removal_and_of_application():
    paper = arms(SETTINGS["paper"])
    assert len(paper["removed at t"].recipes) >= 4 and len(paper["applied from t"].recipes) >= 4
