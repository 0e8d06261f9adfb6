"""Parallel direct jobs: the same numbers as in turn, and no more processes than free cores."""
import dataclasses

import pytest

from repro.deep_linear import MatrixCompletion, switch_sweep
from repro.parallel import free_cores, parallel_map

TINY = MatrixCompletion(size=8, rank=2, observed_first=20, observed_second=30, second_steps=50,
                        lr=0.5, init_scale=0.1, trace_every=10)


@pytest.mark.slow
def test_processes_give_the_numbers_of_a_run_in_turn():
    jobs = [(dataclasses.replace(TINY, depth=d), (0, 30), seed) for d in (2, 3) for seed in (0, 1)]
    assert parallel_map(switch_sweep, jobs, processes=2) == [switch_sweep(*j) for j in jobs]


def test_xdist_workers_share_the_cores(monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    alone = free_cores()
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(alone))
    assert free_cores() == 1
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(alone * 4))
    assert free_cores() == 1
