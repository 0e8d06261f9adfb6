"""The power calculation and the seed-base comparison: the tools that size a claim's seeds."""
import json

import numpy as np
import pytest

from repro.power import drop_power, mean_power, paired_power, seeds_needed
from repro.seedbase import differing, main
from repro.stats import expect_at_most, expect_drop, expect_mean_at_most, expect_paired_gain


@pytest.mark.parametrize("n", [2, 3, 5])
def test_the_vectorized_rules_are_the_checks_own(n):
    """Each power function judges its draws as the check does: same draws, same passes."""
    trials, effect, sd, bound = 300, 1.2, 1.0, 1.0
    rng = np.random.default_rng(0)
    d = rng.normal(effect, sd, (trials, n))
    assert paired_power(effect, sd, bound, n, trials) == np.mean(
        [expect_paired_gain(x, np.zeros(n), at_least=bound, reason="", name="").passed
         for x in d])
    rng = np.random.default_rng(0)
    a, b = rng.normal(effect, sd, (trials, n)), rng.normal(0.0, sd, (trials, n))
    assert drop_power(effect, sd, bound, n, trials) == np.mean(
        [expect_drop(x, y, at_least=bound, reason="").passed for x, y in zip(a, b)])
    for upper, check in ((False, expect_mean_at_most), (True, expect_at_most)):
        v = np.random.default_rng(0).normal(effect, sd, (trials, n))
        assert mean_power(effect, sd, bound, n, trials, upper=upper) == np.mean(
            [check(x, at_most=bound, reason="", name="").passed for x in v])


def test_power_grows_with_seeds_and_with_the_margin_over_the_bound():
    low = drop_power(1.5, 1.0, 1.0, 3, trials=400)
    assert low < drop_power(1.5, 1.0, 1.0, 12, trials=400)
    assert drop_power(3.0, 0.3, 1.0, 3, trials=400) > 0.95
    # an effect below its bound passes rarely, whatever the seeds
    assert drop_power(0.5, 0.3, 1.0, 10, trials=400) < 0.05
    assert paired_power(1.0, 0.5, 1.0, 10, trials=400) < 0.6  # at the bound: about half
    assert seeds_needed("paired", 2.0, 0.5, 1.0, trials=200) <= 4
    assert seeds_needed("drop", 0.5, 0.3, 1.0, most=6, trials=200) is None


def seedbase_report(tmp_path, name, base, outcomes) -> str:
    """A results.json of `outcomes` {claim: outcome} at seed base `base`; its path."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"seed_base": base, "verdicts": [
        {"claim": c, "outcome": o} for c, o in outcomes.items()]}))
    return str(path)


def test_the_seed_base_comparison_lists_the_claims_whose_verdict_differs(tmp_path, capsys):
    def report(name, base, outcomes):
        return seedbase_report(tmp_path, name, base, outcomes)

    a = report("a", 0, {"x": "pass", "y": "fail"})
    b = report("b", 1000, {"x": "pass", "y": "pass"})
    assert differing([(0, {"x": "pass"}), (1, {"x": "pass"})]) == []
    assert main([a, b]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 claims" in out and "y: 0: fail, 1000: pass" in out
    assert main([a, report("c", 2000, {"x": "pass", "y": "fail"})]) == 0


def test_seedbase_common_compares_only_the_claims_every_report_has(tmp_path, capsys):
    def report(name, base, outcomes):
        return seedbase_report(tmp_path, name, base, outcomes)

    full = report("full", 0, {"x": "pass", "y": "fail", "z": "pass"})
    part = report("part", 6000, {"x": "pass", "y": "fail"})
    assert main([full, part]) == 1  # z missing: differs
    assert main(["--common", full, part]) == 0
    assert "not compared (missing from some report): z" in capsys.readouterr().out
    assert main(["--common", full, report("bad", 7000, {"x": "fail"})]) == 1
