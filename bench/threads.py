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
    python bench/threads.py --tiny     # seconds: 2 runs of widths 4/8 on synthetic 8x8 images
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time


def timed_epochs(threads: int, epochs: int, seed: int, data_dir: str, overrides: dict,
                 barrier=None) -> float:
    """Seconds of `epochs` smoke-tier epochs (RunSpec `overrides` on top) on `threads` threads,
    after one warm-up epoch."""
    import torch

    torch.set_num_threads(threads)
    from repro.config import RunSpec
    from repro.data import load_dataset
    from repro.engine import _build, train_epoch
    from repro.tiers import SMOKE

    spec = RunSpec(phases=((epochs + 1, None),), seed=seed, **{**SMOKE.base, **overrides})
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
    p.add_argument("--runs", type=int, default=None, help="default: one per CPU (--tiny 2)")
    p.add_argument("--epochs", type=int, default=None, help="timed epochs per run (default 4, "
                                                             "--tiny 1)")
    p.add_argument("--data-dir", default=os.environ.get("REPRO_DATA_DIR", "../shared/data"))
    p.add_argument("--tiny", action="store_true",
                   help="seconds: 2 runs of widths 4/8 on 200 synthetic 8x8 images, 1 timed "
                        "epoch each")
    args = p.parse_args(argv)
    runs = args.runs or (2 if args.tiny else os.cpu_count() or 1)
    epochs = args.epochs or (1 if args.tiny else 4)
    if not args.tiny:
        compare(runs, epochs, args.data_dir, {})
        return
    import _tiny

    with _tiny.fake_data() as data_dir:
        compare(runs, epochs, data_dir, _tiny.RUN)


def compare(runs: int, epochs: int, data_dir: str, overrides: dict) -> None:
    print(f"{os.cpu_count()} CPUs, load average (1 min) {os.getloadavg()[0]:.2f}; {runs} "
          f"smoke-tier runs of {epochs} timed epochs each")

    threads = sum(timed_epochs(runs, epochs, seed, data_dir, overrides) for seed in range(runs))
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(runs), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=((epochs, seed, data_dir, overrides), barrier, out))
             for seed in range(runs)]
    for proc in procs:
        proc.start()
    workers = max(out.get() for _ in procs)
    for proc in procs:
        proc.join()

    total = runs * epochs
    print(f"threads: {runs} runs one after another on {runs} threads each: "
          f"{threads:.1f} s, {total / threads:.2f} epochs/s")
    print(f"workers: {runs} runs at once on 1 thread each: {workers:.1f} s, "
          f"{total / workers:.2f} epochs/s")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {threads / workers:.2f}x")


if __name__ == "__main__":
    main()
