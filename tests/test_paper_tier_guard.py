"""The tier follows the hardware: the paper tier on the CPU stops before training, with its cost.

The claim here builds its runs on the tier's base settings but with a tiny network, so that the
estimate (a few timed steps of each network) takes no time."""
import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # every test here runs a pytest session (pytester)

CLAIM = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/tiny", paper="Demo", statement="x")
def test_tiny(harness):
    tiny = dict(model="conv3", width=(4, 8), train_size=100, resolution=8, batch_size=50)
    specs = [harness.spec([(t, "blur"), (2, None)], s, **tiny) for t in (0, 2)
             for s in harness.seeds]
    res = harness.runs(specs)
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


def run(pytester, tmp_path, *args):
    pytester.makepyfile(test_tiny=CLAIM)
    return pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                              "--data-dir", str(tmp_path / "nodata"), "--report",
                              str(tmp_path / "r"), *args)


def test_the_paper_tier_on_the_cpu_is_refused_with_its_cost(pytester, tmp_path):
    res = run(pytester, tmp_path, "--tier", "paper")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stdout.fnmatch_lines(["*demo/tiny: 6 runs, 18 epochs as written, 18 with shared*, "
                              "about * here; estimate * GPU-h fp32 / * GPU-h TF32",
                              "all claims: 18 epochs to train*about * on this device*",
                              "*REFUSED*--paper-on-cpu*"])
    assert not list((tmp_path / "s").glob("*/*.json"))  # nothing trained
    assert not (tmp_path / "r").exists()


def test_the_dry_run_prints_epochs_and_time_per_claim_and_in_all(pytester, tmp_path):
    res = run(pytester, tmp_path, "--tier", "paper", "--dry-run")
    assert res.ret == pytest.ExitCode.TESTS_FAILED  # no data here: the dry run says so, below
    res.stdout.fnmatch_lines(["*repro plan (dry run, tier paper, on cpu)*",
                              "*demo/tiny: 6 runs*18 to train (18 not trained by the claims "
                              "above), about * here; estimate * GPU-h fp32 / * GPU-h TF32",
                              "all claims: 18 epochs to train*about *",
                              "GPU-hours (an estimate, not a measurement): * GPU-h fp32 / * GPU-h "
                              "TF32 in all on one NVIDIA A100*at 40% of its peak*",
                              "data cifar10: MISSING OR UNREADABLE: no cifar10 data in *"])


def test_paper_on_cpu_lets_it_run(pytester, tmp_path, fake_data):
    pytester.makepyfile(test_tiny=CLAIM)
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                             "--data-dir", str(fake_data), "--report", str(tmp_path / "r"),
                             "--tier", "paper", "--paper-on-cpu", "--accept-lossy-data")
    res.assert_outcomes(passed=1)
    report = (tmp_path / "r" / "paper" / "REPORT.md").read_text()
    assert "NOT the original pixels" in report  # the fake CIFAR is no original


def test_the_paper_tier_refuses_data_that_are_not_the_originals_pixels(pytester, tmp_path,
                                                                       fake_data):
    pytester.makepyfile(test_tiny=CLAIM)
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                             "--data-dir", str(fake_data), "--report", str(tmp_path / "r"),
                             "--tier", "paper", "--paper-on-cpu")
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines([f"*cifar10 would be read from `{fake_data / 'cifar10.npz'}`*NOT the "
                              "original pixels*--accept-lossy-data*"])
    assert not list((tmp_path / "s").glob("*/*.json"))  # nothing trained


def test_without_gpus_the_tier_is_smoke(pytester, tmp_path):
    pytester.makepyfile(test_t="def test_t(pytestconfig):\n"
                               "    assert pytestconfig.getoption('tier') == 'smoke'\n")
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"))
    res.assert_outcomes(passed=1)
