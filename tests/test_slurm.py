"""`--slurm`: each run a claim needs is a Slurm job sent through submitit; same verdicts, keys and
numbers as a plain run. Tested on submitit's local executor (`--slurm local`: a process per job,
no Slurm needed), with the store's locking, sharing and probe rules as on a cluster."""
from pathlib import Path

import pytest
from helpers import assert_like_a_plain_run, remote_claim

from repro.report import load_results
from repro.slurm_backend import waves

pytest.importorskip("submitit")

pytest_plugins = ["pytester"]

CLAIM = remote_claim("slurm")


def verdict(tmp_path: Path, name: str) -> dict:
    return load_results(tmp_path / name / "smoke" / "results.json")["verdicts"][0]


@pytest.mark.slow
def test_slurm_jobs_give_the_numbers_of_a_plain_run(pytester, fake_data, tmp_path, monkeypatch):
    pytester.makepyfile(test_claim=CLAIM)
    common = ["-p", "repro.plugin", "--data-dir", str(fake_data)]
    with monkeypatch.context() as m:  # nothing may train in this process: only the jobs
        m.setattr("repro.engine._train", lambda *a: pytest.fail("trained outside the jobs"))
        res = pytester.runpytest(*common, "--slurm", "local", "--slurm-gpus-per-run", "0",
                                 "--slurm-folder", str(tmp_path / "jobs"),
                                 "--store", str(tmp_path / "s-slurm"),
                                 "--report", str(tmp_path / "r-slurm"))
    res.assert_outcomes(passed=1)
    assert list((tmp_path / "jobs").glob("*_result.pkl")), "the runs went through submitit"
    res = pytester.runpytest(*common, "--store", str(tmp_path / "s"),
                             "--report", str(tmp_path / "r"))
    res.assert_outcomes(passed=1)
    on_slurm, plain = verdict(tmp_path, "r-slurm"), verdict(tmp_path, "r")
    assert_like_a_plain_run(on_slurm, plain)


def test_a_run_waits_one_wave_for_the_run_whose_prefix_it_shares(monkeypatch):
    specs = ["a2", "b2", "a4", "a6", "c1"]  # stand-ins: shared_epochs below says what they share
    shared = {("a4", "a2"): 2, ("a6", "a2"): 2, ("a6", "a4"): 4}
    monkeypatch.setattr("repro.slurm_backend.shared_epochs",
                        lambda s, t, tag: shared.get((s, t), 0))
    assert waves(specs, lambda s: "") == [[0, 1, 4], [2], [3]]


@pytest.mark.slow
def test_a_job_on_a_node_unlike_the_probes_refuses_to_train(tmp_path, fake_data):
    """The session's keys name the nodes' device: a job on another kind of node must not file
    its numbers under them."""
    from helpers import tiny

    from repro import Context, RunStore
    from repro.slurm_backend import JobFailed, SlurmSettings, get_runs

    ctx = Context(RunStore(tmp_path / "s"), data_dir=str(fake_data), identity='{"kind":"other"}')
    with pytest.raises(JobFailed, match=r"NodeMismatch: node .* not the \{\"kind\":\"other\"\}"):
        get_runs([tiny([(1, None)])], ctx, SlurmSettings(cluster="local", gpus_per_run=0,
                                                         folder=str(tmp_path / "jobs")))


@pytest.mark.slow
def test_slurm_and_ray_together_are_refused(pytester, tmp_path):
    pytester.makepyfile(test_x="def test_x(): pass")
    res = pytester.runpytest("-p", "repro.plugin", "--slurm", "local", "--ray", "auto",
                             "--store", str(tmp_path / "s"))
    assert res.ret == pytest.ExitCode.USAGE_ERROR
    res.stderr.fnmatch_lines(["*--slurm and --ray both send runs elsewhere*"])
