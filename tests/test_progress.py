"""Progress lines: epochs and runs done out of the plan, the rate and the expected end, printed
while claims train, with and without xdist."""
import re

import pytest

from repro.config import RunSpec
from repro.progress import Tracker, progress_line, read_progress

pytest_plugins = ["pytester"]


def spec(epochs):
    return RunSpec("cifar10", "conv3", ((epochs, None),), seed=0, width=(4, 8), train_size=100)


def test_the_line_counts_epochs_and_runs_and_weighs_the_end_by_cost(tmp_path):
    a, b = Tracker(tmp_path, "gw0", min_interval=0), Tracker(tmp_path, "gw1", min_interval=0)
    a.write_plan({"epochs": 8, "runs": 2, "macs": 4 * 2 * 1e9})
    b.write_plan({"epochs": 999, "runs": 9, "macs": 1})  # the first plan written stays
    for e in (1, 2):
        a(spec(4), e)
    plan, done = read_progress(tmp_path)
    assert plan["epochs"] == 8 and done["epochs"] == 2 and done["runs"] == 0
    line = progress_line(plan, {**done, "macs": plan["macs"] / 4}, elapsed=60.0)
    assert "2/8 epochs" in line and "runs 0/2" in line
    assert re.search(r"ETA \d\d:\d\d \(in 03:00\)", line)  # a quarter of the cost in 60 s


CLAIM = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/long{i}", paper="Demo", statement="x")
def test_long{i}(harness):
    harness.runs([harness.spec([(60, None)], s, model="conv3", width=(4, 8), train_size=100,
                                resolution=8, batch_size=10) for s in ({i} * 2, {i} * 2 + 1)])
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


def run(pytester, tmp_path, fake_data, *args):
    pytester.makepyfile(test_a=CLAIM.format(i=0), test_b=CLAIM.format(i=1))
    return pytester.runpytest_subprocess(
        "-p", "repro.plugin", "--store", str(tmp_path / "s"), "--data-dir", str(fake_data),
        "--report", str(tmp_path / "r"), "--progress-every", "0.5", *args)


@pytest.mark.slow
def test_progress_is_printed_during_a_plain_run(pytester, tmp_path, fake_data):
    res = run(pytester, tmp_path, fake_data)
    res.assert_outcomes(passed=2)
    res.stdout.fnmatch_lines(["repro progress: *%|*| */240 epochs *, runs */4, ETA *"])


@pytest.mark.slow
def test_progress_is_printed_under_xdist(pytester, tmp_path, fake_data):
    res = run(pytester, tmp_path, fake_data, "-n", "2")
    res.assert_outcomes(passed=2)
    res.stdout.fnmatch_lines(["repro progress: *%|*| */240 epochs *, runs */4, ETA *"])


@pytest.mark.slow
def test_an_in_process_session_leaves_no_tracker_behind(pytester, tmp_path, fake_data):
    from repro.engine import EPOCH_LISTENERS

    pytester.makepyfile(test_a=CLAIM.format(i=0))
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"), "--data-dir",
                             str(fake_data), "--report", str(tmp_path / "r"))
    res.assert_outcomes(passed=1)
    assert EPOCH_LISTENERS == []  # its progress directory is gone: epochs here must not use it
