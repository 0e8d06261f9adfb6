"""Report tables built from a claim's labelled results."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .arms import SINGLE, Results
from .stats import mean_sd


def summary_table(runs: Results, values: Mapping[str, np.ndarray], *,
                  column: str = "final test acc %", baseline: tuple[str, Any] | str | None = None,
                  change: str = "change vs baseline (same seeds)",
                  extra: Callable[[str, Any], dict] | None = None,
                  like: str | None = None) -> list[dict]:
    """One row per arm and condition: seeds, mean and sd of `values`, and with a `baseline`
    (an arm, or (arm, condition)) the mean same-seed difference to it; `extra(arm, condition)`
    adds columns. Values under a name that is no arm (a difference of two arms) are laid out
    like the arm `like`."""
    base = None
    if baseline is not None:
        name, cond = (baseline, SINGLE) if isinstance(baseline, str) else baseline
        base = _row(runs, values, name, cond)
    rows = []
    for name in values:
        arm = runs[_layout(runs, name, like)]
        for cond in arm.conditions:
            v = _row(runs, values, name, cond, like)
            m, sd = mean_sd(v)
            row: dict[str, Any] = {"arm": name}
            if cond is not SINGLE:
                row[arm.by] = cond
            row.update({"seeds": len(v), column: float(m), "sd": float(sd)})
            if base is not None:
                row[change] = float((v - base[: len(v)]).mean())
            if extra:
                row.update(extra(name, cond))
            rows.append(row)
    return rows


def _row(runs: Results, values: Mapping[str, np.ndarray], name: str, cond,
         like: str | None = None) -> np.ndarray:
    arm = runs[_layout(runs, name, like)]
    v = np.asarray(values[name], float)
    return v if arm.single else v[arm.conditions.index(cond)]


def _layout(runs: Results, name: str, like: str | None) -> str:
    if name in runs:
        return name
    if like is None:
        raise KeyError(f"{name!r} is no arm; give like= the arm whose layout it has")
    return like


def effect_table(runs: Results, *, metric: str = "test_acc", reference: str | None = "none",
                 extra: Callable[[str, Any], dict] | None = None) -> list[dict]:
    """One row per arm and condition: its final `metric` (%, mean and sd over seeds), and for an
    arm with a matched control the same-seed effect against it (the judged comparison); with a
    `reference` arm of one run (the no-deficit run), the same-seed change against it, which
    differs in epochs or rates and is reported, never judged."""
    acc = runs.final(metric, percent=True)
    ref = acc.get(reference) if reference else None
    rows = []
    for name, arm in runs.items():
        effect = runs.effect(name, metric) if arm.control else None
        for i, cond in enumerate(arm.conditions):
            v = acc[name] if arm.single else acc[name][i]
            m, sd = mean_sd(v)
            row: dict[str, Any] = {"arm": name}
            if cond is not SINGLE:
                row[arm.by] = cond
            row.update({"seeds": len(v), "final test acc %": float(m), "sd": float(sd)})
            if effect is not None:
                e = effect if arm.single else effect[i]
                em, esd = mean_sd(e)
                row.update({"vs matched control (points)": float(em), "its sd": float(esd)})
            else:
                row.update({"vs matched control (points)": None, "its sd": None})
            if ref is not None and reference is not None and runs[reference].single:
                row[f"vs {reference} (reference)"] = float((v - ref[: len(v)]).mean())
            if extra:
                row.update(extra(name, cond))
            rows.append(row)
    return rows
