"""Deep linear sweeps: one after another against spread over the free cores (`repro.parallel`,
what the deep linear claims do), in one run, with the numbers checked equal.

A sweep is a matrix-completion network trained for T steps on the deficit's entries and then on
all of them, branched at each T. The work: `--sweeps` depth-3 sweeps (default: two per free
core) over T = 0 and `--first` steps, each branch `--second` steps (the claims use 100,000 and
30,000; the defaults are shorter so that the bench takes about a minute).

    flock /tmp/repro-cpu.lock python bench/deep_linear.py
    python bench/deep_linear.py --tiny     # seconds: 2 sweeps of a 20x20 target, 2 processes
"""
from __future__ import annotations

import argparse
import dataclasses
import time

from repro.deep_linear import MatrixCompletion, switch_sweep
from repro.parallel import free_cores, parallel_map

# --tiny: a 20x20 rank-2 target, a few hundred steps per sweep
TINY = MatrixCompletion(depth=3, size=20, rank=2, observed_first=100, observed_second=150,
                        trace_every=50)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=None, help="default: two per free core")
    ap.add_argument("--first", type=int, default=None, help="default 10,000 (--tiny 200)")
    ap.add_argument("--second", type=int, default=None, help="default 5,000 (--tiny 100)")
    ap.add_argument("--processes", type=int, default=None,
                    help="default: the free cores (--tiny 2, so that processes are started "
                         "whatever the machine)")
    ap.add_argument("--tiny", action="store_true",
                    help="seconds: 2 sweeps of a 20x20 target in 2 processes")
    args = ap.parse_args(argv)
    cores = args.processes or (2 if args.tiny else free_cores())
    sweeps = args.sweeps or (2 if args.tiny else 2 * cores)
    first = args.first or (200 if args.tiny else 10_000)
    second = args.second or (100 if args.tiny else 5_000)
    cfg = dataclasses.replace(TINY if args.tiny else MatrixCompletion(depth=3),
                              second_steps=second)
    jobs = [(cfg, (0, first), seed) for seed in range(sweeps)]

    t0 = time.perf_counter()
    in_turn = [switch_sweep(*job) for job in jobs]
    t_turn = time.perf_counter() - t0
    t0 = time.perf_counter()
    spread = parallel_map(switch_sweep, jobs, processes=cores)
    t_spread = time.perf_counter() - t0
    if spread != in_turn:
        raise SystemExit("the parallel sweeps differ from the sweeps in turn")
    steps = sweeps * (first + 2 * second)
    print(f"{sweeps} depth-3 sweeps of a {cfg.size}x{cfg.size} target, {steps} steps, "
          f"{cores} processes ({free_cores()} free cores)")
    print(f"in turn:  {t_turn:6.1f} s")
    print(f"parallel: {t_spread:6.1f} s (process start-up included), same numbers")
    print(f"ratio {t_turn / t_spread:.2f}x")


if __name__ == "__main__":
    main()
