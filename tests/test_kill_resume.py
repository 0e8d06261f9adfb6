"""A run killed with SIGKILL at any point and started again ends with exactly the numbers of an
uninterrupted run; a kill in the middle of a store write leaves nothing that is used.

The runs are real processes (tests/_run_worker.py) training 5 epochs of 5 steps on fake CIFAR,
with a checkpoint every epoch. A process stops at a chosen point, the test kills it there with
SIGKILL, and a new process finishes the run from what the store holds.
"""
import random
import time

import _run_worker as worker
import pytest


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


def leftovers(tmp_path):
    return sorted(p.name for p in (tmp_path / "store").glob("*/.*"))


# (where the first process is killed, the epoch the second resumes from). 5 steps an epoch;
# files written per checkpoint: payload, then record, so write 5 is the 3rd checkpoint's payload.
KILLS = [
    (("save", 1), 1),  # right after the first checkpoint
    (("save", 3), 3),  # after the checkpoint at the phase boundary and one more
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
    assert len(entries(tmp_path)) == resumed_from
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
        if proc.is_alive():
            worker.kill(proc)
            kills += 1
        else:
            proc.join()
            break
    assert kills > 0
    res = worker.finish(worker.start(job(tmp_path, module_fake_data, "last")),
                        tmp_path / "last.json")
    assert res["metrics"] == uninterrupted
