"""Runs on a Ray cluster (`--ray ADDRESS`): one Ray task per run, Ray's scheduler places them.

Each task calls repro.engine.get_run with the claim's Context, so it reads and writes the same
run store; the store must therefore be a path that every node mounts (the driver checks this
with a probe file each task must see). Every node needs this package and the same torch
installed, and the data under the same path.

Shared prefixes are trained once, as in a plain run: the harness orders runs shortest first, and
a run's task takes as argument the task of the earlier run with which it shares the longest
prefix, so Ray starts it only once that run (and its stored prefix) is finished; runs that share
nothing run in parallel. The store's file locks still guard every checkpoint.
"""
from __future__ import annotations

import uuid
from pathlib import Path

from .config import RunSpec, shared_epochs
from .engine import Context, RunResult, get_run


class StoreNotShared(RuntimeError):
    pass


def connect(address: str) -> str:
    """Connect to the cluster (once per process) and return the device runs train on there:
    "cuda" when the cluster has GPUs (one per task), else "cpu"."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    return "cuda" if ray.cluster_resources().get("GPU", 0) > 0 else "cpu"


def get_runs(specs: list[RunSpec], ctx: Context, address: str) -> list[RunResult]:
    """The finished runs, each trained (or read from the store) by its own Ray task."""
    import ray

    connect(address)
    probe = ctx.store.root / f".ray-probe-{uuid.uuid4().hex}"
    probe.write_text("")
    try:
        # a CPU task trains on ctx.cpu_threads threads (part of the run's key, set by get_run)
        # and reserves as many cores: the numbers are then those of a plain run.
        gpu = ctx.device_kind == "cuda"
        task = ray.remote(max_retries=0, num_gpus=1 if gpu else 0,
                          num_cpus=1 if gpu else ctx.cpu_threads)(_run_task)
        refs: list = []
        for i, spec in enumerate(specs):
            shared = [(shared_epochs(spec, specs[j], ctx.run_tag(spec.dataset)), -j)
                      for j in range(i)]
            best = max(shared, default=(0, 0))
            after = [refs[-best[1]]] if best[0] > 0 else []
            refs.append(task.remote(spec, ctx, str(probe), *after))
        return ray.get(refs)
    finally:
        probe.unlink(missing_ok=True)


def _run_task(spec: RunSpec, ctx: Context, probe: str, *after: RunResult) -> RunResult:
    """One run; `after` are the finished runs it waited for (their prefixes are in the store)."""
    if not Path(probe).is_file():
        import socket

        raise StoreNotShared(f"the run store {ctx.store.root} is not the driver's on node "
                             f"{socket.gethostname()}: give --store a path every node mounts")
    return get_run(spec, ctx)
