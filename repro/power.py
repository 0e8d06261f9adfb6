"""Power of a claim's check: how often it passes for a given number of seeds, when the effect and
the seed spread are what seeds apart from the claim's measured.

The check itself decides (repro.stats), on seeds drawn from normal distributions with the
measured means and spreads, so the power counts the bound on the point estimate and the test's
significance together, as the verdict does. A claim's seed count is the smallest with at least
80 % power; the command prints the table:

    python -m repro.power drop --effect 2.8 --sd 0.3 --bound 1.09
    python -m repro.power paired --effect 1.4 --sd 0.9 --bound 1.0
"""
from __future__ import annotations

import argparse

import numpy as np

from .stats import expect_drop, expect_paired_gain

TARGET = 0.8
TRIALS = 2000


def drop_power(effect: float, sd: float, bound: float, n: int, trials: int = TRIALS,
               seed: int = 0) -> float:
    """P(expect_drop passes) with n seeds per arm, arms N(effect, sd) and N(0, sd)."""
    rng = np.random.default_rng(seed)
    before = rng.normal(effect, sd, (trials, n))
    after = rng.normal(0.0, sd, (trials, n))
    return float(np.mean([expect_drop(b, a, at_least=bound, reason="").passed
                          for b, a in zip(before, after)]))


def paired_power(effect: float, sd: float, bound: float, n: int, trials: int = TRIALS,
                 seed: int = 0) -> float:
    """P(expect_paired_gain passes) with n seeds, same-seed differences N(effect, sd)."""
    rng = np.random.default_rng(seed)
    d = rng.normal(effect, sd, (trials, n))
    return float(np.mean([expect_paired_gain(x, np.zeros(n), at_least=bound, reason="",
                                             name="").passed for x in d]))


POWER = {"drop": drop_power, "paired": paired_power}


def seeds_needed(kind: str, effect: float, sd: float, bound: float, most: int = 30,
                 target: float = TARGET, trials: int = TRIALS) -> int | None:
    """The fewest seeds (from 2) with power >= target; None if more than `most` are needed."""
    for n in range(2, most + 1):
        if POWER[kind](effect, sd, bound, n, trials) >= target:
            return n
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m repro.power", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=sorted(POWER),
                    help="drop: two arms, Welch t (expect_drop); paired: same-seed differences")
    ap.add_argument("--effect", type=float, required=True, help="measured mean effect")
    ap.add_argument("--sd", type=float, required=True,
                    help="measured seed sd (of each arm for drop, of the differences for paired)")
    ap.add_argument("--bound", type=float, required=True, help="the claim's bound")
    ap.add_argument("--most", type=int, default=12)
    a = ap.parse_args(argv)
    print(f"{a.kind}: effect {a.effect:g}, seed sd {a.sd:g}, bound {a.bound:g} "
          f"({TRIALS} trials each)")
    need = None
    for n in range(2, a.most + 1):
        p = POWER[a.kind](a.effect, a.sd, a.bound, n)
        print(f"  {n:2d} seeds: power {p:.3f}")
        if need is None and p >= TARGET:
            need = n
        if p >= 0.99:
            break
    print(f"seeds for {TARGET:.0%} power: {need if need else f'more than {a.most}'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
