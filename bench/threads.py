"""CPU training throughput: runs on all cores' threads one after another, against one
single-threaded run per core side by side (what `pytest claims/ -n <cores>` does), in one run.

Why it matters: a CPU run's numbers depend on its thread count, so the harness fixes it (one
thread, `--cpu-threads`) and uses the cores by training several runs at once. This shows what
that costs or gains against giving each run every core.

Both sides do the same work: `--runs` runs (default: one per core) of `--epochs` smoke-tier
epochs each (after one warm-up epoch, not timed). Threads side: the runs one after another, each
on `--runs` threads. Workers side: the runs at once in separate processes, one thread each,
started together at a barrier; their time is the slowest one's.

    flock /tmp/repro-cpu.lock python bench/threads.py
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time


def timed_epochs(threads: int, epochs: int, seed: int, data_dir: str, barrier=None) -> float:
    import torch

    torch.set_num_threads(threads)
    from repro.config import RunSpec
    from repro.data import load_dataset
    from repro.engine import _build, train_epoch
    from repro.tiers import SMOKE

    spec = RunSpec(phases=((epochs + 1, None),), seed=seed, **SMOKE.base)
    device = torch.device("cpu")
    data = load_dataset(spec.dataset, data_dir, train_size=spec.train_size,
                        resolution=spec.resolution, device=device)
    model, opt = _build(spec, data, device)
    train_epoch(model, opt, data, spec, 0, device)  # warm-up
    if barrier is not None:
        barrier.wait()
    t0 = time.perf_counter()
    for e in range(1, epochs + 1):
        train_epoch(model, opt, data, spec, e, device)
    return time.perf_counter() - t0


def _worker(args, barrier, out):
    out.put(timed_epochs(1, *args, barrier=barrier))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--epochs", type=int, default=4, help="timed epochs per run")
    p.add_argument("--data-dir", default=os.environ.get("REPRO_DATA_DIR", "../shared/data"))
    args = p.parse_args(argv)
    print(f"{os.cpu_count()} CPUs, load average (1 min) {os.getloadavg()[0]:.2f}; {args.runs} "
          f"smoke-tier runs of {args.epochs} timed epochs each")

    threads = sum(timed_epochs(args.runs, args.epochs, seed, args.data_dir)
                  for seed in range(args.runs))
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(args.runs), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=((args.epochs, seed, args.data_dir), barrier, out))
             for seed in range(args.runs)]
    for proc in procs:
        proc.start()
    workers = max(out.get() for _ in procs)
    for proc in procs:
        proc.join()

    epochs = args.runs * args.epochs
    print(f"threads: {args.runs} runs one after another on {args.runs} threads each: "
          f"{threads:.1f} s, {epochs / threads:.2f} epochs/s")
    print(f"workers: {args.runs} runs at once on 1 thread each: {workers:.1f} s, "
          f"{epochs / workers:.2f} epochs/s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {threads / workers:.2f}x")


if __name__ == "__main__":
    main()
