"""The deep linear claims' verdicts on synthetic errors: they pass only data that show them."""
import numpy as np
import pytest

from claims.test_deep_linear import SETTINGS, judge_depth1, judge_depth3, judge_depths
from repro.verdict import outcome_of

S = SETTINGS["smoke"]
T = S.switch_at  # 0, 5k, 10k, 20k, 100k


def test_the_authors_shape_passes():
    assert outcome_of(judge_depth1([[0.852, 0.85]] * 5, S)) == "pass"
    depth3 = [[0.075, 0.08], [0.043, 0.05], [0.415, 0.4], [0.868, 0.85], [0.975, 0.96]]
    assert outcome_of(judge3(depth3, (0.9, 0.3, 0.5), (0.01, -0.02, 0.0))) == "pass"
    # the restated bound: a rise of a third of the authors' passes, as the paper's words allow
    third = [[0.05, 0.06], [0.06, 0.07], [0.1, 0.12], [0.2, 0.25], [0.35, 0.36]]
    assert outcome_of(judge3(third, (0.3, 0.28, 0.4), (0.02, 0.01, 0.03))) == "pass"


def judge3(err, more_rise=(), more_harm=()):
    """judge_depth3 on the curves `err` and, for more seeds, their rise and short-phase harm."""
    err = np.asarray(err, float)
    i = T.index(S.harmless_t)
    return judge_depth3(T, err, np.concatenate([err[-1] - err[0], more_rise]),
                        np.concatenate([err[i] - err[0], more_harm]), S)
    assert outcome_of(judge_depths((1, 2, 3), [[0, 0.001], [0.3, 0.35], [0.9, 0.88]])) == "pass"


@pytest.mark.parametrize("err, why", [
    ([[0.85, 0.85], [0.85, 0.85], [0.85, 0.86], [0.88, 0.85], [0.9, 0.85]], "error grows with T"),
    ([[0.85, 0.85], [0.80, 0.85], [0.85, 0.85], [0.85, 0.85], [0.85, 0.85]], "one T differs"),
])
def test_depth1_data_with_a_critical_period_fail(err, why):
    assert outcome_of(judge_depth1(err, S)) == "fail", why


@pytest.mark.parametrize("err, why", [
    ([[0.08, 0.07]] * 5, "no critical period"),
    ([[0.08, 0.07], [0.1, 0.1], [0.12, 0.12], [0.15, 0.15], [0.17, 0.18]], "small rise"),
    ([[0.08, 0.07], [0.4, 0.4], [0.6, 0.6], [0.8, 0.8], [0.95, 0.96]], "short phase harmful"),
    ([[0.08, 0.9], [0.1, 0.1], [0.2, 0.2], [0.3, 0.3], [0.95, 0.1]], "rise lost in seed noise"),
    ([[0.08, 0.07], [0.95, 0.96], [0.1, 0.1], [0.95, 0.9], [0.1, 0.1]], "no trend"),
])
def test_depth3_data_without_a_strong_critical_period_fail(err, why):
    assert outcome_of(judge3(err)) == "fail", why


def test_depth3_rises_that_vary_over_seeds_as_much_as_the_effect_fail():
    curves = [[0.05, 0.06], [0.06, 0.07], [0.2, 0.1], [0.5, 0.1], [0.9, 0.05]]
    assert outcome_of(judge3(curves, (-0.1, 0.6, -0.05), (0.0, 0.0, 0.0))) == "fail"
    # a short phase that harms as much as a long one
    assert outcome_of(judge3(curves, (0.5, 0.6, 0.5), (0.4, 0.5, 0.45))) == "fail"


@pytest.mark.parametrize("rise, why", [
    ([[0.9, 0.88], [0.3, 0.35], [0.0, 0.01]], "shallower is stronger"),
    ([[0.0, 0.001], [0.9, 0.88], [0.3, 0.35]], "depth 3 weaker than depth 2"),
    ([[0.1, 0.1], [0.1, 0.1], [0.1, 0.1]], "no dependence on depth"),
])
def test_depth_data_where_deeper_is_not_stronger_fail(rise, why):
    assert outcome_of(judge_depths((1, 2, 3), rise)) == "fail", why


def test_depths_with_different_numbers_of_seeds():
    shallow, middle = [0.0, 0.001], [0.11, 0.13]
    assert outcome_of(judge_depths((1, 2, 3), [shallow, middle, [0.3, 0.5, 0.4, 0.6, 0.45]])) \
        == "pass"
    # depth 3 above depth 2 on average, but one seed in five below it: lost in seed noise
    noisy = [0.05, 0.9, 0.12, 0.1, 0.15]
    assert outcome_of(judge_depths((1, 2, 3), [shallow, middle, noisy])) == "fail"


def test_the_comparison_reuses_the_curves_sweeps():
    from claims.test_deep_linear import comparison_arms, curve_arms

    for s in SETTINGS.values():
        comparison = comparison_arms(s)
        for name, arm in curve_arms(s, s.curve_depths).items():
            assert comparison[name] == arm  # the same recipe and seeds: the same stored runs
        ends = (s.switch_at[0], s.harmless_t, s.switch_at[-1])
        for d, n in zip(s.depths, s.comparison_seeds):
            arms = [a for a in comparison.values() if a.recipes.config.depth == d]
            assert sorted(i for a in arms for i in a.positions(len(s.comparison_seeds))) \
                == list(range(n))
            assert all(a.recipes.switch_at in (s.switch_at, ends) for a in arms)
