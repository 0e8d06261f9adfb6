"""A run whose loss becomes NaN or infinite stops, is stored as diverged with its epoch, and the
claims that need it get verdict "error" with that reason, while the rest of the session goes on."""
import json
import re

import pytest

# Imported before any in-process pytester run, which unloads the modules imported during it:
# torch's compiler (imported by the first optimizer) and torchvision register operators that
# cannot be registered twice in one process.
import torch._dynamo  # noqa: F401
import torchvision  # noqa: F401

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # a pytest session (pytester)

CLAIMS = '''
from repro.harness import claim
from repro.stats import expect_drop

TINY = dict(train_size=100, resolution=None, width=(4, 8), batch_size=50)

@claim("demo/diverges", paper="Demo", statement="x")
def test_diverges(harness):
    harness.runs([harness.spec([(3, None)], 0, lr=1e6, momentum=0.0, **TINY)])
    raise AssertionError("a claim must not get past a diverged run")

@claim("demo/fine", paper="Demo", statement="x")
def test_fine(harness):
    harness.runs([harness.spec([(2, None)], 0, **TINY)])
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


def test_a_diverging_run_is_an_error_verdict_and_the_session_goes_on(pytester, tmp_path,
                                                                    fake_data):
    pytester.makepyfile(test_claims=CLAIMS)
    res = pytester.runpytest("-p", "repro.plugin", "--data-dir", str(fake_data),
                             "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(failed=1, passed=1)
    res.stdout.fnmatch_lines([
        "*error: conv3/cifar10 seed=0 [[]3[]] diverged: training loss became * in epoch *"])
    out = json.loads((tmp_path / "r" / "smoke" / "results.json").read_text())
    got = {v["claim"]: v for v in out["verdicts"]}
    assert got["demo/fine"]["outcome"] == "pass"
    assert got["demo/diverges"]["outcome"] == "error"
    assert re.search(r"diverged: training loss became (nan|-?inf) in epoch \d+",
                     got["demo/diverges"]["notes"][0])

    # stored as diverged, with the epoch, so that it is not trained again
    records = [json.loads(p.read_text()) for p in (tmp_path / "s").glob("*/*.json")]
    diverged = [r for r in records if r["status"] == "diverged"]
    assert len(diverged) == 1 and diverged[0]["spec"]["lr"] == 1e6
    epoch = int(re.search(r"in epoch (\d+)", diverged[0]["reason"])[1])
    assert len(diverged[0]["metrics"]) == epoch - 1  # the epochs before it
