"""Statistics over seeds, the unit of replication. Each returns a `Check`."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats

from .verdict import Check


def expect_drop(before, after, *, at_least: float, reason: str, name: str = "drop",
                confidence: float = 0.95) -> Check:
    """Mean(before) - mean(after) is at least `at_least` and greater than zero at `confidence`
    (one-sided Welch t-test; the interval is the two-sided Welch interval)."""
    a, b = np.asarray(before, float), np.asarray(after, float)
    drop = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Check(name, drop, f">= {at_least:g}, p < {1 - confidence:g}", False,
                     reason + " (fewer than 2 seeds: no test possible)", n=min(len(a), len(b)))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0.0:
        p, ci = (0.0 if drop > 0 else 1.0), (drop, drop)
    else:
        t = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
        p = float(t.pvalue)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
        ci = (drop - half, drop + half)
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    d = drop / pooled if pooled > 0 else float("inf") * np.sign(drop)
    passed = bool(drop >= at_least and p < 1 - confidence)
    return Check(name, drop, f">= {at_least:g}, p < {1 - confidence:g}", passed, reason,
                 ci=ci, p_value=p, effect_size=float(d), n=min(len(a), len(b)))


def expect_decreasing(x, values, *, reason: str, name: str = "trend", max_p: float = 0.05) -> Check:
    """`values[i]` (the seeds of condition i at x[i]; conditions may have different numbers of
    seeds) falls with x: Spearman's rank correlation of all (x, value) pairs is negative with
    one-sided p < max_p."""
    rows = [np.asarray(v, float).ravel() for v in values]
    if len(rows) != len(x):
        raise ValueError(f"{len(x)} conditions but values for {len(rows)}")
    xs = np.concatenate([np.full(len(r), float(xi)) for xi, r in zip(x, rows)])
    v = np.concatenate(rows)
    res = stats.spearmanr(xs, v, alternative="less")
    rho, p = float(res.statistic), float(res.pvalue)
    passed = bool(np.isfinite(rho) and rho < 0 and p < max_p)
    return Check(name, rho, f"rho < 0, p < {max_p:g}", passed, reason, p_value=p,
                 effect_size=rho, n=v.size)


def mean_sd(values, axis=-1):
    v = np.asarray(values, float)
    m = v.mean(axis=axis)
    sd = v.std(axis=axis, ddof=1) if v.shape[axis] > 1 else m * 0.0  # same type as the mean
    return m, sd


def expect_paired_gain(higher, lower, *, at_least: float, reason: str, name: str,
                       confidence: float = 0.95) -> Check:
    """Mean of the same-seed differences higher - lower is at least `at_least` and above zero at
    `confidence` (one-sided paired t-test; the interval is two-sided)."""
    d = np.asarray(higher, float) - np.asarray(lower, float)
    gain = float(d.mean())
    bound = f">= {at_least:g}, p < {1 - confidence:g}"
    if len(d) < 2:
        return Check(name, gain, bound, False, reason + " (fewer than 2 seeds: no test possible)",
                     n=len(d))
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    if se == 0.0:
        p, ci = (0.0 if gain > 0 else 1.0), (gain, gain)
    else:
        p = float(stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
        half = float(stats.t.ppf(0.5 + confidence / 2, len(d) - 1)) * se
        ci = (gain - half, gain + half)
    sd = d.std(ddof=1)
    return Check(name, gain, bound, bool(gain >= at_least and p < 1 - confidence), reason, ci=ci,
                 p_value=p, effect_size=float(gain / sd) if sd > 0 else None, n=len(d))


def expect_at_most(values, *, at_most: float, reason: str, name: str,
                   confidence: float = 0.95) -> Check:
    """The mean of `values` (one per seed) is below `at_most` with confidence: its one-sided upper
    confidence bound (t distribution) is at most `at_most`. Used for "no lasting effect"."""
    v = np.asarray(values, float)
    m = float(v.mean())
    bound = f"upper {confidence:.0%} bound <= {at_most:g}"
    if len(v) < 2:
        return Check(name, m, bound, False, reason + " (fewer than 2 seeds: no test possible)",
                     n=len(v))
    se = float(v.std(ddof=1) / np.sqrt(len(v)))
    upper = m + float(stats.t.ppf(confidence, len(v) - 1)) * se
    half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1)) * se
    return Check(name, m, bound, bool(upper <= at_most), reason, ci=(m - half, m + half), n=len(v))


def expect_mean_at_most(values, *, at_most: float, reason: str, name: str = "value",
                        confidence: float = 0.95) -> Check:
    """The mean of `values` (one per seed) is at most `at_most`: for effects a claim says are
    absent or small (the equivalence test `expect_at_most` is the stricter form). The point
    estimate is tested (with few seeds an equivalence test has no power); the report gives the
    two-sided t interval beside it."""
    v = np.asarray(values, float).ravel()
    m = float(v.mean())
    ci = None
    if len(v) > 1:
        half = float(stats.t.ppf(0.5 + confidence / 2, len(v) - 1) * v.std(ddof=1)
                     / np.sqrt(len(v)))
        ci = (m - half, m + half)
    return Check(name, m, f"<= {at_most:g}", bool(np.isfinite(m) and m <= at_most), reason,
                 ci=ci, n=len(v))


def expect_positive(values, *, at_least: float, reason: str, name: str,
                    confidence: float = 0.95, explains: str = "") -> Check:
    """One sample (one value per seed, e.g. a deficit's same-seed damage against its matched
    control): the mean is at least `at_least` and above zero at `confidence` (one-sided t-test;
    the interval is two-sided). explains: see Check.explains."""
    v = np.asarray(values, float).ravel()
    c = expect_paired_gain(v, np.zeros_like(v), at_least=at_least, reason=reason, name=name,
                           confidence=confidence)
    return replace(c, explains=explains)


def expect_equivalent(values, *, margin: float, reason: str, name: str,
                      confidence: float = 0.95, explains: str = "") -> Check:
    """One sample (same-seed differences from a matched control): equivalent to zero within
    +-`margin`, in both directions, by two one-sided t-tests at 1 - `confidence` each (TOST):
    the (2 * confidence - 1) two-sided interval lies inside the margin. The p-value is the larger
    of the two tests'; the interval shown is the two-sided `confidence` one."""
    v = np.asarray(values, float).ravel()
    m = float(v.mean())
    bound = f"within +-{margin:g} (TOST, p < {1 - confidence:g})"
    if len(v) < 2:
        return Check(name, m, bound, False, reason + " (fewer than 2 seeds: no test possible)",
                     n=len(v), explains=explains)
    se = float(v.std(ddof=1) / np.sqrt(len(v)))
    df = len(v) - 1
    if se == 0.0:
        p = 0.0 if abs(m) < margin else 1.0
        ci = (m, m)
    else:
        p = float(max(stats.t.sf((m + margin) / se, df), stats.t.cdf((m - margin) / se, df)))
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * se
        ci = (m - half, m + half)
    sd = v.std(ddof=1)
    return Check(name, m, bound, bool(p < 1 - confidence), reason, ci=ci, p_value=p,
                 effect_size=float(m / sd) if sd > 0 else None, n=len(v), explains=explains)


def expect_share_at_most(part, whole, *, at_most: float, reason: str, name: str,
                         confidence: float = 0.95) -> Check:
    """Same-seed pairs: mean(part) / mean(whole) is at most `at_most`, with `whole` positive;
    tested as at_most * whole - part > 0 by a one-sided paired t-test at `confidence` (linear in
    the seeds, so a seed with a small `whole` does not blow up a ratio)."""
    a, b = np.asarray(part, float).ravel(), np.asarray(whole, float).ravel()
    share = float(a.mean() / b.mean()) if b.mean() != 0 else float("nan")
    bound = f"<= {at_most:g}, p < {1 - confidence:g}"
    d = at_most * b - a
    if len(d) < 2:
        return Check(name, share, bound, False, reason + " (fewer than 2 seeds: no test possible)",
                     n=len(d))
    se = float(d.std(ddof=1) / np.sqrt(len(d)))
    p = (0.0 if d.mean() > 0 else 1.0) if se == 0.0 else float(
        stats.ttest_1samp(d, 0.0, alternative="greater").pvalue)
    passed = bool(b.mean() > 0 and share <= at_most and p < 1 - confidence)
    return Check(name, share, bound, passed, reason, p_value=p, n=len(d))


def expect_increasing(x, values, *, reason: str, name: str = "trend",
                      max_p: float = 0.05) -> Check:
    """`values[i]` (the seeds of condition i at x[i]) grows with x: Spearman's rank correlation
    of all (x, value) pairs is positive with one-sided p < max_p."""
    c = expect_decreasing(x, [-np.asarray(v, float) for v in values], reason=reason, name=name,
                          max_p=max_p)
    return replace(c, measured=-c.measured, bound=f"rho > 0, p < {max_p:g}",
                   effect_size=-c.effect_size if c.effect_size is not None else None)
