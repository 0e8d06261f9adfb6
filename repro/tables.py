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
