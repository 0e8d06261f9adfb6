"""The report: its summary shows the checks that decided each verdict, failed ones first."""
from repro.report import deciding_checks, markdown
from repro.sources import TAGS
from repro.verdict import Check, Verdict


def verdict(*checks: Check, claim="demo/claim") -> Verdict:
    outcome = "pass" if all(c.passed for c in checks) else "fail"
    return Verdict(claim=claim, paper="Demo", statement="x", tier="smoke", outcome=outcome,
                   checks=list(checks), paper_value="2 points [text]", seeds=[0, 1, 2])


PASSING = Check("flip check", 1.617, ">= 1", True, reason="r")
FAILING = Check("permutation check", 2.6, "<= 2", False, reason="r")


def test_the_failed_check_comes_first_and_every_check_is_shown():
    v = verdict(PASSING, FAILING)
    assert deciding_checks(v) == [FAILING, PASSING]
    md = markdown({"tier": "smoke", "generated": "now", "command": "pytest", "seed_base": 0,
                   "environment": {"machine": "m", "threads": 1, "python": "3", "torch": "t",
                                   "cuda": None}}, [v], {})
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in summary.splitlines() if r.startswith(("| demo", "|  "))]
    assert "permutation check" in rows[0] and "NOT replicated" in rows[0] and "**no**" in rows[0]
    assert "flip check" in rows[1] and "1.617" in rows[1]


def test_a_verdict_survives_its_trip_through_json():
    v = verdict(PASSING, Check("with ci", 1.0, ">= 0", True, reason="r", ci=(0.5, 1.5)))
    assert Verdict.from_json(v.to_json()) == v


def test_every_tag_used_by_a_claim_is_defined():
    import re
    from pathlib import Path

    used = set()
    for path in (Path(__file__).parents[1] / "claims").glob("*.py"):
        used |= set(re.findall(r"\[(?:repl|auth|text|approx|figure|group|ours)[^\]]*\]",
                               path.read_text()))
    assert used, "the claims tag their paper values"
    for tag in used:
        assert tag.split(",")[0].rstrip("]") + "]" in TAGS, tag
    protocol = (Path(__file__).parents[1] / "PROTOCOL.md").read_text()
    assert all(t in protocol for t in TAGS)


def test_compare_finds_a_changed_metric_and_counts_test_evaluations_apart():
    from repro.compare import compare

    def report(acc, test):
        rows = [{"epoch": 1, "train_acc": acc, "test_acc": test}, {"epoch": 2, "train_acc": 0.5,
                                                                   "test_acc": 0.4}]
        return {"verdicts": [{"claim": "c", "outcome": "pass", "checks": [],
                              "runs": [{"label": "r", "metrics": rows}]}]}

    assert compare(report(0.3, 0.2), report(0.3, 0.2)) == ([], 0)
    assert compare(report(0.3, 0.2), report(0.3, None)) == ([], 1)
    diffs, _ = compare(report(0.3, 0.2), report(0.31, 0.2))
    assert diffs == ["c: r: epoch 1 train_acc: 0.3 -> 0.31"]


def test_a_claim_judged_under_both_protocols_shows_both_verdicts_side_by_side():
    from repro.verdict import outcome_of

    explained = [PASSING, Check("flip - blur", 0.2, ">= 1", False, reason="r",
                                explains="vertical flip")]
    pub = Verdict(claim="demo/claim[published]", paper="Demo", statement="x", tier="smoke",
                  outcome=outcome_of(explained), checks=explained, protocol="published")
    rst = Verdict(claim="demo/claim[restart]", paper="Demo", statement="x", tier="smoke",
                  outcome="pass", checks=[PASSING], protocol="restart")
    md = markdown({"tier": "smoke", "generated": "now", "command": "pytest", "seed_base": 0,
                   "environment": {"machine": "m", "threads": 1, "python": "3", "torch": "t",
                                   "cuda": None}}, [pub, rst], {})
    side = md.split("## Protocols side by side", 1)[1].split("\n## ", 1)[0]
    (row,) = [r for r in side.splitlines() if r.startswith("| demo/claim ")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:3] == ["demo/claim", "NOT replicated: explained by the vertical flip control",
                         "replicated"]
    assert "a control shows it without the claimed cause" in cells[3]


def test_results_json_stores_a_run_shared_by_claims_once_and_loads_it_back_in_full(tmp_path):
    import dataclasses
    import json

    from repro.report import load_results, write_report

    shared = {"label": "net seed=0", "key": "k1", "metrics": [{"epoch": 1, "test_acc": 0.5}]}
    own = {"label": "net seed=1", "key": "k2", "metrics": [{"epoch": 1, "test_acc": 0.6}]}
    a = dataclasses.replace(verdict(PASSING, claim="demo/a"), runs=[shared])
    b = dataclasses.replace(verdict(PASSING, claim="demo/b"), runs=[shared, own])
    write_report([a, b], tmp_path, "smoke")
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["runs"] == {"k1": shared, "k2": own}
    assert [v["runs"] for v in stored["verdicts"]] == [["k1"], ["k1", "k2"]]
    loaded = load_results(tmp_path / "results.json")
    assert [v["runs"] for v in loaded["verdicts"]] == [[shared], [shared, own]]
    assert "runs" not in loaded


def test_a_run_two_claims_recorded_with_different_measurements_is_kept_twice(tmp_path):
    import dataclasses

    from repro.report import load_results, write_report

    plain = {"label": "net seed=0", "key": "k1", "metrics": [{"epoch": 1, "test_acc": 0.5}]}
    measured = {**plain, "metrics": [{"epoch": 1, "test_acc": 0.5, "fisher": 3.0}]}
    a = dataclasses.replace(verdict(PASSING, claim="demo/a"), runs=[plain])
    b = dataclasses.replace(verdict(PASSING, claim="demo/b"), runs=[measured])
    write_report([a, b], tmp_path, "smoke")
    loaded = load_results(tmp_path / "results.json")
    assert [v["runs"] for v in loaded["verdicts"]] == [[plain], [measured]]


def test_the_report_says_why_a_cell_is_empty_and_counts_full_batch_steps():
    from repro.data import report_source
    from repro.report import ci_cell, measured_cell, trained_cell

    agreeing = Check("share", 0.4753, ">= 0.3", True, reason="r", ci=(0.47519, 0.47546),
                     effect_size=12131.0, n=3)
    spread = Check("gap", 5.3, ">= 2", True, reason="r", ci=(1.5, 9.1), n=5)
    assert ci_cell(agreeing) == "none: the 3 values agree to 3 digits"
    assert ci_cell(spread) == "[1.5, 9.1]"
    md = markdown({"tier": "smoke", "sessions": []}, [verdict(agreeing)], {})
    (row,) = [r for r in md.split("\n## demo/claim", 1)[1].splitlines() if r.startswith("| share")]
    assert "12131" not in row and "none: the 3 values agree" in row
    # a NaN statistic arrives from results.json as null
    assert measured_cell(Check("rho", None, "< 0", False, reason="r")).startswith("undefined")
    direct = Verdict(claim="d", paper="p", statement="s", tier="smoke", outcome="pass",
                     runs=[{"spec": {"direct": "deep linear"}}], epochs_trained=0,
                     epochs_reused=500000)
    assert trained_cell(direct) == "0 / 500000 steps"
    named = report_source({"source": "/home/u/data/cifar10.npz", "digest": "ab"})
    assert named["source"] == "cifar10.npz"
