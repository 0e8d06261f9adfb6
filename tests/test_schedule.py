"""Claims are planned at collection: files whose runs are all another's go to that file's xdist
worker, and groups start costliest first, under `pytest -n 2` as typed (no --dist)."""
import re

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # a pytest session in a subprocess, under xdist

CLAIM = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/{name}", paper="Demo", statement="x")
def test_{name}(harness):
    tiny = dict(model="conv3", width=(4, 8), train_size=100, resolution=8, batch_size=50)
    harness.runs([harness.spec([(e, None)], s, **tiny) for e in {epochs} for s in (0, 1)])
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


def test_a_claim_reading_anothers_runs_shares_its_worker_and_costly_groups_go_first(
        pytester, tmp_path, fake_data):
    pytester.makepyfile(
        test_small=CLAIM.format(name="small", epochs=(1,)),  # cheapest, shares nothing
        test_big=CLAIM.format(name="big", epochs=(4, 6)),  # costliest
        test_reader=CLAIM.format(name="reader", epochs=(6,)),  # all its runs are big's
        test_middle=CLAIM.format(name="middle", epochs=(3,)))
    res = pytester.runpytest_subprocess(
        "-p", "repro.plugin", "-n", "2", "-v", "--store", str(tmp_path / "s"), "--data-dir",
        str(fake_data), "--report", str(tmp_path / "r"), "-p", "no:cacheprovider")
    res.assert_outcomes(passed=4)
    done = re.findall(r"\[(gw\d)\] \[ *\d+%\] PASSED test_(\w+)\.py", res.stdout.str())
    worker = {name: w for w, name in done}
    assert worker["reader"] == worker["big"]  # it waited on no lock: big trained its runs
    listed = pytester.runpytest("-p", "repro.plugin", "--collect-only", "-q", "--store",
                                str(tmp_path / "empty"), "--data-dir", str(fake_data))
    order = re.findall(r"test_(\w+)\.py::", listed.stdout.str())
    assert order == ["big", "reader", "middle", "small"]  # costliest group first
