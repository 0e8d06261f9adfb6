"""The plugin end to end, in a scratch project run by pytester."""

import pytest

from repro.report import load_results

pytest_plugins = ["pytester"]

CLAIMS = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/holds", paper="Demo 2026", statement="A drops below B.", paper_value="-10")
def test_holds(harness):
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])

@claim("demo/broken", paper="Demo 2026", statement="A drops below B.")
def test_broken(harness):
    harness.record([expect_drop([50, 51, 49], [60, 61, 59], at_least=5, reason="demo")])
'''

PLANNED = '''
from repro.harness import claim

@claim("demo/planned", paper="Demo", statement="x")
def test_planned(harness):
    specs = [harness.spec([(t, "blur"), (5, None)], seed) for t in (0, 5) for seed in harness.seeds]
    harness.runs(specs)
    raise AssertionError("a dry run must not get here")
'''


@pytest.fixture
def project(pytester):
    return pytester


def run(project, *args, subprocess=False):
    runner = project.runpytest_subprocess if subprocess else project.runpytest
    return runner("-p", "repro.plugin", *args)


@pytest.mark.slow
def test_verdicts_reach_the_report(project, tmp_path):
    project.makepyfile(test_claims=CLAIMS)
    res = run(project, "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(passed=1, failed=1)
    res.stdout.fnmatch_lines(["*PASS*demo/holds*"])
    res.stdout.fnmatch_lines(["*FAIL*demo/broken*"])
    out = load_results(tmp_path / "r" / "smoke" / "results.json")
    assert {v["claim"]: v["outcome"] for v in out["verdicts"]} == {
        "demo/holds": "pass", "demo/broken": "fail"}
    md = (tmp_path / "r" / "smoke" / "REPORT.md").read_text()
    assert "NOT replicated" in md and "| demo/holds" in md
    assert "epochs trained in this session" in md and "reused from the run store" in md


@pytest.mark.slow
def test_verdicts_reach_the_controller_under_xdist(project, tmp_path):
    project.makepyfile(test_claims=CLAIMS)
    res = run(project, "-n", "2", "--store", str(tmp_path / "s"),
          "--report", str(tmp_path / "r"), subprocess=True)
    res.assert_outcomes(passed=1, failed=1)
    out = load_results(tmp_path / "r" / "smoke" / "results.json")
    assert len(out["verdicts"]) == 2


@pytest.mark.slow
def test_dry_run_plans_without_training(project, tmp_path):
    project.makepyfile(test_plan=PLANNED)
    res = run(project, "--tier", "paper", "--dry-run", "--store", str(tmp_path / "s"),
                            "--report", str(tmp_path / "r"))
    res.assert_outcomes(skipped=1)
    # 6 runs: 3 of 5 epochs (T=0) and 3 of 10; the 5-epoch blur prefix is counted once per seed
    res.stdout.fnmatch_lines(["*demo/planned: 6 runs, 45 epochs as written, 45 with shared*"])
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_dry_run_on_an_empty_data_folder_says_the_data_are_missing(project, tmp_path):
    project.makepyfile(test_plan=PLANNED)
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run(project, "--dry-run", "--data-dir", str(empty), "--store", str(tmp_path / "s"))
    assert res.ret == pytest.ExitCode.TESTS_FAILED
    res.stdout.fnmatch_lines([f"data cifar10: MISSING OR UNREADABLE: no cifar10 data in {empty}*"])


@pytest.mark.slow
def test_seed_base_shifts_every_seed(project, tmp_path):
    project.makepyfile(test_seeds='''
def test_seeds(harness):
    assert harness.seeds == [1000, 1001, 1002]
''')
    run(project, "--seed-base", "1000", "--store", str(tmp_path / "s")).assert_outcomes(
        passed=1)


@pytest.mark.slow
def test_an_unwritable_store_is_a_usage_error(project, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    project.makepyfile(test_x="def test_x(): pass")
    res = run(project, "--store", str(blocker / "store"))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*cannot be written*"])


@pytest.mark.slow
def test_missing_data_gives_an_error_verdict_that_names_the_directory(project, tmp_path):
    project.makepyfile(test_nodata='''
from repro.harness import claim

@claim("demo/nodata", paper="Demo", statement="x")
def test_nodata(harness):
    harness.runs([harness.spec([(1, None)], 0)])
''')
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run(project, "--data-dir", str(empty), "--store", str(tmp_path / "s"),
              "--report", str(tmp_path / "r"))
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines([f"*error: no cifar10 data in {empty}*"])
    out = load_results(tmp_path / "r" / "smoke" / "results.json")
    assert out["verdicts"][0]["outcome"] == "error"


@pytest.mark.slow
def test_a_crashing_claim_gets_an_error_verdict(project, tmp_path):
    project.makepyfile(test_crash='''
from repro.harness import claim

@claim("demo/crash", paper="Demo", statement="x")
def test_crash(harness):
    raise ZeroDivisionError("boom")
''')
    res = run(project, "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(failed=1)
    res.stdout.fnmatch_lines(["*ZeroDivisionError*"])
    out = load_results(tmp_path / "r" / "smoke" / "results.json")
    assert out["verdicts"][0]["outcome"] == "error"
    assert out["verdicts"][0]["notes"] == ["ZeroDivisionError: boom"]


EXPECTED = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/known-miss", paper="Demo", statement="A drops below B.",
       expected_failures={"smoke": "measured: no drop at this scale"})
def test_known_miss(harness):
    harness.record([expect_drop([50, 51, 49], [50, 51, 49], at_least=5, reason="demo")])

@claim("demo/surprise", paper="Demo", statement="A drops below B.",
       expected_failures={"smoke": "measured: no drop at this scale"})
def test_surprise(harness):
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])

@claim("demo/other-tier", paper="Demo", statement="A drops below B.",
       expected_failures={"paper": "not at the paper tier"})
def test_other_tier(harness):
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


@pytest.mark.slow
def test_expected_failures_are_strict_and_reported(project, tmp_path):
    project.makepyfile(test_expected=EXPECTED)
    res = run(project, "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    # the known miss is an xfail; an unexpected pass fails the run (strict); other tiers unaffected
    res.assert_outcomes(xfailed=1, failed=1, passed=1)
    md = (tmp_path / "r" / "smoke" / "REPORT.md").read_text()
    assert "NOT replicated (expected)" in md and "measured: no drop at this scale" in md
    assert "replicated (expected not to)" in md


DIRECT = '''
from dataclasses import dataclass
from typing import ClassVar

from repro.harness import claim
from repro.stats import expect_drop

@dataclass(frozen=True)
class Steps:
    kind: ClassVar[str] = "demo-steps"
    n: int

    def compute(self, seed):
        return {"value": seed * 10 + self.n}

    @property
    def epochs(self):
        return self.n

    @property
    def step_seconds(self):
        return 0.5

    def label(self):
        return f"demo {self.n} steps"

@claim("demo/direct", paper="Demo", statement="x")
def test_direct(harness):
    runs = harness.train({"seven": Steps(7), "three": Steps(3)})
    assert runs.final("value")["seven"].tolist() == [7, 17, 27]
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")])
'''


@pytest.mark.slow
def test_direct_runs_are_planned_stored_and_reach_the_report(project, tmp_path):
    project.makepyfile(test_direct=DIRECT)
    args = ["--store", str(tmp_path / "s"), "--report", str(tmp_path / "r")]
    res = run(project, "--dry-run", *args)
    res.assert_outcomes(skipped=1)
    res.stdout.fnmatch_lines(["*demo/direct: 6 runs, 30 epochs as written, 30 with shared*",
                              "all claims: 0 epochs to train*",
                              "direct runs *: 30 epochs, about 15 s *"])
    run(project, *args, subprocess=True).assert_outcomes(passed=1)
    v = load_results(tmp_path / "r" / "smoke" / "results.json")["verdicts"][0]
    assert [r["spec"]["seed"] for r in v["runs"]] == [0, 1, 2, 0, 1, 2]
    assert (v["epochs_trained"], v["epochs_reused"]) == (30, 0)
    # a second session reads every direct run from the store: nothing is computed again
    run(project, *args, subprocess=True).assert_outcomes(passed=1)
    v = load_results(tmp_path / "r" / "smoke" / "results.json")["verdicts"][0]
    assert (v["epochs_trained"], v["epochs_reused"]) == (0, 30)
    res = run(project, "--dry-run", *args)
    res.stdout.fnmatch_lines(["*demo/direct: 6 runs, 30 epochs as written, 30 with shared "
                              "prefixes, 0 to train*"])


def test_seeds_for_extends_the_tiers_seeds_and_follows_the_seed_base():
    from repro.harness import Harness
    from repro.tiers import SMOKE

    h = Harness(SMOKE, None, 1000, True, None)
    assert h.seeds_for(5) == [1000, 1001, 1002, 1003, 1004]
    assert h.seeds_for(2) == [1000, 1001] and h.seeds_for(3) == h.seeds


SHARING = '''
from repro.harness import claim
from repro.stats import expect_mean_at_most

TINY = dict(width=(4, 8), train_size=100, resolution=None, batch_size=32)

def finals(harness, extra):
    specs = [harness.spec([(2, "blur"), (2, None)], s, **TINY) for s in harness.seeds[:2]]
    runs = harness.runs(specs + [harness.spec([(4, None)], 0, **TINY)] * extra)
    return [r.final("test_acc") for r in runs]

@claim("demo/a", paper="Demo", statement="x")
def test_a(harness):
    harness.record([expect_mean_at_most(finals(harness, 0), at_most=1, reason="accuracy")])

@claim("demo/b", paper="Demo", statement="x")
def test_b(harness):
    harness.record([expect_mean_at_most(finals(harness, 1), at_most=1, reason="accuracy")])
'''


@pytest.mark.slow
def test_xdist_gives_the_numbers_of_a_plain_run_and_trains_a_shared_run_once(
        project, tmp_path, fake_data):
    project.makepyfile(test_sharing=SHARING)
    out = {}
    for name, extra in (("plain", ()), ("xdist", ("-n", "2"))):
        res = run(project, *extra, "--store", str(tmp_path / name / "s"), "--report",
                  str(tmp_path / name / "r"), "--data-dir", str(fake_data), subprocess=True)
        res.assert_outcomes(passed=2)
        verdicts = load_results(tmp_path / name / "r" / "smoke" / "results.json")
        out[name] = {v["claim"]: v for v in verdicts["verdicts"]}
    for claim_id, v in out["plain"].items():
        w = out["xdist"][claim_id]
        assert [c["measured"] for c in v["checks"]] == [c["measured"] for c in w["checks"]]
        assert [r["metrics"] for r in v["runs"]] == [r["metrics"] for r in w["runs"]]
    for v in out.values():  # 2 blur runs of 4 epochs + 1 clean run of 4: 12 epochs, once
        assert sum(x["epochs_trained"] for x in v.values()) == 12


MEASURING = {"test_lean": '''
from repro.harness import claim
from repro.stats import expect_mean_at_most

TINY = dict(width=(4, 8), train_size=100, resolution=None, batch_size=32, test_every=0)

@claim("demo/lean", paper="Demo", statement="x")
def test_lean(harness):
    runs = harness.runs([harness.spec([(2, None)], 0, **TINY),
                         harness.spec([(6, "blur")], 0, **TINY)])
    harness.record([expect_mean_at_most([r.final("test_acc") for r in runs], at_most=1,
                                        reason="accuracy")])
''', "test_rich": '''
from repro.harness import claim
from repro.stats import expect_mean_at_most

TINY = dict(width=(4, 8), train_size=100, resolution=None, batch_size=32, fisher_probe=20)

@claim("demo/rich", paper="Demo", statement="x")
def test_rich(harness):
    run, = harness.runs([harness.spec([(3, None)], 0, fisher_at=(1, 3), **TINY)])
    assert [("fisher" in m) for m in run.metrics] == [True, False, True]
    harness.record([expect_mean_at_most([run.final("test_acc")], at_most=1, reason="accuracy")])
'''}


@pytest.mark.slow
def test_a_run_trained_first_measures_for_the_session_s_runs_that_continue_it(
        project, tmp_path, fake_data):
    """The lean claim goes first (it costs more) and its 2-epoch run measures what the rich
    claim's 3-epoch run asks over those epochs, so the rich run trains its last epoch only; each
    claim's records are those of a session of its own."""
    project.makepyfile(**MEASURING)
    args = ["--data-dir", str(fake_data)]

    def session(name, *files):
        run(project, *files, *args, "--store", str(tmp_path / name / "s"), "--report",
            str(tmp_path / name / "r")).assert_outcomes(passed=len(files))
        results = tmp_path / name / "r" / "smoke" / "results.json"
        return {v["claim"]: v for v in load_results(results)["verdicts"]}

    both = session("both", "test_lean.py", "test_rich.py")
    assert list(both) == ["demo/lean", "demo/rich"]
    assert [both[c]["epochs_trained"] for c in both] == [2 + 6, 1]
    for name in ("lean", "rich"):
        alone = session(name, f"test_{name}.py")[f"demo/{name}"]
        assert [r["metrics"] for r in alone["runs"]] == [r["metrics"]
                                                         for r in both[f"demo/{name}"]["runs"]]


PROTOCOL_CLAIM = '''
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/both", paper="Demo", statement="x", protocols=True,
       expected_failures={("smoke", "restart"): "measured: it does not hold under restart"})
def test_both(harness, protocol):
    assert harness.protocol == protocol
    a, b = ([60, 61, 59], [50, 51, 49]) if protocol == "published" else ([50, 51, 49], [60, 61, 59])
    harness.record([expect_drop(a, b, at_least=5, reason="demo")])
'''


@pytest.mark.slow
def test_a_claim_with_protocols_is_one_test_per_protocol_selected_by_k(project, tmp_path):
    project.makepyfile(test_both=PROTOCOL_CLAIM)
    res = run(project, "-k", "restart", "--store", str(tmp_path / "s"),
              "--report", str(tmp_path / "r"))
    res.assert_outcomes(xfailed=1, deselected=1)
    res = run(project, "--store", str(tmp_path / "s"), "--report", str(tmp_path / "r"))
    res.assert_outcomes(passed=1, xfailed=1)
    out = load_results(tmp_path / "r" / "smoke" / "results.json")
    assert {(v["claim"], v["protocol"], v["outcome"]) for v in out["verdicts"]} == {
        ("demo/both[published]", "published", "pass"), ("demo/both[restart]", "restart", "fail")}
    md = (tmp_path / "r" / "smoke" / "REPORT.md").read_text()
    assert "## Protocols side by side" in md
    assert "replicated under the paper's schedule only" in md
