"""Getting a claim's runs: from the store, or trained here, on Ray or Slurm, or computed
directly."""
from __future__ import annotations

import logging
from collections.abc import Callable

from . import direct
from .config import RunSpec
from .data import load_dataset
from .direct import DirectResult, DirectSpec
from .engine import Context, RunBusy, RunResult, get_run
from .parallel import parallel_map
from .slurm_backend import JobFailed, SlurmSettings
from .slurm_backend import get_runs as slurm_runs

log = logging.getLogger("repro.runner")

Measure = Callable[[RunSpec], RunSpec]


class RunFailed(RuntimeError):
    """A run a claim needs crashed or diverged: the claim's verdict is "error"."""


def obtain(specs: list, ctx: Context, keep: frozenset[str] = frozenset(),
           ray_address: str | None = None, measure: Measure | None = None,
           slurm: SlurmSettings | None = None) -> list:
    """The finished runs of `specs` (RunSpecs or DirectSpecs), in order; RunFailed if any is
    not ok. `measure(spec)`: what a run trained here measures (engine.get_run); by default,
    what it asks for."""
    engine = [i for i, s in enumerate(specs) if isinstance(s, RunSpec)]
    got: dict[int, RunResult | DirectResult] = {}
    if engine:
        load_data([specs[i] for i in engine], ctx)
        # shortest first: longer runs then start from the prefixes the shorter ones stored
        order = sorted(engine, key=lambda i: (specs[i].total_epochs, i))
        if ray_address:
            from .ray_backend import get_runs

            got.update(zip(order, get_runs([specs[i] for i in order], ctx, ray_address)))
        elif slurm:
            try:
                got.update(zip(order, slurm_runs([specs[i] for i in order], ctx, slurm, keep,
                                                 measure)))
            except JobFailed as err:
                raise RunFailed(str(err)) from None
        else:
            got.update(train_all(specs, order, ctx, keep, measure))
    got.update(compute_direct({i: s for i, s in enumerate(specs) if isinstance(s, DirectSpec)},
                              ctx))
    for i in sorted(got, key=lambda i: (specs[i].total_epochs, i)):
        if got[i].status != "ok":
            raise RunFailed(f"{specs[i].label()} {got[i].status}: {got[i].reason}")
    return [got[i] for i in range(len(specs))]


def train_all(specs: list[RunSpec], order: list[int], ctx: Context,
              keep: frozenset[str], measure: Measure | None = None) -> dict[int, RunResult]:
    """Get the runs in `order`; one whose next checkpoint another process is training is put
    off while other runs are left to train, so a worker never waits while it has work."""
    got: dict[int, RunResult] = {}
    measured = {i: measure(specs[i]) if measure else None for i in order}
    pending = list(order)
    while pending:
        deferred = []
        for i in pending:
            try:
                got[i] = get_run(specs[i], ctx, wait=False, keep=keep, measure=measured[i])
            except RunBusy as busy:
                log.info("%s: put off (%s)", specs[i].label(), busy)
                deferred.append(i)
        if deferred and len(deferred) == len(pending):  # nothing else to do: wait for one
            i = deferred.pop(0)
            log.info("%s: waiting for another process", specs[i].label())
            got[i] = get_run(specs[i], ctx, wait=True, keep=keep, measure=measured[i])
        pending = deferred
    return got


def compute_direct(specs: dict[int, DirectSpec], ctx: Context) -> dict[int, DirectResult]:
    """Direct runs from the store, the missing ones computed in parallel over the free cores
    (longest first) and stored. Each is computed under its store lock, so two processes that
    need the same one compute it once."""
    got: dict[int, DirectResult] = {}
    todo: dict[DirectSpec, list[int]] = {}
    for i, s in specs.items():
        hit = direct.stored(s, ctx.store)
        if hit is not None:
            got[i] = hit
        else:
            todo.setdefault(s, []).append(i)
    # one global order of locks (cost, then key), so that two processes cannot deadlock
    jobs = sorted(todo, key=lambda s: (-s.total_epochs * s.recipe.step_seconds, s.key()))
    locks = [ctx.store.lock(s.key()) for s in jobs]
    for lock in locks:
        lock.acquire()
    try:
        fresh = [s for s in jobs if direct.stored(s, ctx.store) is None]
        done = dict(zip(fresh, parallel_map(direct.compute, [(s,) for s in fresh])))
        for s in jobs:
            result = (direct.save(s, ctx.store, *done[s]) if s in done
                      else direct.stored(s, ctx.store))
            if result is None:
                raise RunFailed(f"{s.label()}: its store entry vanished while it was locked")
            for i in todo[s]:
                got[i] = result
    finally:
        for lock in locks:
            lock.release()
    if todo:
        from . import progress
        from .schedule import REFERENCE_MACS_PER_SECOND

        progress.direct_done(sum(s.total_epochs * s.recipe.step_seconds for s in todo)
                             * REFERENCE_MACS_PER_SECOND)
    return got


def load_data(specs: list[RunSpec], ctx: Context) -> None:
    """Load the data of every run still to train before training any, so that a missing or
    unusable dataset is an error now, not after hours of training (loads are cached: the engine
    gets these same tensors)."""
    todo = {(s.dataset, tuple(s.data_args().items())) for s in specs
            if not ctx.store.has(ctx.key(s))}
    for name, args in sorted(todo, key=str):
        load_dataset(name, ctx.data_dir, **dict(args), device=ctx.device, download=ctx.download)
