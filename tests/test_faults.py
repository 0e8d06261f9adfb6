"""Faults a long GPU session meets: out of memory, Ctrl-C, a store that grows with checkpoints."""
import os
import signal

import _run_worker as worker
import pytest
import torch

import repro.engine
from repro import Context, RunSpec, RunStore, get_run
from repro.runner import RunFailed, train_all


def spec(epochs=5, **kw):
    args = dict(dataset="cifar10", model="conv3", phases=((2, "blur"), (epochs - 2, None)),
                seed=0, width=(4, 8), train_size=100, batch_size=20)
    return RunSpec(**(args | kw))


def test_out_of_memory_fails_the_run_with_what_to_change(tmp_path, fake_data, monkeypatch):
    monkeypatch.setenv("REPRO_FAKE_CUDA", "1")  # memory as a GPU would report it

    def oom(*a, **kw):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(repro.engine, "train_epoch", oom)
    ctx = Context(RunStore(tmp_path / "s"), data_dir=str(fake_data))
    res = get_run(spec(), ctx)
    assert res.status == "out of memory"
    assert "batch size 20" in res.reason and "1024 MiB free of 81920 MiB" in res.reason
    assert "Tried to allocate 2.00 GiB" in res.reason
    assert not ctx.store.has(res.key)  # nothing stored: a rerun with more memory trains it
    from repro.harness import Harness
    from repro.tiers import SMOKE

    harness = Harness(SMOKE, ctx, 0, False, None)
    with pytest.raises(RunFailed, match=r"conv3/cifar10 seed=0 .* out of memory: CUDA out of"):
        harness.runs([spec()])


@pytest.mark.slow
def test_ctrl_c_stores_the_last_finished_epoch(tmp_path, module_fake_data):
    """SIGINT in the middle of epoch 4 (a rerun would otherwise start from epoch 2, the last
    checkpoint): the run is stored through epoch 3, and a rerun ends with the numbers of an
    uninterrupted run."""
    job = {"store": str(tmp_path / "store"), "data_dir": str(module_fake_data),
           "checkpoint_every": 100, "result": str(tmp_path / "first.json"),
           "marker": str(tmp_path / "first.stop"), "train_log": str(tmp_path / "trained"),
           "pause": ("step", 18)}
    proc = worker.start(job)
    worker.wait_for(tmp_path / "first.stop", proc)
    os.kill(proc.pid, signal.SIGINT)
    proc.join(worker.TIMEOUT)
    assert proc.exitcode not in (0, None)
    again = {**job, "pause": None, "result": str(tmp_path / "second.json")}
    res = worker.finish(worker.start(again), tmp_path / "second.json")
    assert res["resumed_from"] == 3 and res["epochs_trained"] == 2
    alone = {**again, "store": str(tmp_path / "alone"), "result": str(tmp_path / "alone.json")}
    assert worker.finish(worker.start(alone), tmp_path / "alone.json")["metrics"] == res["metrics"]


def entries(store):
    return sorted(len(store.meta(p.stem)["metrics"]) for p in store.root.glob("*/*.json"))


def test_periodic_checkpoints_are_pruned_once_superseded(tmp_path, fake_data):
    ctx = Context(RunStore(tmp_path / "s"), data_dir=str(fake_data), checkpoint_every=1)
    get_run(spec(epochs=6), ctx)
    assert entries(ctx.store) == [2, 6]  # the phase boundary and the run; epochs 1, 3-5 pruned


def test_a_periodic_checkpoint_another_run_starts_from_is_kept(tmp_path, fake_data):
    ctx = Context(RunStore(tmp_path / "s"), data_dir=str(fake_data), checkpoint_every=1)
    long, short = spec(epochs=6), spec(epochs=4)
    keep = frozenset({ctx.key(long.truncate(4))})  # the shorter run ends there
    train_all([long], [0], ctx, keep)
    assert entries(ctx.store) == [2, 4, 6]
    assert get_run(short, ctx).epochs_trained == 0
