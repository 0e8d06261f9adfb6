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


def test_at_most_checks_the_mean_against_the_bound():
    from repro.stats import expect_at_most

    assert expect_at_most([0.01, 0.02, 0.0], at_most=0.05, reason="r").passed
    c = expect_at_most([0.01, 0.2, 0.0], at_most=0.05, reason="r")
    assert not c.passed and c.measured == pytest.approx(0.07) and c.ci[0] < 0.07 < c.ci[1]
    assert not expect_at_most([float("nan")], at_most=1.0, reason="r").passed
