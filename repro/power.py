"""Power of a claim's check: how often it passes for a given number of seeds, when the effect and
the seed spread are what seeds apart from the claim's measured.

Seeds are drawn from normal distributions with the measured means and spreads and judged by the
checks' own rules (repro.stats, vectorized here; tests/test_power.py checks that the two agree),
so the power counts the bound on the point estimate and the test's significance together, as the
verdict does. A claim's seed count is the smallest with at least
80 % power; the command prints the table:

    python -m repro.power drop --effect 2.8 --sd 0.3 --bound 1.09
    python -m repro.power paired --effect 1.4 --sd 0.9 --bound 1.0
    python -m repro.power report reports/seed-base-3000/smoke/results.json

`report` takes every check of a tier's report run at seeds apart from the claims' (another seed
base) and gives its power at the claim's seed count and the seeds 80 % needs, from the check's
own mean and interval (the seed sd implied by a t interval on n - 1 degrees of freedom; a
two-arm check is treated as paired, which its sd makes conservative). Rank-correlation checks
are left out: their p is in the report.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats as sps
from tabulate import tabulate

TARGET = 0.8
TRIALS = 20_000


def drop_power(effect: float, sd: float, bound: float, n: int, trials: int = TRIALS,
               seed: int = 0) -> float:
    """P(expect_drop passes) with n seeds per arm, arms N(effect, sd) and N(0, sd)."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(effect, sd, (trials, n)), rng.normal(0.0, sd, (trials, n))
    va, vb = a.var(1, ddof=1) / n, b.var(1, ddof=1) / n
    drop = a.mean(1) - b.mean(1)
    df = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1))
    p = sps.t.sf(drop / np.sqrt(va + vb), df)
    return float(np.mean((drop >= bound) & (p < 0.05)))


def paired_power(effect: float, sd: float, bound: float, n: int, trials: int = TRIALS,
                 seed: int = 0) -> float:
    """P(expect_paired_gain passes) with n seeds, same-seed differences N(effect, sd)."""
    d = np.random.default_rng(seed).normal(effect, sd, (trials, n))
    m = d.mean(1)
    p = sps.t.sf(m / (d.std(1, ddof=1) / np.sqrt(n)), n - 1)
    return float(np.mean((m >= bound) & (p < 0.05)))


def mean_power(effect: float, sd: float, bound: float, n: int, trials: int = TRIALS,
               seed: int = 0, upper: bool = False) -> float:
    """P(expect_mean_at_most passes) (upper: expect_at_most, the upper 95 % bound) with n
    seeds drawn from N(effect, sd)."""
    v = np.random.default_rng(seed).normal(effect, sd, (trials, n))
    m = v.mean(1)
    if upper:
        m = m + sps.t.ppf(0.95, n - 1) * v.std(1, ddof=1) / np.sqrt(n)
    return float(np.mean(m <= bound))


def equivalence_power(effect: float, sd: float, margin: float, n: int, trials: int = TRIALS,
                      seed: int = 0) -> float:
    """P(expect_equivalent passes) with n seeds drawn from N(effect, sd): both one-sided tests
    of the TOST below 0.05."""
    v = np.random.default_rng(seed).normal(effect, sd, (trials, n))
    m, se = v.mean(1), v.std(1, ddof=1) / np.sqrt(n)
    p = np.maximum(sps.t.sf((m + margin) / se, n - 1), sps.t.cdf((m - margin) / se, n - 1))
    return float(np.mean(p < 0.05))


POWER = {"drop": drop_power, "paired": paired_power, "equivalence": equivalence_power}


def check_power(check: dict, trials: int = TRIALS, most: int = 30) -> dict | None:
    """Power of one reported check at its seed count, and the seeds 80 % needs (None: more than
    `most`), from its mean and 95 % interval; None for a check this cannot model."""
    bound, ci, n, m = check["bound"], check.get("ci"), check.get("n") or 0, check["measured"]
    if not ci or n < 2 or any(c is None for c in ci) or m is None:
        return None
    sd = (ci[1] - ci[0]) / 2 / float(sps.t.ppf(0.975, n - 1)) * np.sqrt(n)
    if bound.startswith("within +-"):
        margin = float(bound.split()[1].removeprefix("+-"))

        def power(k):
            return equivalence_power(m, sd, margin, k, trials)

        need = next((k for k in range(2, most + 1) if power(k) >= TARGET), None)
        return {"sd": float(sd), "power": power(n), "seeds_for_80": need}
    value = float(bound.split()[-1]) if not bound.startswith(">=") else float(
        bound.split()[1].rstrip(","))
    if bound.startswith(">="):
        def power(k):
            return paired_power(m, sd, value, k, trials)
    elif bound.startswith("<="):
        def power(k):
            return mean_power(m, sd, value, k, trials)
    elif bound.startswith("upper"):
        def power(k):
            return mean_power(m, sd, value, k, trials, upper=True)
    else:
        return None
    need = next((k for k in range(2, most + 1) if power(k) >= TARGET), None)
    return {"sd": float(sd), "power": power(n), "seeds_for_80": need}


def report(path: str, most: int = 30) -> str:
    d = json.loads(Path(path).read_text())
    rows = []
    for v in d["verdicts"]:
        for c in v["checks"]:
            p = check_power(c, most=most)
            rows.append([v["claim"], c["name"], c["measured"], c["bound"], c.get("n"),
                         *((f"{p['sd']:.3g}", f"{p['power']:.2f}", p["seeds_for_80"]
                            or f"> {most}") if p else ("", "n/a", ""))])
    head = (f"Power at seed base {d.get('seed_base')} ({d['tier']} tier): each check's mean "
            f"and seed sd there, its power at the claim's seeds, and the seeds for 80 %.\n")
    return head + tabulate(rows, headers=["claim", "check", "measured", "bound", "seeds",
                                          "seed sd", "power", "seeds for 80 %"],
                           tablefmt="github", floatfmt=".3g")


def seeds_needed(kind: str, effect: float, sd: float, bound: float, most: int = 30,
                 target: float = TARGET, trials: int = TRIALS) -> int | None:
    """The fewest seeds (from 2) with power >= target; None if more than `most` are needed."""
    for n in range(2, most + 1):
        if POWER[kind](effect, sd, bound, n, trials) >= target:
            return n
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["report"]:
        for path in args[1:]:
            print(report(path))
        return 0
    ap = argparse.ArgumentParser(prog="python -m repro.power", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=sorted(POWER),
                    help="drop: two arms, Welch t (expect_drop); paired: same-seed differences; "
                         "equivalence: TOST within +-bound (expect_equivalent)")
    ap.add_argument("--effect", type=float, required=True, help="measured mean effect")
    ap.add_argument("--sd", type=float, required=True,
                    help="measured seed sd (of each arm for drop, of the differences for paired)")
    ap.add_argument("--bound", type=float, required=True, help="the claim's bound")
    ap.add_argument("--most", type=int, default=12)
    a = ap.parse_args(args)
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
