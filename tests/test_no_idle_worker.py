"""A worker never waits on another's lock while it has other runs to train.

Two processes, two claims that share a run: this process is a worker whose claim needs runs X
(shared, the shortest, so first) and Z; the other process is a worker that is training X's first
checkpoint (it holds that checkpoint's lock) and lets go only once it sees Z finished in the
store. A worker that waited on X first would never finish (the test's timeout says so); one that
puts X off trains Z, then waits for X, and finds the lock free.
"""
import logging
import multiprocessing
import time

import pytest

from repro import Context, RunSpec, RunStore
from repro.runner import train_all

pytestmark = pytest.mark.slow  # a second process holds a lock


def spec(phases, seed=0):
    return RunSpec("cifar10", "conv3", phases, seed=seed, width=(4, 8), train_size=100,
                   batch_size=50)


X = spec(((2, "blur"), (1, None)))
Z = spec(((6, None),))


def hold_lock(store_root, key, release_after, ready):
    """The other worker: holds `key`'s lock until `release_after` is in the store."""
    store = RunStore(store_root)
    with store.lock(key):
        ready.set()
        deadline = time.monotonic() + 60
        while not store.has(release_after) and time.monotonic() < deadline:
            time.sleep(0.05)


def test_a_worker_trains_its_other_runs_while_a_shared_one_is_locked(tmp_path, fake_data,
                                                                      caplog):
    ctx = Context(RunStore(tmp_path / "store"), data_dir=str(fake_data))
    x_first = ctx.key(X.truncate(2))  # X's first checkpoint: the other worker is training it
    mp = multiprocessing.get_context("spawn")
    ready = mp.Event()
    other = mp.Process(target=hold_lock, args=(str(ctx.store.root), x_first, ctx.key(Z), ready))
    other.start()
    try:
        assert ready.wait(30)
        with caplog.at_level(logging.INFO, logger="repro"):
            got = train_all([X, Z], [0, 1], ctx, frozenset())
    finally:
        other.join(60)
    assert got[0].status == got[1].status == "ok"
    assert got[1].epochs_trained == 6 and got[0].epochs_trained == 3  # the other trained nothing
    events = [r.getMessage() for r in caplog.records]
    put_off = next(i for i, m in enumerate(events) if X.label() in m and "put off" in m)
    z_done = next(i for i, m in enumerate(events) if Z.label() in m and "done" in m)
    waited = [i for i, m in enumerate(events) if X.label() in m and "waiting" in m]
    assert put_off < z_done  # X was put off, Z trained meanwhile
    assert all(i > z_done for i in waited)  # it waited only once nothing else was left
