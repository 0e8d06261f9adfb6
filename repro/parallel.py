"""Independent CPU jobs (the deep linear sweeps) spread over the cores this process may use.

Each job is a pure function of its arguments, so running it in another process changes no
number. Under pytest-xdist the cores are shared out among the workers, so that `-n <cores>` does
not oversubscribe the machine: with 2 cores and 2 workers each worker runs its jobs in turn.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor


def free_cores() -> int:
    """Cores for this process: those it may run on, divided among the xdist workers."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    return max(1, (cores or 1) // max(1, workers))


def parallel_map(fn, jobs: list[tuple], processes: int | None = None) -> list:
    """[fn(*job) for job in jobs], in up to `processes` fresh processes (default: free_cores()).
    Longest jobs should come first: they are handed out in order."""
    processes = free_cores() if processes is None else processes
    if processes < 2 or len(jobs) < 2:
        return [fn(*job) for job in jobs]
    # spawn, not fork: a forked child of a process that has started torch's thread pools can hang
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(processes, len(jobs)), mp_context=ctx) as pool:
        return list(pool.map(fn, *zip(*jobs)))
