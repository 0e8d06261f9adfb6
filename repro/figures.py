"""Figure specs (the plain data `harness.record(figure=...)` takes) for the common shapes."""
from __future__ import annotations

import numpy as np


def arms_figure(arms: dict[str, list[float]], *, title: str, ylabel: str) -> dict:
    """One point per seed and the mean with its standard deviation, for each arm of a
    comparison (the arms side by side on the x axis, in the given order)."""
    lines = []
    for i, (name, values) in enumerate(arms.items()):
        v = np.asarray(values, float).ravel()
        sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        lines.append({"label": f"{name} (mean, sd)", "x": [i], "y": [float(v.mean())],
                      "yerr": [sd], "linestyle": "none", "marker": "s"})
        lines.append({"label": f"{name} (seeds)", "x": [i + 0.15] * len(v), "y": v.tolist(),
                      "linestyle": "none", "marker": "."})
    return {"panels": [{"title": title, "xlabel": "arm (left to right: as listed)",
                        "ylabel": ylabel, "lines": lines}]}
