"""The power calculation and the seed-base comparison: the tools that size a claim's seeds."""
import json

from repro.power import drop_power, paired_power, seeds_needed
from repro.seedbase import differing, main


def test_power_grows_with_seeds_and_with_the_margin_over_the_bound():
    low = drop_power(1.5, 1.0, 1.0, 3, trials=400)
    assert low < drop_power(1.5, 1.0, 1.0, 12, trials=400)
    assert drop_power(3.0, 0.3, 1.0, 3, trials=400) > 0.95
    # an effect below its bound passes rarely, whatever the seeds
    assert drop_power(0.5, 0.3, 1.0, 10, trials=400) < 0.05
    assert paired_power(1.0, 0.5, 1.0, 10, trials=400) < 0.6  # at the bound: about half
    assert seeds_needed("paired", 2.0, 0.5, 1.0, trials=200) <= 4
    assert seeds_needed("drop", 0.5, 0.3, 1.0, most=6, trials=200) is None


def test_the_seed_base_comparison_lists_the_claims_whose_verdict_differs(tmp_path, capsys):
    def report(name, base, outcomes):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"seed_base": base, "verdicts": [
            {"claim": c, "outcome": o} for c, o in outcomes.items()]}))
        return str(path)

    a = report("a", 0, {"x": "pass", "y": "fail"})
    b = report("b", 1000, {"x": "pass", "y": "pass"})
    assert differing([(0, {"x": "pass"}), (1, {"x": "pass"})]) == []
    assert main([a, b]) == 1
    out = capsys.readouterr().out
    assert "1 of 2 claims" in out and "y: 0: fail, 1000: pass" in out
    assert main([a, report("c", 2000, {"x": "pass", "y": "fail"})]) == 0
