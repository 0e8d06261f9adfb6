"""Several processes that ask for the same run at once train it once; the others wait and read it.

Real processes (tests/_run_worker.py) on one store, released together; each epoch a process
trains is logged, so the test counts what was trained across all of them.
"""
import time
from collections import Counter

import _run_worker as worker
import pytest

pytestmark = pytest.mark.slow  # every test here starts processes

EPOCHS = 5


def job(tmp_path, data, name, **kw):
    return {"store": str(tmp_path / "store"), "data_dir": str(data),
            "result": str(tmp_path / f"{name}.json"), "marker": str(tmp_path / f"{name}.stop"),
            "train_log": str(tmp_path / "trained"), "go": str(tmp_path / "go"), **kw}


def trained(tmp_path) -> list[tuple[int, int]]:
    log = tmp_path / "trained"
    lines = log.read_text().split() if log.exists() else []
    return [(int(p), int(e)) for p, e in zip(lines[::2], lines[1::2])]


@pytest.fixture(scope="module")
def alone(module_fake_data, tmp_path_factory):
    d = tmp_path_factory.mktemp("alone")
    res = worker.finish(worker.start(job(d, module_fake_data, "alone", go=None)),
                        d / "alone.json")
    return res["metrics"]


def test_processes_asking_for_one_run_train_it_once(alone, module_fake_data, tmp_path):
    # each epoch takes 0.2 s more, so that all of them arrive while the run is being trained
    procs = [worker.start(job(tmp_path, module_fake_data, f"p{i}", epoch_sleep=0.2))
             for i in range(3)]
    (tmp_path / "go").touch()
    results = [worker.finish(p, tmp_path / f"p{i}.json") for i, p in enumerate(procs)]
    epochs = trained(tmp_path)
    assert sorted(e for _, e in epochs) == list(range(EPOCHS))  # every epoch, once
    assert sum(r["epochs_trained"] for r in results) == EPOCHS
    assert all(r["status"] == "ok" and r["metrics"] == alone for r in results)
    # the others did not find the run finished: they waited for its checkpoints and read them
    assert sum(r["resumed_from"] == 0 for r in results) >= 2


def test_runs_sharing_a_prefix_train_it_once_when_asked_for_at_once(module_fake_data, tmp_path):
    removals = [((2, "blur"), (3, None)), ((2, "blur"), (1, None)), ((2, "blur"), (2, "vflip"))]
    procs = [worker.start(job(tmp_path, module_fake_data, f"p{i}", epoch_sleep=0.05,
                              spec={"phases": phases}))
             for i, phases in enumerate(removals)]
    (tmp_path / "go").touch()
    results = [worker.finish(p, tmp_path / f"p{i}.json") for i, p in enumerate(procs)]
    # 2 blurred epochs once; the second run is a prefix of the first; 2 flipped epochs
    assert len(trained(tmp_path)) == 2 + 3 + 2
    assert sum(r["epochs_trained"] for r in results) == 2 + 3 + 2
    assert results[0]["metrics"][:2] == results[1]["metrics"][:2] == results[2]["metrics"][:2]


def test_runs_whose_checkpoints_differ_train_their_shared_prefix_once(module_fake_data,
                                                                    tmp_path):
    """The longer deficit's first periodic checkpoint lies after the shorter deficit's end, so
    their first locks differ; each stops at the other's boundary (the session's `keep`), and
    the two blurred epochs they share are trained once."""
    removals = [((2, "blur"), (1, None)), ((4, "blur"), (1, None))]
    procs = [worker.start(job(tmp_path, module_fake_data, f"p{i}", epoch_sleep=0.1,
                              checkpoint_every=10, spec={"phases": phases},
                              keep=[r[:1] for r in removals]))
             for i, phases in enumerate(removals)]
    (tmp_path / "go").touch()
    results = [worker.finish(p, tmp_path / f"p{i}.json") for i, p in enumerate(procs)]
    assert Counter(e for _, e in trained(tmp_path)) == Counter([0, 1, 2, 2, 3, 4])
    assert results[0]["metrics"][:2] == results[1]["metrics"][:2]


def test_a_process_killed_while_training_does_not_block_the_others(alone, module_fake_data,
                                                                   tmp_path):
    """The killed process held the lock of the checkpoint it was training; the kernel releases
    it, one of the waiting processes trains that segment, and nothing is trained twice."""
    (tmp_path / "go").touch()
    first = worker.start(job(tmp_path, module_fake_data, "first", pause=("step", 8)))
    worker.wait_for(tmp_path / "first.stop", first)  # in epoch 2, holding its lock
    others = [worker.start(job(tmp_path, module_fake_data, f"p{i}")) for i in range(2)]
    time.sleep(0.3)  # they start and wait for the lock
    assert all(p.is_alive() for p in others)
    worker.kill(first)
    results = [worker.finish(p, tmp_path / f"p{i}.json") for i, p in enumerate(others)]
    assert all(r["metrics"] == alone for r in results)
    counts = Counter(e for _, e in trained(tmp_path))
    assert counts == Counter(range(EPOCHS))  # epoch 1 by the killed process, the rest once
    assert sum(r["epochs_trained"] for r in results) == EPOCHS - 1
