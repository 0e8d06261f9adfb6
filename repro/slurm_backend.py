"""Runs on a Slurm cluster through submitit (`--slurm`): one job per run.

The run store must be a path every node mounts (a probe file each job must see checks it); every
node needs this package, the same torch, and the data under the same path. A run's key holds
the device that trains it, and the driver (a login node) is not that device: a probe job first
reports the compute nodes' identity (CPU or GPU model, versions, threads, precision), every key
of the session is made with it, and each job checks that its own node matches, so that a
partition of mixed machines never files one machine's numbers under another's key.

Shared prefixes are trained once, as in a plain run: runs go out in waves, each run one wave
after the earlier run with which it shares the longest prefix, so that prefix is stored when it
starts; runs that share nothing go out together. Locks, checksums and resumption are the store's,
as on one machine. `--slurm local` (submitit's local executor: a process per job, here) rehearses
a submission without Slurm.
"""
from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .config import RunSpec, shared_epochs
from .engine import Context, RunResult, get_run
from .store import StoreError


@dataclass(frozen=True)
class SlurmSettings:
    cluster: str = "slurm"  # submitit's cluster: "slurm"; "local" or "debug" rehearse it here
    partition: str | None = None
    gpus_per_run: int = 1  # 0: CPU runs, on cpu_threads cores each
    time_min: int = 240  # a job's time limit; a run cut short resumes from its last checkpoint
    folder: str | None = None  # submitit's job files and logs (default <store>/slurm)


class NodeMismatch(RuntimeError):
    pass


class JobFailed(RuntimeError):
    """A run's job ended without a result: the job's own error, and where its logs are."""


def executor(settings: SlurmSettings, ctx: Context, name: str = "repro"):
    import submitit  # optional dependency: pip install 'repro[slurm]'

    folder = Path(settings.folder) if settings.folder else ctx.store.root / "slurm" / "%j"
    ex = submitit.AutoExecutor(folder=folder,
                               cluster=None if settings.cluster == "slurm" else settings.cluster)
    params: dict = {"timeout_min": settings.time_min, "name": name,
                    "cpus_per_task": 1 if settings.gpus_per_run else ctx.cpu_threads}
    if settings.gpus_per_run:
        params["gpus_per_node"] = settings.gpus_per_run
    if settings.partition:
        params["slurm_partition"] = settings.partition
    ex.update_parameters(**params)
    return ex


def node_identity(ctx: Context, settings: SlurmSettings) -> str:
    """The device tag of the nodes the runs will train on, from a probe job."""
    return executor(settings, ctx, "repro-identity").submit(_here, ctx).result()


def with_node_identity(ctx: Context, settings: SlurmSettings) -> Context:
    return replace(ctx, identity=node_identity(ctx, settings))


def waves(specs: list[RunSpec], tag: Callable[[RunSpec], str]) -> list[list[int]]:
    """Indices of `specs` (shortest first) by wave: a run one wave after the earlier run with
    which it shares the longest prefix; runs that share none in the first."""
    wave: list[int] = []
    for i, spec in enumerate(specs):
        shared = [(shared_epochs(spec, specs[j], tag(spec)), -j) for j in range(i)]
        best = max(shared, default=(0, 0))
        wave.append(wave[-best[1]] + 1 if best[0] > 0 else 0)
    return [[i for i, w in enumerate(wave) if w == k] for k in range(max(wave, default=-1) + 1)]


def get_runs(specs: list[RunSpec], ctx: Context, settings: SlurmSettings,
             keep: frozenset[str] = frozenset(),
             measure: Callable[[RunSpec], RunSpec] | None = None) -> list[RunResult]:
    """The finished runs, each trained (or read from the store) by its own job."""
    if ctx.identity is None:
        raise ValueError("a Slurm session's context carries the nodes' identity "
                         "(with_node_identity)")
    ex = executor(settings, ctx)
    probe = ctx.store.root / f".slurm-probe-{uuid.uuid4().hex}"
    try:
        probe.write_text("")
    except OSError as err:
        raise StoreError(f"the run store {ctx.store.root} cannot be written: {err}") from None
    results: dict[int, RunResult] = {}
    try:
        for wave in waves(specs, lambda s: ctx.run_tag(s.dataset)):
            with ex.batch():  # one job array per wave
                jobs = [ex.submit(_run_job, specs[i], ctx, str(probe), keep,
                                  measure(specs[i]) if measure else None) for i in wave]
            for i, job in zip(wave, jobs):
                try:
                    results[i] = job.result()
                except Exception as err:  # submitit's FailedJobError, UncompletedJobError
                    raise JobFailed(f"{specs[i].label()}: job {job.job_id} failed: "
                                    f"{_last_error(str(err))} (logs: {job.paths.stderr})"
                                    ) from None
    finally:
        probe.unlink(missing_ok=True)
    return [results[i] for i in range(len(specs))]


def _last_error(text: str) -> str:
    """The job's own exception line from submitit's report (its traceback sits between two
    lines of dashes)."""
    lines = text.splitlines()
    dashes = [i for i, ln in enumerate(lines) if ln.strip().startswith("-----")]
    end = dashes[-1] if len(dashes) > 1 else len(lines)
    found = [ln.strip() for ln in lines[:end] if ln.strip()]
    return found[-1] if found else "no error text"


def _here(ctx: Context) -> str:
    """This node's device tag for `ctx`'s settings (as Context.device_tag computes it)."""
    return json.dumps(ctx.backend.identity(), sort_keys=True, separators=(",", ":"))


def _run_job(spec: RunSpec, ctx: Context, probe: str, keep: frozenset[str],
             measure: RunSpec | None) -> RunResult:
    if not Path(probe).is_file():
        raise StoreError(f"the run store {ctx.store.root} is not the driver's on node "
                         f"{socket.gethostname()}: give --store a path every node mounts")
    here = _here(ctx)
    if here != ctx.identity:
        raise NodeMismatch(f"node {socket.gethostname()} is {here}, not the {ctx.identity} the "
                           "session's keys were made for: restrict the jobs to one kind of "
                           "node (--slurm-partition)")
    return get_run(spec, ctx, keep=keep, measure=measure)
