import numpy as np
import pytest

from repro.stats import expect_decreasing, expect_drop


def test_a_clear_drop_passes_and_reports_its_interval():
    c = expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="r")
    assert c.passed and c.measured == 10 and c.ci[0] < 10 < c.ci[1] and c.p_value < 0.01


def test_a_drop_below_the_bound_fails_even_when_significant():
    assert not expect_drop([60, 60.1, 59.9], [58, 58.1, 57.9], at_least=5, reason="r").passed


def test_a_large_but_noisy_drop_fails():
    assert not expect_drop([70, 40, 65], [50, 60, 45], at_least=5, reason="r").passed


def test_one_seed_cannot_pass():
    assert not expect_drop([60], [50], at_least=5, reason="r").passed


def test_zero_variance_is_decided_by_the_sign():
    assert expect_drop([60, 60], [50, 50], at_least=5, reason="r").passed
    assert not expect_drop([50, 50], [60, 60], at_least=5, reason="r").passed


def test_trend_direction():
    x = [0, 1, 2, 3]
    falling = np.array([[60, 61, 59], [57, 56, 58], [54, 53, 55], [50, 51, 49]])
    assert expect_decreasing(x, falling, reason="r").passed
    assert not expect_decreasing(x, falling[::-1], reason="r").passed
    flat = np.random.default_rng(0).normal(55, 1, (4, 3))
    assert not expect_decreasing(x, flat, reason="r").passed


def test_trend_takes_conditions_with_different_numbers_of_seeds():
    x = [1, 2, 3]
    rising = [[0.0, 0.001], [0.1, 0.12], [0.3, 0.5, 0.4, 0.6, 0.45]]
    assert expect_decreasing(x, [-np.asarray(r) for r in rising], reason="r").passed
    assert not expect_decreasing(x, rising, reason="r").passed
    assert expect_decreasing(x, rising, reason="r").n == 9
    with pytest.raises(ValueError, match="3 conditions"):
        expect_decreasing(x, rising[:2], reason="r")


def test_paired_gain_uses_the_pairing_and_its_bound():
    from repro.stats import expect_paired_gain
    lower = np.array([50.0, 60.0, 70.0])
    assert expect_paired_gain(lower + [2.0, 2.2, 1.9], lower, at_least=1, reason="",
                              name="g").passed
    assert not expect_paired_gain(lower + [2.0, 2.2, 1.9], lower, at_least=3, reason="",
                                  name="g").passed
    assert not expect_paired_gain(lower + [3.0, -2.0, 1.0], lower, at_least=0, reason="",
                                  name="g").passed
    assert not expect_paired_gain([1.0], [0.0], at_least=0, reason="", name="g").passed


def test_at_most_needs_the_upper_confidence_bound_below_the_bound():
    from repro.stats import expect_at_most
    assert expect_at_most([-1.0, -0.5, -1.5], at_most=1, reason="", name="d").passed
    assert not expect_at_most([0.5, 0.9, 0.7], at_most=0.8, reason="", name="d").passed  # mean ok
    assert not expect_at_most([-3.0, 4.0, -2.0], at_most=1, reason="", name="d").passed  # noisy


def test_at_most_checks_the_mean_against_the_bound():
    from repro.stats import expect_mean_at_most

    assert expect_mean_at_most([0.01, 0.02, 0.0], at_most=0.05, reason="r").passed
    c = expect_mean_at_most([0.01, 0.2, 0.0], at_most=0.05, reason="r")
    assert not c.passed and c.measured == pytest.approx(0.07) and c.ci[0] < 0.07 < c.ci[1]
    assert not expect_mean_at_most([float("nan")], at_most=1.0, reason="r").passed


def test_an_undefined_interval_is_left_blank_in_the_report():
    from repro.report import fmt_ci

    assert fmt_ci((1.0, 2.5)) == "[1, 2.5]"
    assert fmt_ci(None) == "" and fmt_ci((None, None)) == "" and fmt_ci((float("nan"), 1.0)) == ""


def test_mean_sd_of_one_seed_has_zero_spread_and_plain_floats_for_the_report():
    from repro.stats import mean_sd

    m, sd = mean_sd([61.5])
    assert m == 61.5 and sd == 0.0 and isinstance(sd, float)
    m, sd = mean_sd([[1.0], [3.0]])
    assert list(m) == [1.0, 3.0] and list(sd) == [0.0, 0.0]


# -- equivalence, one-sample and share checks (repro.stats) -------------------------------------
def test_equivalence_passes_only_inside_the_margin_in_both_directions():
    from repro.stats import expect_equivalent

    wobble = np.array([0.2, -0.1, 0.05, -0.15])
    assert expect_equivalent(0.3 + wobble, margin=2, reason="", name="x").passed
    assert not expect_equivalent(3 + wobble, margin=2, reason="", name="x").passed
    assert not expect_equivalent(-3 + wobble, margin=2, reason="", name="x").passed
    # inside on average, too noisy to tell: not shown equivalent
    assert not expect_equivalent([1.9, -1.8, 0.4], margin=2, reason="", name="x").passed


def test_equivalence_power_matches_the_check():
    from repro.power import equivalence_power
    from repro.stats import expect_equivalent

    rng = np.random.default_rng(1)
    draws = rng.normal(0.5, 0.6, (400, 4))
    rate = np.mean([expect_equivalent(d, margin=2, reason="", name="x").passed for d in draws])
    assert abs(rate - equivalence_power(0.5, 0.6, 2, 4)) < 0.06


def test_a_share_passes_only_when_the_part_is_a_small_share_of_a_positive_whole():
    from repro.stats import expect_share_at_most

    whole = np.array([6.0, 5.5, 6.4])
    assert expect_share_at_most([1.0, 0.8, 1.3], whole, at_most=0.5, reason="", name="s").passed
    assert not expect_share_at_most([4.0, 3.8, 4.3], whole, at_most=0.5, reason="",
                                    name="s").passed
    assert not expect_share_at_most([-1.0, -0.8, -1.3], -whole, at_most=0.5, reason="",
                                    name="s").passed


def test_increasing_is_decreasing_mirrored():
    from repro.stats import expect_increasing

    assert expect_increasing([1, 2, 3], [[1, 1.1], [2, 2.1], [3, 3.1]], reason="").passed
    assert not expect_increasing([1, 2, 3], [[3, 3.1], [2, 2.1], [1, 1.1]], reason="").passed
