"""Deep linear sweeps: one after another against spread over the free cores (`repro.parallel`,
what the deep linear claims do), in one run, with the numbers checked equal.

A sweep is a matrix-completion network trained for T steps on the deficit's entries and then on
all of them, branched at each T. The work: `--sweeps` depth-3 sweeps (default: two per free
core) over T = 0 and `--first` steps, each branch `--second` steps (the claims use 100,000 and
30,000; the defaults are shorter so that the bench takes about a minute).

    flock /tmp/repro-cpu.lock python bench/deep_linear.py
"""
from __future__ import annotations

import argparse
import dataclasses
import time

from repro.deep_linear import MatrixCompletion, switch_sweep
from repro.parallel import free_cores, parallel_map


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=2 * free_cores())
    ap.add_argument("--first", type=int, default=10_000)
    ap.add_argument("--second", type=int, default=5_000)
    args = ap.parse_args()
    cfg = dataclasses.replace(MatrixCompletion(depth=3), second_steps=args.second)
    jobs = [(cfg, (0, args.first), seed) for seed in range(args.sweeps)]

    t0 = time.perf_counter()
    in_turn = [switch_sweep(*job) for job in jobs]
    t_turn = time.perf_counter() - t0
    t0 = time.perf_counter()
    spread = parallel_map(switch_sweep, jobs)
    t_spread = time.perf_counter() - t0
    if spread != in_turn:
        raise SystemExit("the parallel sweeps differ from the sweeps in turn")
    steps = args.sweeps * (args.first + 2 * args.second)
    print(f"{args.sweeps} depth-3 sweeps, {steps} steps, {free_cores()} free cores")
    print(f"in turn:  {t_turn:6.1f} s")
    print(f"parallel: {t_spread:6.1f} s (process start-up included), same numbers")
    print(f"ratio {t_turn / t_spread:.2f}x")


if __name__ == "__main__":
    main()
