"""A run killed with SIGKILL at any point and started again ends with exactly the numbers of an
uninterrupted run; a kill in the middle of a store write leaves nothing that is used.

The runs are real processes (tests/_run_worker.py) training 5 epochs of 5 steps on fake CIFAR,
with a checkpoint every epoch. A process stops at a chosen point, the test kills it there with
SIGKILL, and a new process finishes the run from what the store holds.
"""
import json
import random
import time

import _run_worker as worker
import pytest

pytestmark = pytest.mark.slow  # every test here starts processes and kills them


@pytest.fixture(scope="module")
def uninterrupted(module_fake_data, tmp_path_factory):
    """The run trained in one go, with no checkpoint to resume from."""
    d = tmp_path_factory.mktemp("uninterrupted")
    job = {"store": str(d / "store"), "data_dir": str(module_fake_data), "checkpoint_every": 100,
           "result": str(d / "result.json"), "train_log": str(d / "trained")}
    res = worker.finish(worker.start(job), d / "result.json")
    assert res["status"] == "ok" and res["epochs_trained"] == 5
    return res["metrics"]


def job(tmp_path, data, name, **kw):
    return {"store": str(tmp_path / "store"), "data_dir": str(data),
            "result": str(tmp_path / f"{name}.json"), "marker": str(tmp_path / f"{name}.stop"),
            "train_log": str(tmp_path / "trained"), **kw}


def entries(tmp_path):
    return sorted(p.stem for p in (tmp_path / "store").glob("*/*.json"))


def stored_epochs(tmp_path):
    records = (tmp_path / "store").glob("*/*.json")
    return sorted(json.loads(p.read_text())["epochs"] for p in records)


def leftovers(tmp_path):
    return sorted(p.name for p in (tmp_path / "store").glob("*/.*"))


# (where the first process is killed, the epoch the second resumes from). 5 steps an epoch;
# files written per checkpoint: payload, then record, so write 5 is the 3rd checkpoint's payload.
KILLS = [
    (("save", 1), 1),  # right after the first checkpoint
    (("step", 3), 0),  # in the first epoch, before any checkpoint
    (("step", 13), 2),  # in the middle of epoch 3
    (("write", 5), 2),  # half of the 3rd checkpoint's payload written
    (("write", 6), 2),  # payload in place, half of its record written
    (("replace", 6), 2),  # record written to its temporary file, not yet renamed
    (("save", 5), 5),  # the whole run stored, killed before returning
]


@pytest.mark.parametrize("pause, resumed_from", KILLS, ids=[f"{w}{n}" for (w, n), _ in KILLS])
def test_a_killed_run_resumes_to_exactly_the_uninterrupted_numbers(
        pause, resumed_from, uninterrupted, module_fake_data, tmp_path):
    first = job(tmp_path, module_fake_data, "first", pause=pause)
    proc = worker.start(first)
    worker.wait_for(tmp_path / "first.stop", proc)
    worker.kill(proc)
    # the latest checkpoint and the phase boundary (epoch 2); periodic ones before are pruned,
    # after the next is written (a kill right after the last save leaves epoch 4's)
    assert max(stored_epochs(tmp_path), default=0) == resumed_from
    pruned_late = {4} if resumed_from == 5 else set()
    assert set(stored_epochs(tmp_path)) <= {2, 5, resumed_from} | pruned_late
    if pause[0] in ("write", "replace"):  # the kill did land inside a write
        assert leftovers(tmp_path)

    res = worker.finish(worker.start(job(tmp_path, module_fake_data, "second")),
                        tmp_path / "second.json")
    assert res["resumed_from"] == resumed_from
    assert res["epochs_trained"] == 5 - resumed_from
    assert res["metrics"] == uninterrupted


def test_kills_at_several_points_of_one_run(uninterrupted, module_fake_data, tmp_path):
    """One run killed four times, each time somewhere else, then finished."""
    for i, pause in enumerate([("save", 1), ("step", 4), ("write", 2), ("replace", 1)]):
        proc = worker.start(job(tmp_path, module_fake_data, f"try{i}", pause=pause))
        worker.wait_for(tmp_path / f"try{i}.stop", proc)
        worker.kill(proc)
        assert len(entries(tmp_path)) == 1
    assert leftovers(tmp_path)
    res = worker.finish(worker.start(job(tmp_path, module_fake_data, "last")),
                        tmp_path / "last.json")
    assert (res["resumed_from"], res["epochs_trained"]) == (1, 4)
    assert res["metrics"] == uninterrupted


def test_kills_at_random_moments(uninterrupted, module_fake_data, tmp_path):
    """Kills at moments nobody chose (seeded delays): the run still ends with the same numbers.
    Each of its 25 steps takes 20 ms more, so a run lasts longer than the first delay."""
    rng, kills = random.Random(6), 0
    for i in range(8):
        proc = worker.start(job(tmp_path, module_fake_data, f"try{i}", step_sleep=0.02))
        time.sleep(rng.uniform(0.05, 0.45))
        if proc.is_alive() and worker.kill(proc, may_have_finished=True):
            kills += 1
        else:
            proc.join()
            break
    assert kills > 0
    res = worker.finish(worker.start(job(tmp_path, module_fake_data, "last")),
                        tmp_path / "last.json")
    assert res["metrics"] == uninterrupted


CLAIMS = '''
from repro.harness import claim
from repro.stats import expect_drop

TINY = dict(train_size=100, resolution=None, width=(4, 8), batch_size=20)

@claim("demo/blur", paper="Demo", statement="Blur for an epoch costs accuracy.")
def test_blur(harness):
    specs = [harness.spec([(t, "blur"), (2, None)], seed, **TINY)
             for t in (0, 1) for seed in harness.seeds]
    acc = [r.final("test_acc") for r in harness.runs(specs)]
    harness.record([expect_drop(acc[:3], acc[3:], at_least=-1.0, reason="demo")])
'''
# bookkeeping of who trained what and when, not numbers of the runs or the claim
NOT_NUMBERS = {"generated", "command", "seconds", "epochs_trained", "epochs_reused",
               "resumed_from"}


def numbers(x):
    if isinstance(x, dict):
        return {k: numbers(v) for k, v in x.items() if k not in NOT_NUMBERS}
    if isinstance(x, list):
        return [numbers(v) for v in x]
    return x


def test_a_killed_claims_session_run_again_reports_every_number_as_an_uninterrupted_one(
        module_fake_data, tmp_path):
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "test_demo.py").write_text(CLAIMS)

    def session(name, store, **kw):
        args = ["-p", "repro.plugin", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                "-p", "no:xdist", "claims",
                "--data-dir", str(module_fake_data), "--store", str(tmp_path / store),
                "--report", str(tmp_path / f"report-{store}")]
        return worker.start_pytest({"args": args, "cwd": str(tmp_path),
                                    "output": str(tmp_path / f"{name}.out"),
                                    "marker": str(tmp_path / f"{name}.stop"),
                                    "train_log": str(tmp_path / f"{name}.trained"), **kw})

    def results(store):
        return json.loads((tmp_path / f"report-{store}" / "smoke" / "results.json").read_text())

    whole = session("whole", "a")
    whole.join(worker.TIMEOUT)
    assert whole.exitcode in (0, 1), (tmp_path / "whole.out").read_text()  # 1: not replicated

    killed = session("killed", "b", pause=("step", 38))  # in the 4th of 6 runs' 2nd epoch
    worker.wait_for(tmp_path / "killed.stop", killed)
    worker.kill(killed)
    assert not (tmp_path / "report-b").exists()
    again = session("again", "b")
    again.join(worker.TIMEOUT)
    assert again.exitcode == whole.exitcode, (tmp_path / "again.out").read_text()

    assert results("b")["verdicts"][0]["epochs_reused"] > 0  # it did continue
    assert numbers(results("b")) == numbers(results("a"))
