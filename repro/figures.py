"""Figure specs (the plain data `harness.record(figure=...)` takes), built from a claim's arrays.

A figure is panels side by side; a panel holds lines; `mean_line` draws values[condition, seed]
as the mean over seeds with its standard deviation. repro.report draws them with matplotlib.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .stats import mean_sd


def panels(*items: dict) -> dict:
    return {"panels": list(items)}


def panel(title: str, xlabel: str, ylabel: str, *lines: dict, yscale: str | None = None) -> dict:
    out = {"title": title, "xlabel": xlabel, "ylabel": ylabel, "lines": list(lines)}
    if yscale:
        out["yscale"] = yscale
    return out


def line(label: str, x: Iterable, y: Iterable, **style) -> dict:
    """A line through (x, y); style: yerr, linestyle ("--", "none"), marker."""
    return {"label": label, "x": [float(v) for v in x], "y": [float(v) for v in y],
            **{k: ([float(e) for e in v] if k == "yerr" else v) for k, v in style.items()}}


def mean_line(label: str, x: Iterable, values, **style) -> dict:
    """values[i, seed] at x[i]: the mean over seeds, with the standard deviation as error bar."""
    m, sd = mean_sd(np.asarray(values, float))
    return line(label, x, np.atleast_1d(m), yerr=np.atleast_1d(sd), **style)


def arms_figure(arms: Mapping[str, Sequence[float]], *, title: str, ylabel: str) -> dict:
    """One point per seed and the mean with its standard deviation, for each arm of a
    comparison (the arms side by side on the x axis, in the given order)."""
    return panels(arms_panel(arms, title=title, ylabel=ylabel))


def arms_panel(arms: Mapping[str, Sequence[float]], *, title: str, ylabel: str) -> dict:
    """The arms on a categorical axis, named there; each arm's mean, sd and seeds in its colour."""
    lines = []
    for i, (name, values) in enumerate(arms.items()):
        v = np.asarray(values, float).ravel()
        colour = f"C{i}"
        lines.append(mean_line(f"{name}: mean, sd", [i], v[None, :], linestyle="none",
                               marker="s", color=colour))
        lines.append(line(f"{name}: seeds", [i + 0.15] * len(v), v, linestyle="none",
                          marker=".", color=colour))
    out = panel(title + " (squares: mean and sd; dots: seeds)", "", ylabel, *lines)
    return {**out, "xticks": {"positions": list(range(len(arms))), "labels": list(arms)},
            "legend": False}
