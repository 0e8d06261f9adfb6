"""A partial run never destroys the report: the whole tier of a scratch project is run, then one
claim with -k, and every other claim's section and figure are byte-identical; a claim whose code
changed is marked stale, a removed one leaves with its figure; an unwritable --report is refused
before anything runs."""
import re

import pytest

from repro.report import load_results

pytest_plugins = ["pytester"]


def claims_file(name: str, effect: float) -> str:
    return f'''
from repro.figures import arms_figure
from repro.harness import claim
from repro.stats import expect_drop

@claim("demo/{name}-a", paper="Demo 2026", statement="A drops below B.", paper_value="-5")
def test_{name}_a(harness):
    a, b = [60, 61, 59], [60 - {effect}, 61 - {effect}, 59 - {effect}]
    harness.record([expect_drop(a, b, at_least=5, reason="demo")],
                   figure=arms_figure({{"a": a, "b": b}}, title="a and b", ylabel="acc"))

@claim("demo/{name}-b", paper="Demo 2026", statement="B drops below A.")
def test_{name}_b(harness):
    harness.record([expect_drop([60, 61, 59], [50, 51, 49], at_least=5, reason="demo")],
                   figure=arms_figure({{"a": [60, 61, 59]}}, title="a", ylabel="acc"))
'''


def sections(md: str) -> dict[str, str]:
    """Each claim's section of REPORT.md, by claim id."""
    parts = re.split(r"^## ", md, flags=re.M)
    return {p.split(":", 1)[0]: p for p in parts[1:] if p.startswith("demo/")}


@pytest.fixture
def project(pytester, tmp_path):
    pytester.makepyfile(test_first=claims_file("first", 10), test_second=claims_file("second", 8))
    report = tmp_path / "r"

    def run(*args):
        return pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                                  "--report", str(report), *args)

    return pytester, run, report / "smoke"


@pytest.mark.slow
def test_a_partial_run_keeps_every_other_claims_section_and_figure(project):
    _, run, out = project
    run().assert_outcomes(passed=4)
    before = (out / "REPORT.md").read_text()
    figures = {p.name: p.read_bytes() for p in (out / "figures").glob("*.png")}
    assert len(sections(before)) == 4 and len(figures) == 4

    run("-k", "first_a").assert_outcomes(passed=1, deselected=3)
    after = (out / "REPORT.md").read_text()
    old, new = sections(before), sections(after)
    assert set(new) == set(old)
    for claim in old:
        if claim != "demo/first-a":
            assert new[claim] == old[claim], claim
    assert {p.name: p.read_bytes() for p in (out / "figures").glob("*.png")}.keys() == \
        figures.keys()
    for name, blob in figures.items():
        if "first-a" not in name:
            assert (out / "figures" / name).read_bytes() == blob, name
    verdicts = load_results(out / "results.json")["verdicts"]
    assert len(verdicts) == 4
    assert all(v["session"]["seed_base"] == 0 and v["source"]["sha256"] for v in verdicts)
    assert "Session: " in new["demo/first-a"] and "by `pytest" in new["demo/first-a"]


@pytest.mark.slow
def test_a_changed_claim_file_marks_its_sections_stale_and_a_removed_one_leaves(project):
    pytester, run, out = project
    run().assert_outcomes(passed=4)
    pytester.makepyfile(test_second=claims_file("second", 9))  # its code changed
    run("-k", "first_a").assert_outcomes(passed=1, deselected=3)
    s = sections((out / "REPORT.md").read_text())
    for claim in ("demo/second-a", "demo/second-b"):
        assert "(stale)" in s[claim].splitlines()[0] and "**Stale:** `test_second.py`" in s[claim]
    assert "Stale" not in s["demo/first-b"]

    (pytester.path / "test_second.py").unlink()  # the claims are gone
    run("-k", "first_a").assert_outcomes(passed=1)
    s = sections((out / "REPORT.md").read_text())
    assert set(s) == {"demo/first-a", "demo/first-b"}
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == [
        "demo_first-a.png", "demo_first-b.png"]


@pytest.mark.slow
def test_an_unwritable_report_is_refused_before_any_claim_runs(project, tmp_path):
    pytester, _, _ = project
    blocker = tmp_path / "file"
    blocker.write_text("")
    res = pytester.runpytest("-p", "repro.plugin", "--store", str(tmp_path / "s"),
                             "--report", str(blocker / "reports"))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--report: the report*cannot be written*"])
    assert "passed" not in res.stdout.str()  # nothing ran
